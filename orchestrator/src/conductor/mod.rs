//! The Conductor handle: starts runs of AI commands, cancels them, retries nodes, and
//! reports everything as [`crate::events::ConductorEvent`]s.
//!
//! Every run is a Pit workflow ([`crate::workflow`]) run by one [`DagTracker`] (a retry
//! runs it again with the nodes that succeeded handing on their kept outputs); model nodes take
//! a slot of their instrument's entry in the Pit's [`Pool`](symphony_pit::pool::Pool);
//! prompts, responses, diffs, logs and conversations go to the Pit's Artifact Store.
//! Each run also keeps a journal beside the store (`journal.rs`: its manifest, node states,
//! the artifacts of its node outputs; the text it read is stored once per content in
//! `sources.rs`), so the runs of an earlier session are listed by
//! [`Conductor::recent_runs`] and can be retried and opened after a restart.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use symphony_conductor::command::{AiCommand, EditorContext};
//! use symphony_conductor::conductor::{Conductor, ConductorConfig};
//! use symphony_conductor::events::ConductorEvent;
//! let config: ConductorConfig = toml::from_str(r#"
//!     [[instruments]]
//!     name = "local"
//!     kind = "openai"
//!     base_url = "http://127.0.0.1:8080"
//!     model = "qwen2.5-coder"
//! "#)?;
//! let (conductor, mut events) = Conductor::start(config)?;
//! let ctx = EditorContext { file_text: "fn main() {}\n".into(), ..Default::default() };
//! let run = conductor.run(AiCommand::Explain, ctx);
//! while let Some(ev) = events.recv().await {
//!     match ev {
//!         ConductorEvent::Token { text, .. } => print!("{text}"),
//!         ConductorEvent::RunFinished { run: r, .. } if r == run => break,
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

pub(crate) mod exec;
mod journal;
pub(crate) mod model;
pub mod policy;
mod pool;
mod resume;
mod run;
mod sources;
mod store;

pub use self::journal::{NodeSummary, RunSummary};
pub use self::store::RunArtifacts;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use symphony_pit::artifacts::{ArtifactStore, private};
use symphony_pit::dag::DagTracker;
use tokio::sync::mpsc;

use self::exec::context_vars;
use self::pool::Instruments;
use self::run::{RunEntry, RunParts};
use self::store::Artifacts;
use crate::command::{AiCommand, EditorContext};
use crate::events::{ArtifactHit, ConductorEvent, InstrumentStatus, NodeInfo, RunId, RunOutcome};
use crate::instrument::{Instrument, InstrumentConfig, InstrumentError};
use crate::workflow::{Plan, builtin};

/// Why the Conductor could not start or do something.
#[derive(Debug, thiserror::Error)]
pub enum ConductorError {
    /// The artifact store could not be opened.
    #[error("artifact store: {0}")]
    Store(String),
    /// The configuration is invalid (unknown instrument in a workflow, cycle...).
    #[error("configuration: {0}")]
    Config(String),
}

/// Result alias for the Conductor.
pub type Result<T> = std::result::Result<T, ConductorError>;

pub use crate::workflow::WorkflowConfig;

/// Everything the Conductor needs to start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConductorConfig {
    /// `[[instruments]]`.
    #[serde(default)]
    pub instruments: Vec<InstrumentConfig>,
    /// `[[workflows]]`.
    #[serde(default)]
    pub workflows: Vec<WorkflowConfig>,
    /// The instrument built-in commands use (the first one when unset).
    #[serde(default)]
    pub default_instrument: Option<String>,
    /// Where artifacts live (`$XDG_DATA_HOME/symphony/artifacts` by default; set by the client).
    #[serde(skip)]
    pub store_dir: PathBuf,
    /// Instrument and operator extensions (set by
    /// `crate::extension_bridge::ExtensionCatalog::install`).
    #[serde(skip)]
    pub extensions: Option<Arc<crate::extension_bridge::ExtensionCatalog>>,
    /// Folders of Python workflows, tools and policies (feature `python`; set by the
    /// client: the user's own, and the workspace's once it is trusted).
    #[serde(skip)]
    pub python_dirs: Vec<PathBuf>,
    /// The workspace whose `.symphony/workflows/*.py` load while the trust file
    /// (`python_trust_file`, else the standard one) trusts it.
    #[serde(skip)]
    pub python_workspace: Option<PathBuf>,
    /// The trust file consulted for `python_workspace` (`None`: the standard one).
    #[serde(skip)]
    pub python_trust_file: Option<PathBuf>,
}

/// Builds an instrument from its configuration (tests pass their own; the default
/// builds the built-in backends).
pub type InstrumentFactory = Arc<
    dyn Fn(&InstrumentConfig) -> std::result::Result<Arc<dyn Instrument>, InstrumentError>
        + Send
        + Sync,
>;

/// The factory of the built-in backends ([`crate::backends::build`]).
pub fn default_factory() -> InstrumentFactory {
    Arc::new(crate::backends::build)
}

/// How to configure an instrument, for the Notice shown when there is none.
const HOW_TO_CONFIGURE: &str = "No AI instrument is configured. Add one to config.toml, \
for example a local OpenAI-compatible server (llama.cpp, vLLM, LM Studio):\n\n\
[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8080\"\n\
model = \"qwen2.5-coder\"\n\nor Ollama (kind = \"ollama\", base_url = \"http://127.0.0.1:11434\"), \
or a hosted API with its key in an environment variable (kind = \"anthropic\", \
api_key_env = \"ANTHROPIC_API_KEY\").";

/// Runs remembered for retry, cancel and node outputs.
const MAX_RUNS: usize = 256;

/// The built-in commands, one of each (for their plans).
fn builtin_commands() -> Vec<AiCommand> {
    vec![
        AiCommand::Explain,
        AiCommand::Refactor {
            instruction: String::new(),
        },
        AiCommand::WriteTests,
        AiCommand::FixDiagnostics,
        AiCommand::DocComments,
        AiCommand::CommitMessage,
        AiCommand::Chat {
            message: String::new(),
            conversation: None,
        },
    ]
}

struct Inner {
    /// The runtime the Conductor was started in (methods may be called from any thread).
    rt: tokio::runtime::Handle,
    events: mpsc::UnboundedSender<ConductorEvent>,
    instruments: Arc<Instruments>,
    artifacts: Arc<Artifacts>,
    extensions: Option<Arc<crate::extension_bridge::ExtensionCatalog>>,
    tracker: DagTracker,
    /// Built-in plans by command name (or why the command cannot run).
    builtins: HashMap<String, std::result::Result<Arc<Plan>, String>>,
    /// User workflows by name.
    user: HashMap<String, Arc<Plan>>,
    user_order: Vec<(String, Option<String>)>,
    runs: Mutex<HashMap<RunId, Arc<RunEntry>>>,
    next_run: AtomicU64,
    counter_file: PathBuf,
    /// Run journals: recent runs, also those of earlier sessions (`journal.rs`).
    journals: journal::Journals,
    /// The instrument a Python workflow's model calls use when they name none.
    #[cfg(feature = "python")]
    default_instrument: Option<String>,
    /// The embedded interpreter, when there are Python folders to load.
    #[cfg(feature = "python")]
    python: Option<crate::python::PythonConductor>,
}

/// The Conductor. Cheap to clone; every method returns at once (work runs on tokio).
#[derive(Clone)]
pub struct Conductor {
    inner: Arc<Inner>,
}

impl Conductor {
    /// Starts the Conductor inside the current tokio runtime; events arrive on the receiver.
    /// Instruments are built by [`default_factory`].
    pub fn start(
        config: ConductorConfig,
    ) -> Result<(Conductor, mpsc::UnboundedReceiver<ConductorEvent>)> {
        Self::start_with(config, default_factory())
    }

    /// Like [`Conductor::start`] with instruments built by `factory`. Fails when the
    /// artifact store cannot be opened or a user workflow is invalid (the error names the
    /// workflow and the node); an instrument that cannot be built is registered Failed
    /// with the reason, and a Notice says so.
    pub fn start_with(
        config: ConductorConfig,
        factory: InstrumentFactory,
    ) -> Result<(Conductor, mpsc::UnboundedReceiver<ConductorEvent>)> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| {
            ConductorError::Config("the Conductor must start inside a tokio runtime".into())
        })?;
        let names: Vec<String> = config.instruments.iter().map(|i| i.name.clone()).collect();
        let default = config
            .default_instrument
            .clone()
            .or_else(|| names.first().cloned());
        if let Some(d) = &config.default_instrument
            && !names.contains(d)
        {
            return Err(ConductorError::Config(format!(
                "default_instrument = \"{d}\" is not a configured instrument"
            )));
        }
        let mut user = HashMap::new();
        let mut user_order = Vec::new();
        // Workflows may name an instrument extension granted later in the session.
        let mut plan_names = names.clone();
        if let Some(cat) = &config.extensions {
            for id in cat.declared_instruments() {
                if !plan_names.contains(&id) {
                    plan_names.push(id);
                }
            }
        }
        for wf in &config.workflows {
            let plan = wf
                .plan(&plan_names, default.as_deref())
                .map_err(|e| ConductorError::Config(e.to_string()))?;
            if user.insert(wf.name.clone(), Arc::new(plan)).is_some() {
                return Err(ConductorError::Config(format!(
                    "two workflows are named \"{}\"",
                    wf.name
                )));
            }
            user_order.push((wf.name.clone(), wf.description.clone()));
        }
        let mut builtins = HashMap::new();
        for cmd in builtin_commands() {
            if let Some(wf) = builtin::builtin(&cmd) {
                let plan = if names.is_empty() {
                    Err(HOW_TO_CONFIGURE.to_owned())
                } else {
                    wf.plan(&names, default.as_deref())
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                };
                builtins.insert(builtin::command_name(&cmd).to_owned(), plan);
            }
        }

        let store = ArtifactStore::open(&config.store_dir)
            .map_err(|e| ConductorError::Store(format!("{}: {e}", config.store_dir.display())))?;
        // Every configured key (set or not yet) and the well-known ones are redacted
        // from what is shown, stored and logged, and kept from children.
        crate::backends::secret::register_environment();
        for var in config
            .instruments
            .iter()
            .filter_map(|i| i.api_key_env.as_deref())
        {
            crate::backends::secret::register_var(var);
        }
        let artifacts = Arc::new(Artifacts::new(store));

        let built = config
            .instruments
            .iter()
            .map(|c| factory(c).map_err(|e| e.to_string()))
            .collect();
        let (instruments, problems) = Instruments::new(&config.instruments, built);
        let instruments = Arc::new(instruments);
        // Extensions granted, enabled or gone while it runs join or leave the pool.
        if let Some(cat) = &config.extensions {
            instruments.follow(cat);
        }

        let conductor_dir = config.store_dir.join("conductor");
        let counter_file = conductor_dir.join("last-run");
        let last = std::fs::read_to_string(&counter_file)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let journals = journal::Journals::open(
            conductor_dir.join("runs"),
            sources::Sources::new(conductor_dir.join("sources")),
            names.clone(),
            default.clone(),
        );
        let last = last.max(journals.last_id());

        let (tx, rx) = mpsc::unbounded_channel();
        instruments.spawn_reporter(tx.clone());
        instruments.spawn_poller();
        if names.is_empty() {
            let _ = tx.send(ConductorEvent::Notice(HOW_TO_CONFIGURE.to_owned()));
            let tx = tx.clone();
            tokio::spawn(async move {
                let found = crate::backends::detect_local().await;
                if let Some(notice) = detected_notice(&found) {
                    let _ = tx.send(ConductorEvent::Notice(notice));
                }
            });
        }
        for p in problems {
            let _ = tx.send(ConductorEvent::Notice(p));
        }
        let _ = tx.send(ConductorEvent::Pool(instruments.statuses()));
        #[cfg(feature = "python")]
        let python = start_python(&config, &tx);
        let inner = Inner {
            rt,
            events: tx,
            instruments,
            artifacts,
            extensions: config.extensions.clone(),
            tracker: DagTracker::new(),
            builtins,
            user,
            user_order,
            runs: Mutex::new(HashMap::new()),
            next_run: AtomicU64::new(last + 1),
            counter_file,
            journals,
            #[cfg(feature = "python")]
            default_instrument: default,
            #[cfg(feature = "python")]
            python,
        };
        Ok((
            Conductor {
                inner: Arc::new(inner),
            },
            rx,
        ))
    }

    /// The user workflows (name, description), in config order, for the palette.
    pub fn workflows(&self) -> Vec<(String, Option<String>)> {
        #[allow(unused_mut)]
        let mut all = self.inner.user_order.clone();
        #[cfg(feature = "python")]
        if let Some(py) = &self.inner.python {
            for w in py.workflows() {
                if !all.iter().any(|(n, _)| *n == w.name) {
                    all.push((w.name, w.description));
                }
            }
        }
        all
    }

    /// The embedded Python Conductor (its tools for the agent), when it runs.
    #[cfg(feature = "python")]
    pub fn python(&self) -> Option<crate::python::PythonConductor> {
        self.inner.python.clone()
    }

    /// The plan of a Python workflow: one `python` node, its `ctx` calls join as they come.
    fn python_plan(&self, name: &str) -> Option<Arc<Plan>> {
        #[cfg(feature = "python")]
        if let Some(py) = &self.inner.python
            && py.has_workflow(name)
        {
            return crate::workflow::python_plan(name, self.inner.default_instrument.clone()).ok();
        }
        let _ = name;
        None
    }

    /// Starts a run of `command` over `context`.
    pub fn run(&self, command: AiCommand, context: EditorContext) -> RunId {
        let inner = &self.inner;
        let _rt = inner.rt.enter();
        let id = RunId(inner.next_run.fetch_add(1, Ordering::Relaxed));
        let title = builtin::title(&command);
        let plan = match &command {
            AiCommand::Workflow { name, .. } => inner
                .user
                .get(name)
                .cloned()
                .or_else(|| self.python_plan(name))
                .ok_or_else(|| format!("no workflow named \"{name}\" in config.toml")),
            other => match inner.builtins.get(builtin::command_name(other)).cloned() {
                // No instrument at start, one since (an extension granted mid-session).
                Some(Err(e)) if e == HOW_TO_CONFIGURE => inner.instruments.plan_builtin(other),
                Some(p) => p,
                None => Err("unknown command".into()),
            },
        };
        let plan = match plan {
            Ok(p) => p,
            Err(reason) => {
                let _ = inner.events.send(ConductorEvent::RunStarted {
                    run: id,
                    title,
                    nodes: Vec::new(),
                });
                let _ = inner.events.send(ConductorEvent::RunFinished {
                    run: id,
                    outcome: RunOutcome::Failed(reason),
                    answer: None,
                });
                return id;
            }
        };
        let _ = inner.events.send(ConductorEvent::RunStarted {
            run: id,
            title,
            nodes: node_infos(&plan),
        });

        let mut conversation = None;
        if let AiCommand::Chat {
            conversation: Some(cid),
            ..
        } = &command
        {
            conversation = inner.artifacts.conversation(cid);
            if conversation.is_none() {
                let _ = inner.events.send(ConductorEvent::Notice(format!(
                    "conversation {cid} was not found; starting a new one"
                )));
            }
        }
        let vars = context_vars(&context, builtin::instruction(&command));
        let journal = inner.journals.create(
            id,
            &command,
            builtin::command_name(&command),
            &plan,
            &context,
        );
        let entry = RunEntry::new(
            RunParts {
                run: id,
                command: builtin::command_name(&command).to_owned(),
                plan,
                ctx: context,
                vars,
                conversation,
                journal,
                outputs: HashMap::new(),
                values: HashMap::new(),
            },
            inner.instruments.clone(),
            inner.artifacts.clone(),
            inner.extensions.clone(),
            self.hooks(),
        );
        {
            let mut runs = inner.runs.lock();
            if runs.len() >= MAX_RUNS {
                // Forget the oldest finished runs (their artifacts stay in the store).
                let mut done: Vec<RunId> = runs
                    .iter()
                    .filter(|(_, e)| !e.running.load(Ordering::SeqCst))
                    .map(|(id, _)| *id)
                    .collect();
                done.sort();
                let excess = runs.len() + 1 - MAX_RUNS;
                for old in done.into_iter().take(excess) {
                    runs.remove(&old);
                }
            }
            runs.insert(id, entry.clone());
        }
        run::launch(&inner.tracker, entry, inner.events.clone(), HashMap::new());
        let counter = inner.counter_file.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = counter.parent() {
                let _ = private::create_dir_all(dir);
            }
            let _ = private::write(&counter, id.0.to_string());
        });
        id
    }

    /// What a run's nodes consult besides their plan: the user's model policy and the
    /// interpreter running Python nodes.
    fn hooks(&self) -> exec::Hooks {
        exec::Hooks {
            #[cfg(feature = "python")]
            policy: self
                .inner
                .python
                .clone()
                .map(|p| Arc::new(p) as Arc<dyn policy::ModelPolicy>),
            #[cfg(not(feature = "python"))]
            policy: None,
            #[cfg(feature = "python")]
            python: self.inner.python.clone(),
        }
    }

    fn entry(&self, run: RunId) -> Option<Arc<RunEntry>> {
        self.inner.runs.lock().get(&run).cloned()
    }

    /// Cancels a run (model calls are cancelled for real, shell commands killed).
    pub fn cancel(&self, run: RunId) {
        let Some(entry) = self.entry(run) else { return };
        // The DAG first, so interrupted nodes end Cancelled rather than Failed.
        if let Some(h) = entry.handle.lock().as_ref() {
            h.cancel();
        }
        entry.env.cancel.lock().cancel();
        entry.env.choices.lock().clear();
    }

    /// Retries a failed node of a finished run (and what depends on it): the run starts
    /// again with every node that succeeded handing on its kept output. A run of an
    /// earlier session (see [`Conductor::recent_runs`]) is rebuilt from its journal first,
    /// its finished nodes' outputs read back from the artifact store.
    pub fn retry_node(&self, run: RunId, node: &str) {
        let notice = |m: String| {
            let _ = self.inner.events.send(ConductorEvent::Notice(m));
        };
        // A run of an earlier session is rebuilt from its journal.
        let entry = match self.entry(run).map_or_else(|| self.resume(run), Ok) {
            Ok(e) => e,
            Err(why) => return notice(why),
        };
        if entry.running.load(Ordering::SeqCst) {
            return notice(format!("run {} is still running", run.0));
        }
        if !entry.env.plan.nodes.contains_key(node) {
            return notice(format!("run {} has no node \"{node}\"", run.0));
        }
        let restored = entry.env.values.lock().clone();
        if restored.contains_key(node) {
            return notice(format!(
                "node \"{node}\" of run {} succeeded: nothing to retry",
                run.0
            ));
        }
        let _rt = self.inner.rt.enter();
        *entry.env.cancel.lock() = Default::default();
        entry.env.errors.lock().clear();
        let _ = self.inner.events.send(ConductorEvent::RunStarted {
            run,
            title: format!("retry {node}: {}", entry.env.journal.manifest().title),
            nodes: node_infos(&entry.env.plan),
        });
        run::launch(
            &self.inner.tracker,
            entry,
            self.inner.events.clone(),
            restored,
        );
    }

    /// Answers a `pick` node waiting for the user (see [`ConductorEvent::Candidates`]).
    pub fn choose(&self, run: RunId, node: &str, index: usize) {
        if let Some(entry) = self.entry(run)
            && let Some(tx) = entry.env.choices.lock().remove(node)
        {
            let _ = tx.send(index);
        }
    }

    /// The output of a node (its artifact's text), if it has one; for a run of an earlier
    /// session, from the node output it stored.
    pub fn node_output(&self, run: RunId, node: &str) -> Option<String> {
        match self.entry(run) {
            Some(e) => e.env.outputs.lock().get(node).cloned(),
            // A run of an earlier session: from its stored node output.
            None => self.stored_output(run, node),
        }
    }

    /// Reads [`Conductor::node_output`] on a blocking thread; it arrives as a
    /// [`ConductorEvent::NodeOutput`]. Returns at once.
    pub fn fetch_node_output(&self, run: RunId, node: &str) {
        let _rt = self.inner.rt.enter();
        let this = self.clone();
        let node = node.to_owned();
        tokio::task::spawn_blocking(move || {
            let text = this
                .node_output(run, &node)
                .map(std::sync::Arc::<str>::from);
            let _ = this
                .inner
                .events
                .send(ConductorEvent::NodeOutput { run, node, text });
        });
    }

    /// The artifact store, for runs outside the Conductor (Symphony's agent) to store
    /// their prompts, responses and tool calls where the artifacts pane finds them.
    pub fn run_artifacts(&self) -> RunArtifacts {
        RunArtifacts(self.inner.artifacts.clone())
    }

    /// Searches the artifact store (tantivy query syntax; `kind:diff`, `tag:x` filters).
    pub fn search_artifacts(&self, query: &str, limit: usize) -> Vec<ArtifactHit> {
        self.inner.artifacts.search(query, limit)
    }

    /// The text of an artifact.
    pub fn artifact_text(&self, id: &str) -> Option<String> {
        self.inner.artifacts.text(id)
    }

    /// Searches the artifact store on a blocking thread; the hits arrive as a
    /// [`ConductorEvent::ArtifactHits`] carrying `request`. Returns at once.
    pub fn fetch_artifacts(&self, query: &str, limit: usize, request: u64) {
        let _rt = self.inner.rt.enter();
        let this = self.clone();
        let query = query.to_owned();
        tokio::task::spawn_blocking(move || {
            let hits = this.search_artifacts(&query, limit);
            let _ = this
                .inner
                .events
                .send(ConductorEvent::ArtifactHits { request, hits });
        });
    }

    /// Reads an artifact's text on a blocking thread; it arrives as a
    /// [`ConductorEvent::ArtifactText`] carrying `request`. Returns at once.
    pub fn fetch_artifact_text(&self, id: &str, request: u64) {
        let _rt = self.inner.rt.enter();
        let this = self.clone();
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || {
            let text = this.artifact_text(&id).map(std::sync::Arc::<str>::from);
            let _ = this
                .inner
                .events
                .send(ConductorEvent::ArtifactText { request, id, text });
        });
    }

    /// Pins or unpins an artifact against retention.
    pub fn pin_artifact(&self, id: &str, pinned: bool) {
        self.inner.artifacts.pin(id, pinned);
    }

    /// Adds a tag to an artifact.
    pub fn tag_artifact(&self, id: &str, tag: &str) {
        self.inner.artifacts.tag(id, tag);
    }

    /// The pool as the pool pane shows it.
    pub fn pool(&self) -> Vec<InstrumentStatus> {
        self.inner.instruments.statuses()
    }

    /// The pool pane is open (`true`) or closed. While it is open (or a call is in
    /// flight) instruments that report their loaded models (Ollama's `/api/ps`) are
    /// polled every few seconds; opening it polls at once. Cheap: call it freely.
    pub fn watch_pool(&self, open: bool) {
        self.inner.instruments.watch(open);
    }

    /// Polls the loaded models now; the answer arrives as a `ConductorEvent::Pool`.
    pub fn refresh_pool(&self) {
        self.inner.instruments.refresh();
    }

    /// Loads the instrument's model ahead of its first call (Ollama: keep_alive with an
    /// empty prompt): its state goes Warming, then Hot. Instruments that cannot say
    /// "prewarm is not supported by <kind>" on their error line. Returns at once.
    pub fn prewarm(&self, instrument: &str) {
        let _rt = self.inner.rt.enter();
        self.inner.instruments.prewarm(instrument);
    }

    /// Unloads the instrument's model now (Ollama: keep_alive 0): Cooling, then Cold.
    /// Returns at once; refusals and errors show on the instrument's error line.
    /// An extension's process is stopped; the runs using it are cancelled first, as
    /// Esc would.
    pub fn unload(&self, instrument: &str) {
        let _rt = self.inner.rt.enter();
        if self.inner.instruments.cancels_on_unload(instrument) {
            let using: Vec<RunId> = self
                .inner
                .runs
                .lock()
                .iter()
                .filter(|(_, e)| {
                    e.running.load(Ordering::SeqCst)
                        && e.env
                            .plan
                            .nodes
                            .values()
                            .any(|n| n.instrument.as_deref() == Some(instrument))
                })
                .map(|(id, _)| *id)
                .collect();
            for run in using {
                self.cancel(run);
            }
        }
        self.inner.instruments.unload(instrument);
    }

    /// Stored conversations (chat runs), newest first, for reopening.
    pub fn conversations(&self) -> Vec<ArtifactHit> {
        self.inner.artifacts.conversations()
    }

    /// Lists [`Conductor::conversations`] on a blocking thread (it reads the store); the
    /// list arrives as a [`ConductorEvent::Conversations`]. Returns at once.
    pub fn fetch_conversations(&self) {
        let _rt = self.inner.rt.enter();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let list = this.conversations();
            let _ = this.inner.events.send(ConductorEvent::Conversations(list));
        });
    }

    /// Adds an instrument to the running pool (`config.max_concurrency` slots): the
    /// pool pane lists it and workflows naming it can call it at once. Extensions from a catalog given at
    /// start join by themselves (`ExtensionCatalog::install`).
    pub fn add_instrument(&self, config: &InstrumentConfig, instrument: Arc<dyn Instrument>) {
        let _rt = self.inner.rt.enter();
        self.inner.instruments.add(config, instrument);
    }

    /// Takes an instrument out of the pool; later calls on it fail with `reason`.
    pub fn remove_instrument(&self, name: &str, reason: &str) {
        self.inner.instruments.remove(name, reason);
    }
}

/// Starts the interpreter and loads the Python folders (none: no interpreter); load
/// errors are Notices with their tracebacks.
#[cfg(feature = "python")]
fn start_python(
    config: &ConductorConfig,
    tx: &mpsc::UnboundedSender<ConductorEvent>,
) -> Option<crate::python::PythonConductor> {
    use crate::python::loader::{Loader, Workspace};
    let dirs = config.python_dirs.clone();
    let workspace = config.python_workspace.clone().map(|root| Workspace {
        root,
        trust_file: config.python_trust_file.clone(),
    });
    // No folder holds Python files: no interpreter (its memory is not spent).
    let any = dirs
        .iter()
        .cloned()
        .chain(
            workspace
                .iter()
                .map(|w| w.root.join(".symphony").join("workflows")),
        )
        .any(|d| d.is_dir());
    if !any {
        return None;
    }
    match crate::python::PythonConductor::start() {
        Ok(py) => {
            let tx = tx.clone();
            Loader::new(py.clone(), dirs, workspace).watch(move |e| {
                let _ = tx.send(ConductorEvent::Notice(format!(
                    "{} did not load:\n{}",
                    e.path.display(),
                    e.traceback
                )));
            });
            Some(py)
        }
        Err(e) => {
            let _ = tx.send(ConductorEvent::Notice(e.to_string()));
            None
        }
    }
}

/// What was found on this machine, as config.toml sections to paste.
fn detected_notice(found: &[crate::backends::DetectedInstrument]) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let mut out = String::from("Found on this machine (add to config.toml to use):");
    for d in found {
        let c = &d.config;
        out.push_str(&format!(
            "\n\n# {}\n[[instruments]]\nname = \"{}\"\nkind = \"{}\"\n",
            d.found,
            c.name,
            pool::kind_name(c.kind)
        ));
        if let Some(u) = &c.base_url {
            out.push_str(&format!("base_url = \"{u}\"\n"));
        }
        if !c.model.is_empty() {
            out.push_str(&format!("model = \"{}\"\n", c.model));
        }
        if let Some(v) = &c.api_key_env {
            out.push_str(&format!("api_key_env = \"{v}\"\n"));
        }
    }
    Some(out)
}

fn node_infos(plan: &Plan) -> Vec<NodeInfo> {
    plan.dag
        .topological_order()
        .filter_map(|spec| {
            let cfg = plan.nodes.get(&*spec.id)?;
            Some(NodeInfo {
                id: cfg.id.clone(),
                kind: cfg.kind.as_str().to_owned(),
                depends_on: cfg.depends_on.clone(),
                instrument: cfg.instrument.clone(),
            })
        })
        .collect()
}
