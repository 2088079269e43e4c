//! DAG Tracker benches: validate + run of no-op workflows (10,000 and 1,000,000 nodes, a
//! binary-tree shape), a 10,000-wide and a 10,000-deep graph.
//!
//! Targets: 1,000,000 no-op nodes validated and run in under 5 s (under 5 µs per node).
//! Each measured iteration = `Workflow::new` (validation + topological order) + a full run
//! with an inline no-op executor, no checkpoint, no event subscriber.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use symphony_pit::dag::{DagTracker, Execution, Executor, NodeSpec, RunOptions, Value, Workflow};

fn tree(n: usize) -> Vec<NodeSpec> {
    (0..n)
        .map(|i| {
            let s = NodeSpec::new(format!("n{i}"), "noop");
            if i == 0 {
                s
            } else {
                s.input(&format!("n{}", (i - 1) / 2))
            }
        })
        .collect()
}

fn wide(n: usize) -> Vec<NodeSpec> {
    let mut v = vec![NodeSpec::new("root", "noop")];
    v.extend((0..n - 1).map(|i| NodeSpec::new(format!("leaf{i}"), "noop").input("root")));
    v
}

fn deep(n: usize) -> Vec<NodeSpec> {
    (0..n)
        .map(|i| {
            let s = NodeSpec::new(format!("n{i}"), "noop");
            if i == 0 {
                s
            } else {
                s.input(&format!("n{}", i - 1))
            }
        })
        .collect()
}

fn noop() -> Arc<dyn Executor> {
    Arc::new(|_: &NodeSpec, _: &[Arc<Value>]| Execution::done(Vec::new()))
}

fn validate_and_run(
    rt: &tokio::runtime::Runtime,
    tracker: &DagTracker,
    nodes: Vec<NodeSpec>,
) -> impl Drop {
    let wf = Arc::new(Workflow::new(nodes).expect("valid workflow"));
    let report = rt
        .block_on(tracker.run(wf.clone(), noop(), RunOptions::default()))
        .expect("run");
    assert_eq!(report.nodes().count(), wf.len());
    Box::new((wf, report))
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tracker = DagTracker::new();

    let mut g = c.benchmark_group("pit_dag");
    for (name, shape) in [
        ("tree", tree as fn(usize) -> Vec<NodeSpec>),
        ("wide", wide),
        ("deep", deep),
    ] {
        let n = 10_000;
        let base = shape(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("validate_run_10k_{name}"), |b| {
            b.iter_batched(
                || base.clone(),
                |nodes| validate_and_run(&rt, &tracker, nodes),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    let mut g = c.benchmark_group("pit_dag_1m");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1));
    let n = 1_000_000;
    let base = tree(n);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("validate_run_1m_tree", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let nodes = base.clone();
                let t = Instant::now();
                let keep = validate_and_run(&rt, &tracker, nodes);
                total += t.elapsed();
                drop(keep);
            }
            total
        })
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
