//! A 127.0.0.1 HTTP server that speaks OpenAI's streaming chat completions byte for byte
//! (SSE `data:` chunks, then `data: [DONE]`). It STANDS IN FOR A MODEL server: each
//! request gets the next scripted reply (the last repeats).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Streams these tokens, then finishes.
    Stream(Vec<String>),
    /// Streams these tokens, then sends nothing more until the client hangs up.
    Stall(Vec<String>),
    /// Answers with this status and error message.
    Status(u16, String),
}

/// The running server.
pub struct SseServer {
    pub addr: SocketAddr,
    /// Request bodies received, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Set when a stalled client hung up (the call was cancelled for real).
    pub hung_up: Arc<AtomicBool>,
}

impl SseServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts the server on 127.0.0.1 with these replies.
pub async fn serve(replies: Vec<Reply>) -> SseServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(Mutex::new(Vec::new()));
    let hung_up = Arc::new(AtomicBool::new(false));
    let last = replies.last().cloned().unwrap_or(Reply::Stream(Vec::new()));
    let queue = Arc::new(Mutex::new(VecDeque::from(replies)));
    let (r, h) = (requests.clone(), hung_up.clone());
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                break;
            };
            let reply = queue.lock().pop_front().unwrap_or_else(|| last.clone());
            tokio::spawn(handle(sock, reply, r.clone(), h.clone()));
        }
    });
    SseServer {
        addr,
        requests,
        hung_up,
    }
}

fn chunk(content: &str) -> String {
    let v = serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "stand-in",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]
    });
    format!("data: {v}\n\n")
}

async fn handle(
    mut sock: TcpStream,
    reply: Reply,
    requests: Arc<Mutex<Vec<String>>>,
    hung_up: Arc<AtomicBool>,
) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        let Ok(n) = sock.read(&mut tmp).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let Ok(n) = sock.read(&mut tmp).await else {
            return;
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    requests
        .lock()
        .push(String::from_utf8_lossy(&buf[head_end..]).into_owned());
    let sse_head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
    match reply {
        Reply::Status(status, message) => {
            let body = serde_json::json!({"error": {"message": message, "type": "server_error"}})
                .to_string();
            let resp = format!(
                "HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
        Reply::Stream(tokens) => {
            let _ = sock.write_all(sse_head.as_bytes()).await;
            for t in tokens {
                let _ = sock.write_all(chunk(&t).as_bytes()).await;
                let _ = sock.flush().await;
            }
            let end = serde_json::json!({
                "id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "stand-in",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]
            });
            let _ = sock
                .write_all(format!("data: {end}\n\ndata: [DONE]\n\n").as_bytes())
                .await;
        }
        Reply::Stall(tokens) => {
            let _ = sock.write_all(sse_head.as_bytes()).await;
            for t in tokens {
                let _ = sock.write_all(chunk(&t).as_bytes()).await;
                let _ = sock.flush().await;
            }
            // Wait for the client to hang up.
            loop {
                match sock.read(&mut tmp).await {
                    Ok(0) | Err(_) => {
                        hung_up.store(true, Ordering::SeqCst);
                        return;
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    let _ = sock.shutdown().await;
}
