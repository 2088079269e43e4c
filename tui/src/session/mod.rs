//! The connection to `symphony-editor`: stable view handles over a child
//! process (or a local socket) that may crash and be restarted underneath.
//!
//! [`EditorSession`] never blocks its caller: every method queues a command for
//! a background task (the *actor*, see `actor.rs`) that owns the connection,
//! matches responses to requests, maps [`ViewHandle`]s to the core's view ids
//! and turns the core's messages into [`SessionEvent`]s. When the editor exits
//! or crashes the actor restarts it with backoff, reopens every view, accepts
//! the crash-journal recovery, emits [`SessionEvent::ViewReset`] and then sends
//! the edits queued meanwhile: no keystroke is lost.

mod actor;
mod client_journal;
mod transport;
pub mod wire;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
pub use symphony_protocol::xi::RecoverAction;
use symphony_protocol::xi::{
    EditNotification, FindStatusQuery, ReplaceStatus, StyleDef, ThemeSettings, Update,
};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
pub use wire::{Reply, ReplyError, ReplyKind, Request, RequestKind, parse_reply};

/// A view as the client knows it; stays the same across editor restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ViewHandle(pub u64);

/// How the session restarts an editor that died, and where it keeps the edits
/// meanwhile.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Restarts tried in a row before giving up (the user can still restart by hand).
    pub max_attempts: u32,
    /// Delay before the first restart; doubles each attempt.
    pub first_backoff: Duration,
    /// Longest delay between attempts.
    pub max_backoff: Duration,
    /// Running this long resets the attempt counter.
    pub stable_after: Duration,
    /// Where the edits of files the editor may not have journaled are kept while
    /// it is down (`None`: nowhere; default: `$XDG_STATE_HOME/symphony/client-journal`).
    pub client_journal: Option<PathBuf>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            max_attempts: 5,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(3),
            stable_after: Duration::from_secs(10),
            client_journal: client_journal::default_dir(),
        }
    }
}

/// Where the editor lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorTarget {
    /// Start this program as a child speaking the protocol over stdio.
    Spawn {
        /// The `symphony-editor` (or any xi-core) executable.
        program: PathBuf,
    },
    /// Connect to an editor listening on this local socket.
    Connect {
        /// The socket's path.
        socket: PathBuf,
    },
}

/// The state of the editor process, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorState {
    /// Starting (or connecting) for the first time.
    Starting,
    /// Serving requests.
    Running,
    /// It exited or crashed; restarting (attempt 1, 2, ...). Edits are queued.
    Restarting {
        /// Which restart attempt this is (1-based).
        attempt: u32,
    },
    /// Gave up after too many failed restarts.
    Failed {
        /// What went wrong, for the user.
        reason: String,
    },
}

/// Something the editor said or did, for the UI loop.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// New lines for a view: apply to its `LineCache`.
    Update {
        /// The view.
        view: ViewHandle,
        /// The ops.
        update: Update,
    },
    /// Scroll so that this (0-based) position is visible.
    ScrollTo {
        /// The view.
        view: ViewHandle,
        /// 0-based line.
        line: usize,
        /// 0-based byte column.
        col: usize,
    },
    /// The editor restarted: clear that view's LineCache, a full update follows.
    ViewReset {
        /// The view.
        view: ViewHandle,
    },
    /// A style id the following updates may use.
    DefStyle(StyleDef),
    /// The theme changed.
    ThemeChanged {
        /// Theme name.
        name: String,
        /// Its colours.
        theme: ThemeSettings,
    },
    /// The themes the editor knows.
    AvailableThemes(Vec<String>),
    /// The languages the editor knows.
    AvailableLanguages(Vec<String>),
    /// A view's language changed.
    LanguageChanged {
        /// The view.
        view: ViewHandle,
        /// The language's name.
        language: String,
    },
    /// Some of a view's settings changed (tab_size, line_ending, ...).
    ConfigChanged {
        /// The view.
        view: ViewHandle,
        /// Only the changed keys.
        changes: serde_json::Map<String, Value>,
    },
    /// Find results.
    FindStatus {
        /// The view.
        view: ViewHandle,
        /// One entry per query.
        status: Vec<FindStatusQuery>,
    },
    /// Replace state.
    ReplaceStatus {
        /// The view.
        view: ViewHandle,
        /// The replace string and options.
        status: ReplaceStatus,
    },
    /// A message for the user (never steals focus).
    Alert(String),
    /// The crash journal holds unsaved edits for this file: ask the user, then
    /// call [`EditorSession::accept_recovery`].
    RecoveryOffered {
        /// The view.
        view: ViewHandle,
        /// The file.
        file_path: String,
        /// The file changed on disk since the journal was made.
        changed_on_disk: bool,
        /// The recovered text is exactly what was typed.
        exact: bool,
        /// How many more journals of the file wait after this one.
        more: usize,
    },
    /// Whether the crash journal of the view's buffer works (`ok: false`: edits are
    /// not protected, `error` says why), sent when that changes.
    JournalStatus {
        /// The view.
        view: ViewHandle,
        /// The journal holds every edit again.
        ok: bool,
        /// Why it does not.
        error: Option<String>,
    },
    /// The view's file was renamed or moved (a language server's workspace edit): the
    /// buffer, its unsaved edits and undo now belong to `path`, where saves go; the
    /// session reopens it from there after an editor restart.
    FileMoved {
        /// The view.
        view: ViewHandle,
        /// The new path.
        path: PathBuf,
    },
    /// The editor process changed state.
    State(EditorState),
    /// The answer to [`EditorSession::open`].
    Opened {
        /// The view.
        view: ViewHandle,
        /// Err holds the editor's message.
        result: Result<(), String>,
    },
    /// The answer to [`EditorSession::save`] when the editor wrote nothing because the
    /// file changed on disk (or, under a new name, exists): ask the user, then
    /// [`EditorSession::save_forced`], [`EditorSession::reload`], or nothing.
    SaveConflict {
        /// The view.
        view: ViewHandle,
        /// Where it was to be saved.
        path: PathBuf,
        /// `"changed"`, `"binary"` or `"exists"` (`symphony.save_conflict`).
        reason: String,
        /// The editor's sentence for the user.
        message: String,
    },
    /// The view's file changed (`"changed"`, `"removed"`) on disk behind unsaved
    /// edits, or is in step again (`"in_sync"`).
    DiskState {
        /// The view.
        view: ViewHandle,
        /// `symphony.disk_state`'s state.
        state: String,
    },
    /// The answer to [`EditorSession::save`].
    Saved {
        /// The view.
        view: ViewHandle,
        /// Err holds the editor's message.
        result: Result<(), String>,
    },
    /// The answer to [`EditorSession::request`] (`Err`: the editor's error
    /// message, or the connection was lost before it answered).
    Reply {
        /// The view.
        view: ViewHandle,
        /// The id the caller chose.
        id: u64,
        /// The `result`, or the error's message.
        result: Result<Value, String>,
    },
    /// A `symphony.lsp.*` notification (diagnostics, status, signature help).
    Lsp {
        /// The view its `view_id` names, when the client knows it.
        view: Option<ViewHandle>,
        /// The method.
        method: String,
        /// The params as sent.
        params: Value,
    },
    /// The answer to [`EditorSession::copy`]: the copied (or cut) text, `None`
    /// when nothing was selected.
    Copied {
        /// The view.
        view: ViewHandle,
        /// The text.
        text: Option<String>,
        /// Whether it was a cut.
        cut: bool,
    },
}

/// What the caller asked for, queued for the actor.
#[derive(Debug)]
enum Command {
    Open {
        view: ViewHandle,
        path: Option<PathBuf>,
    },
    Edit {
        view: ViewHandle,
        cmd: EditNotification,
    },
    Copy {
        view: ViewHandle,
        cut: bool,
    },
    Save {
        view: ViewHandle,
        path: PathBuf,
        force: bool,
    },
    Reload {
        view: ViewHandle,
    },
    Close {
        view: ViewHandle,
    },
    SetTheme(String),
    SetLanguage {
        view: ViewHandle,
        language: String,
    },
    Recover {
        view: ViewHandle,
        action: RecoverAction,
        into: Option<ViewHandle>,
    },
    Request {
        view: ViewHandle,
        id: u64,
        request: Request,
    },
    /// A request that could not be made: answered with this error.
    Refused {
        view: ViewHandle,
        id: u64,
        error: String,
    },
    Restart,
    Shutdown,
}

/// The editor behind stable view handles. Create it inside a tokio runtime.
#[derive(Debug)]
pub struct EditorSession {
    commands: UnboundedSender<Command>,
    next_view: u64,
}

impl EditorSession {
    /// Starts (or connects to) the editor in the background; events arrive on `tx`.
    /// Must be called inside a tokio runtime.
    pub fn start(target: EditorTarget, tx: UnboundedSender<SessionEvent>) -> Self {
        Self::start_with(target, tx, SessionOptions::default())
    }

    /// Like [`EditorSession::start`], with another restart policy.
    pub fn start_with(
        target: EditorTarget,
        tx: UnboundedSender<SessionEvent>,
        options: SessionOptions,
    ) -> Self {
        let (commands, rx) = unbounded_channel();
        tokio::spawn(actor::run(target, tx, rx, options));
        EditorSession {
            commands,
            next_view: 1,
        }
    }

    fn send(&self, cmd: Command) {
        // The actor only stops after Shutdown; a closed channel means the
        // runtime is going away, and there is nobody left to tell.
        if self.commands.send(cmd).is_err() {
            tracing::debug!("editor session already stopped");
        }
    }

    /// Opens a file (or a new empty buffer for `None`); the result arrives as
    /// [`SessionEvent::Opened`]. The handle is usable at once: edits wait.
    pub fn open(&mut self, path: Option<PathBuf>) -> ViewHandle {
        let view = ViewHandle(self.next_view);
        self.next_view += 1;
        self.send(Command::Open { view, path });
        view
    }

    /// Sends an edit (insert, move, scroll, resize, ...); queued while the
    /// editor is down or the view is still opening.
    pub fn edit(&mut self, view: ViewHandle, cmd: EditNotification) {
        self.send(Command::Edit { view, cmd });
    }

    /// Copies (or cuts) the selection; the answer is [`SessionEvent::Copied`].
    pub fn copy(&mut self, view: ViewHandle, cut: bool) {
        self.send(Command::Copy { view, cut });
    }

    /// Saves the view's buffer to `path`; the answer is [`SessionEvent::Saved`].
    pub fn save(&mut self, view: ViewHandle, path: PathBuf) {
        self.send(Command::Save {
            view,
            path,
            force: false,
        });
    }

    /// Saves even over another program's changes or an existing file (the user chose
    /// to overwrite after a [`SessionEvent::SaveConflict`]).
    pub fn save_forced(&mut self, view: ViewHandle, path: PathBuf) {
        self.send(Command::Save {
            view,
            path,
            force: true,
        });
    }

    /// Replaces the view's buffer by its file as it is on disk (one undoable edit).
    pub fn reload(&mut self, view: ViewHandle) {
        self.send(Command::Reload { view });
    }

    /// Closes the view.
    pub fn close(&mut self, view: ViewHandle) {
        self.send(Command::Close { view });
    }

    /// Sets the theme (remembered and replayed after a restart).
    pub fn set_theme(&mut self, name: &str) {
        self.send(Command::SetTheme(name.to_owned()));
    }

    /// Sets a view's language.
    pub fn set_language(&mut self, view: ViewHandle, language: &str) {
        self.send(Command::SetLanguage {
            view,
            language: language.to_owned(),
        });
    }

    /// Answers a [`SessionEvent::RecoveryOffered`]: accept replaces the buffer
    /// by the recovered text (one undoable edit), refuse moves the journal to the trash.
    pub fn accept_recovery(&mut self, view: ViewHandle, accept: bool) {
        let action = if accept {
            RecoverAction::Replace
        } else {
            RecoverAction::Trash
        };
        self.answer_recovery(view, action, None);
    }

    /// Answers a [`SessionEvent::RecoveryOffered`] with `action`; `into` is the new,
    /// empty view that gets the recovered text or the diff (`NewBuffer`, `Diff`).
    pub fn answer_recovery(
        &mut self,
        view: ViewHandle,
        action: RecoverAction,
        into: Option<ViewHandle>,
    ) {
        self.send(Command::Recover { view, action, into });
    }

    /// Sends a request about a view (`symphony.review.*`, `symphony.lsp.*`,
    /// `symphony.disk_diff`) with the view's core `view_id`; the answer arrives as
    /// [`SessionEvent::Reply`] with `id` (chosen by the caller). Queued while
    /// the view is opening or the editor restarts; lost with the connection
    /// (then the reply is an `Err`).
    pub fn call(&mut self, view: ViewHandle, id: u64, request: Request) {
        self.send(Command::Request { view, id, request });
    }

    /// Like [`EditorSession::call`], by method name and params (for tools and tests);
    /// a request the client does not make is answered with an `Err` reply at once.
    pub fn request(&mut self, view: ViewHandle, id: u64, method: &str, params: Value) {
        match Request::parse(method, params) {
            Ok(request) => self.call(view, id, request),
            Err(e) => self.send(Command::Refused { view, id, error: e }),
        }
    }

    /// Starts the editor again now when it is down (after the session gave up
    /// restarting it, or while it waits to retry): the attempt count starts over,
    /// every view is reopened and what was typed meanwhile is sent. Nothing
    /// happens while it runs.
    pub fn restart(&mut self) {
        self.send(Command::Restart);
    }

    /// Stops the editor: closes its input so it exits cleanly (killed if it
    /// does not). Unsaved text stays in the editor's crash journal; when the
    /// editor is down with edits it has not journaled, it is started once more
    /// first, so that its journal gets them.
    pub fn shutdown(self) {
        self.send(Command::Shutdown);
    }
}

#[cfg(test)]
mod tests;
