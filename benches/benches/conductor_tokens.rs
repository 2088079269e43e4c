//! Instrument token latency: time from a token's bytes being written by a 127.0.0.1
//! server (standing in for an OpenAI-compatible model, SSE over chunked HTTP/1.1) to
//! the `InstrumentEvent::Token` arriving at the caller. Prints p50 / p90 / p99 over a
//! few hundred tokens first, then lets criterion time the same round.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_conductor::backends::OpenAiInstrument;
use symphony_conductor::instrument::{
    CancellationToken, ChatMessage, CompletionRequest, Instrument, InstrumentConfig,
    InstrumentEvent, Role,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc};

/// A live call: ask the server for one more token, wait for its event.
struct Stream {
    go: mpsc::Sender<()>,
    written: Arc<Mutex<Option<Instant>>>,
    events: mpsc::Receiver<InstrumentEvent>,
}

impl Stream {
    /// One token: server writes it, the instrument turns it into an event.
    async fn one(&mut self) -> Duration {
        self.go.send(()).await.expect("server alive");
        loop {
            match self.events.recv().await.expect("call alive") {
                InstrumentEvent::Token(_) => break,
                _ => continue,
            }
        }
        let received = Instant::now();
        let written = self.written.lock().await.take().expect("write time");
        received.saturating_duration_since(written)
    }
}

async fn open_stream() -> Stream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (go_tx, mut go_rx) = mpsc::channel::<()>(1);
    let written = Arc::new(Mutex::new(None));
    let server_written = written.clone();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.expect("accept");
        s.set_nodelay(true).expect("nodelay");
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        loop {
            let n = s.read(&mut buf).await.expect("read");
            got.extend_from_slice(&buf[..n]);
            if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..p]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if got.len() >= p + 4 + len {
                    break;
                }
            }
        }
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .expect("head");
        let event = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}\n\n";
        let mut chunk = format!("{:x}\r\n", event.len()).into_bytes();
        chunk.extend_from_slice(event);
        chunk.extend_from_slice(b"\r\n");
        while go_rx.recv().await.is_some() {
            *server_written.lock().await = Some(Instant::now());
            s.write_all(&chunk).await.expect("token");
        }
    });
    let config: InstrumentConfig = toml::from_str(&format!(
        "name = \"bench\"\nkind = \"openai\"\nbase_url = \"http://{addr}\"\nmodel = \"m\"\nidle_timeout_secs = 600\n"
    ))
    .expect("config");
    let instrument = OpenAiInstrument::new(&config).expect("instrument");
    let (tx, events) = mpsc::channel(256);
    let request = CompletionRequest {
        messages: vec![ChatMessage::new(Role::User, "go")],
        ..Default::default()
    };
    tokio::spawn(instrument.call(request, tx, CancellationToken::new()));
    Stream {
        go: go_tx,
        written,
        events,
    }
}

fn token_latency(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut stream = rt.block_on(open_stream());

    let mut samples: Vec<Duration> = rt.block_on(async {
        for _ in 0..50 {
            stream.one().await; // warm-up
        }
        let mut v = Vec::with_capacity(500);
        for _ in 0..500 {
            v.push(stream.one().await);
        }
        v
    });
    samples.sort_unstable();
    let pct = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    println!(
        "conductor_tokens: socket write -> InstrumentEvent::Token over {} tokens: p50 {:?}, p90 {:?}, p99 {:?}",
        samples.len(),
        pct(50),
        pct(90),
        pct(99)
    );

    c.bench_function("conductor_tokens/socket_to_event", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += stream.one().await;
                }
                total
            })
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = token_latency
}
criterion_main!(benches);
