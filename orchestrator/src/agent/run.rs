//! The agent loop: a model turn offering the tools; each tool call the model makes is
//! checked against the permissions, run, and its result sent back; until the model
//! answers without calling a tool, the user cancels, or the run is out of turns or
//! tokens. Every turn and every call is an [`AgentNode`] announced (started, then
//! finished) through [`AgentEvent`]s as it happens, so a DAG pane can draw the run grow.
//!
//! The conversation is kept on the [`Agent`], so a follow-up continues it, and it is
//! journaled as it grows (an append-only JSON-lines file: each message, each node
//! change, the change set after edits): after a crash [`Agent::restore`] reads it back
//! and [`Agent::resume`] goes on without running finished tool calls again.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::changes::ChangeSet;
use super::permissions::{
    Decision, Grant, Permission, PermissionConfig, PermissionRequest, RememberedGrants,
};
use super::tools::command::DEFAULT_COMMAND_ENV;
use super::tools::{ToolContext, ToolOutput, ToolRegistry, Workspace};
use crate::instrument::{
    AgentMessage, CancellationToken, Instrument, InstrumentEvent, ToolCall, ToolRequest, ToolResult,
};

/// The person, as the agent needs them: questions and permission prompts.
pub trait AgentUi: Send + Sync {
    /// Shows `question`; resolves with the answer (`None`: dismissed).
    fn ask_user(&self, question: String) -> Pin<Box<dyn Future<Output = Option<String>> + Send>>;
    /// Shows the exact command or path and asks allow / always allow / deny.
    fn ask_permission(
        &self,
        request: PermissionRequest,
    ) -> Pin<Box<dyn Future<Output = Decision> + Send>>;
}

/// How a run is bounded and what it may do.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Model turns at most per task (a follow-up starts a new count).
    pub max_turns: u32,
    /// Tokens (in + out, summed over turns) at most per task.
    pub token_budget: Option<u64>,
    /// Upper bound on each turn's generated tokens.
    pub max_tokens: Option<u32>,
    /// Allow / ask / deny per tool.
    pub permissions: PermissionConfig,
    /// The instructions that start the conversation.
    pub system_prompt: String,
    /// Environment variables passed to commands.
    pub command_env: Vec<String>,
    /// The model's context window in tokens: older exchanges are left out of a request
    /// that would not fit (`None`: unknown, nothing is left out).
    pub context_window: Option<u64>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_turns: 25,
            token_budget: None,
            max_tokens: None,
            permissions: PermissionConfig::default(),
            system_prompt: "You are Symphony's coding agent, working in the user's workspace. Use the tools to read, search, run commands and propose edits; edits are reviewed by the user before they are written. When the task is done, answer with a short summary and no tool call.".into(),
            command_env: DEFAULT_COMMAND_ENV.iter().map(|s| s.to_string()).collect(),
            context_window: None,
        }
    }
}

/// The `[agent]` section of config.toml.
///
/// ```toml
/// [agent]
/// max_turns = 25
/// token_budget = 200000
/// command_env = ["PATH", "HOME", "CARGO_HOME"]
/// [agent.permissions]
/// run_command = "ask"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSettings {
    /// Model turns at most per task.
    pub max_turns: Option<u32>,
    /// Tokens at most per task.
    pub token_budget: Option<u64>,
    /// Generated tokens at most per turn.
    pub max_tokens: Option<u32>,
    /// Allow / ask / deny per tool.
    pub permissions: PermissionConfig,
    /// Environment variables passed to commands (default: [`DEFAULT_COMMAND_ENV`]).
    pub command_env: Option<Vec<String>>,
    /// The model's context window in tokens (default: what the server reports).
    pub context_window: Option<u64>,
}

impl AgentSettings {
    /// The run configuration these settings give (defaults for what they leave out).
    pub fn config(&self) -> AgentConfig {
        let mut config = AgentConfig::default();
        if let Some(t) = self.max_turns {
            config.max_turns = t.max(1);
        }
        config.token_budget = self.token_budget;
        config.max_tokens = self.max_tokens;
        config.permissions = self.permissions.clone();
        if let Some(env) = &self.command_env {
            config.command_env = env.clone();
        }
        config.context_window = self.context_window;
        config
    }
}

/// A node of the run: a model turn or a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// One model turn.
    Turn,
    /// One tool call.
    Tool,
    /// Older messages were left out of the next request to fit the context window.
    Context,
}

/// Where a node is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Running now.
    Running,
    /// Finished.
    Done,
    /// Failed with this message (a tool error, a dropped stream).
    Failed(String),
    /// The call was refused (denied by config or by the user).
    Refused,
    /// Stopped by a crash before it finished (seen after [`Agent::restore`]).
    Interrupted,
}

/// One node of an agent run, with what the DAG pane shows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentNode {
    /// Its number in the run (0, 1, ...), in the order nodes started.
    pub id: usize,
    /// Turn or tool call.
    pub kind: NodeKind,
    /// The model (turn) or the tool's name (call).
    pub label: String,
    /// A one-line summary: the call's command or path; the turn's first words.
    pub summary: String,
    /// The node it follows (a call's turn; a turn's previous node).
    pub parent: Option<usize>,
    /// Where it is.
    pub status: NodeStatus,
    /// Prompt tokens (turns).
    pub tokens_in: u64,
    /// Generated tokens (turns).
    pub tokens_out: u64,
    /// Time to the first token (turns).
    pub time_to_first_token: Option<Duration>,
    /// Generated tokens per second (turns).
    pub tokens_per_sec: Option<f64>,
    /// How long it took.
    pub duration: Option<Duration>,
    /// Bytes of the result sent back (calls) or of the answer (turns).
    pub result_bytes: Option<usize>,
    /// The full input: the call's arguments, or the turn's request messages count.
    pub input: String,
    /// The full output: the call's result, or the turn's text.
    pub output: String,
}

/// What a run tells its panes, as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// A node started or changed (same `id`: replace).
    Node(AgentNode),
    /// Model text as it streams.
    Text(String),
    /// Output of a running tool call, as it streams.
    ToolOutput {
        /// The call's node.
        node: usize,
        /// The new output.
        text: String,
    },
    /// The task ended.
    Finished(AgentOutcome),
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentOutcome {
    /// The model answered without calling a tool.
    Done {
        /// Its last answer.
        text: String,
    },
    /// The turn limit was reached.
    MaxTurns {
        /// The limit.
        turns: u32,
    },
    /// The token budget was used up.
    OverBudget {
        /// Tokens used.
        used: u64,
        /// The budget.
        budget: u64,
    },
    /// The user cancelled.
    Cancelled,
    /// A turn failed (the model server, the stream, an instrument without tools).
    Failed {
        /// What went wrong.
        message: String,
    },
}

impl AgentOutcome {
    /// One line for the AI pane.
    pub fn message(&self) -> String {
        match self {
            AgentOutcome::Done { .. } => "agent run finished".into(),
            AgentOutcome::MaxTurns { turns } => {
                format!("agent run stopped: it reached its limit of {turns} model turns")
            }
            AgentOutcome::OverBudget { used, budget } => {
                format!("agent run stopped: it used {used} tokens of its budget of {budget}")
            }
            AgentOutcome::Cancelled => "agent run cancelled".into(),
            AgentOutcome::Failed { message } => format!("agent run failed: {message}"),
        }
    }
}

/// What is journaled after every node.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AgentJournal {
    /// The conversation so far.
    pub messages: Vec<AgentMessage>,
    /// Every node so far.
    pub nodes: Vec<AgentNode>,
    /// The proposed changes.
    pub changes: ChangeSet,
}

impl AgentJournal {
    /// Reads a journal file back (a torn last line is skipped); nodes that were running
    /// when the process died are marked interrupted.
    pub fn read(path: &std::path::Path) -> std::io::Result<AgentJournal> {
        let mut state = replay(&std::fs::read_to_string(path)?);
        for node in &mut state.nodes {
            if node.status == NodeStatus::Running {
                node.status = NodeStatus::Interrupted;
            }
        }
        Ok(state)
    }
}

/// One line of the journal file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum JournalRecord {
    /// A message appended to the conversation.
    Message { message: AgentMessage },
    /// A node started or changed.
    Node { node: AgentNode },
    /// The change set after an edit.
    Changes { changes: ChangeSet },
}

/// The append-only journal of a run.
struct JournalFile {
    path: PathBuf,
    file: std::fs::File,
    /// Messages already written.
    messages: usize,
}

impl JournalFile {
    fn open(path: PathBuf, messages: usize) -> std::io::Result<Self> {
        use std::io::Write as _;
        // A line torn by a crash is ended, so the next record starts on its own line.
        let torn = std::fs::read(&path).is_ok_and(|b| b.last().is_some_and(|c| *c != b'\n'));
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        if torn {
            file.write_all(b"\n")?;
        }
        Ok(Self {
            path,
            file,
            messages,
        })
    }

    fn append(&mut self, record: &JournalRecord) {
        use std::io::Write as _;
        let mut line = match serde_json::to_vec(record) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot encode an agent journal record");
                return;
            }
        };
        line.push(b'\n');
        if let Err(e) = self.file.write_all(&line) {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot write the agent journal");
        }
    }
}

/// Reads a journal: records in order; a torn last line (a crash mid-write) is skipped.
fn replay(text: &str) -> AgentJournal {
    let mut state = AgentJournal::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<JournalRecord>(line) {
            Ok(JournalRecord::Message { message }) => state.messages.push(message),
            Ok(JournalRecord::Node { node }) => {
                if let Some(existing) = state.nodes.get_mut(node.id) {
                    *existing = node;
                } else if node.id == state.nodes.len() {
                    state.nodes.push(node);
                }
            }
            Ok(JournalRecord::Changes { changes }) => state.changes = changes,
            Err(e) => tracing::warn!(error = %e, "skipping an agent journal line"),
        }
    }
    state
}

/// An agent conversation in a workspace over one instrument.
pub struct Agent {
    instrument: Arc<dyn Instrument>,
    tools: ToolRegistry,
    workspace: Arc<Workspace>,
    config: AgentConfig,
    ui: Arc<dyn AgentUi>,
    grants: Option<Arc<Mutex<RememberedGrants>>>,
    journal: Option<JournalFile>,
    state: AgentJournal,
    changes: Arc<Mutex<ChangeSet>>,
}

impl Agent {
    /// A new conversation.
    pub fn new(
        instrument: Arc<dyn Instrument>,
        tools: ToolRegistry,
        workspace: Workspace,
        config: AgentConfig,
        ui: Arc<dyn AgentUi>,
    ) -> Self {
        let mut system = config.system_prompt.clone();
        if let Some(instructions) = project_instructions(&workspace) {
            system.push_str("\n\nProject instructions (AGENTS.md):\n");
            system.push_str(&instructions);
        }
        let state = AgentJournal {
            messages: vec![AgentMessage::System { content: system }],
            ..Default::default()
        };
        Self {
            instrument,
            tools,
            workspace: Arc::new(workspace),
            config,
            ui,
            grants: None,
            journal: None,
            state,
            changes: Arc::default(),
        }
    }

    /// Remembers "always allow" answers in (and reads them from) `grants`.
    pub fn with_grants(mut self, grants: Arc<Mutex<RememberedGrants>>) -> Self {
        self.grants = Some(grants);
        self
    }

    /// Journals the run to `path` (JSON lines, appended as the run grows; the
    /// conversation so far is written first).
    pub fn with_journal(mut self, path: PathBuf) -> std::io::Result<Self> {
        let mut journal = JournalFile::open(path, 0)?;
        for message in &self.state.messages {
            journal.append(&JournalRecord::Message {
                message: message.clone(),
            });
        }
        journal.messages = self.state.messages.len();
        self.journal = Some(journal);
        Ok(self)
    }

    /// Reads a journal back (the conversation, nodes and changes) and goes on
    /// appending to it. Nodes that were running when the process died are marked
    /// interrupted.
    pub fn restore(mut self, path: PathBuf) -> std::io::Result<Self> {
        let state = AgentJournal::read(&path)?;
        if state.messages.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: no agent conversation in this journal", path.display()),
            ));
        }
        *self.changes.lock() = state.changes.clone();
        self.journal = Some(JournalFile::open(path, state.messages.len())?);
        self.state = state;
        Ok(self)
    }

    /// The conversation so far.
    pub fn messages(&self) -> &[AgentMessage] {
        &self.state.messages
    }

    /// The nodes so far.
    pub fn nodes(&self) -> &[AgentNode] {
        &self.state.nodes
    }

    /// The files the run proposes to change.
    pub fn changes(&self) -> ChangeSet {
        self.changes.lock().clone()
    }

    /// The live change set, shared: readable while [`Agent::send`] runs (a front end
    /// turns each edit into a proposal as it happens).
    pub fn changes_handle(&self) -> Arc<Mutex<ChangeSet>> {
        self.changes.clone()
    }

    /// The instrument the conversation talks to.
    pub fn instrument(&self) -> &Arc<dyn Instrument> {
        &self.instrument
    }

    /// Runs a task (or a follow-up in the same conversation) to its end.
    pub async fn send(
        &mut self,
        task: &str,
        events: mpsc::Sender<AgentEvent>,
        cancel: CancellationToken,
    ) -> AgentOutcome {
        self.state.messages.push(AgentMessage::User {
            content: task.to_string(),
        });
        // Journaled before the first turn, so a crash during it still knows the task.
        self.save();
        self.resume(events, cancel).await
    }

    /// Goes on from where the conversation is: tool calls of the last turn that have no
    /// result yet are run (finished ones are not run again), then the loop continues.
    pub async fn resume(
        &mut self,
        events: mpsc::Sender<AgentEvent>,
        cancel: CancellationToken,
    ) -> AgentOutcome {
        let outcome = self.run_loop(&events, &cancel).await;
        self.save();
        let _ = events.send(AgentEvent::Finished(outcome.clone())).await;
        outcome
    }

    async fn run_loop(
        &mut self,
        events: &mpsc::Sender<AgentEvent>,
        cancel: &CancellationToken,
    ) -> AgentOutcome {
        if !self.instrument.supports_tools() {
            return AgentOutcome::Failed {
                message: format!(
                    "instrument {} ({}) cannot call tools; choose an openai, anthropic or ollama instrument for agent runs",
                    self.instrument.name(),
                    self.instrument.kind().as_str()
                ),
            };
        }
        let mut used: u64 = 0;
        let mut turns: u32 = 0;
        loop {
            if cancel.is_cancelled() {
                return AgentOutcome::Cancelled;
            }
            let pending = self.pending_calls();
            if !pending.is_empty() {
                let parent = self
                    .state
                    .nodes
                    .iter()
                    .rposition(|n| n.kind == NodeKind::Turn);
                for call in pending {
                    let result = self.run_call(&call, parent, events, cancel).await;
                    self.state.messages.push(AgentMessage::Tool(result));
                    self.save();
                    if cancel.is_cancelled() {
                        return AgentOutcome::Cancelled;
                    }
                }
                continue;
            }
            if let Some(AgentMessage::Assistant { content, .. }) = self.state.messages.last() {
                return AgentOutcome::Done {
                    text: content.clone(),
                };
            }
            if turns >= self.config.max_turns {
                return AgentOutcome::MaxTurns {
                    turns: self.config.max_turns,
                };
            }
            if let Some(budget) = self.config.token_budget
                && used >= budget
            {
                return AgentOutcome::OverBudget { used, budget };
            }
            turns += 1;
            match self.run_turn(events, cancel).await {
                Ok(tokens) => used += tokens,
                Err(outcome) => return outcome,
            }
        }
    }

    /// The last turn's tool calls that have no result yet.
    fn pending_calls(&self) -> Vec<ToolCall> {
        let Some(at) = self
            .state
            .messages
            .iter()
            .rposition(|m| matches!(m, AgentMessage::Assistant { .. }))
        else {
            return Vec::new();
        };
        let AgentMessage::Assistant { tool_calls, .. } = &self.state.messages[at] else {
            return Vec::new();
        };
        let answered: Vec<&str> = self.state.messages[at + 1..]
            .iter()
            .filter_map(|m| match m {
                AgentMessage::Tool(r) => Some(r.call_id.as_str()),
                _ => None,
            })
            .collect();
        tool_calls
            .iter()
            .filter(|c| !answered.contains(&c.id.as_str()))
            .cloned()
            .collect()
    }

    fn start_node(
        &mut self,
        kind: NodeKind,
        label: String,
        summary: String,
        input: String,
    ) -> usize {
        let id = self.state.nodes.len();
        let parent = id.checked_sub(1);
        self.state.nodes.push(AgentNode {
            id,
            kind,
            label,
            summary,
            parent,
            status: NodeStatus::Running,
            tokens_in: 0,
            tokens_out: 0,
            time_to_first_token: None,
            tokens_per_sec: None,
            duration: None,
            result_bytes: None,
            input,
            output: String::new(),
        });
        id
    }

    /// Journals node `id` and tells the panes.
    async fn announce(&mut self, events: &mpsc::Sender<AgentEvent>, id: usize) {
        let Some(node) = self.state.nodes.get(id) else {
            return;
        };
        if let Some(j) = &mut self.journal {
            j.append(&JournalRecord::Node { node: node.clone() });
        }
        let _ = events.send(AgentEvent::Node(node.clone())).await;
    }

    /// One model turn; returns the tokens it used, or how the run ends.
    async fn run_turn(
        &mut self,
        events: &mpsc::Sender<AgentEvent>,
        cancel: &CancellationToken,
    ) -> Result<u64, AgentOutcome> {
        let tools = self.tools.specs();
        let messages = self.fit_context(&tools, events).await;
        let request = ToolRequest {
            messages,
            tools,
            max_tokens: self.config.max_tokens,
            temperature: None,
            model: None,
        };
        // The turn's input: what is new since the model last spoke (the whole prompt is
        // the conversation up to here).
        let since = self
            .state
            .messages
            .iter()
            .rposition(|m| matches!(m, AgentMessage::Assistant { .. }))
            .map_or(0, |i| i + 1);
        let input = serde_json::to_string(&self.state.messages[since..]).unwrap_or_default();
        let id = self.start_node(
            NodeKind::Turn,
            self.instrument.model().to_string(),
            String::new(),
            input,
        );
        self.announce(events, id).await;
        let started = Instant::now();
        let (tx, mut rx) = mpsc::channel(256);
        let forward_to = events.clone();
        let forward = tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                if let InstrumentEvent::Token(t) = e {
                    let _ = forward_to.send(AgentEvent::Text(t)).await;
                }
            }
        });
        let result = self
            .instrument
            .call_with_tools(request, tx, cancel.clone())
            .await;
        let _ = forward.await;
        let node = &mut self.state.nodes[id];
        node.duration = Some(started.elapsed());
        let turn = match result {
            Ok(t) => t,
            Err(e) => {
                let e = e.redacted();
                let cancelled = matches!(e, crate::instrument::InstrumentError::Cancelled { .. });
                node.status = if cancelled {
                    NodeStatus::Interrupted
                } else {
                    NodeStatus::Failed(e.to_string())
                };
                node.output = e.partial().unwrap_or_default().to_string();
                self.announce(events, id).await;
                self.save();
                return Err(if cancelled {
                    AgentOutcome::Cancelled
                } else {
                    AgentOutcome::Failed {
                        message: e.to_string(),
                    }
                });
            }
        };
        let c = &turn.completion;
        node.tokens_in = c.usage.prompt_tokens;
        node.tokens_out = c.usage.completion_tokens;
        node.time_to_first_token = c.time_to_first_token;
        let generating = c
            .elapsed
            .saturating_sub(c.time_to_first_token.unwrap_or_default())
            .as_secs_f64();
        node.tokens_per_sec = (generating > 0.0 && c.usage.completion_tokens > 0)
            .then(|| c.usage.completion_tokens as f64 / generating);
        node.result_bytes = Some(c.text.len());
        node.output = c.text.clone();
        node.summary = summary_line(&c.text, &turn.tool_calls);
        node.status = NodeStatus::Done;
        let used = c.usage.prompt_tokens + c.usage.completion_tokens;
        self.state.messages.push(AgentMessage::Assistant {
            content: c.text.clone(),
            tool_calls: turn.tool_calls,
        });
        self.announce(events, id).await;
        self.save();
        Ok(used)
    }

    /// The conversation as the next request sends it: when it would not fit the
    /// context window, the oldest exchanges are left out and a context node says so.
    async fn fit_context(
        &mut self,
        tools: &[crate::instrument::ToolSpec],
        events: &mpsc::Sender<AgentEvent>,
    ) -> Vec<AgentMessage> {
        let Some(window) = self.config.context_window else {
            return self.state.messages.clone();
        };
        let reserve = self
            .config
            .max_tokens
            .map_or(super::context::ANSWER_RESERVE, u64::from);
        let budget = window.saturating_sub(reserve);
        let fitted = super::context::fit(&self.state.messages, tools, budget);
        if fitted.dropped > 0 {
            let summary = format!(
                "left out {} earlier messages: about {} tokens sent of a window of {window}",
                fitted.dropped, fitted.tokens
            );
            let id = self.start_node(NodeKind::Context, "context".into(), summary, String::new());
            let node = &mut self.state.nodes[id];
            node.status = NodeStatus::Done;
            node.tokens_in = fitted.tokens;
            self.announce(events, id).await;
        }
        fitted.messages
    }

    /// Checks, runs and records one tool call; returns the result for the model.
    async fn run_call(
        &mut self,
        call: &ToolCall,
        parent: Option<usize>,
        events: &mpsc::Sender<AgentEvent>,
        cancel: &CancellationToken,
    ) -> ToolResult {
        let tool = self.tools.get(&call.name).cloned();
        let access = tool.as_ref().map(|t| t.access());
        let args = call.parsed_arguments();
        let summary = match (&tool, &args) {
            (Some(t), Ok(a)) => t.summary(a),
            _ => one_line(&call.arguments),
        };
        let id = self.start_node(
            NodeKind::Tool,
            call.name.clone(),
            summary.clone(),
            call.arguments.clone(),
        );
        self.state.nodes[id].parent = parent;
        self.announce(events, id).await;
        let started = Instant::now();
        let mut refused = false;
        let output = match (tool, args) {
            (None, _) => ToolOutput::error(format!(
                "there is no tool called {}; the tools are: {}",
                call.name,
                self.tools
                    .specs()
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (Some(_), Err(message)) => ToolOutput::error(message),
            (Some(tool), Ok(args)) => {
                match self.permit(&call.name, tool.access(), &summary).await {
                    Err(refusal) => {
                        refused = true;
                        refusal
                    }
                    Ok(()) => {
                        let (tx, mut rx) = mpsc::channel::<String>(64);
                        let forward_to = events.clone();
                        let forward = tokio::spawn(async move {
                            while let Some(text) = rx.recv().await {
                                let _ = forward_to
                                    .send(AgentEvent::ToolOutput { node: id, text })
                                    .await;
                            }
                        });
                        let ctx = ToolContext {
                            workspace: self.workspace.clone(),
                            changes: self.changes.clone(),
                            cancel: cancel.clone(),
                            output: Some(tx),
                            ui: self.ui.clone(),
                            command_env: Arc::new(self.config.command_env.clone()),
                        };
                        let out = tool.run(args, ctx).await;
                        let _ = forward.await;
                        out
                    }
                }
            }
        };
        let mut output = output;
        output.content = super::context::cut_result(&call.name, output.content);
        if access == Some(super::tools::Access::Edit)
            && !output.is_error
            && let Some(j) = &mut self.journal
        {
            self.state.changes = self.changes.lock().clone();
            j.append(&JournalRecord::Changes {
                changes: self.state.changes.clone(),
            });
        }
        let node = &mut self.state.nodes[id];
        node.duration = Some(started.elapsed());
        node.result_bytes = Some(output.content.len());
        node.output = output.content.clone();
        node.status = if refused {
            NodeStatus::Refused
        } else if output.is_error {
            NodeStatus::Failed(one_line(&output.content))
        } else {
            NodeStatus::Done
        };
        self.announce(events, id).await;
        ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            content: output.content,
            is_error: output.is_error,
        }
    }

    /// Whether the call may run; a refusal the model can read when not.
    async fn permit(
        &self,
        tool: &str,
        access: super::tools::Access,
        argument: &str,
    ) -> Result<(), ToolOutput> {
        let refusal = |why: &str| {
            ToolOutput::error(format!(
                "refused: {why} ({tool} {argument}); do not retry it, do something else or ask_user"
            ))
        };
        match self.config.permissions.for_tool(tool, access) {
            Permission::Allow => Ok(()),
            Permission::Deny => Err(refusal("the configuration denies this tool")),
            Permission::Ask => {
                let root = self.workspace.root();
                if let Some(g) = &self.grants
                    && g.lock().allows(root, tool, argument)
                {
                    return Ok(());
                }
                let request = PermissionRequest {
                    tool: tool.to_string(),
                    argument: argument.to_string(),
                };
                match self.ui.ask_permission(request).await {
                    Decision::Allow => Ok(()),
                    Decision::AlwaysAllow => {
                        if let Some(g) = &self.grants {
                            let grant = Grant {
                                workspace: root.to_path_buf(),
                                tool: tool.to_string(),
                                argument: argument.to_string(),
                            };
                            if let Err(e) = g.lock().remember(grant) {
                                tracing::warn!(error = %e, "cannot save the agent's permission grants");
                            }
                        }
                        Ok(())
                    }
                    Decision::Deny => Err(refusal("the user refused this call")),
                }
            }
        }
    }

    /// Appends the messages not yet journaled.
    fn save(&mut self) {
        let Some(j) = &mut self.journal else {
            return;
        };
        for message in &self.state.messages[j.messages.min(self.state.messages.len())..] {
            j.append(&JournalRecord::Message {
                message: message.clone(),
            });
        }
        j.messages = self.state.messages.len();
    }
}

/// How much of AGENTS.md goes into the system prompt at most.
const INSTRUCTIONS_LIMIT: usize = 16 * 1024;

/// The workspace's `AGENTS.md` (as other agents read it), cut to a size that leaves
/// room for the task.
fn project_instructions(workspace: &Workspace) -> Option<String> {
    let text = std::fs::read_to_string(workspace.root().join("AGENTS.md")).ok()?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(super::tools::command::cut_middle(text, INSTRUCTIONS_LIMIT))
}

/// The first line of `text`, cut to 100 characters.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

/// A turn's summary: its first words, or the tools it called.
fn summary_line(text: &str, calls: &[ToolCall]) -> String {
    if calls.is_empty() {
        return one_line(text);
    }
    let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
    format!("calls {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::tools::Access;

    #[test]
    fn the_agent_section_of_config_toml_gives_a_run_config() {
        let settings: AgentSettings = toml::from_str(
            "max_turns = 5\ntoken_budget = 1000\ncommand_env = [\"PATH\"]\n[permissions]\nrun_command = \"deny\"\n",
        )
        .unwrap();
        let config = settings.config();
        assert_eq!(config.max_turns, 5);
        assert_eq!(config.token_budget, Some(1000));
        assert_eq!(config.command_env, vec!["PATH".to_string()]);
        assert_eq!(
            config.permissions.for_tool("run_command", Access::Run),
            Permission::Deny
        );
        let defaults = AgentSettings::default().config();
        assert_eq!(defaults.max_turns, 25);
        assert!(defaults.command_env.iter().all(|v| !v.contains("KEY")));
        assert!(toml::from_str::<AgentSettings>("max_turn = 3").is_err());
    }
}
