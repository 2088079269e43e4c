//! Extension host benches: request round trip host -> extension -> host (the Rust
//! `line-stats` example as the peer), event throughput from an extension to a
//! subscriber, and a cached permission check.
//!
//! The peer is this very executable re-run with `--ext-peer`: it then serves the
//! `line-stats` example's handler on stdin/stdout, as the real example binary does.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use serde_json::json;
use symphony_extensions::permissions::{Checker, Permissions, Request};
use symphony_extensions::{Host, HostConfig, Manifest};

#[allow(dead_code)]
#[path = "../../extensions/examples/line-stats-rs/main.rs"]
mod line_stats;

const PEER_FLAG: &str = "--ext-peer";

fn peer_manifest(dir: &Path) -> Manifest {
    let exe = std::env::current_exe().expect("current exe");
    let text = format!(
        "id = \"line-stats\"\nname = \"Line stats\"\nversion = \"0.1.0\"\ntype = \"operator\"\n\
         command = {:?}\nargs = [\"{PEER_FLAG}\"]\n",
        exe.display().to_string()
    );
    Manifest::parse(&text, &dir.join("extension.toml"), dir).expect("manifest")
}

fn host_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut cfg = HostConfig::new(dir.path());
    cfg.rate_per_sec = u32::MAX;
    cfg.burst = u32::MAX;
    let host = Host::new(cfg);
    let (ext, mut ticks) = rt.block_on(async {
        let ticks = host.subscribe("line-stats.*");
        let ext = host.start(peer_manifest(dir.path()), Permissions::none());
        ext.wait_active(Duration::from_secs(10))
            .await
            .expect("peer active");
        (ext, ticks)
    });

    // Plain percentile figures alongside criterion's estimate.
    let mut samples: Vec<Duration> = (0..2000)
        .map(|_| {
            let t = Instant::now();
            rt.block_on(ext.request("ping", json!(null))).expect("ping");
            t.elapsed()
        })
        .collect();
    samples.sort();
    eprintln!(
        "ext round trip over 2000 requests: p50 {:?}, p90 {:?}, p99 {:?}",
        samples[1000], samples[1800], samples[1980]
    );

    c.bench_function("ext_roundtrip_ping", |b| {
        b.iter(|| rt.block_on(ext.request("ping", json!(null))).expect("ping"))
    });

    const N: u64 = 20_000;
    let mut g = c.benchmark_group("ext_events");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("flood_20k_to_subscriber", |b| {
        b.iter(|| {
            rt.block_on(async {
                ext.request("flood", json!({"n": N})).await.expect("flood");
                for _ in 0..N {
                    ticks.recv().await.expect("tick");
                }
            })
        })
    });
    g.finish();
    rt.block_on(ext.unload(Duration::from_secs(5)));
}

fn permission_bench(c: &mut Criterion) {
    let grant = Permissions {
        read: vec!["src/**/*.rs".into(), "**/*.md".into(), "docs/*".into()],
        buffer_read: true,
        ..Permissions::none()
    };
    let checker = Checker::new(grant, "/work/space");
    let path = Path::new("src/host/supervisor.rs");
    assert!(checker.check(&Request::ReadFile(path)).is_ok());
    c.bench_function("permission_check_cached", |b| {
        b.iter(|| checker.check(std::hint::black_box(&Request::ReadFile(path))))
    });
    c.bench_function("permission_check_flag", |b| {
        b.iter(|| checker.check(std::hint::black_box(&Request::BufferRead)))
    });
}

fn main() {
    if std::env::args().any(|a| a == PEER_FLAG) {
        let stdin = std::io::stdin().lock();
        let stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let _ = symphony_extensions::sdk::run(stdin, stdout, "ext:line-stats", line_stats::handle);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    permission_bench(&mut c);
    host_benches(&mut c);
    c.final_summary();
}
