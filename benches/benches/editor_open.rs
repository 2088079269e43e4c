//! Opening a 100 MB file with the real `symphony-editor` binary: time from spawn to the first
//! `update` (the first screen), time until the whole file is loaded (the answer to a request
//! sent right after `new_view`), and the process's peak resident memory (VmHWM) then.
//!
//! The binary is `$SYMPHONY_EDITOR_BIN`, or `symphony-editor` next to this bench's target
//! directory (built with `cargo build --release -p symphony-editor` when missing).
//! Run: `cargo bench -p symphony-benches --bench editor_open -- --warm-up-time 1 --measurement-time 3`
//! Compare with vim: `python3 ../shared/tools/termlat.py --ready 'line         0' --keys 0 -- vim -u NONE -N big.txt`

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_benches::big_file;

fn editor_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("SYMPHONY_EDITOR_BIN") {
        return PathBuf::from(p);
    }
    // target/release/deps/editor_open-<hash> -> target/release/symphony-editor
    let exe = std::env::current_exe().expect("current exe");
    let release = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let bin = release.join("symphony-editor");
    if !bin.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "-p",
                "symphony-editor",
                "--bin",
                "symphony-editor",
            ])
            .status()
            .expect("cargo build");
        assert!(status.success(), "building symphony-editor failed");
    }
    bin
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Spawns the editor, opens `path`; returns (time to first update, time to whole file, peak RSS in KiB).
fn open_once(bin: &Path, path: &Path, state: &Path) -> (Duration, Duration, u64) {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let open = serde_json::json!({"id": 0, "method": "new_view", "params": {"file_path": path}});
    let after = r#"{"id":1,"method":"get_config","params":{"view_id":"view-id-1"}}"#;
    writeln!(
        stdin,
        "{{\"method\":\"client_started\",\"params\":{{}}}}\n{open}\n{after}"
    )
    .expect("write");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("read") > 0,
            "editor exited early"
        );
        if line.contains("\"method\":\"update\"") {
            break;
        }
    }
    let first = t.elapsed();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("read") > 0,
            "editor exited early"
        );
        if line.starts_with("{\"id\":1,") {
            break;
        }
    }
    let whole = t.elapsed();
    let hwm = vm_hwm_kib(child.id()).unwrap_or(0);
    drop(stdin);
    let _ = child.wait();
    (first, whole, hwm)
}

fn open_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = big_file(dir.path()).expect("big file");
    let size = std::fs::metadata(&path).expect("meta").len();
    let bin = editor_bin();
    let (first, whole, hwm) = open_once(&bin, &path, dir.path());
    eprintln!(
        "editor_open: {} MB file: first update after {first:?}, whole file after {whole:?}, peak RSS {} MB ({:.2}x the file)",
        size / (1024 * 1024),
        hwm / 1024,
        (hwm * 1024) as f64 / size as f64
    );
    c.bench_function("open_100mb_to_first_update", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| open_once(&bin, &path, dir.path()).0)
                .sum()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = open_bench
}
criterion_main!(benches);
