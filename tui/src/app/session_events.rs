//! What the editor process says, applied to the state: line updates, caret
//! moves, styles, theme, languages, find results, alerts, saves, copies,
//! recovery offers, files moved by a language server and the process's own state.

use base64::Engine as _;

use super::State;
use super::update::scroll_to;
use super::views::sync_views;
use crate::action::Action;
use crate::overlays::{Confirm, Overlay};
use crate::session::{EditorState, SessionEvent};

/// Applies one event from the session.
pub fn on_session_event(state: &mut State, event: SessionEvent) {
    apply_event(state, event);
    crate::lsp::refresh(state);
    settle_questions(state);
}

/// A "quit/close anyway?" question whose unsaved changes got saved
/// meanwhile (Ctrl-S then Ctrl-Q typed quickly) is answered by itself.
fn settle_questions(state: &mut State) {
    let Some(Overlay::Confirm(c)) = state.overlays.last() else {
        return;
    };
    let now_clean = match c.yes.as_slice() {
        [Action::ForceQuit] => state.dirty_buffers().is_empty(),
        [Action::ForceCloseBuffer] => state.focused_view().is_some_and(|v| !state.is_dirty(v)),
        _ => false,
    };
    if now_clean {
        let yes = c.yes.clone();
        state.overlays.pop();
        for action in yes {
            crate::app::update(state, action);
        }
    }
}

fn apply_event(state: &mut State, event: SessionEvent) {
    match event {
        SessionEvent::Update { view, update } => {
            state.update_seq += 1;
            if let Some(d) = state.views.get_mut(&view.0) {
                d.cache.apply(&update);
                d.updated_at = state.update_seq;
                // Keystrokes still drawn ahead of the core keep their caret.
                if let Some(caret) = d.cache.predicted_caret() {
                    d.caret = caret;
                }
            }
            // Lines may have gone: keep every pane's top inside its buffer.
            sync_views(state);
            // A proposal under review follows the user's edits.
            crate::review::on_view_update(state, view.0);
        }
        SessionEvent::ScrollTo { view, line, col } => {
            let (line, col) = super::echo::caret_for(state, view.0, (line, col));
            scroll_to(state, view.0, line, col);
        }
        SessionEvent::ViewReset { view } => {
            if let Some(d) = state.views.get_mut(&view.0) {
                d.cache.clear();
                // The restarted core knows nothing of our size or range.
                d.sent_size = None;
                d.sent_scroll = None;
            }
            sync_views(state);
        }
        SessionEvent::DefStyle(def) => {
            state.styles.insert(def.id, def);
        }
        SessionEvent::ThemeChanged { theme, .. } => state.theme = theme,
        SessionEvent::AvailableThemes(themes) => {
            if !themes.is_empty() && !themes.contains(&state.config.theme) {
                state.error(format!(
                    "Theme `{}` is not one the editor offers ({})",
                    state.config.theme,
                    themes.join(", ")
                ));
            }
            state.themes = themes;
        }
        SessionEvent::AvailableLanguages(_) => {}
        SessionEvent::LanguageChanged { view, language } => {
            if let Some(d) = state.views.get_mut(&view.0) {
                d.language = language;
            }
        }
        SessionEvent::ConfigChanged { view, changes } => {
            if let Some(d) = state.views.get_mut(&view.0)
                && let Some(le) = changes.get("line_ending").and_then(|v| v.as_str())
            {
                d.line_ending = if le == "\r\n" {
                    "CRLF".into()
                } else {
                    "LF".into()
                };
            }
        }
        SessionEvent::FindStatus { view, status } => {
            if let Some(d) = state.views.get_mut(&view.0) {
                d.find_matches = status.first().map(|q| q.matches);
                d.find_counting = status.first().is_some_and(|q| q.counting);
            }
        }
        SessionEvent::ReplaceStatus { .. } => {}
        SessionEvent::Alert(msg) => state.say(msg),
        SessionEvent::RecoveryOffered { view, file_path } => {
            let name = std::path::Path::new(&file_path)
                .file_name()
                .map_or(file_path.clone(), |n| n.to_string_lossy().into_owned());
            let question = format!("Recover the unsaved edits of {name}? (y/n)");
            // Show the file the question is about.
            focus_view(state, view.0);
            state.overlays.push(Overlay::Confirm(Confirm {
                question,
                yes: vec![Action::AcceptRecovery(view.0, true)],
                no: vec![Action::AcceptRecovery(view.0, false)],
            }));
        }
        SessionEvent::FileMoved { view, path } => {
            if let Some(d) = state.views.get_mut(&view.0) {
                // the status line and the window title follow the new name
                d.path = Some(path);
            }
        }
        SessionEvent::State(s) => {
            state.editor_status = match s {
                EditorState::Starting => "starting".into(),
                EditorState::Running => "running".into(),
                EditorState::Restarting { attempt } => {
                    state.error("The editor process stopped; restarting it (your keys are kept)");
                    format!("restarting ({attempt})")
                }
                EditorState::Failed { reason } => {
                    state.error(format!("The editor process failed: {reason}"));
                    "failed".into()
                }
            };
        }
        SessionEvent::Opened { view, result } => {
            if let Err(e) = result {
                if let Some(d) = state.views.get_mut(&view.0) {
                    d.open_error = Some(e.clone());
                }
                state.error(e);
            }
        }
        SessionEvent::Saved { view, result } => match result {
            Ok(()) => {
                let name = state
                    .views
                    .get(&view.0)
                    .map(|d| d.title())
                    .unwrap_or_default();
                state.say(format!("Saved {name}"));
            }
            Err(e) => state.error(format!("Save failed: {e}")),
        },
        SessionEvent::Reply { view, id, result } => {
            if !crate::lsp::on_reply(state, id, &result) {
                crate::review::on_reply(state, view.0, id, result);
            }
        }
        SessionEvent::Lsp {
            view,
            method,
            params,
        } => crate::lsp::on_notification(state, view.map(|v| v.0), &method, &params),
        SessionEvent::Copied { text, .. } => {
            if let Some(text) = text {
                if text.len() <= OSC52_MAX {
                    state.osc52.push(osc52(&text));
                } else {
                    state.say("Copied (too large for the terminal's clipboard)");
                }
                state.clipboard = Some(text);
            }
        }
    }
}

/// Shows and focuses a pane showing `view` (switching windows if needed).
fn focus_view(state: &mut State, view: u64) {
    let Some(pane) = state
        .windows
        .views()
        .find(|(_, v)| *v == view)
        .map(|(id, _)| id)
    else {
        return;
    };
    if let Some(w) = state
        .windows
        .windows
        .iter()
        .position(|w| w.tree.contains(pane))
    {
        state.windows.select_window(w);
        state.windows.focus_pane(pane);
    }
}

/// The most text handed to the terminal's clipboard (terminals cap OSC 52).
const OSC52_MAX: usize = 100_000;

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_the_text() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn a_file_moved_by_the_editor_renames_the_view_on_screen() {
        use crate::app::{RecordingPort, update};
        use crate::config::Config;
        use crate::session::ViewHandle;
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use std::path::PathBuf;

        let old = PathBuf::from("/home/demo/project/src/old_mod.rs");
        let new = PathBuf::from("/home/demo/project/src/new_mod.rs");
        let mut state = State::new(
            Config::default(),
            Box::new(RecordingPort::new()),
            Some(old.clone()),
        );
        update(&mut state, Action::TerminalResized(80, 10));
        on_session_event(&mut state, SessionEvent::State(EditorState::Running));
        let view = state.focused_view().expect("a view");
        let screen = |state: &State| {
            let mut t = Terminal::new(TestBackend::new(80, 10)).expect("terminal");
            t.draw(|f| crate::ui::draw(state, f)).expect("draw");
            let buf = t.backend().buffer().clone();
            buf.content().iter().map(|c| c.symbol()).collect::<String>()
        };
        assert!(screen(&state).contains("old_mod.rs"));
        on_session_event(
            &mut state,
            SessionEvent::FileMoved {
                view: ViewHandle(view),
                path: new.clone(),
            },
        );
        let d = state.views.get(&view).expect("view data");
        assert_eq!(d.path.as_ref(), Some(&new));
        assert_eq!(d.title(), new.display().to_string());
        let shown = screen(&state);
        assert!(shown.contains("new_mod.rs"), "{shown}");
        assert!(!shown.contains("old_mod.rs"), "{shown}");
    }
}
