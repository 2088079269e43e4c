//! Runs of an earlier session in the DAG pane: the Conductor lists them from
//! their journals (orchestrator/src/conductor/journal.rs; the restart itself is
//! tested against a real server in orchestrator/tests/conductor_restart.rs).
//! Here the client shows them on start, a node left failed by the restart is
//! retried with the usual key, and the retry's RunStarted replaces the listed
//! run rather than adding a second one.

mod common;

use common::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use symphony_conductor::command::AiCommand;
use symphony_conductor::conductor::{NodeSummary, RunSummary};
use symphony_conductor::events::{ConductorEvent, NodeInfo, NodeStatus, RunId, RunOutcome};
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::{Canned, ConductorCall, on_conductor_event};

fn press(state: &mut State, code: KeyCode) {
    for a in event_to_actions(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE))) {
        update(state, a);
    }
}

fn node(id: &str, kind: &str, deps: &[&str], status: NodeStatus) -> NodeSummary {
    NodeSummary {
        info: NodeInfo {
            id: id.into(),
            kind: kind.into(),
            depends_on: deps.iter().map(|d| (*d).into()).collect(),
            instrument: (kind == "model").then(|| "local".into()),
        },
        status,
        has_output: false,
    }
}

const INTERRUPTED: &str = "interrupted: Symphony stopped before the run finished";

/// A refactor that was running its model when Symphony stopped, as the
/// Conductor reports it after the restart.
fn interrupted_run(now_ms: i64) -> RunSummary {
    RunSummary {
        run: RunId(7),
        title: "refactor: use checked_add".into(),
        command: AiCommand::Refactor {
            instruction: "use checked_add".into(),
        },
        nodes: vec![
            node("context", "context", &[], NodeStatus::Done),
            node("prompt", "prompt", &["context"], NodeStatus::Done),
            node(
                "model",
                "model",
                &["prompt"],
                NodeStatus::Failed(INTERRUPTED.into()),
            ),
            node("extract", "extract", &["model"], NodeStatus::Skipped),
            node("diff", "diff", &["extract"], NodeStatus::Skipped),
        ],
        outcome: Some(RunOutcome::Failed(INTERRUPTED.into())),
        interrupted: true,
        answer: None,
        path: None,
        revision: Some(3),
        started_ms: now_ms - 60_000,
        finished_ms: None,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[test]
fn an_earlier_sessions_interrupted_run_is_listed_and_its_node_retried() {
    let (mut state, rec) = conductor_state(
        Canned {
            recent_runs: vec![interrupted_run(now_ms())],
            ..Default::default()
        },
        80,
        16,
    );
    assert_eq!(state.conductor.runs.len(), 1);
    update(&mut state, Action::OpenDagPane);
    let shown = screen(&state);
    assert!(shown.contains("refactor: use checked_add"), "{shown}");
    assert!(shown.contains("interrupted"), "{shown}");
    // Row 0 is the run, then its nodes: the model node is row 3.
    for _ in 0..3 {
        press(&mut state, KeyCode::Down);
    }
    press(&mut state, KeyCode::Char('r'));
    let calls = std::mem::take(&mut *rec.calls.lock().expect("calls"));
    assert_eq!(calls, vec![ConductorCall::Retry(RunId(7), "model".into())]);
    // The Conductor starts the retry under the same id: one run, running again.
    let nodes: Vec<NodeInfo> = interrupted_run(0)
        .nodes
        .into_iter()
        .map(|n| n.info)
        .collect();
    on_conductor_event(
        &mut state,
        ConductorEvent::RunStarted {
            run: RunId(7),
            title: "retry model: refactor: use checked_add".into(),
            nodes,
        },
    );
    assert_eq!(state.conductor.runs.len(), 1);
    assert!(state.conductor.runs[0].outcome.is_none());
}
