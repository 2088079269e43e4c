//! [`ConductorPort`]: what the client asks of the Conductor. The real one is
//! [`Conductor`]; tests use [`RecordingConductor`] and feed events themselves.

use std::sync::{Arc, Mutex};

use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{Conductor, RunSummary};
use symphony_conductor::events::{ArtifactHit, ConductorEvent, InstrumentStatus, RunId};

/// The Conductor's calls the client makes; none of them waits on a model.
pub trait ConductorPort {
    /// Starts a run of `command` over `context`.
    fn run(&self, command: AiCommand, context: EditorContext) -> RunId;
    /// Cancels a run.
    fn cancel(&self, run: RunId);
    /// Retries a failed node.
    fn retry_node(&self, run: RunId, node: &str);
    /// Answers a pick node's [`Candidates`](symphony_conductor::events::ConductorEvent::Candidates).
    fn choose(&self, run: RunId, node: &str, index: usize);
    /// Asks for the output of a node; it is read off the loop thread (a run of an earlier
    /// session reads it from disk) and arrives as a
    /// [`NodeOutput`](ConductorEvent::NodeOutput) event.
    fn fetch_node_output(&self, run: RunId, node: &str);
    /// Asks for a search of the artifact store; it runs off the loop thread and the hits
    /// arrive as an [`ArtifactHits`](ConductorEvent::ArtifactHits) event with `request`.
    fn fetch_artifacts(&self, query: &str, limit: usize, request: u64);
    /// Asks for an artifact's text; it is read off the loop thread and arrives as an
    /// [`ArtifactText`](ConductorEvent::ArtifactText) event with `request`.
    fn fetch_artifact_text(&self, id: &str, request: u64);
    /// Pins or unpins an artifact.
    fn pin_artifact(&self, id: &str, pinned: bool);
    /// Tags an artifact.
    fn tag_artifact(&self, id: &str, tag: &str);
    /// The pool now.
    fn pool(&self) -> Vec<InstrumentStatus>;
    /// Asks for the stored conversations; they are listed off the loop thread and arrive,
    /// newest first, as a [`Conversations`](ConductorEvent::Conversations) event.
    fn fetch_conversations(&self);
    /// The user workflows from config.toml: name and description.
    fn workflows(&self) -> Vec<(String, Option<String>)> {
        Vec::new()
    }
    /// Loads an instrument's model ahead of its first call (the pool pane's `w`).
    fn prewarm(&self, _instrument: &str) {}
    /// Unloads an instrument's model (the pool pane's `u`).
    fn unload(&self, _instrument: &str) {}
    /// Polls the instruments' loaded models now (the pool pane's `r`).
    fn refresh_pool(&self) {}
    /// Whether a pool pane is on screen (loaded models are polled while it is).
    /// Called after every action: it must be cheap.
    fn watch_pool(&self, _open: bool) {}
    /// The runs of this and earlier sessions (newest first), from their journals as
    /// the Conductor read them at start (memory only: cheap on the loop thread).
    fn recent_runs(&self) -> Vec<RunSummary> {
        Vec::new()
    }
    /// Asks for the text a run read (a candidate's diff preview of a run reloaded from
    /// its journal); it is read off the loop thread and arrives as a
    /// [`RunSource`](symphony_conductor::events::ConductorEvent::RunSource) event.
    fn fetch_run_source(&self, _run: RunId) {}
}

impl ConductorPort for Conductor {
    fn workflows(&self) -> Vec<(String, Option<String>)> {
        Conductor::workflows(self)
    }
    fn run(&self, command: AiCommand, context: EditorContext) -> RunId {
        Conductor::run(self, command, context)
    }
    fn cancel(&self, run: RunId) {
        Conductor::cancel(self, run);
    }
    fn retry_node(&self, run: RunId, node: &str) {
        Conductor::retry_node(self, run, node);
    }
    fn choose(&self, run: RunId, node: &str, index: usize) {
        Conductor::choose(self, run, node, index);
    }
    fn fetch_node_output(&self, run: RunId, node: &str) {
        Conductor::fetch_node_output(self, run, node);
    }
    fn fetch_artifacts(&self, query: &str, limit: usize, request: u64) {
        Conductor::fetch_artifacts(self, query, limit, request);
    }
    fn fetch_artifact_text(&self, id: &str, request: u64) {
        Conductor::fetch_artifact_text(self, id, request);
    }
    fn pin_artifact(&self, id: &str, pinned: bool) {
        Conductor::pin_artifact(self, id, pinned);
    }
    fn tag_artifact(&self, id: &str, tag: &str) {
        Conductor::tag_artifact(self, id, tag);
    }
    fn pool(&self) -> Vec<InstrumentStatus> {
        Conductor::pool(self)
    }
    fn fetch_conversations(&self) {
        Conductor::fetch_conversations(self);
    }
    fn prewarm(&self, instrument: &str) {
        Conductor::prewarm(self, instrument);
    }
    fn unload(&self, instrument: &str) {
        Conductor::unload(self, instrument);
    }
    fn refresh_pool(&self) {
        Conductor::refresh_pool(self);
    }
    fn watch_pool(&self, open: bool) {
        Conductor::watch_pool(self, open);
    }
    fn recent_runs(&self) -> Vec<RunSummary> {
        Conductor::recent_runs(self)
    }
    fn fetch_run_source(&self, run: RunId) {
        Conductor::fetch_run_source(self, run);
    }
}

/// One call made on a [`RecordingConductor`].
#[derive(Debug, Clone, PartialEq)]
pub enum ConductorCall {
    /// `run` (returned the run id).
    Run(AiCommand, Box<EditorContext>, RunId),
    /// `cancel`.
    Cancel(RunId),
    /// `retry_node`.
    Retry(RunId, String),
    /// `fetch_node_output`.
    NodeOutput(RunId, String),
    /// `choose(run, node, index)`.
    Choose(RunId, String, usize),
    /// `fetch_artifacts` (a search).
    Search(String),
    /// `pin_artifact`.
    Pin(String, bool),
    /// `tag_artifact`.
    Tag(String, String),
    /// `prewarm(instrument)`.
    Prewarm(String),
    /// `unload(instrument)`.
    Unload(String),
    /// `refresh_pool`.
    RefreshPool,
    /// `fetch_run_source(run)`.
    FetchRunSource(RunId),
}

/// Canned answers of a [`RecordingConductor`].
#[derive(Debug, Clone, Default)]
pub struct Canned {
    /// What every search returns.
    pub hits: Vec<ArtifactHit>,
    /// Artifact texts by id.
    pub texts: Vec<(String, String)>,
    /// What `fetch_node_output` answers.
    pub node_output: Option<String>,
    /// What `pool` returns.
    pub pool: Vec<InstrumentStatus>,
    /// What `fetch_conversations` answers.
    pub conversations: Vec<ArtifactHit>,
    /// What `workflows` returns.
    pub workflows: Vec<(String, Option<String>)>,
    /// What `recent_runs` returns.
    pub recent_runs: Vec<RunSummary>,
}

/// A Conductor that records calls and answers from [`Canned`] (tests, benches).
#[derive(Debug, Clone, Default)]
pub struct RecordingConductor {
    /// The calls so far (shared: read them after handing the port over).
    pub calls: Arc<Mutex<Vec<ConductorCall>>>,
    /// The answers.
    pub canned: Arc<Mutex<Canned>>,
    /// The last `watch_pool` value (not a call: it comes after every action).
    pub pool_watched: Arc<Mutex<Option<bool>>>,
    /// The answers to `fetch_*` calls not yet delivered, oldest first: a test hands them
    /// to the client when (and in the order) it likes, as the real Conductor's arrive.
    pub answers: Arc<Mutex<Vec<ConductorEvent>>>,
}

impl RecordingConductor {
    /// An empty recorder (runs are numbered from 1).
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&self, call: ConductorCall) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }

    /// The answers queued since the last call, oldest first.
    pub fn take_answers(&self) -> Vec<ConductorEvent> {
        self.answers
            .lock()
            .map(|mut a| std::mem::take(&mut *a))
            .unwrap_or_default()
    }

    fn answer(&self, event: ConductorEvent) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.push(event);
        }
    }

    fn canned<T>(&self, f: impl FnOnce(&Canned) -> T) -> Option<T> {
        self.canned.lock().ok().map(|c| f(&c))
    }
}

impl ConductorPort for RecordingConductor {
    fn workflows(&self) -> Vec<(String, Option<String>)> {
        self.canned(|c| c.workflows.clone()).unwrap_or_default()
    }
    fn recent_runs(&self) -> Vec<RunSummary> {
        self.canned(|c| c.recent_runs.clone()).unwrap_or_default()
    }
    fn run(&self, command: AiCommand, context: EditorContext) -> RunId {
        let n = self
            .calls
            .lock()
            .map(|c| {
                c.iter()
                    .filter(|c| matches!(c, ConductorCall::Run(..)))
                    .count()
            })
            .unwrap_or(0);
        let run = RunId(n as u64 + 1);
        self.push(ConductorCall::Run(command, Box::new(context), run));
        run
    }
    fn cancel(&self, run: RunId) {
        self.push(ConductorCall::Cancel(run));
    }
    fn retry_node(&self, run: RunId, node: &str) {
        self.push(ConductorCall::Retry(run, node.into()));
    }
    fn choose(&self, run: RunId, node: &str, index: usize) {
        self.push(ConductorCall::Choose(run, node.into(), index));
    }
    fn fetch_node_output(&self, run: RunId, node: &str) {
        self.push(ConductorCall::NodeOutput(run, node.into()));
        let text = self
            .canned(|c| c.node_output.as_deref().map(Arc::<str>::from))
            .flatten();
        self.answer(ConductorEvent::NodeOutput {
            run,
            node: node.into(),
            text,
        });
    }
    fn fetch_artifacts(&self, query: &str, _limit: usize, request: u64) {
        self.push(ConductorCall::Search(query.into()));
        let hits = self.canned(|c| c.hits.clone()).unwrap_or_default();
        self.answer(ConductorEvent::ArtifactHits { request, hits });
    }
    fn fetch_artifact_text(&self, id: &str, request: u64) {
        let text = self
            .canned(|c| {
                c.texts
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, t)| Arc::<str>::from(t.as_str()))
            })
            .flatten();
        self.answer(ConductorEvent::ArtifactText {
            request,
            id: id.into(),
            text,
        });
    }
    fn pin_artifact(&self, id: &str, pinned: bool) {
        self.push(ConductorCall::Pin(id.into(), pinned));
    }
    fn tag_artifact(&self, id: &str, tag: &str) {
        self.push(ConductorCall::Tag(id.into(), tag.into()));
    }
    fn pool(&self) -> Vec<InstrumentStatus> {
        self.canned(|c| c.pool.clone()).unwrap_or_default()
    }
    fn fetch_conversations(&self) {
        let list = self.canned(|c| c.conversations.clone()).unwrap_or_default();
        self.answer(ConductorEvent::Conversations(list));
    }
    fn prewarm(&self, instrument: &str) {
        self.push(ConductorCall::Prewarm(instrument.into()));
    }
    fn unload(&self, instrument: &str) {
        self.push(ConductorCall::Unload(instrument.into()));
    }
    fn refresh_pool(&self) {
        self.push(ConductorCall::RefreshPool);
    }
    fn fetch_run_source(&self, run: RunId) {
        self.push(ConductorCall::FetchRunSource(run));
    }
    fn watch_pool(&self, open: bool) {
        if let Ok(mut w) = self.pool_watched.lock() {
            *w = Some(open);
        }
    }
}
