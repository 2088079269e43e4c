//! The Conductor in the client: its state as the panes show it, built only
//! from [`ConductorEvent`]s ([`events`]), the AI commands and their editor
//! context ([`commands`]), keys of the Conductor panes ([`keys`]) and the
//! port to the Conductor itself ([`port`]).
//!
//! Reading the editor context: `symphony.review.snapshot` is asked of the
//! editor for the view the command starts from; the run starts when it
//! answers (or, if the editor does not know the method, from the text in the
//! client's line cache, with a message saying so).

pub mod commands;
pub mod events;
pub mod keys;
pub mod panes;
pub mod port;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use symphony_conductor::conductor::{Conductor, ConductorConfig, ConductorError};
use symphony_conductor::events::{
    ArtifactHit, ConductorEvent, InstrumentStatus, NodeInfo, NodeStatus, RunId, RunOutcome,
};
use tokio::sync::mpsc::UnboundedReceiver;

pub use commands::CommandKind;
pub use panes::{AiPane, ArtifactsFocus, ArtifactsPane, DagPane, PoolPane};
pub use port::{Canned, ConductorCall, ConductorPort, RecordingConductor};

use crate::overlays::input::LineInput;

/// Who wrote a chat entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    /// The user (or the command they ran).
    User,
    /// A model's reply.
    Assistant,
    /// Something the Conductor said (a notice, a cancelled run).
    Notice,
    /// A run that failed.
    Error,
}

/// One entry of the AI pane's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatEntry {
    /// Who.
    pub role: ChatRole,
    /// The text (streamed replies grow token by token).
    pub text: String,
    /// The run it belongs to.
    pub run: Option<RunId>,
    /// The model node that streamed it.
    pub node: Option<String>,
}

/// A node of a run as the DAG pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    /// What the run announced.
    pub info: NodeInfo,
    /// Its state.
    pub status: NodeStatus,
    /// Depth in the tree (longest path from a root).
    pub depth: usize,
    /// Tokens per second while it runs.
    pub tokens_per_second: Option<f64>,
    /// Bytes streamed so far.
    pub streamed: usize,
    /// Artifacts it stored.
    pub artifacts: Vec<ArtifactHit>,
}

/// A run as the DAG pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// The run.
    pub id: RunId,
    /// What the user ran.
    pub title: String,
    /// Its nodes in topological order.
    pub nodes: Vec<NodeView>,
    /// When it started.
    pub started: Instant,
    /// When it finished.
    pub finished: Option<Instant>,
    /// How it ended.
    pub outcome: Option<RunOutcome>,
}

impl RunView {
    /// (finished nodes, all nodes).
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .nodes
            .iter()
            .filter(|n| !matches!(n.status, NodeStatus::Pending | NodeStatus::Running { .. }))
            .count();
        (done, self.nodes.len())
    }

    /// Time from start to the end (or to `now` while running).
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.finished
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }

    /// Still running.
    pub fn running(&self) -> bool {
        self.outcome.is_none()
    }
}

/// A command waiting for its context (the snapshot) or its instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCommand {
    /// Which command.
    pub kind: CommandKind,
    /// The view it reads.
    pub view: Option<u64>,
    /// The context, once the editor answered.
    pub context: Option<symphony_conductor::command::EditorContext>,
    /// The typed instruction / message (`Some("")` when none is needed).
    pub instruction: Option<String>,
}

/// What an outstanding editor request (by id) was for.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorRequest {
    /// `symphony.review.snapshot` for the pending command.
    Snapshot,
    /// `symphony.review.rebase` of a view's review; the hunk indexes sent, in order.
    Rebase {
        /// The view.
        view: u64,
        /// Indexes of the hunks sent.
        hunks: Vec<usize>,
    },
    /// `symphony.review.apply` of these hunks.
    Apply {
        /// The view.
        view: u64,
        /// Indexes of the hunks applied.
        hunks: Vec<usize>,
    },
}

/// The Conductor as the client sees it. Rendering only reads it.
#[derive(Default)]
pub struct ConductorState {
    /// The Conductor (`None` in tests that only feed events, or when it failed to start).
    pub port: Option<Box<dyn ConductorPort>>,
    /// Runs, oldest first.
    pub runs: Vec<RunView>,
    /// The AI pane's history.
    pub chat: Vec<ChatEntry>,
    /// The AI pane's prompt line.
    pub prompt: LineInput,
    /// The command waiting for its context or instruction.
    pub pending: Option<PendingCommand>,
    /// The conversation the next chat message continues.
    pub conversation: Option<String>,
    /// Stored conversations (for reopening), newest first.
    pub conversations: Vec<ArtifactHit>,
    /// The pool as last reported.
    pub pool: Vec<InstrumentStatus>,
    /// Outstanding editor requests by id.
    pub requests: HashMap<u64, EditorRequest>,
    /// The view each run read.
    pub run_views: HashMap<RunId, u64>,
    /// Reviews in progress by view.
    pub reviews: BTreeMap<u64, crate::review::Review>,
    /// The last editor view focused (AI commands started from a Conductor pane read it).
    pub last_view: Option<u64>,
    /// Instruments configured.
    pub instruments: usize,
    /// A pick node waiting for the user's choice: (run, node, candidates).
    pub choice: Option<(RunId, String, usize)>,
    /// A fixed clock (tests and snapshots); `None`: the real one.
    pub frozen_now: Option<Instant>,
}

impl std::fmt::Debug for ConductorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConductorState")
            .field("runs", &self.runs.len())
            .field("chat", &self.chat.len())
            .field("reviews", &self.reviews.len())
            .finish_non_exhaustive()
    }
}

impl ConductorState {
    /// Now (the frozen clock in tests).
    pub fn now(&self) -> Instant {
        self.frozen_now.unwrap_or_else(Instant::now)
    }

    /// A run by id.
    pub fn run(&self, id: RunId) -> Option<&RunView> {
        self.runs.iter().find(|r| r.id == id)
    }

    /// A run by id, mutably.
    pub fn run_mut(&mut self, id: RunId) -> Option<&mut RunView> {
        self.runs.iter_mut().find(|r| r.id == id)
    }

    /// The latest run still running.
    pub fn latest_running(&self) -> Option<RunId> {
        self.runs.iter().rev().find(|r| r.running()).map(|r| r.id)
    }

    /// What the next AI command reads, for the line above the prompt.
    pub fn context_label(&self) -> Option<String> {
        let p = self.pending.as_ref()?;
        let ctx = p.context.as_ref();
        let file = ctx
            .and_then(|c| c.path.as_ref())
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "[new]".into());
        Some(match ctx.and_then(|c| c.selection.as_ref()) {
            Some(sel) => {
                let lines = sel.text.lines().count().max(1);
                format!(
                    "{file}: selection, lines {}-{}",
                    sel.first_line + 1,
                    sel.first_line + lines
                )
            }
            None if ctx.is_some() => format!("{file}: whole file"),
            None => format!("{file}: reading..."),
        })
    }
}

/// `$XDG_DATA_HOME/symphony/artifacts` (or `~/.local/share/...`).
pub fn artifacts_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME") {
        Some(v) if !v.is_empty() && std::path::Path::new(&v).is_absolute() => PathBuf::from(v),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".local/share"),
    };
    Some(base.join("symphony").join("artifacts"))
}

/// Starts the Conductor (inside the tokio runtime) with the configured
/// instruments and the artifact store under [`artifacts_dir`].
pub fn start(
    config: &ConductorConfig,
) -> Result<(Conductor, UnboundedReceiver<ConductorEvent>), ConductorError> {
    let mut config = config.clone();
    if let Some(dir) = artifacts_dir() {
        config.store_dir = dir;
    }
    Conductor::start(config)
}

/// Installs a started Conductor in the state (and reads its pool and conversations).
pub fn install(state: &mut crate::app::State, port: Box<dyn ConductorPort>) {
    state.conductor.pool = port.pool();
    state.conductor.conversations = port.conversations();
    state.conductor.instruments = state.config.conductor.instruments.len();
    state.conductor.port = Some(port);
}

/// Applies an action if it is the Conductor's; false if it is not.
pub fn apply(state: &mut crate::app::State, action: &crate::action::Action) -> bool {
    commands::apply(state, action)
}

pub use events::on_conductor_event;
