//! The session's background task: owns the connection, maps handles to core
//! view ids, matches responses, logs edits, and restarts a dead editor.
//!
//! Keystrokes survive a crash like this: every edit (and viewport change) is
//! logged per view since its base: its open, or its last save, with the
//! selections and viewport of then. After a restart each view is reopened and,
//! while only this session's edits changed the buffer since the base, the file's
//! journal is declined and the whole log replayed in order onto the file: exact
//! whatever the editor had processed or journaled when it died. When something
//! else changed the buffer (a language server's or a review's edit, a move), the
//! journal is the truth: it is recovered (`symphony.recover {accept:true}`), the
//! selections last seen restored, and the edits not yet confirmed by an answer
//! to a later `get_config` sent again. Edits that arrived while the editor was
//! down wait in the view's queue and go out last.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use symphony_protocol::xi::{EditNotification, RpcError, RpcMessage};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

use super::client_journal::{ClientJournal, Found, Start as Base};
use super::transport::{self, Connection, Incoming};
use super::wire::{self, Out, OutRequest};

mod notify;
mod replay;
mod rescue;
use super::{Command, EditorState, EditorTarget, SessionEvent, SessionOptions, ViewHandle};

/// Where a view is in its life with the current connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// First `new_view` not answered yet (or not sent: no connection).
    Opening,
    /// Being reopened after a restart.
    Reopening,
    /// Open in the current editor: commands go straight out.
    Ready,
}

/// A command waiting for its view to be ready.
#[derive(Debug)]
enum Pending {
    Edit(EditNotification),
    Copy(bool),
    /// A save to the path; `true`: even over a conflict.
    Save(PathBuf, bool),
    Reload,
    Language(String),
    /// Answer the offer of `from` (None: this view) with `action`; this view gets the
    /// text or diff when `from` is set.
    Recover {
        action: symphony_protocol::xi::RecoverAction,
        from: Option<ViewHandle>,
    },
    Request {
        id: u64,
        request: wire::Request,
    },
    Close,
}

/// A state-changing command already sent, kept for replay.
#[derive(Debug, Clone)]
enum Logged {
    Edit(EditNotification),
    Cut,
}

#[derive(Debug)]
struct View {
    path: Option<PathBuf>,
    core: Option<String>,
    /// The core id before the connection was lost (a socket server may still have it).
    prev_core: Option<String>,
    phase: Phase,
    /// (global order, command): merged across views when flushed after a restart.
    queue: VecDeque<(u64, Pending)>,
    /// Reopened after a restart, waiting for the other views to be back too.
    back: bool,
    /// (sequence number, command), oldest first.
    log: Vec<(u64, Logged)>,
    last_scroll: Option<EditNotification>,
    last_resize: Option<EditNotification>,
    selections: Vec<[usize; 4]>,
    recovered: bool,
    /// Our own restart answered its first journal offer (later ones are the user's).
    restart_offer_taken: bool,
    /// Where the log starts: the view as it was opened, or as it was at the last save.
    base: Base,
    /// The log alone rebuilds the buffer from its file: nothing but this session's
    /// edits changed it since the base (no language-server or review edit, no move).
    exact: bool,
    /// The client journal, while the editor may lack some of the edits.
    cj: Option<ClientJournal>,
    /// The client journal goes once the editor confirmed the edit with this seq.
    cj_until: Option<u64>,
    /// A client journal found at the first open, until the user answers its offer.
    found: Option<Found>,
    /// The selections when the editor reached the last save sent.
    save_point: Option<Vec<[usize; 4]>>,
}

/// What an outstanding request was for.
#[derive(Debug)]
enum Req {
    NewView {
        view: ViewHandle,
        reopen: bool,
    },
    Copy {
        view: ViewHandle,
        cut: bool,
    },
    /// Every edit up to `seq` was processed.
    Confirm {
        seq: u64,
    },
    /// The reopen sequence of `view` (including any recovery offer) is over.
    Reopened {
        view: ViewHandle,
    },
    /// Everything sent before the save of `view` was processed: the selections
    /// now are the ones the saved file goes with.
    SavePoint {
        view: ViewHandle,
    },
    /// The save of `view` was processed; edits up to `seq` are on disk.
    Saved {
        view: ViewHandle,
        seq: u64,
        path: PathBuf,
        force: bool,
        /// The file before the save, to tell afterwards whether it happened.
        before: Option<FileStamp>,
    },
    /// Does the (socket) editor still know the view `old`?
    Probe {
        view: ViewHandle,
        old: String,
    },
    /// A caller's request (`EditorSession::request`): answered as `Reply`.
    Reply {
        view: ViewHandle,
        id: u64,
    },
    /// The answer to `symphony.capabilities`: whether edits are acknowledged.
    Capabilities,
    Ignore,
}

/// What changes when a file is written or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

fn file_stamp(path: &std::path::Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
    })
}

struct Actor {
    target: EditorTarget,
    events: UnboundedSender<SessionEvent>,
    inbox: transport::Inbox,
    options: SessionOptions,
    conn: Option<Connection>,
    generation: u64,
    views: BTreeMap<ViewHandle, View>,
    by_core: HashMap<String, ViewHandle>,
    requests: HashMap<u64, Req>,
    next_id: u64,
    seq: u64,
    confirmed: u64,
    /// The editor acknowledges each edit (`symphony_ack`): no `get_config` after it.
    edit_ack: bool,
    /// `symphony.capabilities` was sent on this connection.
    capabilities_asked: bool,
    theme: Option<String>,
    state: EditorState,
    attempt: u32,
    /// The last start was refused for good (another user's socket): retrying cannot
    /// help, so the session fails at once with that reason.
    refused: bool,
    up_since: Option<Instant>,
    restart_at: Option<Instant>,
    /// Why the last connection ended (told to the user once it is back).
    lost_reason: Option<String>,
    /// Orders queued commands across views.
    order: u64,
    save_alerts: HashMap<ViewHandle, Option<String>>,
    /// `symphony.save_conflict` (reason, message) that arrived for a save in flight.
    save_conflicts: HashMap<ViewHandle, (String, String)>,
}

/// How long quitting waits for an editor started again to journal the edits.
const SHUTDOWN_RESTART: Duration = Duration::from_secs(10);

/// The actor's loop; ends on `Shutdown` or when the session is dropped.
pub(super) async fn run(
    target: EditorTarget,
    events: UnboundedSender<SessionEvent>,
    mut commands: UnboundedReceiver<Command>,
    options: SessionOptions,
) {
    let (inbox, mut incoming) = unbounded_channel();
    let mut actor = Actor {
        target,
        events,
        inbox,
        options,
        conn: None,
        generation: 0,
        views: BTreeMap::new(),
        by_core: HashMap::new(),
        requests: HashMap::new(),
        next_id: 0,
        seq: 0,
        confirmed: 0,
        edit_ack: false,
        capabilities_asked: false,
        theme: None,
        state: EditorState::Starting,
        attempt: 0,
        refused: false,
        up_since: None,
        restart_at: None,
        lost_reason: None,
        order: 0,
        save_alerts: HashMap::new(),
        save_conflicts: HashMap::new(),
    };
    actor.emit(SessionEvent::State(EditorState::Starting));
    actor.connect().await;
    loop {
        let restart_at = actor.restart_at;
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Shutdown) | None => {
                    actor.shutdown(&mut incoming).await;
                    return;
                }
                Some(Command::Restart) => actor.restart_now().await,
                Some(cmd) => actor.command(cmd),
            },
            Some((generation, msg)) = incoming.recv() => {
                if generation == actor.generation {
                    match msg {
                        Incoming::Message(v) if actor.conn.is_some() => actor.message(v),
                        Incoming::Closed(reason) if actor.conn.is_some() => actor.lost(reason),
                        // The child's exit status comes after its output closed: say that.
                        Incoming::Closed(reason) => actor.lost_reason = Some(reason),
                        Incoming::Message(_) => {}
                    }
                }
            }
            _ = sleep_until_opt(restart_at), if restart_at.is_some() => {
                actor.restart_at = None;
                actor.connect().await;
            }
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

fn is_view_geometry(cmd: &EditNotification) -> bool {
    matches!(
        cmd,
        EditNotification::Scroll(_)
            | EditNotification::Resize(_)
            | EditNotification::RequestLines(_)
    )
}

/// Edits whose effect depends on editor state a restart loses (undo history, kill
/// ring, macro recordings) when that state predates the log.
fn depends_on_history(cmd: &EditNotification) -> bool {
    matches!(
        cmd,
        EditNotification::Undo
            | EditNotification::Redo
            | EditNotification::Yank
            | EditNotification::PlayRecording { .. }
    )
}

impl Actor {
    fn emit(&self, event: SessionEvent) {
        if self.events.send(event).is_err() {
            tracing::debug!("nobody listens to editor events any more");
        }
    }

    fn set_state(&mut self, state: EditorState) {
        if self.state != state {
            let restarted = matches!(
                self.state,
                EditorState::Restarting { .. } | EditorState::Failed { .. }
            ) && state == EditorState::Running;
            if state == EditorState::Running {
                self.up_since = Some(Instant::now());
            }
            self.state = state.clone();
            self.emit(SessionEvent::State(state));
            if restarted {
                // The state flips back fast: leave a message that stays.
                let reason = self.lost_reason.take().unwrap_or_default();
                self.emit(SessionEvent::Alert(format!(
                    "editor restarted: {reason}; unsaved text kept"
                )));
            }
        }
    }

    // ---- connection life ----

    async fn connect(&mut self) {
        self.generation += 1;
        match transport::open(&self.target, self.generation, self.inbox.clone()).await {
            Ok(conn) => {
                self.conn = Some(conn);
                self.on_connected();
            }
            Err(e) => {
                tracing::warn!("cannot start the editor: {e}");
                self.refused = e.kind() == std::io::ErrorKind::PermissionDenied;
                self.lost(e.to_string());
            }
        }
    }

    fn on_connected(&mut self) {
        self.send(&Out::ClientStarted);
        if let Some(theme) = self.theme.clone() {
            self.send(&Out::SetTheme(&theme));
        }
        let handles: Vec<ViewHandle> = self.views.keys().copied().collect();
        let probe = matches!(self.target, EditorTarget::Connect { .. });
        for view in handles {
            let Some(v) = self.views.get_mut(&view) else {
                continue;
            };
            let reopen = v.phase != Phase::Opening;
            match v.prev_core.take() {
                // A socket server may have outlived the connection: if it still
                // knows the view, keep using it (its buffer has every edit).
                Some(old) if probe && reopen => {
                    let core = old.clone();
                    self.send_request_of(OutRequest::GetConfig(&core), Req::Probe { view, old });
                }
                _ => self.send_new_view(view, reopen),
            }
        }
        if !self.views.is_empty() && !self.capabilities_asked {
            // Every view was kept by a socket server: ask now.
            self.capabilities_asked = true;
            self.send_request_of(OutRequest::Capabilities, Req::Capabilities);
        }
        self.maybe_running();
    }

    /// Running once every view is open again.
    fn maybe_running(&mut self) {
        if self.conn.is_some() && self.views.values().all(|v| v.phase != Phase::Reopening) {
            self.set_state(EditorState::Running);
            self.client_journals_sent();
        }
    }

    fn lost(&mut self, reason: String) {
        tracing::warn!("editor connection lost: {reason}");
        if self.lost_reason.is_none() {
            self.lost_reason = Some(reason.clone());
        }
        self.conn = None;
        self.edit_ack = false;
        self.capabilities_asked = false;
        self.by_core.clear();
        for req in std::mem::take(&mut self.requests).into_values() {
            match req {
                Req::Copy { view, cut } => self.emit(SessionEvent::Copied {
                    view,
                    text: None,
                    cut,
                }),
                Req::Reply { view, id } => self.emit(SessionEvent::Reply {
                    view,
                    id,
                    result: Err("the editor connection was lost".into()),
                }),
                Req::Saved {
                    view,
                    seq,
                    path,
                    force,
                    before,
                } => {
                    self.save_conflicts.remove(&view);
                    self.save_unanswered(view, seq, path, force, before)
                }
                _ => {}
            }
        }
        for v in self.views.values_mut() {
            v.prev_core = v.core.take();
            v.recovered = false;
            v.restart_offer_taken = false;
            if v.phase == Phase::Ready {
                v.phase = Phase::Reopening;
            }
        }
        self.write_client_journals();
        if self
            .up_since
            .is_some_and(|t| t.elapsed() >= self.options.stable_after)
        {
            self.attempt = 0;
        }
        self.up_since = None;
        self.attempt += 1;
        if std::mem::take(&mut self.refused) {
            self.restart_at = None;
            self.set_state(EditorState::Failed { reason });
            return;
        }
        if self.attempt > self.options.max_attempts {
            self.restart_at = None;
            self.set_state(EditorState::Failed {
                reason: format!(
                    "gave up after {} restarts: {reason}",
                    self.options.max_attempts
                ),
            });
            return;
        }
        let factor = 1u32 << (self.attempt - 1).min(16);
        let delay = (self.options.first_backoff * factor).min(self.options.max_backoff);
        self.restart_at = Some(Instant::now() + delay);
        self.set_state(EditorState::Restarting {
            attempt: self.attempt,
        });
    }

    /// The user asked for the editor back: start it now, with a fresh count of attempts.
    async fn restart_now(&mut self) {
        if self.conn.is_some() {
            return;
        }
        self.attempt = 0;
        self.restart_at = None;
        self.set_state(EditorState::Restarting { attempt: 1 });
        self.connect().await;
    }

    /// Edits the editor may not have journaled: logged since the base (a dead
    /// editor's journal may miss the last of them), or still queued.
    fn unjournaled_edits(&self) -> bool {
        self.views
            .values()
            .any(|v| !v.log.is_empty() || v.queue.iter().any(|(_, p)| !matches!(p, Pending::Close)))
    }

    async fn shutdown(&mut self, incoming: &mut UnboundedReceiver<(u64, Incoming)>) {
        if self.conn.is_none() && self.unjournaled_edits() {
            // Down, with typing only this session holds: one more start, so that
            // the editor replays it into its journal before it is told to stop.
            tracing::info!("starting the editor once more to journal the edits before quitting");
            self.restart_now().await;
            let deadline = Instant::now() + SHUTDOWN_RESTART;
            while self.conn.is_some() && self.state != EditorState::Running {
                match tokio::time::timeout_at(deadline, incoming.recv()).await {
                    Ok(Some((g, msg))) if g == self.generation => match msg {
                        Incoming::Message(v) => self.message(v),
                        Incoming::Closed(reason) => self.lost(reason),
                    },
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        conn.close_input();
        let generation = self.generation;
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some((g, msg)) = incoming.recv().await {
                if g == generation && matches!(msg, Incoming::Closed(_)) {
                    break;
                }
            }
        })
        .await;
        self.conn = None;
        if closed.is_ok() && self.state == EditorState::Running {
            // It read everything to the end of its input: its journal has it all.
            let handles: Vec<ViewHandle> = self.views.keys().copied().collect();
            for view in handles {
                self.drop_client_journal(view);
            }
        }
    }

    // ---- sending ----

    fn send_line(&self, line: String) {
        if let Some(conn) = &self.conn {
            conn.send(line);
        }
    }

    fn send(&self, out: &Out<'_>) {
        self.send_line(out.to_line());
    }

    /// Sends the request `line(id)` with a fresh id, remembering what it is for.
    fn send_request(&mut self, line: impl FnOnce(u64) -> String, req: Req) {
        if self.conn.is_none() {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.requests.insert(id, req);
        self.send_line(line(id));
    }

    fn send_request_of(&mut self, r: OutRequest<'_>, req: Req) {
        self.send_request(|id| r.to_line(id), req);
    }

    fn send_new_view(&mut self, view: ViewHandle, reopen: bool) {
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        v.phase = if reopen {
            Phase::Reopening
        } else {
            Phase::Opening
        };
        v.core = None;
        v.recovered = false;
        v.restart_offer_taken = false;
        let path = v.path.clone();
        self.send_request_of(OutRequest::NewView(path.as_deref()), Req::NewView { view, reopen });
        if !self.capabilities_asked && self.conn.is_some() {
            // Asked with the first view: nothing is acknowledged before one is open. Until
            // the answer (an upstream xi-core answers an error), edits are confirmed by a
            // `get_config` after them.
            self.capabilities_asked = true;
            self.send_request_of(OutRequest::Capabilities, Req::Capabilities);
        }
    }

    /// Sends an edit of a ready view, logs it and asks for its confirmation: the
    /// editor's acknowledgement when it gives them, else a `get_config` after it.
    fn send_edit(&mut self, view: ViewHandle, edit: EditNotification) {
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        let Some(core) = v.core.clone() else {
            return;
        };
        match &edit {
            EditNotification::Scroll(_) => v.last_scroll = Some(edit.clone()),
            EditNotification::Resize(_) => v.last_resize = Some(edit.clone()),
            _ => {}
        }
        if matches!(edit, EditNotification::RequestLines(_)) {
            self.send(&Out::Edit(&core, &edit, None));
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        let path = v.path.clone();
        let from_history = v.base.saved && depends_on_history(&edit);
        let geometry = is_view_geometry(&edit);
        // Nothing to confirm for the viewport: it changes no text.
        let ack = (self.edit_ack && !geometry).then_some(seq);
        self.send(&Out::Edit(&core, &edit, ack));
        if let Some(v) = self.views.get_mut(&view) {
            v.log.push((seq, Logged::Edit(edit)));
        }
        if from_history {
            // Its effect depends on state from before the save, which no replay has.
            self.not_exact(view, path);
        }
        if geometry || ack.is_some() {
            return;
        }
        self.send_request_of(OutRequest::GetConfig(&core), Req::Confirm { seq });
    }

    /// Every edit up to `seq` was processed (an answer or an acknowledgement).
    fn confirmed_up_to(&mut self, seq: u64) {
        self.confirmed = self.confirmed.max(seq);
        self.client_journals_confirmed(seq);
    }

    fn send_cut(&mut self, view: ViewHandle, req: Req) {
        let Some(v) = self.views.get_mut(&view) else {
            return;
        };
        let Some(core) = v.core.clone() else {
            return;
        };
        self.seq += 1;
        let seq = self.seq;
        v.log.push((seq, Logged::Cut));
        self.send_request_of(OutRequest::CopyCut(&core, true), req);
        self.send_request_of(OutRequest::GetConfig(&core), Req::Confirm { seq });
    }

    // ---- commands from the UI ----

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Open { view, path } => {
                self.views.insert(
                    view,
                    View {
                        path,
                        core: None,
                        prev_core: None,
                        phase: Phase::Opening,
                        queue: VecDeque::new(),
                        back: false,
                        log: Vec::new(),
                        last_scroll: None,
                        last_resize: None,
                        selections: Vec::new(),
                        recovered: false,
                        restart_offer_taken: false,
                        base: Base::default(),
                        exact: true,
                        cj: None,
                        cj_until: None,
                        found: None,
                        save_point: None,
                    },
                );
                self.find_client_journal(view);
                if self.conn.is_some() {
                    self.send_new_view(view, false);
                }
            }
            Command::Edit { view, cmd } => self.for_view(view, Pending::Edit(cmd)),
            Command::Copy { view, cut } => self.for_view(view, Pending::Copy(cut)),
            Command::Save { view, path, force } => {
                self.for_view(view, Pending::Save(path, force));
            }
            Command::Reload { view } => self.for_view(view, Pending::Reload),
            Command::Close { view } => self.for_view(view, Pending::Close),
            Command::SetLanguage { view, language } => {
                self.for_view(view, Pending::Language(language));
            }
            Command::Recover { view, action, into } => match into {
                // Queued on the new view: it is ready after the offered one.
                Some(into) => self.for_view(
                    into,
                    Pending::Recover {
                        action,
                        from: Some(view),
                    },
                ),
                None => self.for_view(view, Pending::Recover { action, from: None }),
            },
            Command::Request { view, id, request } => {
                self.for_view(view, Pending::Request { id, request })
            }
            Command::SetTheme(name) => {
                self.send(&Out::SetTheme(&name));
                self.theme = Some(name);
            }
            Command::Restart | Command::Shutdown => {}
        }
    }

    /// Runs `p` now when the view is ready, else queues it.
    fn for_view(&mut self, view: ViewHandle, p: Pending) {
        let Some(v) = self.views.get_mut(&view) else {
            tracing::debug!("command for unknown view {view:?} dropped");
            return;
        };
        if v.phase == Phase::Ready && self.conn.is_some() && v.queue.is_empty() {
            self.run_pending(view, p);
        } else {
            // Remember the viewport even while queued.
            match &p {
                Pending::Edit(edit @ EditNotification::Scroll(_)) => {
                    v.last_scroll = Some(edit.clone())
                }
                Pending::Edit(edit @ EditNotification::Resize(_)) => {
                    v.last_resize = Some(edit.clone())
                }
                _ => {}
            }
            self.order += 1;
            v.queue.push_back((self.order, p));
            if self.conn.is_none() || v.phase == Phase::Reopening {
                // Only this session has it now: keep it on disk too.
                self.journal_queued(view);
            }
        }
    }

    fn run_pending(&mut self, view: ViewHandle, p: Pending) {
        let Some(core) = self.views.get(&view).and_then(|v| v.core.clone()) else {
            return;
        };
        match p {
            Pending::Edit(cmd) => self.send_edit(view, cmd),
            Pending::Copy(false) => {
                self.send_request_of(OutRequest::CopyCut(&core, false), Req::Copy { view, cut: false })
            }
            Pending::Copy(true) => self.send_cut(view, Req::Copy { view, cut: true }),
            Pending::Save(path, force) => {
                self.send_request_of(OutRequest::GetConfig(&core), Req::SavePoint { view });
                self.send(&Out::Save {
                    view_id: &core,
                    path: &path,
                    force,
                });
                self.save_alerts.insert(view, None);
                self.save_conflicts.remove(&view);
                let seq = self.seq;
                let before = file_stamp(&path);
                self.send_request_of(
                    OutRequest::GetConfig(&core),
                    Req::Saved {
                        view,
                        seq,
                        path,
                        force,
                        before,
                    },
                );
            }
            Pending::Reload => self.send(&Out::Reload(&core)),
            Pending::Language(language) => self.send(&Out::SetLanguage(&core, &language)),
            Pending::Recover { action, from } => {
                use symphony_protocol::xi::RecoverAction;
                let replace = action == RecoverAction::Replace;
                // A journal of this client's own (typing kept while the editor was down)
                // is replayed or dropped here; anything else is the editor's to answer.
                let client_journal = from.is_none()
                    && matches!(action, RecoverAction::Replace | RecoverAction::Trash)
                    && self.answer_client_journal(view, replace).is_some();
                if !client_journal {
                    let out = match from {
                        None => Out::Recover {
                            view_id: &core,
                            action,
                            into: None,
                        },
                        Some(from) => {
                            let Some(from_core) =
                                self.views.get(&from).and_then(|v| v.core.as_deref())
                            else {
                                tracing::warn!("recovery answer for a closed view dropped");
                                return;
                            };
                            Out::Recover {
                                view_id: from_core,
                                action,
                                into: Some(&core),
                            }
                        }
                    };
                    self.send(&out);
                }
            }
            Pending::Request { id, request } => {
                let changes_text = request.changes_text();
                self.send_request(|n| request.to_line(n, &core), Req::Reply { view, id });
                if changes_text {
                    let path = self.views.get(&view).and_then(|v| v.path.clone());
                    self.not_exact(view, path);
                }
            }
            Pending::Close => {
                self.send(&Out::CloseView(&core));
                self.by_core.remove(&core);
                self.views.remove(&view);
            }
        }
    }

    /// Sends everything that waited for the view, in order.
    fn flush(&mut self, view: ViewHandle) {
        while self.conn.is_some() {
            let Some((_, p)) = self.views.get_mut(&view).and_then(|v| v.queue.pop_front()) else {
                return;
            };
            self.run_pending(view, p);
        }
    }

    // ---- messages from the editor ----

    fn message(&mut self, v: Value) {
        match RpcMessage::from_value(v) {
            Ok(RpcMessage::Response { id, result }) => self.response(id, result),
            Ok(RpcMessage::Request { id, method, params }) => self.request(id, &method, params),
            Ok(RpcMessage::Notification { method, params }) => self.notification(method, params),
            Err(e) => tracing::warn!("unreadable message from the editor: {e}"),
        }
    }

    fn response(&mut self, id: u64, result: Result<Value, RpcError>) {
        let Some(req) = self.requests.remove(&id) else {
            tracing::debug!("response to unknown request {id}");
            return;
        };
        match req {
            Req::NewView { view, reopen } => self.view_opened(view, reopen, result),
            Req::Copy { view, cut } => {
                let text = wire::copied_text(result);
                self.emit(SessionEvent::Copied { view, text, cut });
            }
            Req::Confirm { seq } => self.confirmed_up_to(seq),
            Req::Capabilities => {
                self.edit_ack = wire::granted(result).edit_ack;
                tracing::info!(edit_ack = self.edit_ack, "editor capabilities");
            }
            Req::Reopened { view } => {
                if let Some(v) = self.views.get_mut(&view) {
                    v.back = true;
                }
                self.finish_restart();
            }
            Req::SavePoint { view } => {
                if let Some(v) = self.views.get_mut(&view) {
                    v.save_point = Some(v.selections.clone());
                }
            }
            Req::Saved {
                view, seq, path, ..
            } => {
                let alert = self.save_alerts.remove(&view).flatten();
                if let Some((reason, message)) = self.save_conflicts.remove(&view) {
                    // nothing was written: the user decides
                    self.emit(SessionEvent::SaveConflict {
                        view,
                        path,
                        reason,
                        message,
                    });
                    return;
                }
                let result = match alert {
                    Some(msg) => Err(msg),
                    None => Ok(()),
                };
                if result.is_ok() {
                    // Views of one file share its buffer: all of them are saved.
                    let old = self.views.get(&view).and_then(|v| v.path.clone());
                    let mut saved = Vec::new();
                    for (h, v) in self.views.iter_mut() {
                        if *h == view || (old.is_some() && v.path == old) {
                            v.path = Some(path.clone());
                            v.rebase(seq);
                            saved.push(*h);
                        }
                    }
                    for h in saved {
                        self.drop_client_journal(h);
                    }
                }
                self.emit(SessionEvent::Saved { view, result });
            }
            Req::Probe { view, old } => {
                if result.is_ok() {
                    tracing::info!(?view, "the editor kept the view across the reconnect");
                    self.by_core.insert(old.clone(), view);
                    if let Some(v) = self.views.get_mut(&view) {
                        v.core = Some(old);
                        v.phase = Phase::Ready;
                    }
                    self.flush(view);
                    self.maybe_running();
                } else {
                    self.send_new_view(view, true);
                }
            }
            Req::Reply { view, id } => self.emit(SessionEvent::Reply {
                view,
                id,
                result: result.map_err(|e| e.message),
            }),
            Req::Ignore => {}
        }
    }

    fn view_opened(&mut self, view: ViewHandle, reopen: bool, result: Result<Value, RpcError>) {
        match wire::new_view_id(result) {
            Ok(core) => {
                let Some(v) = self.views.get_mut(&view) else {
                    return;
                };
                v.core = Some(core.clone());
                self.by_core.insert(core.clone(), view);
                if reopen {
                    self.emit(SessionEvent::ViewReset { view });
                    self.send_request_of(OutRequest::GetConfig(&core), Req::Reopened { view });
                } else {
                    v.phase = Phase::Ready;
                    self.emit(SessionEvent::Opened {
                        view,
                        result: Ok(()),
                    });
                    self.offer_client_journal(view);
                    self.flush(view);
                }
            }
            Err(msg) => {
                let v = self.views.remove(&view);
                if reopen {
                    let name = v
                        .and_then(|v| v.path)
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "an unnamed buffer".to_owned());
                    self.emit(SessionEvent::Alert(format!(
                        "could not reopen {name}: {msg}"
                    )));
                    self.finish_restart();
                } else {
                    self.emit(SessionEvent::Opened {
                        view,
                        result: Err(msg),
                    });
                }
            }
        }
    }

    fn request(&mut self, id: u64, method: &str, params: Value) {
        self.send_line(wire::answer_line(id, method, &params));
    }
}
