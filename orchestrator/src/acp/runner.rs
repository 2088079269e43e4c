//! [`AcpRunner`]: prompts to one configured external agent as Conductor runs. The
//! agent is started on the first prompt and kept for the next ones (one ACP session);
//! each prompt is a run whose [`ConductorEvent`]s go to the sink the panes read. A
//! permission question is a pick node (`Candidates` with the agent's own options,
//! answered through [`AcpRunner::choose`]); Esc is [`AcpRunner::cancel`].
//!
//! @-mentions go as ACP content ([`super::content`]); the session's modes, options and
//! slash commands are offered through [`AcpRunner::modes`] & co; each run's session id
//! is journaled ([`super::journal`]) so [`AgentHost::resume`](crate::agent::AgentHost::resume)
//! can load it after a restart (`session/load`), or show the run interrupted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::bridge::RunBridge;
use super::client::StartOptions;
use super::fs::BufferText;
use super::journal::{RunJournal, RunRecord};
use super::schema::McpServer;
use super::{AcpAgent, AcpError, AcpEvent, AgentConfig, PermissionAsk};
use crate::agent::Attachment;
use crate::agent::host::{AgentChoice, AgentCommand, AgentOption};
use crate::events::{ConductorEvent, NodeStatus, RunId};

/// ACP run ids start here, apart from the Conductor's own.
pub const FIRST_RUN_ID: u64 = 1 << 40;

/// The node a permission question is shown on.
pub const PERMISSION_NODE: &str = "permission";

struct Connected {
    agent: Arc<AcpAgent>,
    events: Option<mpsc::UnboundedReceiver<AcpEvent>>,
}

/// What an [`AcpRunner`] is given beyond its agent.
#[derive(Debug, Clone, Default)]
pub struct RunnerOptions {
    /// MCP servers forwarded in `session/new` (those the agent takes).
    pub mcp_servers: Vec<McpServer>,
    /// Where each run's session id is journaled, for `session/load` after a restart
    /// (`None`: not journaled, nothing to resume).
    pub state_dir: Option<PathBuf>,
}

struct Inner {
    config: AgentConfig,
    workspace: PathBuf,
    buffers: BufferText,
    sink: mpsc::UnboundedSender<ConductorEvent>,
    mcp_servers: Vec<McpServer>,
    journal: Option<RunJournal>,
    connected: tokio::sync::Mutex<Option<Connected>>,
    /// The agent of `connected`, for the calls that must not wait for a turn.
    agent: Mutex<Option<Arc<AcpAgent>>>,
    running: Mutex<HashMap<RunId, Arc<AcpAgent>>>,
    /// Set on quit: runs the kill cuts short stay unfinished in the journal, to be
    /// loaded again next time.
    closing: std::sync::atomic::AtomicBool,
    asks: Mutex<HashMap<RunId, PermissionAsk>>,
    next: AtomicU64,
}

/// One external agent's runs (cheap to clone).
#[derive(Clone)]
pub struct AcpRunner {
    inner: Arc<Inner>,
}

impl AcpRunner {
    /// A runner for `config` in `workspace`; events go to `sink`.
    pub fn new(
        config: AgentConfig,
        workspace: &Path,
        buffers: BufferText,
        sink: mpsc::UnboundedSender<ConductorEvent>,
    ) -> AcpRunner {
        Self::with_options(config, workspace, buffers, sink, RunnerOptions::default())
    }

    /// [`new`](AcpRunner::new) with MCP servers to forward and a state dir to journal
    /// runs in (run ids go on after the journaled ones).
    pub fn with_options(
        config: AgentConfig,
        workspace: &Path,
        buffers: BufferText,
        sink: mpsc::UnboundedSender<ConductorEvent>,
        options: RunnerOptions,
    ) -> AcpRunner {
        let journal = options
            .state_dir
            .as_deref()
            .map(|d| RunJournal::new(d, &config.name));
        let next = journal
            .as_ref()
            .and_then(|j| j.all().last().map(|r| r.run + 1))
            .unwrap_or(FIRST_RUN_ID)
            .max(FIRST_RUN_ID);
        AcpRunner {
            inner: Arc::new(Inner {
                config,
                workspace: workspace.to_owned(),
                buffers,
                sink,
                mcp_servers: options.mcp_servers,
                journal,
                connected: tokio::sync::Mutex::new(None),
                agent: Mutex::new(None),
                running: Mutex::default(),
                closing: std::sync::atomic::AtomicBool::new(false),
                asks: Mutex::default(),
                next: AtomicU64::new(next),
            }),
        }
    }

    /// The agent's configured name.
    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    /// Starts a run: `prompt` (with resource links for `files`) to the agent. Must be
    /// called inside a tokio runtime.
    pub fn run(&self, prompt: &str, files: Vec<PathBuf>) -> RunId {
        let attachments = files.into_iter().map(Attachment::File).collect();
        self.run_prompt(prompt, attachments)
    }

    /// Starts a run: `prompt` with its @-mentions as ACP content (files as resource
    /// links; the rest embedded when the agent takes it, else in the text). Must be
    /// called inside a tokio runtime.
    pub fn run_prompt(&self, prompt: &str, attachments: Vec<Attachment>) -> RunId {
        let run = RunId(self.inner.next.fetch_add(1, Ordering::Relaxed));
        let inner = self.inner.clone();
        let prompt = prompt.to_owned();
        tokio::spawn(async move { inner.turn(run, prompt, attachments).await });
        run
    }

    /// Starts the agent now (when the user picks it), so its modes and commands can be
    /// shown before the first prompt; a failure is a notice.
    pub fn connect(&self) {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let mut connected = inner.connected.lock().await;
            if let Err(e) = inner.connect(&mut connected, None).await {
                inner.send(vec![ConductorEvent::Notice(e.to_string())]);
            }
        });
    }

    /// Loads interrupted run `run`'s session again (`session/load`), replaying its
    /// updates into the run, which then ends; when the agent cannot load sessions the
    /// run ends interrupted, saying so. `None` when `run` has no unfinished record. The
    /// loaded session replaces the one the agent had (follow-ups continue it).
    pub fn resume(&self, run: RunId) -> Option<RunId> {
        let record = self.inner.journal.as_ref()?.load(run)?;
        if record.finished {
            return None;
        }
        let inner = self.inner.clone();
        tokio::spawn(async move { inner.reload(run, record).await });
        Some(run)
    }

    /// Runs journaled unfinished (Symphony stopped during them): what
    /// [`resume`](AcpRunner::resume) takes.
    pub fn interrupted(&self) -> Vec<RunId> {
        self.inner.journal.as_ref().map_or_else(Vec::new, |j| {
            j.all()
                .into_iter()
                .filter(|r| !r.finished)
                .map(|r| RunId(r.run))
                .collect()
        })
    }

    fn current(&self) -> Option<Arc<AcpAgent>> {
        self.inner.agent.lock().clone()
    }

    /// The session's modes (empty before the agent started, or when it has none).
    pub fn modes(&self) -> Vec<AgentChoice> {
        self.current()
            .map_or_else(Vec::new, |a| a.view().mode_choices())
    }

    /// The session's config options (model, effort...).
    pub fn options(&self) -> Vec<AgentOption> {
        self.current()
            .map_or_else(Vec::new, |a| a.view().option_choices())
    }

    /// The slash commands the agent offers (`available_commands_update`).
    pub fn commands(&self) -> Vec<AgentCommand> {
        self.current()
            .map_or_else(Vec::new, |a| a.view().command_list())
    }

    /// `session/set_mode` to `id`; [`modes`](AcpRunner::modes) shows it once the agent
    /// agreed, a refusal is a notice.
    pub fn set_mode(&self, id: &str) {
        let Some(agent) = self.current() else {
            self.inner.send(vec![ConductorEvent::Notice(format!(
                "agent `{}` is not started yet; prompt it first",
                self.name()
            ))]);
            return;
        };
        if !agent.view().has_mode(id) {
            self.inner.send(vec![ConductorEvent::Notice(format!(
                "agent `{}` offers no mode `{id}`",
                self.name()
            ))]);
            return;
        }
        let inner = self.inner.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = agent.set_mode(&id).await {
                inner.send(vec![ConductorEvent::Notice(format!(
                    "agent `{}`: mode `{id}` not set: {e}",
                    inner.config.name
                ))]);
            }
        });
    }

    /// `session/set_config_option` `id` = `value`; a refusal is a notice.
    pub fn set_option(&self, id: &str, value: &str) {
        let Some(agent) = self.current() else {
            self.inner.send(vec![ConductorEvent::Notice(format!(
                "agent `{}` is not started yet; prompt it first",
                self.name()
            ))]);
            return;
        };
        let inner = self.inner.clone();
        let (id, value) = (id.to_owned(), value.to_owned());
        tokio::spawn(async move {
            if let Err(e) = agent.set_option(&id, &value).await {
                inner.send(vec![ConductorEvent::Notice(format!(
                    "agent `{}`: {id} = {value} not set: {e}",
                    inner.config.name
                ))]);
            }
        });
    }

    /// Esc: `session/cancel` for `run`; an open permission question is answered
    /// "cancelled".
    pub fn cancel(&self, run: RunId) {
        self.inner.asks.lock().remove(&run);
        if let Some(agent) = self.inner.running.lock().get(&run) {
            agent.cancel();
        }
    }

    /// Answers `run`'s permission question with the agent's option number `index`.
    pub fn choose(&self, run: RunId, node: &str, index: usize) {
        if node != PERMISSION_NODE {
            return;
        }
        let Some(ask) = self.inner.asks.lock().remove(&run) else {
            return;
        };
        match ask
            .request
            .options
            .get(index)
            .map(|o| o.option_id.0.to_string())
        {
            Some(id) => ask.choose(&id),
            None => ask.reject(),
        }
        let _ = self.inner.sink.send(ConductorEvent::Node {
            run,
            node: PERMISSION_NODE.into(),
            status: NodeStatus::Done,
        });
    }

    /// Kills the agent (on quit).
    pub fn shutdown(&self) {
        self.inner.closing.store(true, Ordering::SeqCst);
        if let Ok(mut c) = self.inner.connected.try_lock()
            && let Some(c) = c.take()
        {
            c.agent.kill();
        }
        if let Some(a) = self.inner.agent.lock().take() {
            a.kill();
        }
        for (_, a) in self.inner.running.lock().drain() {
            a.kill();
        }
    }
}

impl Inner {
    fn send(&self, events: Vec<ConductorEvent>) {
        for e in events {
            let _ = self.sink.send(e);
        }
    }

    /// Starts the agent unless it runs (or, with `load`, starts it anew loading that
    /// session).
    async fn connect(
        &self,
        connected: &mut Option<Connected>,
        load: Option<String>,
    ) -> Result<(), AcpError> {
        if connected.is_some() && load.is_none() {
            return Ok(());
        }
        if let Some(old) = connected.take() {
            old.agent.kill();
        }
        let options = StartOptions {
            mcp_servers: self.mcp_servers.clone(),
            load_session: load,
        };
        let started =
            AcpAgent::start_with(&self.config, &self.workspace, self.buffers.clone(), options)
                .await;
        match started {
            Ok((agent, events)) => {
                let agent = Arc::new(agent);
                *self.agent.lock() = Some(agent.clone());
                *connected = Some(Connected {
                    agent,
                    events: Some(events),
                });
                Ok(())
            }
            Err(e) => {
                self.agent.lock().take();
                Err(e)
            }
        }
    }

    fn journal_start(&self, run: RunId, agent: &AcpAgent, title: &str) {
        if let Some(j) = &self.journal {
            j.save(&RunRecord {
                run: run.0,
                session: agent.session_id().to_owned(),
                title: title.to_owned(),
                finished: false,
            });
        }
    }

    fn journal_finish(&self, run: RunId) {
        if let Some(j) = &self.journal {
            j.finish(run);
        }
    }

    /// The text of `path` as the user sees it (the open buffer, else the disk).
    fn read(&self, path: &Path) -> Option<String> {
        (self.buffers)(path).or_else(|| std::fs::read_to_string(path).ok())
    }

    async fn turn(self: Arc<Self>, run: RunId, prompt: String, attachments: Vec<Attachment>) {
        let title: String = prompt
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let (mut bridge, first) = RunBridge::start(run, &self.config.name, &title);
        self.send(first);
        let mut connected = self.connected.lock().await;
        if let Err(e) = self.connect(&mut connected, None).await {
            self.send(bridge.finish(Err(&e)));
            return;
        }
        let Some(conn) = connected.as_mut() else {
            return;
        };
        let agent = conn.agent.clone();
        let Some(mut events) = conn.events.take() else {
            return;
        };
        self.journal_start(run, &agent, &title);
        let blocks = super::content::prompt_blocks(
            &prompt,
            &attachments,
            agent.takes_embedded_context(),
            &self.workspace,
            &|p| self.read(p),
        );
        self.running.lock().insert(run, agent.clone());
        let result = {
            let prompt_fut = agent.prompt_blocks(blocks);
            tokio::pin!(prompt_fut);
            loop {
                tokio::select! {
                    r = &mut prompt_fut => break r,
                    ev = events.recv() => match ev {
                        Some(AcpEvent::Permission(ask)) => self.ask(run, ask),
                        Some(ev) => self.send(bridge.event(&ev)),
                        None => {}
                    },
                }
            }
        };
        while let Ok(ev) = events.try_recv() {
            self.send(bridge.event(&ev));
        }
        let gone = matches!(result, Err(AcpError::Crashed { .. }));
        self.send(bridge.finish(result.as_ref().map(|r| r.stop_reason)));
        if !(gone && self.closing.load(Ordering::SeqCst)) {
            self.journal_finish(run);
        }
        self.running.lock().remove(&run);
        self.asks.lock().remove(&run);
        if gone {
            // The next prompt starts the agent again.
            *connected = None;
            self.agent.lock().take();
        } else if let Some(conn) = connected.as_mut() {
            conn.events = Some(events);
        }
    }

    /// After a restart: loads `record`'s session into a fresh agent, its replayed
    /// updates drawn as run `run`, which then ends (its unfinished tool calls
    /// cancelled); when it cannot be loaded the run ends interrupted with the reason.
    async fn reload(self: Arc<Self>, run: RunId, record: RunRecord) {
        let (mut bridge, first) = RunBridge::start(run, &self.config.name, &record.title);
        self.send(first);
        let mut connected = self.connected.lock().await;
        if let Err(e) = self
            .connect(&mut connected, Some(record.session.clone()))
            .await
        {
            tracing::info!(agent = %self.config.name, run = run.0, "ACP: run not resumed: {e}");
            self.send(bridge.interrupted(&e.to_string()));
            self.journal_finish(run);
            return;
        }
        let Some(conn) = connected.as_mut() else {
            return;
        };
        if let Some(events) = conn.events.as_mut() {
            // The replay was sent before the answer to session/load: all queued now.
            while let Ok(ev) = events.try_recv() {
                match ev {
                    AcpEvent::Permission(ask) => ask.reject(),
                    ev => self.send(bridge.event(&ev)),
                }
            }
        }
        self.send(bridge.loaded());
        self.journal_finish(run);
    }

    fn ask(&self, run: RunId, ask: PermissionAsk) {
        let what = ask
            .request
            .tool_call
            .fields
            .title
            .clone()
            .unwrap_or_default();
        let candidates = ask
            .request
            .options
            .iter()
            .map(|o| format!("{}: {}", o.name, what))
            .collect();
        self.asks.lock().insert(run, ask);
        self.send(vec![ConductorEvent::Candidates {
            run,
            node: PERMISSION_NODE.into(),
            candidates,
        }]);
    }
}

impl crate::agent::AgentHost for AcpRunner {
    fn name(&self) -> &str {
        AcpRunner::name(self)
    }

    fn kind(&self) -> crate::agent::HostKind {
        crate::agent::HostKind::External
    }

    /// Files go as resource links; the selection, diagnostics and symbols as embedded
    /// resources when the agent takes them, else in the prompt's text.
    fn run(&self, prompt: crate::agent::AgentPrompt) -> RunId {
        AcpRunner::run_prompt(self, &prompt.text, prompt.attachments)
    }

    fn resume(&self, run: RunId) -> Option<RunId> {
        AcpRunner::resume(self, run)
    }

    fn modes(&self) -> Vec<AgentChoice> {
        AcpRunner::modes(self)
    }

    fn set_mode(&self, id: &str) {
        AcpRunner::set_mode(self, id)
    }

    fn options(&self) -> Vec<AgentOption> {
        AcpRunner::options(self)
    }

    fn set_option(&self, id: &str, value: &str) {
        AcpRunner::set_option(self, id, value)
    }

    fn commands(&self) -> Vec<AgentCommand> {
        AcpRunner::commands(self)
    }

    fn cancel(&self, run: RunId) {
        AcpRunner::cancel(self, run)
    }

    fn choose(&self, run: RunId, node: &str, index: usize) {
        AcpRunner::choose(self, run, node, index)
    }

    fn shutdown(&self) {
        AcpRunner::shutdown(self)
    }
}
