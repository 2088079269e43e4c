//! A cancelled run in the DAG pane shows how far it got (its bar is not full)
//! and which nodes were done and which were cancelled.

mod common;

use common::*;
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use symphony_tui::action::Action;
use symphony_tui::app::update;
use symphony_tui::conductor::Canned;

#[test]
fn a_cancelled_run_shows_what_was_done_and_what_was_cancelled() {
    let (mut state, _rec) = conductor_state(Canned::default(), 70, 12);
    // The DAG and pool panes' rows are wide: this test keeps the dock below the editor.
    update(&mut state, Action::FlipDock);
    update(&mut state, Action::OpenDagPane);
    ev(
        &mut state,
        ConductorEvent::RunStarted {
            run: RunId(1),
            title: "explain: add".into(),
            nodes: vec![
                node("context", "context", &[], None),
                node("prompt", "prompt", &["context"], None),
                node("model", "model", &["prompt"], Some("local")),
            ],
        },
    );
    for (n, s) in [
        ("context", NodeStatus::Done),
        ("prompt", NodeStatus::Cancelled),
        ("model", NodeStatus::Cancelled),
    ] {
        ev(
            &mut state,
            ConductorEvent::Node {
                run: RunId(1),
                node: n.into(),
                status: s,
            },
        );
    }
    ev(
        &mut state,
        ConductorEvent::RunFinished {
            run: RunId(1),
            outcome: RunOutcome::Cancelled,
            answer: None,
        },
    );
    let shown = screen(&state);
    let header = shown
        .lines()
        .find(|l| l.starts_with("#1 "))
        .unwrap_or_else(|| panic!("the run's row:\n{shown}"));
    assert!(!header.contains("██████████"), "not a full bar: {header}");
    assert!(header.contains("1/3"), "one of three nodes done: {header}");
    assert!(
        header.contains("cancelled (1 done, 2 cancelled)"),
        "what was done and what was cancelled: {header}"
    );
    insta::assert_snapshot!(shown);
}
