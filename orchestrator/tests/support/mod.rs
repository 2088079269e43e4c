//! Scripted HTTP/1.1 servers on 127.0.0.1 that stand in for model servers in the
//! instrument tests: each test writes the exact bytes of a wire format (chunked or
//! close-delimited bodies) and decides when to pause, fail or drop the connection.
//! Shared by the `instruments_*` tests; other tests may reuse it read-only.
#![allow(dead_code)]

pub mod openai_turns;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use symphony_conductor::instrument::{
    CancellationToken, ChatMessage, Completion, CompletionRequest, Instrument, InstrumentConfig,
    InstrumentEvent, Result, Role,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

/// A request as the scripted server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`, `GET`...
    pub method: String,
    /// The request target (`/v1/chat/completions`).
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// How a response body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`; each `send` is one chunk.
    Chunked,
    /// No length: the body ends when the server closes the connection.
    Close,
}

/// One accepted connection, after its request was read.
pub struct Conn {
    stream: TcpStream,
    framing: Framing,
}

impl Conn {
    /// Writes the status line and headers of a streaming response.
    pub async fn head(&mut self, status: u16, content_type: &str, framing: Framing) {
        self.head_with(status, content_type, framing, &[]).await;
    }

    /// [`Conn::head`] with extra headers.
    pub async fn head_with(
        &mut self,
        status: u16,
        content_type: &str,
        framing: Framing,
        extra: &[(&str, &str)],
    ) {
        self.framing = framing;
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\n",
            reason(status)
        );
        match framing {
            Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
            Framing::Close => head.push_str("Connection: close\r\n"),
        }
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let _ = self.stream.write_all(head.as_bytes()).await;
        let _ = self.stream.flush().await;
    }

    /// Writes body bytes now (one chunk when chunked).
    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        if bytes.is_empty() {
            return;
        }
        let result = match self.framing {
            Framing::Chunked => {
                let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
                framed.extend_from_slice(bytes);
                framed.extend_from_slice(b"\r\n");
                self.stream.write_all(&framed).await
            }
            Framing::Close => self.stream.write_all(bytes).await,
        };
        let _ = result;
        let _ = self.stream.flush().await;
    }

    /// Ends the body properly (the terminating chunk) and closes the connection.
    pub async fn end(mut self) {
        if self.framing == Framing::Chunked {
            let _ = self.stream.write_all(b"0\r\n\r\n").await;
        }
        let _ = self.stream.shutdown().await;
    }

    /// A whole response with a Content-Length body.
    pub async fn respond(
        mut self,
        status: u16,
        content_type: &str,
        extra: &[(&str, &str)],
        body: &str,
    ) {
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
            reason(status),
            body.len()
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        let _ = self.stream.write_all(head.as_bytes()).await;
        let _ = self.stream.shutdown().await;
    }

    /// Closes the TCP connection mid-body: no terminating chunk, no end marker.
    pub async fn drop_connection(mut self) {
        let _ = self.stream.flush().await;
        drop(self.stream);
    }

    /// Waits until the client closes the connection (reads to EOF or error).
    pub async fn wait_closed(mut self) {
        let mut buf = [0u8; 1024];
        loop {
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A scripted server; stops when dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    task: JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a server on 127.0.0.1; `handler(n, request, conn)` answers connection `n`
/// (0 for the first).
pub async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(usize, Request, Conn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let handler = Arc::new(handler);
    let count = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let seen = seen.clone();
            let n = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                seen.lock().push(request.clone());
                let conn = Conn {
                    stream,
                    framing: Framing::Chunked,
                };
                handler(n, request, conn).await;
            });
        }
    });
    Server {
        addr,
        requests,
        task,
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A one-way signal between the test and the server script (opened once, waited once).
#[derive(Clone, Default)]
pub struct Gate(Arc<Notify>);

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }
    /// Lets the waiter through (now or when it arrives).
    pub fn open(&self) {
        self.0.notify_one();
    }
    /// Waits until the gate is opened.
    pub async fn wait(&self) {
        self.0.notified().await;
    }
}

/// An instrument config of `kind` pointing at `url`, with test-friendly timeouts.
pub fn config(kind: &str, url: &str) -> InstrumentConfig {
    let text = format!(
        "name = \"test-{kind}\"\nkind = \"{kind}\"\nbase_url = \"{url}\"\nmodel = \"tiny\"\nconnect_timeout_secs = 2\nidle_timeout_secs = 30\n"
    );
    toml::from_str(&text).expect("valid test config")
}

/// A one-message request.
pub fn ask(text: &str) -> CompletionRequest {
    CompletionRequest {
        messages: vec![
            ChatMessage::new(Role::System, "You are terse."),
            ChatMessage::new(Role::User, text),
        ],
        max_tokens: Some(32),
        temperature: Some(0.0),
        model: None,
    }
}

/// A running call: its events and its result.
pub struct Call {
    /// Events as the instrument sends them.
    pub events: mpsc::Receiver<InstrumentEvent>,
    /// The call's result.
    pub result: JoinHandle<Result<Completion>>,
    /// Cancels the call.
    pub cancel: CancellationToken,
}

impl Call {
    /// The next event (panics after a generous liveness guard of 20 s).
    pub async fn next(&mut self) -> InstrumentEvent {
        tokio::time::timeout(Duration::from_secs(20), self.events.recv())
            .await
            .expect("an event within 20 s")
            .expect("the call is still sending")
    }

    /// The next token event's text, skipping other events.
    pub async fn next_token(&mut self) -> String {
        loop {
            if let InstrumentEvent::Token(t) = self.next().await {
                return t;
            }
        }
    }

    /// Waits for the result; returns it with every event not yet received.
    pub async fn finish(mut self) -> (Result<Completion>, Vec<InstrumentEvent>) {
        let result = tokio::time::timeout(Duration::from_secs(20), self.result)
            .await
            .expect("the call ends within 20 s")
            .expect("the call task did not panic");
        let mut rest = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            rest.push(e);
        }
        (result, rest)
    }
}

/// Starts `request` on `instrument`.
pub fn start(instrument: &dyn Instrument, request: CompletionRequest) -> Call {
    let (tx, rx) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let result = tokio::spawn(instrument.call(request, tx, cancel.clone()));
    Call {
        events: rx,
        result,
        cancel,
    }
}

/// The texts of the token events in `events`.
pub fn tokens(events: &[InstrumentEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            InstrumentEvent::Token(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}
