//! The Python Conductor's call overhead: a policy call Rust -> Python -> Rust (an
//! `@symphony.policy("instrument")` function choosing a model node's instrument through
//! `ModelPolicy::instrument`; target p50 under 10 µs), a `@symphony.tool` call with JSON
//! in and out on top of the tool's own work (a function returning at once), and the
//! memory the interpreter adds (resident set before and after it starts and loads a file).
//!
//! `cargo bench -p symphony-benches --bench python_policy -- --warm-up-time 1 --measurement-time 3`

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_conductor::conductor::policy::ModelPolicy;
use symphony_conductor::python::PythonConductor;

const POLICY: &str = r#"
import symphony

@symphony.policy("instrument")
def route(node, prompt, instruments, default):
    return "second" if len(prompt) > 10 else None

@symphony.tool
def echo(text: str) -> str:
    """Returns its text."""
    return text
"#;

/// Resident set size of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn p50(mut f: impl FnMut(), n: usize) -> f64 {
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[n / 2]
}

fn bench(c: &mut Criterion) {
    let before = rss_kib();
    let py = PythonConductor::start().expect("interpreter");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("policy.py");
    std::fs::write(&path, POLICY).expect("write");
    py.load(&path).expect("load");
    let after = rss_kib();
    println!(
        "memory added by the interpreter: {} KiB ({} -> {} KiB resident)",
        after.saturating_sub(before),
        before,
        after
    );
    let instruments = vec!["local".to_owned(), "second".to_owned()];
    let policy = || {
        let chosen = py.instrument("model-1", "a long prompt here", Some("local"), &instruments);
        assert_eq!(chosen.as_deref(), Some("second"));
    };
    let tool = py
        .tools()
        .into_iter()
        .find(|t| t.name == "echo")
        .expect("echo tool");
    let args = serde_json::json!({"text": "hello"});
    let call = || {
        let out = tool.call(&args).expect("tool call");
        assert_eq!(out, serde_json::json!("hello"));
    };
    for _ in 0..1000 {
        policy();
        call();
    }
    println!("policy call p50: {:.2} µs", p50(policy, 20_000));
    println!("tool call p50: {:.2} µs", p50(call, 20_000));
    c.bench_function("python_policy_instrument", |b| b.iter(policy));
    c.bench_function("python_tool_call_json", |b| b.iter(call));
}

criterion_group!(benches, bench);
criterion_main!(benches);
