//! DAG Tracker behaviour: validation, ordering, scheduling, retries, timeouts, failure
//! policies, cancellation, events and checkpoints.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use proptest::prelude::*;
use symphony_pit::dag::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn problems(err: DagError) -> Vec<Problem> {
    match err {
        DagError::Invalid(p) => p,
        other => panic!("expected Invalid, got {other}"),
    }
}

#[test]
fn a_cycle_is_reported_with_its_path() {
    let err = Workflow::new(vec![
        NodeSpec::new("start", "x").output("o"),
        NodeSpec::new("A", "x")
            .input("start.o")
            .input("C.o")
            .output("o"),
        NodeSpec::new("B", "x").input("A.o").output("o"),
        NodeSpec::new("C", "x").input("B.o").output("o"),
    ])
    .unwrap_err();
    let p = problems(err);
    assert_eq!(
        p,
        vec![Problem::Cycle(vec![
            "A".into(),
            "B".into(),
            "C".into(),
            "A".into()
        ])]
    );
    assert_eq!(p[0].to_string(), "cycle: A → B → C → A");
}

#[test]
fn a_self_loop_is_a_cycle() {
    let p = problems(Workflow::new(vec![NodeSpec::new("A", "x").input("A")]).unwrap_err());
    assert_eq!(p, vec![Problem::Cycle(vec!["A".into(), "A".into()])]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = Workflow::new(vec![
        NodeSpec::new("a", "x").output("o"),
        NodeSpec::new("a", "x"),
        NodeSpec::new("b", "x").input("ghost.o"),
        NodeSpec::new("c", "x").input("a.nope"),
        NodeSpec::new("d", "x").on_failure(OnFailure::Fallback("nobody".into())),
        NodeSpec::new("e", "x").input("f"),
        NodeSpec::new("f", "x").input("e"),
    ])
    .unwrap_err();
    let msg = err.to_string();
    let p = problems(err);
    assert!(p.contains(&Problem::DuplicateId("a".into())), "{msg}");
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::MissingInput { node, .. } if node == "b")),
        "{msg}"
    );
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::MissingInput { node, .. } if node == "c")),
        "{msg}"
    );
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::BadFallback { node, .. } if node == "d")),
        "{msg}"
    );
    assert!(
        p.contains(&Problem::Cycle(vec!["e".into(), "f".into(), "e".into()])),
        "{msg}"
    );
}

#[test]
fn topological_order_breaks_ties_by_priority_then_insertion() {
    let wf = Workflow::new(vec![
        NodeSpec::new("low", "x"),
        NodeSpec::new("high", "x").priority(9),
        NodeSpec::new("mid1", "x").priority(5),
        NodeSpec::new("mid2", "x").priority(5),
        NodeSpec::new("after_low", "x").input("low").priority(100),
    ])
    .unwrap();
    let order: Vec<&str> = wf.topological_order().map(|n| &*n.id).collect();
    assert_eq!(order, ["high", "mid1", "mid2", "low", "after_low"]);
}

/// A random DAG: node i may take inputs from any node before it in generation order; the
/// nodes are then inserted in a shuffled order so insertion order is not topological.
fn random_dag() -> impl Strategy<Value = Vec<NodeSpec>> {
    (2usize..40).prop_flat_map(|n| {
        (
            proptest::collection::vec(
                proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
                n,
            ),
            proptest::collection::vec(-3i32..3, n),
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
        )
            .prop_map(move |(edges, prios, perm)| {
                let mut nodes: Vec<NodeSpec> = (0..n)
                    .map(|i| {
                        let mut s = NodeSpec::new(format!("n{i}"), "x")
                            .output("o")
                            .priority(prios[i]);
                        if i > 0 {
                            let mut seen = HashSet::new();
                            for e in &edges[i] {
                                let p = e.index(i);
                                if seen.insert(p) {
                                    s = s.input(&format!("n{p}.o"));
                                }
                            }
                        }
                        s
                    })
                    .collect();
                let mut shuffled = Vec::with_capacity(n);
                for &i in &perm {
                    shuffled.push(std::mem::replace(&mut nodes[i], NodeSpec::new("_", "_")));
                }
                shuffled
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_dags_get_a_valid_deterministic_topological_order(nodes in random_dag()) {
        let wf = Workflow::new(nodes.clone()).unwrap();
        let order: Vec<String> = wf.topological_order().map(|n| n.id.to_string()).collect();
        prop_assert_eq!(order.len(), nodes.len());
        let pos: HashMap<&str, usize> = order.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
        for n in &nodes {
            for input in &n.inputs {
                prop_assert!(pos[input.node.as_str()] < pos[&*n.id], "{} before {}", input.node, n.id);
            }
        }
        let again: Vec<String> = Workflow::new(nodes).unwrap().topological_order().map(|n| n.id.to_string()).collect();
        prop_assert_eq!(order, again);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn the_scheduler_never_starts_a_node_before_its_inputs_exist(nodes in random_dag(), conc in 1usize..5, inline in any::<bool>()) {
        let wf = Arc::new(Workflow::new(nodes).unwrap());
        let finished: Arc<Mutex<HashSet<String>>> = Arc::default();
        let violations: Arc<Mutex<Vec<String>>> = Arc::default();
        let (f2, v2) = (finished.clone(), violations.clone());
        let exec = move |node: &NodeSpec, inputs: &[Arc<Value>]| {
            for (r, v) in node.inputs.iter().zip(inputs) {
                // Every producer outputs its own id; the value must be there and final.
                if v.as_str() != Some(r.node.as_str()) || !f2.lock().contains(&r.node) {
                    v2.lock().push(format!("{} started before {}", node.id, r.node));
                }
            }
            let id = node.id.to_string();
            let f3 = f2.clone();
            if inline {
                f3.lock().insert(id.clone());
                Execution::done(vec![Value::from(id)])
            } else {
                Execution::future(async move {
                    tokio::task::yield_now().await;
                    f3.lock().insert(id.clone());
                    Ok(vec![Value::from(id)])
                })
            }
        };
        let report = rt().block_on(DagTracker::new().run(wf.clone(), Arc::new(exec), RunOptions::default().concurrency(conc))).unwrap();
        prop_assert_eq!(&report.outcome, &RunOutcome::Completed);
        prop_assert_eq!(report.count(NodeState::Succeeded), wf.len());
        prop_assert!(violations.lock().is_empty(), "{:?}", violations.lock());
    }
}

#[test]
fn ready_nodes_start_in_priority_order_under_the_limit() {
    let wf = Arc::new(
        Workflow::new(vec![
            NodeSpec::new("root", "x"),
            NodeSpec::new("p1", "x").input("root").priority(1),
            NodeSpec::new("p7", "x").input("root").priority(7),
            NodeSpec::new("p3", "x").input("root").priority(3),
            NodeSpec::new("p7b", "x").input("root").priority(7),
        ])
        .unwrap(),
    );
    let started: Arc<Mutex<Vec<String>>> = Arc::default();
    let running = Arc::new(AtomicU32::new(0));
    let max_running = Arc::new(AtomicU32::new(0));
    let (s2, r2, m2) = (started.clone(), running.clone(), max_running.clone());
    let exec = move |node: &NodeSpec, _: &[Arc<Value>]| {
        s2.lock().push(node.id.to_string());
        let (r3, m3) = (r2.clone(), m2.clone());
        Execution::future(async move {
            let now = r3.fetch_add(1, Ordering::SeqCst) + 1;
            m3.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            r3.fetch_sub(1, Ordering::SeqCst);
            Ok(vec![])
        })
    };
    let report = rt()
        .block_on(DagTracker::new().run(wf, Arc::new(exec), RunOptions::default().concurrency(1)))
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(*started.lock(), ["root", "p7", "p7b", "p3", "p1"]);
    assert_eq!(max_running.load(Ordering::SeqCst), 1);
}

#[test]
fn outputs_flow_along_edges() {
    let wf = Arc::new(
        Workflow::new(vec![
            NodeSpec::new("a", "num").output("x"),
            NodeSpec::new("b", "num").output("x"),
            NodeSpec::new("sum", "add")
                .input("a.x")
                .input("b.x")
                .output("total"),
        ])
        .unwrap(),
    );
    let exec = |node: &NodeSpec, inputs: &[Arc<Value>]| match &*node.kind {
        "num" => Execution::done(vec![Value::from(if &*node.id == "a" { 2 } else { 40 })]),
        _ => {
            let s: i64 = inputs.iter().filter_map(|v| v.as_i64()).sum();
            Execution::future(async move { Ok(vec![Value::from(s)]) })
        }
    };
    let tracker = DagTracker::new();
    let report = rt()
        .block_on(tracker.run(wf, Arc::new(exec), RunOptions::default()))
        .unwrap();
    assert_eq!(*report.outputs("sum").unwrap()[0], Value::from(42));
    let sum = report.node("sum").unwrap();
    assert_eq!(sum.state, NodeState::Succeeded);
    assert!(sum.duration().is_some());
}

#[test]
fn a_node_is_retried_with_backoff_until_it_succeeds() {
    let wf = Arc::new(
        Workflow::new(vec![
            NodeSpec::new("flaky", "x")
                .output("o")
                .retry(RetryPolicy::new(
                    4,
                    Backoff::Linear {
                        base: Duration::from_millis(20),
                        step: Duration::from_millis(10),
                    },
                )),
            NodeSpec::new("after", "x").input("flaky.o"),
        ])
        .unwrap(),
    );
    let calls = Arc::new(AtomicU32::new(0));
    let c2 = calls.clone();
    let exec = move |node: &NodeSpec, _: &[Arc<Value>]| {
        if &*node.id == "after" {
            return Execution::done(vec![]);
        }
        // Fails inline twice, then succeeds asynchronously.
        match c2.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Execution::failed("not yet"),
            _ => Execution::future(async { Ok(vec![Value::from("ok")]) }),
        }
    };
    let tracker = DagTracker::new();
    let mut events = tracker.subscribe(
        EventFilter::all()
            .node("flaky")
            .states([NodeState::Running]),
    );
    let report = rt()
        .block_on(tracker.run(wf, Arc::new(exec), RunOptions::default()))
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let flaky = report.node("flaky").unwrap();
    assert_eq!((flaky.state, flaky.attempts), (NodeState::Succeeded, 3));
    assert_eq!(report.node("after").unwrap().state, NodeState::Succeeded);
    let mut runs = Vec::new();
    while let Some(e) = events.try_recv() {
        if let EventKind::Node { attempt, .. } = e.kind {
            runs.push((attempt, e.at));
        }
    }
    assert_eq!(runs.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
    // The backoff is a lower bound on the gap between attempts.
    assert!(runs[1].1 - runs[0].1 >= Duration::from_millis(20));
    assert!(runs[2].1 - runs[1].1 >= Duration::from_millis(30));
}

fn sleepy_exec(slow: &'static str) -> Arc<dyn Executor> {
    Arc::new(move |node: &NodeSpec, _: &[Arc<Value>]| {
        let n = node.outputs.len();
        let id = node.id.to_string();
        if id == slow {
            Execution::future(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(vec![Value::Null; n])
            })
        } else {
            Execution::future(async move { Ok(vec![Value::from(id); n]) })
        }
    })
}

fn policy_workflow(policy: OnFailure) -> Arc<Workflow> {
    Arc::new(
        Workflow::new(vec![
            NodeSpec::new("src", "x").output("o"),
            NodeSpec::new("slow", "x")
                .input("src.o")
                .output("o")
                .timeout(Duration::from_millis(50))
                .on_failure(policy),
            NodeSpec::new("down", "x").input("slow.o").output("o"),
            NodeSpec::new("other", "x").input("src.o").output("o"),
            NodeSpec::new("backup", "x").input("src.o").output("o"),
        ])
        .unwrap(),
    )
}

#[test]
fn a_timeout_fails_the_node_and_skip_skips_downstream() {
    let report = rt()
        .block_on(DagTracker::new().run(
            policy_workflow(OnFailure::Skip),
            sleepy_exec("slow"),
            RunOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let slow = report.node("slow").unwrap();
    assert_eq!(slow.state, NodeState::Failed);
    assert_eq!(slow.error.as_deref(), Some("timed out"));
    assert_eq!(report.node("down").unwrap().state, NodeState::Skipped);
    assert_eq!(report.node("other").unwrap().state, NodeState::Succeeded);
}

#[test]
fn a_timeout_with_fail_run_fails_the_run() {
    let report = rt()
        .block_on(DagTracker::new().run(
            policy_workflow(OnFailure::FailRun),
            sleepy_exec("slow"),
            RunOptions::default(),
        ))
        .unwrap();
    assert_eq!(
        report.outcome,
        RunOutcome::Failed {
            node: "slow".into(),
            error: "timed out".into()
        }
    );
    assert_eq!(report.node("down").unwrap().state, NodeState::Cancelled);
}

#[test]
fn a_timeout_with_fallback_runs_the_fallback_in_its_place() {
    let report = rt()
        .block_on(DagTracker::new().run(
            policy_workflow(OnFailure::Fallback("backup".into())),
            sleepy_exec("slow"),
            RunOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.node("slow").unwrap().state, NodeState::Failed);
    assert_eq!(report.node("backup").unwrap().state, NodeState::Succeeded);
    assert_eq!(report.node("down").unwrap().state, NodeState::Succeeded);
    assert_eq!(*report.outputs("slow").unwrap()[0], Value::from("backup"));
}

#[test]
fn an_unused_fallback_ends_skipped() {
    let report = rt()
        .block_on(DagTracker::new().run(
            policy_workflow(OnFailure::Fallback("backup".into())),
            sleepy_exec("nobody"),
            RunOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.node("backup").unwrap().state, NodeState::Skipped);
    assert_eq!(*report.outputs("down").unwrap()[0], Value::from("down"));
}

#[test]
fn cancelling_a_node_cancels_it_and_its_downstream_only() {
    let rt = rt();
    let report = rt.block_on(async {
        let tracker = DagTracker::new();
        let mut running =
            tracker.subscribe(EventFilter::all().node("slow").states([NodeState::Running]));
        let handle = tracker.start(
            policy_workflow(OnFailure::FailRun),
            sleepy_exec("slow"),
            RunOptions::default(),
        );
        running.recv().await.unwrap();
        handle.cancel_node("slow").unwrap();
        assert!(handle.cancel_node("ghost").is_err());
        handle.wait().await.unwrap()
    });
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.node("slow").unwrap().state, NodeState::Cancelled);
    assert_eq!(report.node("down").unwrap().state, NodeState::Cancelled);
    assert_eq!(report.node("other").unwrap().state, NodeState::Succeeded);
}

#[test]
fn cancelling_the_run_stops_everything() {
    let rt = rt();
    let (report, progress) = rt.block_on(async {
        let tracker = DagTracker::new();
        let mut running =
            tracker.subscribe(EventFilter::all().node("slow").states([NodeState::Running]));
        let wf = Arc::new(
            Workflow::new(vec![
                NodeSpec::new("slow", "x").output("o"),
                NodeSpec::new("down", "x").input("slow.o"),
            ])
            .unwrap(),
        );
        let handle = tracker.start(wf, sleepy_exec("slow"), RunOptions::default());
        running.recv().await.unwrap();
        assert_eq!(handle.state("slow"), Some(NodeState::Running));
        handle.cancel();
        let progress = handle.progress();
        (handle.wait().await.unwrap(), progress)
    });
    assert!(progress.total == 2);
    assert_eq!(report.outcome, RunOutcome::Cancelled);
    assert_eq!(report.count(NodeState::Cancelled), 2);
}

#[test]
fn events_arrive_in_order_and_filters_apply() {
    let wf = Arc::new(
        Workflow::new(vec![
            NodeSpec::new("a", "x").output("o"),
            NodeSpec::new("b", "x").input("a.o").output("o"),
            NodeSpec::new("c", "x").input("b.o"),
        ])
        .unwrap(),
    );
    let exec = |node: &NodeSpec, _: &[Arc<Value>]| {
        let n = node.outputs.len();
        Execution::future(async move { Ok(vec![Value::Null; n]) })
    };
    let tracker = DagTracker::new();
    let mut all = tracker.subscribe(EventFilter::all());
    let mut only_b = tracker.subscribe(EventFilter::all().node("b"));
    let report = rt()
        .block_on(tracker.run(wf, Arc::new(exec), RunOptions::default()))
        .unwrap();
    let mut seen = Vec::new();
    while let Some(e) = all.try_recv() {
        assert_eq!(e.run, report.run);
        seen.push(match e.kind {
            EventKind::RunStarted { total } => format!("start {total}"),
            EventKind::Node { node, state, .. } => format!("{node} {state:?}"),
            EventKind::RunFinished(o) => format!("end {o:?}"),
        });
    }
    assert_eq!(
        seen,
        [
            "start 3",
            "a Ready",
            "a Running",
            "a Succeeded",
            "b Ready",
            "b Running",
            "b Succeeded",
            "c Ready",
            "c Running",
            "c Succeeded",
            "end Completed"
        ]
    );
    let mut b = Vec::new();
    while let Some(e) = only_b.try_recv() {
        if let EventKind::Node { state, .. } = e.kind {
            b.push(state);
        }
    }
    assert_eq!(
        b,
        [NodeState::Ready, NodeState::Running, NodeState::Succeeded]
    );
}

#[test]
fn resume_does_not_rerun_finished_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let wf = Arc::new(
        Workflow::new(vec![
            NodeSpec::new("a", "x").output("o"),
            NodeSpec::new("b", "x").input("a.o").output("o"),
            NodeSpec::new("c", "x").input("b.o").output("o"),
        ])
        .unwrap(),
    );
    let runs: Arc<Mutex<Vec<String>>> = Arc::default();
    let make = |fail_c: bool| {
        let runs = runs.clone();
        Arc::new(move |node: &NodeSpec, inputs: &[Arc<Value>]| {
            runs.lock().push(node.id.to_string());
            if fail_c && &*node.id == "c" {
                return Execution::failed("boom");
            }
            let prev = inputs
                .first()
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned();
            Execution::done(vec![Value::from(format!("{prev}{}", node.id))])
        }) as Arc<dyn Executor>
    };
    let opts = RunOptions::default().checkpoint(CheckpointPolicy::new(dir.path()));
    let rt = rt();
    let first = rt
        .block_on(DagTracker::new().run(wf.clone(), make(true), opts.clone()))
        .unwrap();
    assert!(matches!(first.outcome, RunOutcome::Failed { .. }));
    let resumed = rt
        .block_on(async {
            DagTracker::new()
                .resume(wf.clone(), make(false), opts.clone())
                .wait()
                .await
        })
        .unwrap();
    assert_eq!(resumed.outcome, RunOutcome::Completed);
    assert_eq!(*runs.lock(), ["a", "b", "c", "c"]);
    assert!(resumed.node("a").unwrap().restored && resumed.node("b").unwrap().restored);
    assert_eq!(*resumed.outputs("c").unwrap()[0], Value::from("abc"));

    // A different workflow cannot resume this checkpoint.
    let other = Arc::new(Workflow::new(vec![NodeSpec::new("z", "x")]).unwrap());
    let err = rt
        .block_on(async {
            DagTracker::new()
                .resume(other, make(false), opts)
                .wait()
                .await
        })
        .unwrap_err();
    assert!(matches!(err, DagError::CheckpointMismatch(_)), "{err}");
}

#[test]
fn a_large_inline_run_completes_with_full_progress() {
    let n = 20_000;
    let nodes: Vec<NodeSpec> = (0..n)
        .map(|i| {
            if i == 0 {
                NodeSpec::new("n0", "noop")
            } else {
                NodeSpec::new(format!("n{i}"), "noop").input(&format!("n{}", i / 2))
            }
        })
        .collect();
    let wf = Arc::new(Workflow::new(nodes).unwrap());
    let exec = |_: &NodeSpec, _: &[Arc<Value>]| Execution::done(vec![]);
    let rt = rt();
    let report = rt
        .block_on(DagTracker::new().run(wf, Arc::new(exec), RunOptions::default()))
        .unwrap();
    assert_eq!(report.count(NodeState::Succeeded), n);
}
