//! An AI command always shows where its output goes, also with no AI pane
//! open: an answer reveals the AI pane (the focus stays in the editor), a
//! proposal is announced on the message line, and a failure ("no instrument
//! configured") is an error on the message line.

mod common;

use common::*;
use symphony_conductor::events::{ConductorEvent, RunId, RunOutcome};
use symphony_tui::action::Action;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::Canned;
use symphony_tui::panes::PaneKind;

fn snapshot_answer(state: &mut State) {
    let v = serde_json::json!({"text": "fn add() {}\n", "path": "/home/demo/project/src/lib.rs",
        "language": "Rust", "revision": 3});
    symphony_tui::conductor::commands::on_snapshot(state, 1, Ok(v));
}

fn ai_panes(state: &State) -> usize {
    state
        .windows
        .current()
        .leaves()
        .into_iter()
        .filter(|id| matches!(state.windows.panes.get(id), Some(PaneKind::Ai(_))))
        .count()
}

#[test]
fn explain_without_the_ai_pane_reveals_it_and_keeps_the_focus_in_the_editor() {
    let (mut state, _rec) = conductor_state(Canned::default(), 90, 16);
    assert_eq!(ai_panes(&state), 0);
    update(
        &mut state,
        Action::Ai(symphony_conductor::command::CommandKind::Explain),
    );
    snapshot_answer(&mut state);
    assert_eq!(ai_panes(&state), 1, "the answer's pane is on screen");
    assert!(
        matches!(state.windows.focused(), Some(PaneKind::Editor(_))),
        "the focus stays in the editor"
    );
    let shown = screen(&state);
    assert!(shown.contains("answer streams into the AI pane"), "{shown}");
}

#[test]
fn a_failed_run_without_the_ai_pane_is_an_error_on_the_message_line() {
    let (mut state, _rec) = conductor_state(Canned::default(), 100, 12);
    update(
        &mut state,
        Action::Ai(symphony_conductor::command::CommandKind::WriteTests),
    );
    snapshot_answer(&mut state);
    assert_eq!(ai_panes(&state), 0, "a proposal shows in the editor");
    let shown = screen(&state);
    assert!(
        shown.contains("proposal will show in the editor for review"),
        "where the proposal goes: {shown}"
    );
    let run = state.conductor.runs.last().map_or(RunId(1), |r| r.id);
    ev(
        &mut state,
        ConductorEvent::RunFinished {
            run,
            outcome: RunOutcome::Failed("no instrument configured".into()),
            answer: None,
        },
    );
    let message = state.message.clone().expect("a message");
    assert!(message.error, "shown as an error");
    assert!(
        message.text.contains("failed: no instrument configured")
            && message.text.contains("AI pane"),
        "{}",
        message.text
    );
    let shown = screen(&state);
    assert!(shown.contains("no instrument configured"), "{shown}");
}
