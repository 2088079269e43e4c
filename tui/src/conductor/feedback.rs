//! Where an AI command's output goes, said when it starts and when it ends:
//! a command that answers in text reveals the AI pane (without taking the
//! focus) and says so; one that proposes an edit says the proposal shows in
//! the editor; a failure goes to the message line, where the user looks,
//! also when the AI pane is not shown.

use symphony_conductor::events::{RunId, RunOutcome};

use super::commands::open_pane;
use super::panes::AiPane;
use crate::action::Action;
use crate::app::State;
use crate::panes::PaneKind;
use symphony_conductor::command::CommandKind;

/// Whether the current window shows an AI pane.
pub fn ai_pane_shown(state: &State) -> bool {
    let window = state.windows.current();
    window
        .shown(&state.windows.dock)
        .into_iter()
        .any(|id| matches!(state.windows.panes.get(&id), Some(PaneKind::Ai(_))))
}

/// The first key bound to `action`, for messages (`ctrl-b a`).
fn key_of(state: &State, action: &Action) -> Option<String> {
    state.config.keymap.keys_for(action).into_iter().next()
}

/// Shows the AI pane in the current window if it is not, keeping the focus
/// where it is.
pub fn reveal_ai_pane(state: &mut State) {
    if ai_pane_shown(state) {
        return;
    }
    let focus = state.windows.current().focus;
    open_pane(state, PaneKind::Ai(AiPane::default()));
    state.windows.focus_pane(focus);
}

/// Run `run` of `kind` started: show or say where its output goes.
pub fn on_launch(state: &mut State, kind: CommandKind, run: RunId) {
    let name = kind.label();
    match kind {
        CommandKind::Explain
        | CommandKind::CommitMessage
        | CommandKind::Chat
        | CommandKind::Workflow => {
            let was_shown = ai_pane_shown(state);
            reveal_ai_pane(state);
            if !was_shown {
                state.say(format!(
                    "{name}: run #{} started, its answer streams into the AI pane",
                    run.0
                ));
            }
        }
        CommandKind::Refactor
        | CommandKind::WriteTests
        | CommandKind::FixDiagnostics
        | CommandKind::DocComments => {
            let progress = key_of(state, &Action::OpenDagPane)
                .map(|k| format!("; {k} shows its progress"))
                .unwrap_or_default();
            state.say(format!(
                "{name}: run #{} started, its proposal will show in the editor for review{progress}",
                run.0
            ));
        }
    }
}

/// Run `run` ended: failures and where an answer went, on the message line.
pub fn on_finished(state: &mut State, run: RunId, outcome: &RunOutcome, answered: bool) {
    let shown = ai_pane_shown(state);
    let in_pane = match key_of(state, &Action::OpenAiPane) {
        Some(k) if !shown => format!(" (details in the AI pane: {k})"),
        _ => String::new(),
    };
    match outcome {
        RunOutcome::Failed(msg) => state.error(format!("Run #{} failed: {msg}{in_pane}", run.0)),
        RunOutcome::Cancelled => state.say(format!("Run #{} cancelled", run.0)),
        RunOutcome::Interrupted => state.say(format!("Run #{} was interrupted{in_pane}", run.0)),
        RunOutcome::Succeeded if answered && !shown => {
            let key = key_of(state, &Action::OpenAiPane)
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            state.say(format!("Run #{}: the answer is in the AI pane{key}", run.0));
        }
        RunOutcome::Succeeded => {}
    }
}
