//! Runs that do not simply succeed, with a scripted instrument standing in for a model
//! (see conductor_support): cancel mid-stream, a failing instrument, retrying a node.

mod conductor_support;

use conductor_support::*;
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunOutcome};
use symphony_conductor::instrument::InstrumentError;

fn ctx() -> EditorContext {
    EditorContext {
        language: Some("Rust".into()),
        file_text: "fn main() {\n    println!(\"hi\");\n}\n".into(),
        ..Default::default()
    }
}

fn node_status(events: &[ConductorEvent], node: &str) -> Option<NodeStatus> {
    events.iter().rev().find_map(|e| match e {
        ConductorEvent::Node {
            node: n, status, ..
        } if n == node => Some(status.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn cancel_mid_stream_ends_the_run_cancelled_and_releases_the_slot() {
    let model = Scripted::new(
        "local",
        vec![Behaviour::Stall(vec!["It ".into(), "prints".into()])],
    );
    let mut h = Harness::with(model.clone());
    let run = h.conductor.run(AiCommand::Explain, ctx());
    // Wait for the stream to start, then cancel.
    h.until(|e| matches!(e, ConductorEvent::Token { .. })).await;
    assert_eq!(h.conductor.pool()[0].slots_used, 1, "the call holds a slot");
    h.conductor.cancel(run);
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events), (RunOutcome::Cancelled, None));
    assert_eq!(node_status(&events, "model"), Some(NodeStatus::Cancelled));
    assert!(
        model.tokens.lock()[0].is_cancelled(),
        "the instrument call was cancelled for real"
    );
    let pool = h.conductor.pool();
    assert_eq!(pool[0].slots_used, 0, "slot released");
    assert_ne!(pool[0].state, "Failed", "a cancel is not a failure");
}

#[tokio::test]
async fn a_failing_instrument_fails_the_node_and_the_pool_entry_with_the_reason() {
    let model = Scripted::new(
        "local",
        vec![Behaviour::Fail(InstrumentError::Http {
            status: 500,
            message: "model exploded".into(),
        })],
    );
    let mut h = Harness::with(model);
    let run = h.conductor.run(AiCommand::Explain, ctx());
    let events = h.until_finished(run).await;
    match node_status(&events, "model") {
        Some(NodeStatus::Failed(why)) => {
            assert!(
                why.contains("HTTP 500") && why.contains("model exploded"),
                "{why}"
            )
        }
        other => panic!("model node: {other:?}"),
    }
    match finished(&events).0 {
        RunOutcome::Failed(why) => assert!(why.contains("model") && why.contains("HTTP 500")),
        other => panic!("{other:?}"),
    }
    let pool = h.conductor.pool();
    assert_eq!(pool[0].state, "Failed");
    assert!(
        pool[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("model exploded")),
        "{pool:?}"
    );
    assert_eq!(pool[0].slots_used, 0);
    // The pool pane hears about it (pool events are throttled, so maybe a little later).
    let failed_pool = |e: &ConductorEvent| matches!(e, ConductorEvent::Pool(p) if p.first().is_some_and(|s| s.state == "Failed"));
    if !events.iter().any(failed_pool) {
        h.until(failed_pool).await;
    }
}

#[tokio::test]
async fn retry_node_reruns_the_failed_node_and_succeeds_the_second_time() {
    let model = Scripted::new(
        "local",
        vec![
            Behaviour::Fail(InstrumentError::Connect {
                endpoint: "http://127.0.0.1:9".into(),
                message: "connection refused".into(),
            }),
            Behaviour::Tokens(vec!["prints ".into(), "hi".into()]),
        ],
    );
    let mut h = Harness::with(model.clone());
    let run = h.conductor.run(AiCommand::Explain, ctx());
    let events = h.until_finished(run).await;
    assert!(matches!(finished(&events).0, RunOutcome::Failed(_)));
    assert_eq!(h.conductor.pool()[0].state, "Failed");

    h.conductor.retry_node(run, "model");
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("prints hi".into()))
    );
    assert_eq!(tokens(&events, "model"), ["prints ", "hi"]);
    assert_eq!(model.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    // The prompt node kept its output from the checkpoint: no second prompt artifact run.
    let running_prompt = events.iter().any(|e| {
        matches!(e, ConductorEvent::Node { node, status: NodeStatus::Running { .. }, .. } if node == "prompt")
    });
    assert!(!running_prompt, "prompt was not run again: {events:#?}");
    assert_eq!(h.conductor.pool()[0].state, "Hot");
    assert_eq!(
        h.conductor.node_output(run, "model").as_deref(),
        Some("prints hi")
    );
}
