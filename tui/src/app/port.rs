//! [`EditorPort`]: what `update` may ask of the editor process. The real one
//! is the session (`session::EditorSession`); tests use [`RecordingPort`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use symphony_protocol::xi::EditNotification;

use crate::session::{EditorSession, RecoverAction, Request, ViewHandle};

/// The calls `update` makes on the editor; none of them blocks.
pub trait EditorPort {
    /// Opens a view (a file, or an empty buffer) and returns its handle.
    fn open(&mut self, path: Option<PathBuf>) -> u64;
    /// Sends an edit to a view.
    fn edit(&mut self, view: u64, cmd: EditNotification);
    /// Copies (or cuts) the selection; the text comes back as an event.
    fn copy(&mut self, view: u64, cut: bool);
    /// Saves a view's buffer to `path`.
    fn save(&mut self, view: u64, path: PathBuf);
    /// Saves a view's buffer to `path` even over a conflict with the file on disk.
    fn save_forced(&mut self, view: u64, path: PathBuf);
    /// Replaces a view's buffer by its file as it is on disk.
    fn reload(&mut self, view: u64);
    /// Closes a view.
    fn close(&mut self, view: u64);
    /// Sets the theme.
    fn set_theme(&mut self, name: &str);
    /// Answers the journal-recovery question of `view`; `into` is the new, empty view
    /// that gets the recovered text or the diff.
    fn answer_recovery(&mut self, view: u64, action: RecoverAction, into: Option<u64>);
    /// Sends a request about a view; the answer comes back as
    /// `SessionEvent::Reply` with `id` (see [`super::State::request`]).
    fn request(&mut self, view: u64, id: u64, request: Request);
    /// Starts the editor process again when it is down (see `EditorSession::restart`).
    fn restart(&mut self);
    /// Stops the editor connection.
    fn shutdown(self: Box<Self>);
}

impl EditorPort for EditorSession {
    fn open(&mut self, path: Option<PathBuf>) -> u64 {
        EditorSession::open(self, path).0
    }
    fn edit(&mut self, view: u64, cmd: EditNotification) {
        EditorSession::edit(self, ViewHandle(view), cmd);
    }
    fn copy(&mut self, view: u64, cut: bool) {
        EditorSession::copy(self, ViewHandle(view), cut);
    }
    fn save(&mut self, view: u64, path: PathBuf) {
        EditorSession::save(self, ViewHandle(view), path);
    }
    fn save_forced(&mut self, view: u64, path: PathBuf) {
        EditorSession::save_forced(self, ViewHandle(view), path);
    }
    fn reload(&mut self, view: u64) {
        EditorSession::reload(self, ViewHandle(view));
    }
    fn close(&mut self, view: u64) {
        EditorSession::close(self, ViewHandle(view));
    }
    fn set_theme(&mut self, name: &str) {
        EditorSession::set_theme(self, name);
    }
    fn answer_recovery(&mut self, view: u64, action: RecoverAction, into: Option<u64>) {
        EditorSession::answer_recovery(self, ViewHandle(view), action, into.map(ViewHandle));
    }
    fn request(&mut self, view: u64, id: u64, request: Request) {
        EditorSession::call(self, ViewHandle(view), id, request);
    }
    fn restart(&mut self) {
        EditorSession::restart(self);
    }
    fn shutdown(self: Box<Self>) {
        EditorSession::shutdown(*self);
    }
}

/// One call made on a [`RecordingPort`].
#[derive(Debug, Clone, PartialEq)]
pub enum PortCall {
    /// `open(path)` returned `view`.
    Open {
        /// The path.
        path: Option<PathBuf>,
        /// The handle returned.
        view: u64,
    },
    /// `edit`.
    Edit(u64, EditNotification),
    /// `copy`.
    Copy(u64, bool),
    /// `save`.
    Save(u64, PathBuf),
    /// `save_forced`.
    SaveForced(u64, PathBuf),
    /// `reload`.
    Reload(u64),
    /// `close`.
    Close(u64),
    /// `set_theme`.
    SetTheme(String),
    /// `answer_recovery(view, action, into)`.
    AnswerRecovery(u64, RecoverAction, Option<u64>),
    /// `request(view, id, request)`, as its method and params (without the `view_id`).
    Request(u64, u64, String, Value),
    /// `restart`.
    Restart,
}

/// A port that records the calls (for tests and snapshots without an editor).
#[derive(Debug, Clone, Default)]
pub struct RecordingPort {
    /// The calls so far, shared so a test can read them after handing the port over.
    pub calls: Arc<Mutex<Vec<PortCall>>>,
    next: u64,
}

impl RecordingPort {
    /// A port whose first view handle is 1.
    pub fn new() -> Self {
        RecordingPort {
            calls: Arc::default(),
            next: 1,
        }
    }

    fn push(&self, call: PortCall) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

impl EditorPort for RecordingPort {
    fn open(&mut self, path: Option<PathBuf>) -> u64 {
        let view = self.next;
        self.next += 1;
        self.push(PortCall::Open { path, view });
        view
    }
    fn edit(&mut self, view: u64, cmd: EditNotification) {
        self.push(PortCall::Edit(view, cmd));
    }
    fn copy(&mut self, view: u64, cut: bool) {
        self.push(PortCall::Copy(view, cut));
    }
    fn save(&mut self, view: u64, path: PathBuf) {
        self.push(PortCall::Save(view, path));
    }
    fn save_forced(&mut self, view: u64, path: PathBuf) {
        self.push(PortCall::SaveForced(view, path));
    }
    fn reload(&mut self, view: u64) {
        self.push(PortCall::Reload(view));
    }
    fn close(&mut self, view: u64) {
        self.push(PortCall::Close(view));
    }
    fn set_theme(&mut self, name: &str) {
        self.push(PortCall::SetTheme(name.into()));
    }
    fn answer_recovery(&mut self, view: u64, action: RecoverAction, into: Option<u64>) {
        self.push(PortCall::AnswerRecovery(view, action, into));
    }
    fn request(&mut self, view: u64, id: u64, request: Request) {
        self.push(PortCall::Request(
            view,
            id,
            request.method().into(),
            request.params_without_view(),
        ));
    }
    fn restart(&mut self) {
        self.push(PortCall::Restart);
    }
    fn shutdown(self: Box<Self>) {}
}
