//! A DAG run in a child process is killed with SIGKILL mid-run; resuming from its
//! checkpoint does not run finished nodes again.
//!
//! The child is this same test binary re-executed with `DAG_CRASH_CHILD` set, running only
//! `crash_child` (which does nothing in a normal test run).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use symphony_pit::dag::*;

const NODES: usize = 24;

/// Layers of 3: each node takes the outputs of every node in the layer before it.
fn workflow() -> Workflow {
    let mut nodes = Vec::new();
    for i in 0..NODES {
        let mut n = NodeSpec::new(format!("n{i:02}"), "work").output("o");
        let layer = i / 3;
        if layer > 0 {
            for j in (layer - 1) * 3..layer * 3 {
                n = n.input(&format!("n{j:02}.o"));
            }
        }
        nodes.push(n);
    }
    Workflow::new(nodes).unwrap()
}

/// Each node sleeps, then appends its id to the log (one write), then returns.
fn executor(log: std::path::PathBuf) -> Arc<dyn Executor> {
    Arc::new(move |node: &NodeSpec, _: &[Arc<Value>]| {
        let log = log.clone();
        let id = node.id.to_string();
        Execution::future(async move {
            tokio::time::sleep(Duration::from_millis(40)).await;
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .map_err(|e| NodeError::msg(e.to_string()))?;
            f.write_all(format!("{id}\n").as_bytes())
                .map_err(|e| NodeError::msg(e.to_string()))?;
            Ok(vec![Value::from(id)])
        })
    })
}

#[test]
fn crash_child() {
    let Ok(mode) = std::env::var("DAG_CRASH_CHILD") else {
        return;
    };
    let dir = std::path::PathBuf::from(std::env::var("DAG_CRASH_DIR").unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = rt.block_on(async {
        let tracker = DagTracker::new();
        let opts = RunOptions::default()
            .concurrency(2)
            .checkpoint(CheckpointPolicy::new(dir.join("ckpt")));
        let wf = Arc::new(workflow());
        let exec = executor(dir.join("log"));
        let h = if mode == "resume" {
            tracker.resume(wf, exec, opts)
        } else {
            tracker.start(wf, exec, opts)
        };
        h.wait().await.unwrap()
    });
    let restored = report.nodes().filter(|(_, n)| n.restored).count();
    std::fs::write(
        dir.join(format!("report-{mode}")),
        format!("{:?} {restored}", report.outcome),
    )
    .unwrap();
}

fn spawn_child(mode: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("DAG_CRASH_CHILD", mode)
        .env("DAG_CRASH_DIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn checkpointed(dir: &Path) -> HashSet<String> {
    let mut ids = HashSet::new();
    let Ok(rd) = std::fs::read_dir(dir.join("ckpt")) else {
        return ids;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("seg-") && name.ends_with(".jsonl") {
            for line in std::fs::read_to_string(e.path()).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                ids.insert(v["id"].as_str().unwrap().to_owned());
            }
        }
    }
    ids
}

fn log_counts(dir: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for l in std::fs::read_to_string(dir.join("log"))
        .unwrap_or_default()
        .lines()
    {
        *counts.entry(l.to_owned()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn a_killed_run_resumes_without_rerunning_finished_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("start", dir.path());
    // Kill it once a good part, but not all, of the work is checkpointed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while checkpointed(dir.path()).len() < NODES / 3 {
        assert!(Instant::now() < deadline, "child made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "child ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !dir.path().join("report-start").exists(),
        "the child finished before the kill"
    );
    let finished = checkpointed(dir.path());
    assert!(
        finished.len() < NODES,
        "everything finished before the kill"
    );

    let status = spawn_child("resume", dir.path()).wait().unwrap();
    assert!(status.success());
    let report = std::fs::read_to_string(dir.path().join("report-resume")).unwrap();
    assert_eq!(report, format!("Completed {}", finished.len()));
    let counts = log_counts(dir.path());
    for i in 0..NODES {
        let id = format!("n{i:02}");
        let c = counts.get(&id).copied().unwrap_or(0);
        assert!(c >= 1, "{id} never ran");
        if finished.contains(&id) {
            assert_eq!(c, 1, "{id} was checkpointed but ran again");
        }
    }
}
