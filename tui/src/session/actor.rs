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
//! selections last seen restored, and the edits not yet confirmed (by the
//! editor's `symphony_ack`, or against an editor without it by the answer to a
//! later `get_config`) sent again. Edits that arrived while the editor was down
//! wait in the view's queue and go out last.
//!
//! The actor's state is here; its work is in the modules: `connection` (start,
//! loss, restart, quit), `commands` (what the UI asks, and the queues),
//! `edit_log` (sending, the edit log and its confirmation), `replies` and
//! `notify` (what the editor says), `replay` (bringing views back after a
//! restart), `rescue` (the client journal). Every line's JSON is in `super::wire`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use symphony_protocol::xi::EditNotification;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

use super::client_journal::{ClientJournal, Found, Start as Base};
use super::transport::{self, Connection, Incoming};
use super::wire::{self, Out, OutRequest};

mod commands;
mod connection;
mod edit_log;
mod notify;
mod replay;
mod replies;
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
}
