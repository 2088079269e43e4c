//! One character typed at a random place in a 100 MB buffer, measured from the request line
//! to the `update` line written, through the editor core's in-process API
//! (`Core::handle_line`: protocol line in, protocol lines out). Prints median and p99.
//!
//! Run: `cargo bench -p symphony-benches --bench editor_insert -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_benches::big_file;
use symphony_editor::core::Core;

/// A small xorshift so the bench needs no extra crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn setup() -> (Core, usize, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = big_file(dir.path()).expect("big file");
    let mut core = Core::new();
    let mut out = Vec::new();
    core.handle_line(r#"{"method":"client_started","params":{}}"#, &mut out);
    let open = serde_json::json!({"id": 0, "method": "new_view", "params": {"file_path": path}})
        .to_string();
    core.handle_line(&open, &mut out);
    let lines = core
        .text_of("view-id-1")
        .map(symphony_editor::text::line_count)
        .unwrap_or(1);
    core.handle_line(
        r#"{"method":"edit","params":{"view_id":"view-id-1","method":"scroll","params":[0,40]}}"#,
        &mut out,
    );
    (core, lines, dir)
}

const INSERT: &str = r#"{"method":"edit","params":{"view_id":"view-id-1","method":"insert","params":{"chars":"x"}}}"#;

/// Moves the caret to a random place (not timed), then times one insert until its update.
fn one_insert(core: &mut Core, rng: &mut Rng, lines: usize, out: &mut Vec<String>) -> Duration {
    let line = (rng.next() % lines as u64) as usize;
    let col = (rng.next() % 40) as usize;
    let click = format!(
        r#"{{"method":"edit","params":{{"view_id":"view-id-1","method":"gesture","params":{{"line":{line},"col":{col},"ty":{{"select":{{"granularity":"point","multi":false}}}}}}}}}}"#
    );
    core.handle_line(&click, out);
    out.clear();
    let t = Instant::now();
    core.handle_line(INSERT, out);
    let d = t.elapsed();
    assert!(
        out.iter().any(|l| l.contains("\"update\"")),
        "insert answered with an update"
    );
    black_box(&out);
    out.clear();
    d
}

fn insert_bench(c: &mut Criterion) {
    let (mut core, lines, _dir) = setup();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    // explicit distribution: median and p99 over 2000 inserts
    let mut samples: Vec<Duration> = (0..2000)
        .map(|_| one_insert(&mut core, &mut rng, lines, &mut out))
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    eprintln!(
        "editor_insert (100 MB, {lines} lines): median {median:?}, p99 {p99:?} over {} inserts",
        samples.len()
    );
    c.bench_function("insert_char_100mb_to_update", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| one_insert(&mut core, &mut rng, lines, &mut out))
                .sum()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = insert_bench
}
criterion_main!(benches);
