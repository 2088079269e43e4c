//! ACP `session/update` latency: one `agent_message_chunk` line written by the agent's
//! side of a Unix socket (as an agent writes to its stdout pipe) until its
//! `ConductorEvent::Token` is out of the run's bridge, through the client's real path
//! (line reader, JSON-RPC classification, schema decode, `RunBridge`). Prints p50 / p90
//! / p99 over a few thousand updates, then the same at a paced 1,000 updates/s (and
//! whether it kept up), then a burst's updates/s; criterion then times one update.
//! Run: `cargo bench -p symphony-benches --bench acp_update`.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_conductor::acp::bridge::RunBridge;
use symphony_conductor::acp::client::decode_update;
use symphony_conductor::acp::rpc::{Incoming, Rpc};
use symphony_conductor::events::{ConductorEvent, RunId};
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::sync::mpsc::UnboundedReceiver;

const LINE: &[u8] = br#"{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s1","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"token "}}}}
"#;

/// Our end: the line reader and the run's bridge.
struct Reader {
    incoming: UnboundedReceiver<Incoming>,
    bridge: RunBridge,
    _rpc: Rpc,
}

impl Reader {
    /// The next update read, as the Conductor events it gives.
    async fn next_event(&mut self) -> Vec<ConductorEvent> {
        match self.incoming.recv().await {
            Some(Incoming::Notification { params, .. }) => {
                self.bridge.event(&decode_update(params))
            }
            other => panic!("not an update: {other:?}"),
        }
    }
}

/// The agent's end of a fresh pipe, and ours.
fn open() -> (UnixStream, Reader) {
    let (agent, ours) = UnixStream::pair().expect("socket pair");
    let (read, _write) = ours.into_split();
    let (rpc, incoming) = Rpc::start(read, tokio::io::sink());
    let (bridge, _) = RunBridge::start(RunId(1), "bench", "bench");
    (
        agent,
        Reader {
            incoming,
            bridge,
            _rpc: rpc,
        },
    )
}

/// One update: written, read, turned into its token event.
async fn one(agent: &mut UnixStream, reader: &mut Reader) -> Duration {
    let start = Instant::now();
    agent.write_all(LINE).await.expect("write");
    let out = reader.next_event().await;
    let took = start.elapsed();
    assert!(matches!(out.first(), Some(ConductorEvent::Token { .. })));
    took
}

fn percentiles(label: &str, mut v: Vec<Duration>) {
    v.sort_unstable();
    let pct = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    println!(
        "acp_update: {label} over {} updates: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        v.len(),
        pct(50),
        pct(90),
        pct(99),
        v[v.len() - 1]
    );
}

fn update_latency(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (mut agent, mut reader) = rt.block_on(async { open() });

    // One at a time: the latency of a single update.
    let samples = rt.block_on(async {
        for _ in 0..200 {
            one(&mut agent, &mut reader).await;
        }
        let mut v = Vec::with_capacity(5000);
        for _ in 0..5000 {
            v.push(one(&mut agent, &mut reader).await);
        }
        v
    });
    percentiles("line written -> ConductorEvent::Token", samples);

    // The same in a long run: 200 tool calls with 8 KiB of output each already folded.
    let samples = rt.block_on(async {
        let (mut agent, mut reader) = open();
        let output = "x".repeat(8 * 1024);
        for i in 0..200 {
            let params = serde_json::json!({"sessionId": "s1", "update": {
                "sessionUpdate": "tool_call", "toolCallId": format!("t{i}"), "title": "Read",
                "kind": "read", "status": "completed",
                "content": [{"type": "content", "content": {"type": "text", "text": output}}]}});
            reader.bridge.event(&decode_update(params));
        }
        for _ in 0..200 {
            one(&mut agent, &mut reader).await;
        }
        let mut v = Vec::with_capacity(2000);
        for _ in 0..2000 {
            v.push(one(&mut agent, &mut reader).await);
        }
        v
    });
    percentiles(
        "line written -> ConductorEvent::Token, 200 tool calls (8 KiB each) in the run",
        samples,
    );

    // Paced at 1,000 updates/s for 2 s: each update's latency while the stream runs.
    let (paced, wall) = rt.block_on(async {
        let (mut agent, mut reader) = open();
        let n = 2000usize;
        let writer = tokio::spawn(async move {
            let mut times = Vec::with_capacity(n);
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for _ in 0..n {
                tick.tick().await;
                times.push(Instant::now());
                agent.write_all(LINE).await.expect("write");
            }
            (times, agent)
        });
        let begin = Instant::now();
        let mut got = Vec::with_capacity(n);
        for _ in 0..n {
            reader.next_event().await;
            got.push(Instant::now());
        }
        let wall = begin.elapsed();
        let (times, _agent) = writer.await.expect("writer");
        let lat: Vec<Duration> = times
            .iter()
            .zip(&got)
            .map(|(w, r)| r.saturating_duration_since(*w))
            .collect();
        (lat, wall)
    });
    percentiles("paced 1,000 updates/s, each update's latency", paced);
    println!(
        "acp_update: paced 2,000 updates at 1,000/s took {wall:?} (kept up: {})",
        wall < Duration::from_millis(2500)
    );

    // A burst: as fast as the agent can write.
    let rate = rt.block_on(async {
        let (mut agent, mut reader) = open();
        let n = 20_000usize;
        let writer = tokio::spawn(async move {
            agent.write_all(&LINE.repeat(n)).await.expect("write");
            agent
        });
        let begin = Instant::now();
        for _ in 0..n {
            reader.next_event().await;
        }
        let took = begin.elapsed();
        let _ = writer.await;
        n as f64 / took.as_secs_f64()
    });
    println!("acp_update: burst of 20,000 updates: {rate:.0} updates/s");

    c.bench_function("acp_update/line_to_conductor_event", |b| {
        b.iter(|| rt.block_on(one(&mut agent, &mut reader)))
    });
}

criterion_group!(benches, update_latency);
criterion_main!(benches);
