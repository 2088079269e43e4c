//! What the Conductor tells the panes. The terminal client renders these; it never
//! reaches into the Conductor's state (so the Conductor can later move to its own process).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::proposal::Proposal;

/// One run of an AI command (a workflow). Unique within a Conductor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunId(pub u64);

/// The state of a node, as panes show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeStatus {
    /// Waiting for its inputs.
    Pending,
    /// Running (attempt number from 1).
    Running {
        /// Attempt number.
        attempt: u32,
    },
    /// Finished.
    Done,
    /// Failed, with the reason shown to the user.
    Failed(String),
    /// Cancelled by the user.
    Cancelled,
    /// Skipped (an upstream node failed).
    Skipped,
    /// It was running when Symphony stopped (found unfinished in the run's journal after a
    /// restart). Not a failure of its own: it can be retried like a failed node.
    Interrupted,
}

/// A node of a run, as shown in the DAG pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Node id within the workflow.
    pub id: String,
    /// Node kind ("context", "prompt", "model", "extract", "shell", "diff", "pick"...).
    pub kind: String,
    /// Ids of the nodes it depends on.
    pub depends_on: Vec<String>,
    /// The instrument, for model nodes.
    pub instrument: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunOutcome {
    /// Every node finished.
    Succeeded,
    /// A node failed; the message says which and why.
    Failed(String),
    /// The user cancelled.
    Cancelled,
    /// Symphony stopped before the run finished (found unfinished in its journal after a
    /// restart); its interrupted nodes can be retried.
    Interrupted,
}

/// An instrument as the pool pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstrumentStatus {
    /// Configured name.
    pub name: String,
    /// Backend kind ("openai", "ollama", "anthropic", "command", "extension").
    pub kind: String,
    /// The model.
    pub model: String,
    /// "Cold", "Warming", "Hot", "Cooling" or "Failed".
    pub state: String,
    /// Slots in use.
    pub slots_used: usize,
    /// Slot limit (max concurrency).
    pub slots_limit: usize,
    /// Calls waiting for a slot.
    pub queued: usize,
    /// Median call latency.
    pub p50_latency: Option<Duration>,
    /// Median time to first token.
    pub time_to_first_token: Option<Duration>,
    /// Recent tokens/s samples, oldest first (for a sparkline).
    pub tokens_per_second: Vec<f64>,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// What the backend has loaded (for instruments that report it, e.g. Ollama's
    /// `/api/ps`); `None` for the others.
    #[serde(default)]
    pub residency: Option<Residency>,
}

/// The models a backend has loaded in memory, as the pool pane shows them under
/// their instrument.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Residency {
    /// The backend answered at least once (before that the pane says "checking").
    pub checked: bool,
    /// The loaded models, as the backend lists them.
    pub models: Vec<ResidentModel>,
}

/// One loaded model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentModel {
    /// `name:tag`.
    pub name: String,
    /// Bytes in memory.
    pub size: u64,
    /// Bytes of it in GPU memory.
    pub size_vram: u64,
    /// Time left before the backend unloads it (as of this report); `None` when unknown.
    pub expires_in: Option<Duration>,
    /// It is the instrument's configured model.
    pub configured: bool,
}

/// An artifact as search results show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactHit {
    /// The artifact id (hex).
    pub id: String,
    /// Its kind ("prompt", "response", "diff", "log", "conversation").
    pub kind: String,
    /// A title (command and node).
    pub title: String,
    /// A snippet around the match.
    pub snippet: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Pinned against retention.
    pub pinned: bool,
    /// The run it came from, if any.
    pub run: Option<RunId>,
}

/// Everything the Conductor reports, in order per run.
#[derive(Debug, Clone, PartialEq)]
pub enum ConductorEvent {
    /// A run started.
    RunStarted {
        /// The run.
        run: RunId,
        /// What the user ran, for the title ("refactor: extract a helper").
        title: String,
        /// Its nodes in topological order.
        nodes: Vec<NodeInfo>,
    },
    /// A node changed state.
    Node {
        /// The run.
        run: RunId,
        /// The node id.
        node: String,
        /// The new state.
        status: NodeStatus,
    },
    /// A node joined a running run (a Python workflow's `ctx` call); it depends on the
    /// nodes named in its info.
    NodeAdded {
        /// The run.
        run: RunId,
        /// The new node.
        node: NodeInfo,
    },
    /// Text streamed by a model node.
    Token {
        /// The run.
        run: RunId,
        /// The model node.
        node: String,
        /// The text that arrived.
        text: String,
    },
    /// Throughput of a running model node.
    Throughput {
        /// The run.
        run: RunId,
        /// The model node.
        node: String,
        /// Tokens per second so far.
        tokens_per_second: f64,
    },
    /// A model node's call is retried after a 429 or a 5xx (forwarded from
    /// `InstrumentEvent::Retrying`): the panes show the wait, why, and the attempt.
    Retrying {
        /// The run.
        run: RunId,
        /// The model node.
        node: String,
        /// The instrument called.
        instrument: String,
        /// The attempt about to start (2 for the first retry).
        attempt: u32,
        /// How long the call waits first.
        after: Duration,
        /// Why (`HTTP 429: <the server's message>`).
        reason: String,
    },
    /// A node stored an artifact.
    Artifact {
        /// The run.
        run: RunId,
        /// The node.
        node: String,
        /// What was stored.
        hit: ArtifactHit,
    },
    /// The run produced an edit proposal to review.
    Proposal {
        /// The run.
        run: RunId,
        /// The proposal.
        proposal: Proposal,
    },
    /// The run finished.
    RunFinished {
        /// The run.
        run: RunId,
        /// How.
        outcome: RunOutcome,
        /// The final text answer (explain, chat, commit message), if the workflow has one.
        answer: Option<String>,
    },
    /// A `pick` node without a check command waits for the user's choice among these
    /// candidates: answer with `Conductor::choose(run, node, index)`.
    Candidates {
        /// The run.
        run: RunId,
        /// The pick node.
        node: String,
        /// The candidates' texts, in the node's dependency order.
        candidates: Vec<String>,
    },
    /// The answer to `Conductor::fetch_artifacts(query, limit, request)`: the search ran
    /// off the caller's thread; `request` is the caller's number (a newer one wins).
    ArtifactHits {
        /// The caller's request number.
        request: u64,
        /// The hits, best first.
        hits: Vec<ArtifactHit>,
    },
    /// The answer to `Conductor::fetch_artifact_text(id, request)`, read off the caller's
    /// thread; `None` when the store has no text for `id`.
    ArtifactText {
        /// The caller's request number.
        request: u64,
        /// The artifact.
        id: String,
        /// Its text, shared (it may be large).
        text: Option<std::sync::Arc<str>>,
    },
    /// The text a run read (its selection, else the whole file), asked for with
    /// `Conductor::fetch_run_source`: read off the caller's thread, from memory or from the
    /// journal's content-addressed store; `Err` says why it cannot be had (e.g. deleted).
    RunSource {
        /// The run.
        run: RunId,
        /// The text, shared (it may be large).
        text: Result<std::sync::Arc<str>, String>,
    },
    /// The answer to `Conductor::fetch_node_output(run, node)`, read off the caller's
    /// thread (a run of an earlier session reads its stored output from disk); `None`
    /// when the node has no output yet.
    NodeOutput {
        /// The run.
        run: RunId,
        /// The node.
        node: String,
        /// Its output, shared (it may be large).
        text: Option<std::sync::Arc<str>>,
    },
    /// The answer to `Conductor::fetch_conversations()`: the stored conversations, newest
    /// first, listed off the caller's thread.
    Conversations(Vec<ArtifactHit>),
    /// The pool changed (state, slots, latency).
    Pool(Vec<InstrumentStatus>),
    /// Something the user should read (not an error of a run: e.g. "no instrument
    /// configured; found Ollama on 127.0.0.1:11434").
    Notice(String),
}
