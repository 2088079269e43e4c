//! [`AgentRunner`]: Symphony's own agent ([`Agent`]) as an [`AgentHost`]. Each prompt
//! is a run whose [`ConductorEvent`]s (through [`AgentBridge`]) go to the sink the
//! panes read: a node per model turn and per tool call, the model's text streamed,
//! permission asks as pick nodes answered by [`AgentHost::choose`], `ask_user` as
//! question nodes answered by [`AgentHost::answer`], each edit as a proposal. The
//! conversation is kept between prompts (a follow-up sees the history) until
//! [`AgentHost::new_conversation`].
//!
//! ```toml
//! default_instrument = "local"   # the instrument agent runs use (the first one when unset)
//! [agent]
//! max_turns = 25
//! [agent.permissions]
//! run_command = "ask"
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::accounting::{Price, RunTotals};
use super::bridge::AgentBridge;
use super::changes::{ChangeSet, FileChange};
use super::host::{AgentHost, AgentPrompt, HostKind};
use super::permissions::{Decision, RememberedGrants};
use super::questions::{Ask, RunUi};
use super::records::{RunRecord, next_run_id};
use super::run::{Agent, AgentEvent, AgentJournal, AgentNode, AgentSettings, AgentUi};
use super::tools::{ToolRegistry, Workspace};
use super::undo::UndoFile;
use crate::acp::fs::{BufferText, Files};
use crate::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use crate::instrument::{CancellationToken, Instrument, InstrumentConfig};

/// Symphony's agent run ids start here, apart from the Conductor's and ACP's.
pub const FIRST_RUN_ID: u64 = 1 << 41;

/// What the runner needs: the instruments (as `[[instruments]]`) and which one to use,
/// the `[agent]` section, and where to keep grants and journals.
#[derive(Debug, Clone, Default)]
pub struct AgentRunnerSettings {
    /// `[[instruments]]` of config.toml.
    pub instruments: Vec<InstrumentConfig>,
    /// The instrument agent runs use, by name (`default_instrument`; the first when
    /// `None`, as for the built-in AI commands).
    pub instrument: Option<String>,
    /// `[agent]`: turns, budget, permissions, command environment.
    pub agent: AgentSettings,
    /// The remembered "always allow" answers (`None`: not remembered across runs).
    pub grants_file: Option<PathBuf>,
    /// Where run journals are kept (`None`: runs are not journaled, nor resumable).
    pub journal_dir: Option<PathBuf>,
    /// Where every prompt, response, tool call and result is stored (the Conductor's
    /// [`run_artifacts`](crate::conductor::Conductor::run_artifacts); `None`: not stored).
    pub artifacts: Option<crate::conductor::RunArtifacts>,
    /// Price per million tokens, by instrument name (the run's summary shows the cost).
    pub prices: std::collections::BTreeMap<String, Price>,
    /// The `[[mcp_servers]]`, started: their tools are offered next to the built-ins,
    /// and [`AgentHost::shutdown`] stops them.
    pub mcp: Option<Arc<crate::mcp::McpHub>>,
}

impl std::fmt::Debug for crate::mcp::McpHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHub")
            .field("servers", &self.servers().len())
            .finish()
    }
}

impl AgentRunnerSettings {
    /// The settings from the Conductor's configuration (its instruments and
    /// `default_instrument`) and the `[agent]` section.
    pub fn from_conductor(
        config: &crate::conductor::ConductorConfig,
        agent: AgentSettings,
    ) -> Self {
        Self {
            instruments: config.instruments.clone(),
            instrument: config.default_instrument.clone(),
            agent,
            grants_file: RememberedGrants::default_path(),
            journal_dir: Some(config.store_dir.join("agent").join("runs")),
            artifacts: None,
            prices: Default::default(),
            mcp: None,
        }
    }

    /// The instrument's configuration, or why there is none.
    pub fn instrument_config(&self) -> Result<&InstrumentConfig, String> {
        match &self.instrument {
            Some(name) => self
                .instruments
                .iter()
                .find(|i| &i.name == name)
                .ok_or_else(|| format!("the agent's instrument \"{name}\" is not configured")),
            None => self.instruments.first().ok_or_else(|| {
                "no instrument is configured: add an [[instruments]] entry to config.toml to run the agent"
                    .to_owned()
            }),
        }
    }
}

/// A run in progress: how to cancel it and the questions it waits on, by node.
#[derive(Default)]
struct Live {
    cancel: CancellationToken,
    picks: HashMap<String, oneshot::Sender<Decision>>,
    questions: HashMap<String, oneshot::Sender<Option<String>>>,
}

/// A finished or running run's nodes, as the client may look them up.
#[derive(Debug, Clone, Default)]
struct Seen {
    nodes: Vec<AgentNode>,
}

/// The current conversation and the journal it appends to.
struct Conversation {
    agent: Agent,
    journal: Option<PathBuf>,
}

/// What a run starts from: a new task, or the journal of an interrupted run.
enum Start {
    Task(String),
    Resume(RunRecord),
}

struct Inner {
    settings: AgentRunnerSettings,
    workspace: PathBuf,
    buffers: BufferText,
    sink: mpsc::UnboundedSender<ConductorEvent>,
    instrument: Result<Arc<dyn Instrument>, String>,
    grants: Option<Arc<Mutex<RememberedGrants>>>,
    ui: Arc<RunUi>,
    conversation: tokio::sync::Mutex<Option<Conversation>>,
    reset: AtomicBool,
    /// The context window the server reported (asked once).
    window: tokio::sync::OnceCell<Option<u64>>,
    live: Mutex<HashMap<RunId, Live>>,
    seen: Mutex<HashMap<RunId, Seen>>,
    /// Each ended run's changes (before the run, what it proposed).
    undo: Mutex<HashMap<RunId, Vec<FileChange>>>,
    next: AtomicU64,
}

/// Symphony's own agent in one workspace (cheap to clone).
#[derive(Clone)]
pub struct AgentRunner {
    inner: Arc<Inner>,
}

impl AgentRunner {
    /// A runner for `workspace`; open files are read through `buffers`; events go to
    /// `sink`. The instrument is built now; one that cannot be built (or none
    /// configured) makes every run end at once with the reason.
    pub fn new(
        settings: AgentRunnerSettings,
        workspace: &Path,
        buffers: BufferText,
        sink: mpsc::UnboundedSender<ConductorEvent>,
    ) -> AgentRunner {
        let instrument = settings.instrument_config().and_then(|c| {
            crate::backends::build(c).map_err(|e| format!("instrument {}: {e}", c.name))
        });
        Self::with_instrument(settings, workspace, buffers, sink, instrument)
    }

    /// Like [`AgentRunner::new`] with an instrument built by the caller (the
    /// Conductor's pool, or a test's).
    pub fn with_instrument(
        settings: AgentRunnerSettings,
        workspace: &Path,
        buffers: BufferText,
        sink: mpsc::UnboundedSender<ConductorEvent>,
        instrument: Result<Arc<dyn Instrument>, String>,
    ) -> AgentRunner {
        let grants = settings
            .grants_file
            .as_ref()
            .and_then(|p| match RememberedGrants::load(p) {
                Ok(g) => Some(Arc::new(Mutex::new(g))),
                Err(e) => {
                    let _ = sink.send(ConductorEvent::Notice(format!(
                        "the agent's remembered permissions cannot be read ({e}); it asks again"
                    )));
                    None
                }
            });
        let next = settings
            .journal_dir
            .as_deref()
            .map_or(FIRST_RUN_ID, |d| next_run_id(d, FIRST_RUN_ID));
        let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_owned());
        AgentRunner {
            inner: Arc::new(Inner {
                settings,
                workspace,
                buffers,
                sink,
                instrument,
                grants,
                ui: Arc::default(),
                conversation: tokio::sync::Mutex::new(None),
                reset: AtomicBool::new(false),
                window: tokio::sync::OnceCell::new(),
                live: Mutex::default(),
                seen: Mutex::default(),
                undo: Mutex::default(),
                next: AtomicU64::new(next),
            }),
        }
    }

    /// The nodes of `run` so far, with their full input and output (what Enter on a
    /// node shows; [`super::bridge::node_label`] gives the one-line stats).
    pub fn nodes(&self, run: RunId) -> Vec<AgentNode> {
        self.inner
            .seen
            .lock()
            .get(&run)
            .map(|r| r.nodes.clone())
            .unwrap_or_default()
    }

    /// Node `node` (its DAG id, as in the Conductor events) of `run`.
    pub fn node(&self, run: RunId, node: &str) -> Option<AgentNode> {
        self.nodes(run)
            .into_iter()
            .find(|n| super::bridge::node_id(n) == node)
    }

    /// What Enter on a node shows: its one-line stats (tokens in/out, time to first
    /// token, tokens/s; duration and result size), its full input and its output.
    pub fn node_details(&self, run: RunId, node: &str) -> Option<String> {
        let n = self.node(run, node)?;
        Some(format!(
            "{node}\n{}\n\n--- input ---\n{}\n\n--- output ---\n{}",
            super::bridge::node_label(&n),
            n.input,
            n.output
        ))
    }

    /// "Undo this run": for each file `run` changed, the text to restore (the run's
    /// hunks turned back, the user's later edits kept, hunks both touched listed as
    /// conflicts). Empty while the run goes on or when it changed nothing (also for
    /// runs of earlier sessions, read from their record).
    pub fn undo_plan(&self, run: RunId) -> Vec<UndoFile> {
        let changes = self.inner.undo.lock().get(&run).cloned().or_else(|| {
            let dir = self.inner.settings.journal_dir.as_ref()?;
            RunRecord::load(dir, run).ok().map(|r| r.changes)
        });
        changes
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                let now = self.inner.text_now(&c.path);
                super::undo::plan(&self.inner.workspace, c, now.as_deref())
            })
            .collect()
    }

    /// Whether `run` is still going.
    pub fn is_running(&self, run: RunId) -> bool {
        self.inner.live.lock().contains_key(&run)
    }

    fn start(&self, text: String) -> RunId {
        let run = RunId(self.inner.next.fetch_add(1, Ordering::Relaxed));
        self.inner.live.lock().insert(run, Live::default());
        let inner = self.inner.clone();
        tokio::spawn(async move { inner.run(run, Start::Task(text)).await });
        run
    }

    /// The runs of earlier sessions that did not finish (the process died during them),
    /// oldest first, with their titles.
    pub fn interrupted(&self) -> Vec<(RunId, String)> {
        let Some(dir) = &self.inner.settings.journal_dir else {
            return Vec::new();
        };
        let live = self.inner.live.lock();
        RunRecord::all(dir)
            .into_iter()
            .filter(|r| r.outcome.is_none() && !live.contains_key(&RunId(r.run)))
            .map(|r| (RunId(r.run), r.title))
            .collect()
    }

    /// Shows the interrupted runs of earlier sessions in the panes: each run with its
    /// nodes as journaled, ended `Interrupted` (resume continues one).
    pub fn announce_interrupted(&self) {
        let Some(dir) = self.inner.settings.journal_dir.clone() else {
            return;
        };
        for (run, _) in self.interrupted() {
            let Ok(record) = RunRecord::load(&dir, run) else {
                continue;
            };
            let nodes = AgentJournal::read(&record.conversation)
                .map(|j| j.nodes)
                .unwrap_or_default();
            let nodes = nodes.get(record.first_node..).unwrap_or_default();
            let name = self.inner.instrument_name();
            let files = Files::new(&self.inner.workspace, self.inner.buffers.clone());
            let mut bridge = AgentBridge::new(run, &name, files, Arc::default());
            let mut events = bridge.start(&record.title);
            events.extend(bridge.replay(nodes));
            events.push(ConductorEvent::RunFinished {
                run,
                outcome: RunOutcome::Interrupted,
                answer: None,
            });
            self.inner.seen.lock().insert(
                run,
                Seen {
                    nodes: nodes.to_vec(),
                },
            );
            self.inner.send(events);
        }
    }
}

impl Inner {
    fn send(&self, events: Vec<ConductorEvent>) {
        for e in events {
            let _ = self.sink.send(e);
        }
    }

    /// The model's context window: `[agent] context_window`, else what the server
    /// reports (OpenAI-compatible `/v1/models`, Ollama `/api/show`), else unknown.
    async fn context_window(&self) -> Option<u64> {
        if let Some(w) = self.settings.agent.context_window {
            return Some(w);
        }
        *self
            .window
            .get_or_init(|| async {
                let cfg = self.settings.instrument_config().ok()?;
                let window = super::context::ask_window(cfg).await;
                tracing::info!(instrument = %cfg.name, ?window, "agent context window");
                window
            })
            .await
    }

    fn instrument_name(&self) -> String {
        match &self.instrument {
            Ok(i) => i.name().to_owned(),
            Err(_) => "agent".into(),
        }
    }

    async fn run(self: Arc<Self>, run: RunId, start: Start) {
        let title: String = match &start {
            Start::Task(task) => task.lines().next().unwrap_or("").chars().take(60).collect(),
            Start::Resume(record) => record.title.clone(),
        };
        let cancel = match self.live.lock().get(&run) {
            Some(l) => l.cancel.clone(),
            None => return,
        };
        let mut conversation = self.conversation.lock().await;
        if self.reset.swap(false, Ordering::Relaxed) {
            *conversation = None;
        }
        let instrument = match &self.instrument {
            Ok(i) => i.clone(),
            Err(e) => {
                self.fail(run, &title, e.clone());
                return;
            }
        };
        let record = match &start {
            Start::Resume(record) => {
                // The interrupted run's conversation becomes the current one.
                let window = self.context_window().await;
                match self.restored(instrument.clone(), window, &record.conversation) {
                    Ok(c) => *conversation = Some(c),
                    Err(e) => {
                        self.fail(run, &title, e);
                        return;
                    }
                }
                record.clone()
            }
            Start::Task(_) => {
                if conversation.is_none() {
                    let window = self.context_window().await;
                    match self.conversation_for(run, instrument.clone(), window) {
                        Ok(c) => *conversation = Some(c),
                        Err(e) => {
                            self.fail(run, &title, e);
                            return;
                        }
                    }
                }
                let Some(c) = conversation.as_ref() else {
                    return;
                };
                RunRecord {
                    run: run.0,
                    title: title.clone(),
                    conversation: c.journal.clone().unwrap_or_default(),
                    first_node: c.agent.nodes().len(),
                    outcome: None,
                    totals: RunTotals::default(),
                    changes: Vec::new(),
                }
            }
        };
        let Some(Conversation { agent, journal }) = conversation.as_mut() else {
            return;
        };
        let journaled = journal.is_some();
        self.save_record(&record, journaled);
        let files = Files::new(&self.workspace, self.buffers.clone());
        let mut bridge = AgentBridge::new(run, instrument.name(), files, agent.changes_handle());
        let mut first = bridge.start(&title);
        if matches!(start, Start::Resume(_)) {
            let done = agent.nodes().get(record.first_node..).unwrap_or_default();
            for n in done {
                self.record(run, n, record.first_node);
            }
            first.extend(bridge.replay(done));
            first.extend(bridge.all_proposals());
        }
        self.send(first);
        let prior = self.texts_now(&agent.changes());
        let (events_tx, events_rx) = mpsc::channel(256);
        let (asks_tx, asks_rx) = mpsc::unbounded_channel();
        *self.ui.current.lock() = Some(asks_tx);
        let instrument_name = instrument.name().to_owned();
        let (outcome, stored) = match start {
            Start::Task(task) => {
                tokio::join!(
                    agent.send(&task, events_tx, cancel),
                    self.pump(
                        run,
                        &mut bridge,
                        (events_rx, asks_rx),
                        record.first_node,
                        &instrument_name
                    )
                )
            }
            Start::Resume(_) => {
                tokio::join!(
                    agent.resume(events_tx, cancel),
                    self.pump(
                        run,
                        &mut bridge,
                        (events_rx, asks_rx),
                        record.first_node,
                        &instrument_name
                    )
                )
            }
        };
        if let Some(artifacts) = self.settings.artifacts.clone() {
            for h in stored {
                let _ = h.await;
            }
            let _ = tokio::task::spawn_blocking(move || artifacts.commit()).await;
        }
        *self.ui.current.lock() = None;
        let price = self.settings.prices.get(instrument.name()).copied();
        let totals = RunTotals::of(
            agent.nodes().get(record.first_node..).unwrap_or_default(),
            price,
        );
        self.send(vec![ConductorEvent::Notice(format!(
            "agent run #{}: {}",
            run.0,
            totals.line()
        ))]);
        let changes = super::undo::run_changes(&prior, &agent.changes());
        self.undo.lock().insert(run, changes.clone());
        self.save_record(
            &RunRecord {
                outcome: Some(outcome.message()),
                totals,
                changes,
                ..record
            },
            journaled,
        );
        self.live.lock().remove(&run);
    }

    /// The text now (buffer, else disk) of each file in `changes`, as it was before
    /// the run started.
    fn texts_now(&self, changes: &ChangeSet) -> super::undo::Prior {
        changes
            .files()
            .map(|c| (c.path.clone(), (self.text_now(&c.path), c.after.clone())))
            .collect()
    }

    /// A workspace file's text as the user sees it (buffer, else disk).
    fn text_now(&self, rel: &Path) -> Option<String> {
        let abs = self.workspace.join(rel);
        (self.buffers)(&abs).or_else(|| std::fs::read_to_string(&abs).ok())
    }

    fn save_record(&self, record: &RunRecord, journaled: bool) {
        let Some(dir) = &self.settings.journal_dir else {
            return;
        };
        if !journaled {
            return;
        }
        if let Err(e) = record.save(dir) {
            tracing::warn!(error = %e, run = record.run, "cannot record the agent run");
        }
    }

    /// The conversation of an interrupted run, read back from its journal.
    fn restored(
        &self,
        instrument: Arc<dyn Instrument>,
        window: Option<u64>,
        journal: &Path,
    ) -> Result<Conversation, String> {
        let agent = self
            .agent(instrument, window)
            .restore(journal.to_owned())
            .map_err(|e| format!("cannot continue the run: {e}"))?;
        Ok(Conversation {
            agent,
            journal: Some(journal.to_owned()),
        })
    }

    /// Forwards the loop's events and questions to the sink until the loop ends. Events
    /// go first, so a question's node comes after the call it is about.
    /// Returns the tasks storing the nodes' artifacts.
    async fn pump(
        &self,
        run: RunId,
        bridge: &mut AgentBridge,
        (mut events, mut asks): (mpsc::Receiver<AgentEvent>, mpsc::UnboundedReceiver<Ask>),
        first_node: usize,
        instrument: &str,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let mut stored = Vec::new();
        loop {
            tokio::select! {
                biased;
                ev = events.recv() => match ev {
                    Some(ev) => {
                        if let AgentEvent::Node(n) = &ev {
                            self.record(run, n, first_node);
                            stored.extend(self.store(run, n, instrument));
                        }
                        self.send(bridge.event(&ev));
                    }
                    None => break,
                },
                Some(ask) = asks.recv() => self.ask(run, bridge, ask),
            }
        }
        stored
    }

    /// Stores a finished node's artifacts off the async threads; the panes hear of
    /// each one.
    fn store(
        &self,
        run: RunId,
        n: &AgentNode,
        instrument: &str,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let artifacts = self.settings.artifacts.clone()?;
        if n.status == super::run::NodeStatus::Running {
            return None;
        }
        let (n, instrument, sink) = (n.clone(), instrument.to_owned(), self.sink.clone());
        Some(tokio::task::spawn_blocking(move || {
            let node = super::bridge::node_id(&n);
            for hit in super::accounting::store_node(&artifacts, run, &node, &n, &instrument) {
                let _ = sink.send(ConductorEvent::Artifact {
                    run,
                    node: node.clone(),
                    hit,
                });
            }
        }))
    }

    fn record(&self, run: RunId, node: &AgentNode, first_node: usize) {
        let mut seen = self.seen.lock();
        let nodes = &mut seen.entry(run).or_default().nodes;
        let at = node.id.saturating_sub(first_node);
        if let Some(n) = nodes.get_mut(at) {
            *n = node.clone();
        } else {
            nodes.push(node.clone());
        }
    }

    fn ask(&self, run: RunId, bridge: &mut AgentBridge, ask: Ask) {
        let mut live = self.live.lock();
        let Some(l) = live.get_mut(&run) else {
            // Cancelled meanwhile: dropping the reply refuses or dismisses.
            return;
        };
        match ask {
            Ask::Permission(request, reply) => {
                let (node, events) = bridge.permission(&request);
                l.picks.insert(node, reply);
                drop(live);
                self.send(events);
            }
            Ask::Question(question, reply) => {
                let (node, events) = bridge.question(&question);
                l.questions.insert(node, reply);
                drop(live);
                self.send(events);
            }
        }
    }

    /// A fresh agent over `instrument` in the workspace, with the remembered grants.
    fn agent(&self, instrument: Arc<dyn Instrument>, window: Option<u64>) -> Agent {
        let workspace = Workspace::new(&self.workspace).with_buffers(self.buffers.clone());
        let ui: Arc<dyn AgentUi> = self.ui.clone();
        let mut config = self.settings.agent.config();
        config.context_window = window;
        let mut tools = ToolRegistry::builtin();
        if let Some(hub) = &self.settings.mcp {
            hub.register(&mut tools);
        }
        let agent = Agent::new(instrument, tools, workspace, config, ui);
        match &self.grants {
            Some(g) => agent.with_grants(g.clone()),
            None => agent,
        }
    }

    /// A new conversation over `instrument`, journaled when the settings say where.
    fn conversation_for(
        &self,
        run: RunId,
        instrument: Arc<dyn Instrument>,
        window: Option<u64>,
    ) -> Result<Conversation, String> {
        let mut agent = self.agent(instrument, window);
        let mut journal = None;
        if let Some(dir) = &self.settings.journal_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "cannot create the agent journal folder {}: {e}",
                    dir.display()
                )
            })?;
            let path = dir.join(format!("conversation-{}.jsonl", run.0));
            agent = agent
                .with_journal(path.clone())
                .map_err(|e| format!("cannot open the agent journal {}: {e}", path.display()))?;
            journal = Some(path);
        }
        Ok(Conversation { agent, journal })
    }

    /// Ends `run` before it started with `message`.
    fn fail(&self, run: RunId, title: &str, message: String) {
        self.send(vec![
            ConductorEvent::RunStarted {
                run,
                title: format!("agent: {title}"),
                nodes: Vec::new(),
            },
            ConductorEvent::RunFinished {
                run,
                outcome: RunOutcome::Failed(message),
                answer: None,
            },
        ]);
        self.live.lock().remove(&run);
    }
}

impl AgentHost for AgentRunner {
    fn name(&self) -> &str {
        "Symphony"
    }

    fn kind(&self) -> HostKind {
        HostKind::Symphony
    }

    fn run(&self, prompt: AgentPrompt) -> RunId {
        let text = super::prompt::prompt_text(prompt, &self.inner.workspace, &self.inner.buffers);
        self.start(text)
    }

    /// Closes the model stream and kills running commands (their process group); open
    /// questions are refused.
    fn cancel(&self, run: RunId) {
        if let Some(l) = self.inner.live.lock().get_mut(&run) {
            l.cancel.cancel();
            l.picks.clear();
            l.questions.clear();
        }
    }

    /// Option `index` of [`super::bridge::PERMISSION_OPTIONS`]: allow once, always
    /// allow, deny.
    fn choose(&self, run: RunId, node: &str, index: usize) {
        let reply = self
            .inner
            .live
            .lock()
            .get_mut(&run)
            .and_then(|l| l.picks.remove(node));
        let Some(reply) = reply else {
            return;
        };
        let decision = match index {
            0 => Decision::Allow,
            1 => Decision::AlwaysAllow,
            _ => Decision::Deny,
        };
        let _ = reply.send(decision);
        let _ = self.inner.sink.send(ConductorEvent::Node {
            run,
            node: node.to_owned(),
            status: NodeStatus::Done,
        });
    }

    fn answer(&self, run: RunId, node: &str, text: String) {
        let reply = self
            .inner
            .live
            .lock()
            .get_mut(&run)
            .and_then(|l| l.questions.remove(node));
        let Some(reply) = reply else {
            return;
        };
        let _ = reply.send(Some(text));
        let _ = self.inner.sink.send(ConductorEvent::Node {
            run,
            node: node.to_owned(),
            status: NodeStatus::Done,
        });
    }

    /// The next run starts a conversation without history (a run going on now ends
    /// first).
    fn new_conversation(&self) {
        self.inner.reset.store(true, Ordering::Relaxed);
    }

    /// Continues `run`, interrupted when the process died, from its journal under the
    /// same id: its nodes are shown again, its proposals sent again, calls that had
    /// finished are not run again. `None` when there is no such interrupted run.
    fn resume(&self, run: RunId) -> Option<RunId> {
        let dir = self.inner.settings.journal_dir.as_ref()?;
        let record = RunRecord::load(dir, run).ok()?;
        if record.outcome.is_some() {
            return None;
        }
        {
            let mut live = self.inner.live.lock();
            if live.contains_key(&run) {
                return None;
            }
            live.insert(run, Live::default());
        }
        let inner = self.inner.clone();
        tokio::spawn(async move { inner.run(run, Start::Resume(record)).await });
        Some(run)
    }

    fn shutdown(&self) {
        for l in self.inner.live.lock().values_mut() {
            l.cancel.cancel();
            l.picks.clear();
            l.questions.clear();
        }
        if let Some(hub) = self.inner.settings.mcp.clone() {
            // Called on the UI thread at quit: the servers' process groups are killed
            // by the hub's own task, the caller does not wait.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move { hub.shutdown().await });
            }
        }
    }
}
