//! Conductor dispatch: from `Conductor::run(Refactor)` to the first byte of the model's
//! HTTP request arriving at a 127.0.0.1 listener (target: p50 under 2 ms).
//!
//! The instrument is the REAL openai instrument (symphony_conductor::backends); the
//! listener is a plain blocking thread standing in for a model server: it timestamps the
//! first byte of each request, then answers with a short SSE stream so the run finishes
//! (outside the measured time) before the next iteration. Each iteration therefore covers:
//! plan lookup, RunStarted, the DAG start (with its checkpoint header), the context and
//! prompt nodes, the pool slot, and the instrument building and sending the request over
//! a fresh loopback connection.
//!
//! `cargo bench -p symphony-benches --bench conductor_dispatch -- --warm-up-time 1 --measurement-time 3`

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig};
use symphony_conductor::events::ConductorEvent;
use symphony_conductor::instrument::{InstrumentConfig, InstrumentKind};

const SSE: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"```\\nfn a() {}\\n```\"},\"finish_reason\":null}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

/// A blocking server thread: per connection, the instant its first byte arrived.
fn listener() -> (String, std_mpsc::Receiver<Instant>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let (tx, rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        for sock in l.incoming() {
            let Ok(mut sock) = sock else { continue };
            let _ = sock.set_nodelay(true);
            let mut buf = [0u8; 65536];
            let Ok(n) = sock.read(&mut buf) else { continue };
            let first = Instant::now();
            if n == 0 {
                continue;
            }
            let _ = tx.send(first);
            // Read the rest of the request (headers + body), then answer.
            let mut req = buf[..n].to_vec();
            loop {
                if let Some(p) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&req[..p]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if req.len() >= p + 4 + len {
                        break;
                    }
                }
                match sock.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let _ = sock.write_all(SSE.as_bytes());
        }
    });
    (url, rx)
}

fn context() -> EditorContext {
    let mut file = String::new();
    for i in 0..200 {
        file.push_str(&format!("fn f{i}(x: u32) -> u32 {{\n    x + {i}\n}}\n\n"));
    }
    let start = file.find("fn f100").expect("f100");
    let end = file.find("fn f101").expect("f101");
    EditorContext {
        path: Some("src/lib.rs".into()),
        buffer: Some("1".into()),
        language: Some("Rust".into()),
        revision: Some(1),
        selection: Some(SelectionContext {
            start,
            end,
            text: file[start..end].to_string(),
            first_line: 400,
        }),
        file_text: file,
        diagnostics: Vec::new(),
        cwd: std::env::temp_dir(),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (url, first_bytes) = listener();
    let store = tempfile::tempdir().expect("tempdir");
    let config = ConductorConfig {
        instruments: vec![InstrumentConfig {
            name: "local".into(),
            kind: InstrumentKind::Openai,
            base_url: Some(url),
            model: "stand-in".into(),
            api_key_env: None,
            command: Vec::new(),
            max_concurrency: 2,
            connect_timeout_secs: 5,
            idle_timeout_secs: 60,
            max_retries: 0,
            extra: Default::default(),
        }],
        store_dir: store.path().to_path_buf(),
        ..Default::default()
    };
    let (conductor, mut events) = rt
        .block_on(async { Conductor::start(config) })
        .expect("conductor");
    let ctx = context();
    let mut samples: Vec<Duration> = Vec::new();
    c.bench_function("conductor_dispatch/refactor_to_first_request_byte", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let _guard = rt.enter();
                let t0 = Instant::now();
                let run = conductor.run(
                    AiCommand::Refactor {
                        instruction: "inline the addition".into(),
                    },
                    ctx.clone(),
                );
                let t1 = first_bytes
                    .recv_timeout(Duration::from_secs(10))
                    .expect("the request arrived");
                let d = t1.saturating_duration_since(t0);
                samples.push(d);
                total += d;
                // Let the run finish before the next one (not measured).
                rt.block_on(async {
                    while let Some(ev) = events.recv().await {
                        if matches!(ev, ConductorEvent::RunFinished { run: r, .. } if r == run) {
                            break;
                        }
                    }
                });
            }
            total
        })
    });
    samples.sort();
    if !samples.is_empty() {
        let q = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
        println!(
            "conductor_dispatch: {} runs, p50 {:?}, p90 {:?}, p99 {:?}",
            samples.len(),
            q(0.5),
            q(0.9),
            q(0.99)
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
