//! What the editor process says, applied to the state: line updates, caret
//! moves, styles, theme, languages, find results, alerts, saves, copies,
//! recovery offers, files moved by a language server and the process's own state.

use base64::Engine as _;

use super::State;
use super::update::scroll_to;
use super::views::sync_views;
use crate::action::Action;
use crate::overlays::{Choice, Overlay, RecoveryChoice};
use crate::session::{EditorState, RequestKind, SessionEvent};

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
            // A new editor process: it says again if its journal fails.
            state.journal_failures.remove(&view.0);
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
        SessionEvent::RecoveryOffered {
            view,
            file_path,
            changed_on_disk,
            exact,
            more,
        } => {
            let name = std::path::Path::new(&file_path)
                .file_name()
                .map_or(file_path.clone(), |n| n.to_string_lossy().into_owned());
            // Show the file the question is about.
            super::views::focus_view(state, view.0);
            // One question per view: a new offer (the next journal) replaces the old.
            state
                .overlays
                .retain(|o| !matches!(o, Overlay::Recovery(r) if r.view == view.0));
            state.overlays.push(Overlay::Recovery(RecoveryChoice {
                view: view.0,
                name,
                changed_on_disk,
                inexact: !exact,
                more,
                selected: None,
            }));
        }
        SessionEvent::JournalStatus { view, ok, error } => {
            if ok {
                if state.journal_failures.remove(&view.0).is_some() {
                    state.say("The crash journal works again: edits are protected");
                }
            } else {
                let why = error.unwrap_or_else(|| "unknown error".into());
                state.error(format!("Edits are NOT protected: journal failed: {why}"));
                state.journal_failures.insert(view.0, why);
            }
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
                    let hint = stopped_hint(state);
                    state.error(format!("The editor process failed ({reason}); {hint}"));
                    STOPPED.into()
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
        SessionEvent::SaveConflict {
            view,
            path,
            reason,
            message,
        } => save_conflict(state, view.0, path, &reason, message),
        SessionEvent::DiskState { view, state: disk } => {
            if let Some(d) = state.views.get_mut(&view.0) {
                d.disk_state = (disk != "in_sync").then_some(disk);
            }
        }
        SessionEvent::Saved { view, result } => match result {
            Ok(()) => {
                if let Some(d) = state.views.get_mut(&view.0)
                    && let Some(p) = d.save_to.take()
                {
                    d.path = Some(p);
                }
                let name = state
                    .views
                    .get(&view.0)
                    .map(|d| d.title())
                    .unwrap_or_default();
                state.say(format!("Saved {name}"));
            }
            Err(e) => {
                if let Some(d) = state.views.get_mut(&view.0) {
                    d.save_to = None;
                }
                state.error(format!("Save failed: {e}"));
            }
        },
        SessionEvent::Reply { view, id, result } => {
            let Some(kind) = state.replies.remove(&id) else {
                tracing::debug!("reply to a request nobody waits for: {id}");
                return;
            };
            // Typed here, once, by the request it answers; review answers are still
            // read by the review (see `Reply::Review`).
            match (kind.feature(), crate::session::parse_reply(kind, result)) {
                (RequestKind::DiskDiff, reply) => {
                    if let Some(of) = state.disk_diffs.remove(&id) {
                        show_disk_diff(state, of, reply);
                    }
                }
                (RequestKind::Lsp, reply) => {
                    crate::lsp::on_reply(state, id, reply);
                }
                (RequestKind::Review, Ok(crate::session::Reply::Review(v))) => {
                    crate::review::on_reply(state, view.0, id, Ok(v));
                }
                (RequestKind::Review, Err(e)) => {
                    crate::review::on_reply(state, view.0, id, Err(e.to_string()));
                }
                (RequestKind::Ghost, reply) => crate::completion::on_reply(
                    state,
                    id,
                    match reply {
                        Ok(crate::session::Reply::Ghost(r)) => Ok(r),
                        Ok(_) => Err("an answer of another kind".into()),
                        Err(e) => Err(e.to_string()),
                    },
                ),
                (RequestKind::Review | RequestKind::Debug, _) => {
                    tracing::debug!("reply to a request nobody waits for: {id}")
                }
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

/// The editor wrote nothing: the file changed on disk (or, under a new name, exists).
/// The user decides, with a deliberate key; Esc keeps the buffer unsaved.
fn save_conflict(
    state: &mut State,
    view: u64,
    path: std::path::PathBuf,
    reason: &str,
    message: String,
) {
    tracing::info!(%message, "save conflict");
    if let Some(d) = state.views.get_mut(&view) {
        d.save_to = None;
    }
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    super::views::focus_view(state, view);
    let overwrite = ('o', vec![Action::SaveOverwriting(view, path.clone())]);
    let (question, answers) = match reason {
        "exists" => (
            format!("{name} already exists: [o]verwrite it, Esc cancel"),
            vec![overwrite],
        ),
        "binary" => (
            format!("{name} is now a binary file on disk: [o]verwrite it, Esc cancel"),
            vec![overwrite],
        ),
        _ => (
            format!(
                "{name} changed on disk: [o]verwrite, [r]eload (drop edits), [d]iff, Esc cancel"
            ),
            vec![
                overwrite,
                ('r', vec![Action::ReloadFromDisk(view)]),
                ('d', vec![Action::ShowDiskDiff(view)]),
            ],
        ),
    };
    state
        .overlays
        .push(Overlay::Choice(Choice { question, answers }));
}

/// Shows the answer to `symphony.disk_diff` in a new buffer of the focused pane.
fn show_disk_diff(
    state: &mut State,
    view: u64,
    reply: Result<crate::session::Reply, crate::session::ReplyError>,
) {
    let diff = match reply {
        Ok(crate::session::Reply::DiskDiff(d)) => d.diff,
        Ok(_) => return,
        Err(e) => {
            state.error(format!("No diff: {e}"));
            return;
        }
    };
    if diff.is_empty() {
        state.say("The file on disk holds the same text as the buffer");
        return;
    }
    super::views::focus_view(state, view);
    let shown = super::views::open_view(state, None);
    super::views::show_in_focused(state, shown);
    state.editor.edit(
        shown,
        symphony_protocol::xi::EditNotification::Insert { chars: diff },
    );
    state.say(
        "Differences from the file on disk (- on disk, + yours); close this buffer to go back",
    );
}

/// `editor_status` once the session gave up restarting the editor.
const STOPPED: &str = "stopped";

/// Whether the session gave up restarting the editor (keys are still kept).
pub fn editor_stopped(state: &State) -> bool {
    state.editor_status == STOPPED
}

/// What the status line says while the editor is stopped: that saving needs it
/// and how to bring it back.
pub fn stopped_hint(state: &State) -> String {
    let keys = state.config.keymap.keys_for(&Action::RestartEditor);
    let keys = if keys.is_empty() {
        String::new()
    } else {
        format!("{} / ", keys.join(", "))
    };
    format!("editor stopped: saving needs it back \u{2014} {keys}palette 'Restart editor'")
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

    fn stopped_state() -> (
        State,
        std::sync::Arc<std::sync::Mutex<Vec<crate::app::PortCall>>>,
    ) {
        use crate::app::{RecordingPort, update};
        use crate::config::Config;
        let port = RecordingPort::new();
        let calls = port.calls.clone();
        let mut state = State::new(
            Config::default(),
            Box::new(port),
            Some("/home/demo/notes.txt".into()),
        );
        update(&mut state, Action::TerminalResized(100, 10));
        on_session_event(&mut state, SessionEvent::State(EditorState::Running));
        on_session_event(
            &mut state,
            SessionEvent::State(EditorState::Failed {
                reason: "gave up after 5 restarts: symphony-editor exited".into(),
            }),
        );
        (state, calls)
    }

    fn screen(state: &State, width: u16) -> String {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        let mut t = Terminal::new(TestBackend::new(width, 10)).expect("terminal");
        t.draw(|f| crate::ui::draw(state, f)).expect("draw");
        let buf = t.backend().buffer().clone();
        buf.content().iter().map(|c| c.symbol()).collect::<String>()
    }

    #[test]
    fn when_the_editor_stopped_the_status_line_says_saving_needs_it_and_how_to_restart() {
        let (mut state, _) = stopped_state();
        state.message = None;
        for width in [100, 80] {
            let shown = screen(&state, width);
            assert!(
                shown.contains(
                    "editor stopped: saving needs it back \u{2014} ctrl-b r / palette 'Restart editor'"
                ),
                "{shown}"
            );
        }
    }

    #[test]
    fn ctrl_s_while_the_editor_is_stopped_says_so_instead_of_doing_nothing() {
        use crate::app::{PortCall, update};
        let (mut state, calls) = stopped_state();
        state.message = None;
        calls.lock().expect("calls").clear();
        update(&mut state, Action::Save);
        let msg = state.message.as_ref().expect("a message");
        assert!(msg.error);
        assert!(msg.text.contains("saving needs it back"), "{}", msg.text);
        assert!(msg.text.contains("Restart editor"), "{}", msg.text);
        assert!(
            !calls
                .lock()
                .expect("calls")
                .iter()
                .any(|c| matches!(c, PortCall::Save(..))),
            "nothing is sent that cannot be done"
        );
    }

    #[test]
    fn restart_editor_from_the_palette_or_its_key_restarts_the_session() {
        use crate::app::{PortCall, update};
        use crate::overlays::Palette;
        let (mut state, calls) = stopped_state();
        let palette = Palette::new(&state.config.keymap);
        let entry = palette
            .entries
            .iter()
            .find(|e| e.action == Action::RestartEditor)
            .expect("a palette entry");
        assert!(entry.description.starts_with("Restart editor"));
        assert_eq!(entry.keys, "ctrl-b r");
        calls.lock().expect("calls").clear();
        update(&mut state, Action::RestartEditor);
        assert_eq!(*calls.lock().expect("calls"), vec![PortCall::Restart]);
        // Back: the hint goes, saving works again.
        on_session_event(&mut state, SessionEvent::State(EditorState::Running));
        assert!(!editor_stopped(&state));
        calls.lock().expect("calls").clear();
        update(&mut state, Action::Save);
        assert!(matches!(
            calls.lock().expect("calls").as_slice(),
            [PortCall::Save(..)]
        ));
    }

    #[test]
    fn quitting_while_the_editor_is_stopped_asks_first() {
        use crate::app::update;
        let (mut state, _) = stopped_state();
        update(&mut state, Action::Quit);
        assert!(!state.quit);
        match state.overlays.last() {
            Some(Overlay::Confirm(c)) => {
                assert!(c.question.contains("crash journal"), "{}", c.question);
                assert_eq!(c.yes, vec![Action::ForceQuit]);
            }
            other => panic!("no question: {other:?}"),
        }
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
