//! What the session server's loop does with a client's requests other than its
//! terminal events: attach (a new screen, drawn whole: the resync), detach or a lost
//! connection (the screen goes, the session stays), `symphony ls` and
//! `symphony kill-session` (refused while buffers are unsaved unless forced).

use symphony_protocol::session::{ExitReason, ServerMessage, SessionInfo};

use super::SessionMeta;
use super::listen::ServerInput;
use super::screens::{ClientSink, Screens, SharedSink};
use crate::action::Action;
use crate::app::{State, update};
use crate::ui::colors::ColorMode;

/// Applies `input`; returns whether the screen must be drawn.
pub fn on_control(
    state: &mut State,
    screens: &mut Screens,
    meta: &mut SessionMeta,
    input: ServerInput,
) -> bool {
    match input {
        ServerInput::Attach {
            id,
            hello,
            write,
            direct,
        } => {
            if let Err(e) = direct.set_nonblocking(true) {
                tracing::warn!(client = id, "a client's socket: {e}");
                return false;
            }
            let (sink, writer) = ClientSink::new(direct, write);
            let size = (hello.size.cols.max(1), hello.size.rows.max(1));
            if let Err(e) = screens.attach(id, SharedSink::new(sink), writer, size, hello.read_only)
            {
                tracing::warn!(client = id, "attaching a client: {e}");
                return false;
            }
            meta.last_input = std::time::Instant::now();
            state.color_mode = ColorMode::from_colorterm(Some(&hello.colorterm));
            if !hello.files.is_empty() {
                crate::app::run::open_in_windows(state, hello.files);
            }
            update(state, Action::TerminalResized(size.0, size.1));
            true
        }
        ServerInput::Detach(id) | ServerInput::Gone(id) => {
            if let Some((w, h)) = screens.detach(id, ExitReason::Detached) {
                update(state, Action::TerminalResized(w, h));
            }
            screens.drop_broken();
            true
        }
        ServerInput::Event { .. } => false,
        ServerInput::Query(reply) => {
            let _ = reply.send(info(state, screens, meta));
            false
        }
        ServerInput::Kill { force, reply } => {
            let unsaved = state.dirty_buffers();
            if !force && !unsaved.is_empty() {
                let _ = reply.send(ServerMessage::Unsaved { buffers: unsaved });
                return false;
            }
            tracing::info!(force, unsaved = unsaved.len(), "kill-session: ending");
            let _ = reply.send(ServerMessage::Killed);
            state.quit = true;
            true
        }
    }
}

/// The session as `symphony ls` shows it.
pub fn info(state: &State, screens: &Screens, meta: &SessionMeta) -> SessionInfo {
    SessionInfo {
        name: meta.name.clone(),
        dir: state.cwd.clone(),
        pid: std::process::id(),
        clients: screens.count(),
        buffers: state.views.len(),
        unsaved: state.dirty_buffers().len(),
        runs: state.conductor.runs.iter().filter(|r| r.running()).count(),
        idle_secs: meta.last_input.elapsed().as_secs(),
    }
}
