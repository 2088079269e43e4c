//! The Conductor in the client: its state as the panes show it, built only
//! from [`ConductorEvent`]s ([`events`]), the AI commands and their editor
//! context ([`commands`]), keys of the Conductor panes ([`keys`]), the AI
//! pickers for workflows and a pick step's candidates ([`picker`]), the
//! chat's highlighted rows ([`highlight`]) and the port to the Conductor
//! itself ([`port`]).
//!
//! Reading the editor context: `symphony.review.snapshot` is asked of the
//! editor for the view the command starts from; the run starts when it
//! answers (or, if the editor does not know the method, from the text in the
//! client's line cache, with a message saying so).

pub mod agents;
pub mod artifact_fetch;
pub mod code_blocks;
pub mod commands;
pub mod events;
pub mod feedback;
pub mod git_commit;
pub mod highlight;
pub mod keys;
pub mod panes;
pub mod picker;
pub mod port;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use symphony_conductor::conductor::{Conductor, ConductorConfig, ConductorError};
use symphony_conductor::events::{
    ArtifactHit, ConductorEvent, InstrumentStatus, NodeInfo, NodeStatus, RunId, RunOutcome,
};
use tokio::sync::mpsc::UnboundedReceiver;

pub use panes::{AiPane, ArtifactsFocus, ArtifactsPane, DagPane, PoolPane};
pub use port::{Canned, ConductorCall, ConductorPort, RecordingConductor};
pub use symphony_conductor::command::CommandKind;

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
    /// Its model call waits to retry (after a 429 or a 5xx).
    pub retry: Option<RetryView>,
}

/// A model call waiting to retry, as the AI and DAG panes show it.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryView {
    /// The attempt about to start (2 for the first retry).
    pub attempt: u32,
    /// All attempts the instrument makes (`max_retries + 1`), when known.
    pub max_attempts: Option<u32>,
    /// The wait before it.
    pub after: Duration,
    /// Why, as the Conductor said it (`HTTP 429: slow down`).
    pub reason: String,
}

impl RetryView {
    /// `retrying in 2.0 s (429 Too Many Requests, attempt 2/4)`.
    pub fn label(&self) -> String {
        let attempt = match self.max_attempts {
            Some(max) => format!("attempt {}/{max}", self.attempt),
            None => format!("attempt {}", self.attempt),
        };
        format!(
            "retrying in {:.1} s ({}, {attempt})",
            self.after.as_secs_f64(),
            short_reason(&self.reason)
        )
    }
}

/// `HTTP 429: Too Many Requests` as `429 Too Many Requests`; a server's own
/// message after the status's name (`503 Service Unavailable: overloaded`),
/// on one line and cut short.
fn short_reason(reason: &str) -> String {
    let first = reason.lines().next().unwrap_or_default().trim();
    let Some(rest) = first.strip_prefix("HTTP ") else {
        return cut(first, 60);
    };
    let (code, message) = rest.split_once(':').unwrap_or((rest, ""));
    let code = code.trim();
    let message = message.trim();
    let name = match code {
        "408" => "Request Timeout",
        "429" => "Too Many Requests",
        "500" => "Internal Server Error",
        "502" => "Bad Gateway",
        "503" => "Service Unavailable",
        "504" => "Gateway Timeout",
        "529" => "Overloaded",
        _ => "",
    };
    let head = if name.is_empty() {
        code.to_owned()
    } else {
        format!("{code} {name}")
    };
    if message.is_empty() || message.eq_ignore_ascii_case(name) {
        head
    } else if name.is_empty() {
        cut(&format!("{code} {message}"), 60)
    } else {
        cut(&format!("{head}: {message}"), 60)
    }
}

/// At most `max` characters, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
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
    /// The user workflow picked (its name): the typed text is its instruction.
    pub workflow: Option<String>,
}

/// A pick node waiting for the user's choice among its candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceView {
    /// The run.
    pub run: RunId,
    /// The pick node.
    pub node: String,
    /// The candidates' texts, in the node's dependency order.
    pub candidates: Vec<String>,
}

/// What an outstanding editor request (by id) was for.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorRequest {
    /// `symphony.review.snapshot` for the pending command.
    Snapshot,
    /// `symphony.review.snapshot` of a test file that receives a run's tests.
    TestFileSnapshot,
    /// `symphony.review.snapshot` of the view an AI pane's code block is applied to.
    CodeBlockSnapshot,
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
    /// `symphony.review.snapshot` for an agent prompt's `@selection`.
    AgentSelection,
    /// `symphony.review.snapshot` of the buffer an agent run's proposal is for.
    AgentProposal {
        /// The run.
        run: RunId,
        /// The proposal, against the text the agent read.
        proposal: Box<symphony_conductor::proposal::Proposal>,
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
    /// Artifact reads asked of the Conductor and not answered yet ([`artifact_fetch`]).
    pub artifact_fetches: artifact_fetch::Fetches,
    /// The view each run read.
    pub run_views: HashMap<RunId, u64>,
    /// Reviews in progress by view.
    pub reviews: BTreeMap<u64, crate::review::Review>,
    /// The last editor view focused (AI commands started from a Conductor pane read it).
    pub last_view: Option<u64>,
    /// Instruments configured.
    pub instruments: usize,
    /// A pick node waiting for the user's choice.
    pub choice: Option<ChoiceView>,
    /// A fixed clock (tests and snapshots); `None`: the real one.
    pub frozen_now: Option<Instant>,
    /// The language of the context each run read (code blocks without a tag).
    pub run_languages: HashMap<RunId, String>,
    /// The text each run read (its selection, else the file): the candidates
    /// picker's diff preview. Runs of this session have it from the start; a
    /// run reloaded from its journal gets it from the Conductor on request.
    pub run_selections: HashMap<RunId, String>,
    /// Runs whose text was asked of the Conductor and has not arrived yet.
    pub source_requests: HashSet<RunId>,
    /// Tool panes waiting for a node's output (they say "Loading…" until it arrives).
    pub output_requests: HashMap<(RunId, String), crate::panes::PaneId>,
    /// The stored conversations were asked for and have not arrived yet.
    pub conversations_loading: bool,
    /// Runs listed from the journal at start (runs of an earlier session): the
    /// client has not got the text they read until it asks for it.
    pub journal_runs: HashSet<RunId>,
    /// The AI pane's drawn rows per message (highlighted code blocks).
    pub chat_rows: highlight::ChatCache,
    /// Runs of the "commit message" command still going.
    pub commit_runs: HashSet<RunId>,
    /// The last commit message a model wrote, until it is committed.
    pub commit_message: Option<String>,
    /// Runs of the "write tests" command still going.
    pub test_runs: HashSet<RunId>,
    /// Test files opened for a run's tests, waiting for their snapshot, by view.
    pub pending_tests: HashMap<u64, crate::review::test_file::PendingTests>,
    /// Views of files a proposal creates, not on disk yet (written on accept).
    pub new_files: HashSet<u64>,
    /// Code blocks of the AI pane being applied, waiting for their view's snapshot.
    pub pending_blocks: HashMap<u64, code_blocks::CodeBlock>,
    /// The agents (ours and external ones) and their runs ([`agents`]).
    pub agents: agents::Agents,
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

/// The workflows the palette lists: config.toml's, then those the Conductor has loaded
/// from Python files (by name and description).
pub fn palette_workflows(
    state: &crate::app::State,
) -> Vec<symphony_conductor::conductor::WorkflowConfig> {
    let mut flows = state.config.conductor.workflows.clone();
    if let Some(port) = &state.conductor.port {
        for (name, description) in port.workflows() {
            if !flows.iter().any(|w| w.name == name) {
                flows.push(symphony_conductor::conductor::WorkflowConfig {
                    name,
                    description,
                    ..Default::default()
                });
            }
        }
    }
    flows
}

/// Installs a started Conductor in the state (and reads its pool and conversations).
pub fn install(state: &mut crate::app::State, port: Box<dyn ConductorPort>) {
    state.conductor.pool = port.pool();
    // Listing the conversations reads the store: the list arrives as an event.
    port.fetch_conversations();
    state.conductor.conversations_loading = true;
    // Earlier sessions' runs, for the DAG pane (a failed or interrupted node
    // there can be retried); runs of this session stay after them. This reads no
    // disk: `Conductor::start` read the run journals (on a blocking thread, see
    // `app/run.rs`), `recent_runs` copies their summaries from memory under two
    // short locks that no journal write holds across its file I/O.
    let now = state.conductor.now();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut runs = events::runs_from_journal(port.recent_runs(), now, now_ms);
    runs.retain(|r| !state.conductor.runs.iter().any(|o| o.id == r.id));
    state.conductor.journal_runs = runs.iter().map(|r| r.id).collect();
    runs.append(&mut state.conductor.runs);
    state.conductor.runs = runs;
    state.conductor.instruments = state.config.conductor.instruments.len();
    state.conductor.port = Some(port);
}

/// Applies an action if it is the Conductor's; false if it is not.
pub fn apply(state: &mut crate::app::State, action: &crate::action::Action) -> bool {
    commands::apply(state, action)
}

pub use events::on_conductor_event;
