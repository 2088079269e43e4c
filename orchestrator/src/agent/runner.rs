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
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::bridge::AgentBridge;
use super::host::{AgentHost, AgentPrompt, Attachment, HostKind};
use super::permissions::{Decision, PermissionRequest, RememberedGrants};
use super::run::{Agent, AgentEvent, AgentNode, AgentSettings, AgentUi};
use super::tools::{ToolRegistry, Workspace};
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

/// A question the loop is waiting on, sent to the run's task.
enum Ask {
    Permission(PermissionRequest, oneshot::Sender<Decision>),
    Question(String, oneshot::Sender<Option<String>>),
}

/// The person as the loop sees them: asks go to the run's task, which shows them as
/// nodes and waits for `choose` / `answer`.
#[derive(Default)]
struct RunUi {
    current: Mutex<Option<mpsc::UnboundedSender<Ask>>>,
}

impl AgentUi for RunUi {
    fn ask_user(&self, question: String) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> {
        let (tx, rx) = oneshot::channel();
        let sent = self
            .current
            .lock()
            .as_ref()
            .is_some_and(|c| c.send(Ask::Question(question, tx)).is_ok());
        Box::pin(async move {
            if !sent {
                return None;
            }
            rx.await.ok().flatten()
        })
    }

    fn ask_permission(
        &self,
        request: PermissionRequest,
    ) -> Pin<Box<dyn Future<Output = Decision> + Send>> {
        let (tx, rx) = oneshot::channel();
        let sent = self
            .current
            .lock()
            .as_ref()
            .is_some_and(|c| c.send(Ask::Permission(request, tx)).is_ok());
        Box::pin(async move {
            if !sent {
                return Decision::Deny;
            }
            rx.await.unwrap_or(Decision::Deny)
        })
    }
}

/// A run in progress: how to cancel it and the questions it waits on, by node.
#[derive(Default)]
struct Live {
    cancel: CancellationToken,
    picks: HashMap<String, oneshot::Sender<Decision>>,
    questions: HashMap<String, oneshot::Sender<Option<String>>>,
}

/// A finished or running run, as the client may look it up.
#[derive(Debug, Clone, Default)]
struct RunRecord {
    nodes: Vec<AgentNode>,
}

struct Inner {
    settings: AgentRunnerSettings,
    workspace: PathBuf,
    buffers: BufferText,
    sink: mpsc::UnboundedSender<ConductorEvent>,
    instrument: Result<Arc<dyn Instrument>, String>,
    grants: Option<Arc<Mutex<RememberedGrants>>>,
    ui: Arc<RunUi>,
    conversation: tokio::sync::Mutex<Option<Agent>>,
    reset: AtomicBool,
    live: Mutex<HashMap<RunId, Live>>,
    records: Mutex<HashMap<RunId, RunRecord>>,
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
            crate::instruments::build(c).map_err(|e| format!("instrument {}: {e}", c.name))
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
            .map_or(FIRST_RUN_ID, next_run_id);
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
                live: Mutex::default(),
                records: Mutex::default(),
                next: AtomicU64::new(next),
            }),
        }
    }

    /// The nodes of `run` so far, with their full input and output (what Enter on a
    /// node shows; [`super::bridge::node_label`] gives the one-line stats).
    pub fn nodes(&self, run: RunId) -> Vec<AgentNode> {
        self.inner
            .records
            .lock()
            .get(&run)
            .map(|r| r.nodes.clone())
            .unwrap_or_default()
    }

    /// Whether `run` is still going.
    pub fn is_running(&self, run: RunId) -> bool {
        self.inner.live.lock().contains_key(&run)
    }

    fn start(&self, text: String) -> RunId {
        let run = RunId(self.inner.next.fetch_add(1, Ordering::Relaxed));
        self.inner.live.lock().insert(run, Live::default());
        let inner = self.inner.clone();
        tokio::spawn(async move { inner.run(run, text).await });
        run
    }
}

impl Inner {
    fn send(&self, events: Vec<ConductorEvent>) {
        for e in events {
            let _ = self.sink.send(e);
        }
    }

    async fn run(self: Arc<Self>, run: RunId, task: String) {
        let title: String = task.lines().next().unwrap_or("").chars().take(60).collect();
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
        if conversation.is_none() {
            match self.conversation_for(run, instrument.clone()) {
                Ok(agent) => *conversation = Some(agent),
                Err(e) => {
                    self.fail(run, &title, e);
                    return;
                }
            }
        }
        let Some(agent) = conversation.as_mut() else {
            return;
        };
        let files = Files::new(&self.workspace, self.buffers.clone());
        let mut bridge = AgentBridge::new(run, instrument.name(), files, agent.changes_handle());
        self.send(bridge.start(&title));
        let (events_tx, events_rx) = mpsc::channel(256);
        let (asks_tx, asks_rx) = mpsc::unbounded_channel();
        *self.ui.current.lock() = Some(asks_tx);
        let first_node = agent.nodes().len();
        let (_, ()) = tokio::join!(
            agent.send(&task, events_tx, cancel),
            self.pump(run, &mut bridge, events_rx, asks_rx, first_node)
        );
        *self.ui.current.lock() = None;
        self.live.lock().remove(&run);
    }

    /// Forwards the loop's events and questions to the sink until the loop ends. Events
    /// go first, so a question's node comes after the call it is about.
    async fn pump(
        &self,
        run: RunId,
        bridge: &mut AgentBridge,
        mut events: mpsc::Receiver<AgentEvent>,
        mut asks: mpsc::UnboundedReceiver<Ask>,
        first_node: usize,
    ) {
        loop {
            tokio::select! {
                biased;
                ev = events.recv() => match ev {
                    Some(ev) => {
                        if let AgentEvent::Node(n) = &ev {
                            self.record(run, n, first_node);
                        }
                        self.send(bridge.event(&ev));
                    }
                    None => break,
                },
                Some(ask) = asks.recv() => self.ask(run, bridge, ask),
            }
        }
    }

    fn record(&self, run: RunId, node: &AgentNode, first_node: usize) {
        let mut records = self.records.lock();
        let nodes = &mut records.entry(run).or_default().nodes;
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

    /// A new conversation over `instrument`, journaled when the settings say where.
    fn conversation_for(
        &self,
        run: RunId,
        instrument: Arc<dyn Instrument>,
    ) -> Result<Agent, String> {
        let mut workspace = Workspace::new(&self.workspace);
        workspace = workspace.with_buffers(self.buffers.clone());
        let ui: Arc<dyn AgentUi> = self.ui.clone();
        let mut agent = Agent::new(
            instrument,
            ToolRegistry::builtin(),
            workspace,
            self.settings.agent.config(),
            ui,
        );
        if let Some(g) = &self.grants {
            agent = agent.with_grants(g.clone());
        }
        if let Some(dir) = &self.settings.journal_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "cannot create the agent journal folder {}: {e}",
                    dir.display()
                )
            })?;
            let path = dir.join(format!("{}.jsonl", run.0));
            agent = agent
                .with_journal(path.clone())
                .map_err(|e| format!("cannot open the agent journal {}: {e}", path.display()))?;
        }
        Ok(agent)
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

/// The first run id after the journals in `dir`.
fn next_run_id(dir: &Path) -> u64 {
    let last = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let name = name.to_str()?;
            name.strip_suffix(".jsonl")?.parse::<u64>().ok()
        })
        .max();
    last.map_or(FIRST_RUN_ID, |l| (l + 1).max(FIRST_RUN_ID))
}

/// The task text with the attachments the user @-mentioned, as the model reads them.
fn prompt_text(prompt: AgentPrompt, workspace: &Path, buffers: &BufferText) -> String {
    let mut text = prompt.text;
    for a in prompt.attachments {
        match a {
            Attachment::File(p) => {
                let abs = if p.is_absolute() {
                    p.clone()
                } else {
                    workspace.join(&p)
                };
                let shown = abs
                    .strip_prefix(workspace)
                    .unwrap_or(&abs)
                    .display()
                    .to_string();
                match buffers(&abs)
                    .map(Ok)
                    .unwrap_or_else(|| std::fs::read_to_string(&abs))
                {
                    Ok(body) => text.push_str(&format!(
                        "\n\nFile {shown}:\n```\n{}\n```",
                        super::tools::command::cut_middle(&body, ATTACHMENT_LIMIT)
                    )),
                    Err(e) => text.push_str(&format!(
                        "\n\nFile {shown} was attached but cannot be read ({e}); use read_file."
                    )),
                }
            }
            Attachment::Selection {
                path,
                first_line,
                text: sel,
            } => text.push_str(&format!(
                "\n\nSelection in {} from line {}:\n```\n{sel}\n```",
                path.display(),
                first_line + 1
            )),
            Attachment::Diagnostics { text: d, .. } => {
                text.push_str(&format!("\n\nDiagnostics:\n{d}"))
            }
            Attachment::Symbol { name, path, line } => text.push_str(&format!(
                "\n\nSymbol {name} is defined in {} at line {}.",
                path.display(),
                line + 1
            )),
        }
    }
    text
}

/// How much of an attached file goes into the prompt at most (read_file pages the rest).
const ATTACHMENT_LIMIT: usize = 32 * 1024;

impl AgentHost for AgentRunner {
    fn name(&self) -> &str {
        "Symphony"
    }

    fn kind(&self) -> HostKind {
        HostKind::Symphony
    }

    fn run(&self, prompt: AgentPrompt) -> RunId {
        let text = prompt_text(prompt, &self.inner.workspace, &self.inner.buffers);
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

    fn shutdown(&self) {
        for l in self.inner.live.lock().values_mut() {
            l.cancel.cancel();
            l.picks.clear();
            l.questions.clear();
        }
    }
}
