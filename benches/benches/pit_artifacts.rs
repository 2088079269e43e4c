//! Artifact Store benches: put and get of 4 KiB and 1 MiB, and search over 100,000
//! artifacts.
//!
//! Targets: 4 KiB get under 20 µs hot; put under 200 µs while crash-safe (every put writes
//! a temp file, fsyncs it, renames it into its shard and fsyncs the directory, for the object
//! and its metadata); search p50 under 2 ms over 100,000 artifacts.
//!
//! The store lives in `$PIT_BENCH_DIR` (default `/dev/shm`, a tmpfs where fsync is cheap;
//! point it at a disk directory to see disk fsync cost; set `PIT_BENCH_NO_SEARCH=1` to skip
//! building the 100,000-artifact store there). Puts use fresh content each time so
//! nothing is deduplicated. The 100,000-artifact store for search (40 words each, see
//! [`text`]) is built once per run.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use symphony_pit::artifacts::{ArtifactStore, NewArtifact, SearchQuery};

const WORDS: &[&str] = &[
    "borrow",
    "checker",
    "lifetime",
    "trait",
    "async",
    "future",
    "tokio",
    "rope",
    "buffer",
    "cursor",
    "selection",
    "workflow",
    "instrument",
    "prompt",
    "artifact",
    "index",
    "search",
    "query",
    "token",
    "model",
    "editor",
    "terminal",
    "render",
    "layout",
    "widget",
    "diff",
    "patch",
    "commit",
    "branch",
    "merge",
    "test",
    "bench",
    "error",
    "result",
    "option",
    "vector",
    "string",
    "slice",
    "iterator",
    "closure",
    "generic",
    "macro",
    "module",
    "crate",
    "compile",
    "link",
    "memory",
    "thread",
    "mutex",
    "channel",
];

fn bench_dir() -> PathBuf {
    let base = std::env::var_os("PIT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            if std::path::Path::new("/dev/shm").is_dir() {
                PathBuf::from("/dev/shm")
            } else {
                std::env::temp_dir()
            }
        });
    std::fs::create_dir_all(&base).expect("bench dir");
    base
}

/// Deterministic pseudo-random text of `words` words: 30% from the 50 common programming
/// words above, 70% from 5,000 rarer synthetic words (`w0` … `w4999`), a rough stand-in for
/// the skewed word frequencies of real text.
fn text(seed: u64, words: usize) -> String {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut out = String::with_capacity(words * 8);
    for _ in 0..words {
        let r = next();
        if r % 10 < 3 {
            out.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
        } else {
            out.push_str(&format!("w{}", next() % 5000));
        }
        out.push(' ');
    }
    out
}

fn unique(size: usize, n: u64) -> Vec<u8> {
    let mut v = vec![b'x'; size];
    v[..8].copy_from_slice(&n.to_le_bytes());
    v
}

fn put_get(c: &mut Criterion) {
    let base = bench_dir();
    let dir = tempfile::tempdir_in(&base).expect("tempdir");
    eprintln!("pit_artifacts: store in {}", dir.path().display());
    let store = ArtifactStore::open(dir.path()).expect("open");
    let mut g = c.benchmark_group("pit_artifacts");
    for (label, size, media) in [
        ("4k", 4096usize, "text/plain"),
        ("1m", 1 << 20, "application/octet-stream"),
    ] {
        g.throughput(Throughput::Bytes(size as u64));
        let mut n = 0u64;
        g.bench_function(format!("put_{label}"), |b| {
            b.iter(|| {
                n += 1;
                let data = unique(size, n);
                store
                    .put_bytes(&data, NewArtifact::new("bench", media))
                    .expect("put")
            })
        });
        let id = store
            .put_bytes(&unique(size, u64::MAX), NewArtifact::new("bench", media))
            .expect("put")
            .id;
        g.bench_function(format!("get_{label}"), |b| {
            b.iter(|| store.get_bytes(&id).expect("get"))
        });
    }
    g.finish();
}

fn search(c: &mut Criterion) {
    if std::env::var_os("PIT_BENCH_NO_SEARCH").is_some() {
        return;
    }
    let base = bench_dir();
    let dir = tempfile::tempdir_in(&base).expect("tempdir");
    let store = ArtifactStore::open(dir.path()).expect("open");
    let n = 100_000u64;
    let t = std::time::Instant::now();
    for i in 0..n {
        let kind = ["response", "prompt", "context", "diff"][(i % 4) as usize];
        let mut new = NewArtifact::new(kind, "text/plain").created_ms(1_000_000 + i as i64);
        new = new.tag(["rust", "python", "go"][(i % 3) as usize]);
        if i % 10 == 0 {
            new = new.tag("accepted");
        }
        store.put_bytes(text(i, 40).as_bytes(), new).expect("put");
    }
    store.commit_index().expect("commit");
    eprintln!(
        "pit_artifacts: built {n} artifacts in {:?} ({})",
        t.elapsed(),
        dir.path().display()
    );

    let queries = [
        SearchQuery::text("borrow checker"),
        SearchQuery::text("lifetime trait").kind("response"),
        SearchQuery::text("tokio async").tag("rust").tag("accepted"),
        SearchQuery::text("merge conflict")
            .since_ms(1_050_000)
            .until_ms(1_060_000),
    ];
    let mut g = c.benchmark_group("pit_artifacts_search_100k");
    for (i, q) in queries.iter().enumerate() {
        g.bench_function(format!("q{i}"), |b| {
            b.iter(|| store.search(q).expect("search"))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = group; config = config(); targets = put_get, search }
criterion_main!(group);
