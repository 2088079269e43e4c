//! [`AcpRunner`]: prompts to one configured external agent as Conductor runs. The
//! agent is started on the first prompt and kept for the next ones (one ACP session);
//! each prompt is a run whose [`ConductorEvent`]s go to the sink the panes read. A
//! permission question is a pick node (`Candidates` with the agent's own options,
//! answered through [`AcpRunner::choose`]); Esc is [`AcpRunner::cancel`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::bridge::RunBridge;
use super::fs::BufferText;
use super::{AcpAgent, AcpEvent, AgentConfig, PermissionAsk};
use crate::events::{ConductorEvent, NodeStatus, RunId};

/// ACP run ids start here, apart from the Conductor's own.
pub const FIRST_RUN_ID: u64 = 1 << 40;

/// The node a permission question is shown on.
pub const PERMISSION_NODE: &str = "permission";

struct Connected {
    agent: Arc<AcpAgent>,
    events: Option<mpsc::UnboundedReceiver<AcpEvent>>,
}

struct Inner {
    config: AgentConfig,
    workspace: PathBuf,
    buffers: BufferText,
    sink: mpsc::UnboundedSender<ConductorEvent>,
    connected: tokio::sync::Mutex<Option<Connected>>,
    running: Mutex<HashMap<RunId, Arc<AcpAgent>>>,
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
        AcpRunner {
            inner: Arc::new(Inner {
                config,
                workspace: workspace.to_owned(),
                buffers,
                sink,
                connected: tokio::sync::Mutex::new(None),
                running: Mutex::default(),
                asks: Mutex::default(),
                next: AtomicU64::new(FIRST_RUN_ID),
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
        let run = RunId(self.inner.next.fetch_add(1, Ordering::Relaxed));
        let inner = self.inner.clone();
        let prompt = prompt.to_owned();
        tokio::spawn(async move { inner.turn(run, prompt, files).await });
        run
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
        if let Ok(mut c) = self.inner.connected.try_lock()
            && let Some(c) = c.take()
        {
            c.agent.kill();
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

    async fn turn(self: Arc<Self>, run: RunId, prompt: String, files: Vec<PathBuf>) {
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
        if connected.is_none() {
            match AcpAgent::start(&self.config, &self.workspace, self.buffers.clone()).await {
                Ok((agent, events)) => {
                    *connected = Some(Connected {
                        agent: Arc::new(agent),
                        events: Some(events),
                    })
                }
                Err(e) => {
                    self.send(bridge.finish(Err(&e)));
                    return;
                }
            }
        }
        let Some(conn) = connected.as_mut() else {
            return;
        };
        let agent = conn.agent.clone();
        let Some(mut events) = conn.events.take() else {
            return;
        };
        self.running.lock().insert(run, agent.clone());
        let result = {
            let prompt_fut = agent.prompt(&prompt, &files);
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
        let gone = matches!(result, Err(super::AcpError::Crashed { .. }));
        self.send(bridge.finish(result.as_ref().map(|r| r.stop_reason)));
        self.running.lock().remove(&run);
        self.asks.lock().remove(&run);
        if gone {
            // The next prompt starts the agent again.
            *connected = None;
        } else if let Some(conn) = connected.as_mut() {
            conn.events = Some(events);
        }
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

    /// Files go as resource links; the other attachments are added to the prompt text.
    fn run(&self, prompt: crate::agent::AgentPrompt) -> RunId {
        let mut text = prompt.text;
        let mut files = Vec::new();
        for a in prompt.attachments {
            match a {
                crate::agent::Attachment::File(p) => files.push(p),
                other => {
                    if let Some(t) = crate::agent::prompt::attachment_text(&other) {
                        text.push_str(&t);
                    }
                }
            }
        }
        AcpRunner::run(self, &text, files)
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
