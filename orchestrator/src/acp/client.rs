//! One external agent: its process (workspace as cwd, own process group, resource
//! limits, cleaned environment, killed when dropped), the ACP handshake
//! (`initialize`, `session/new`), prompts, cancel, and the agent's requests to us
//! (files, permissions, terminals) turned into [`AcpEvent`]s for the UI.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use agent_client_protocol_schema::ProtocolVersion;
use agent_client_protocol_schema::v1::{
    AgentRequest, CancelNotification, ClientCapabilities, ContentBlock, CreateTerminalResponse,
    FileSystemCapabilities, Implementation, InitializeRequest, InitializeResponse,
    LoadSessionRequest, LoadSessionResponse, McpCapabilities, McpServer, NewSessionRequest,
    NewSessionResponse, PromptRequest, PromptResponse, ReadTextFileResponse,
    RequestPermissionOutcome, RequestPermissionRequest, RequestPermissionResponse, SessionId,
    SessionNotification, SetSessionConfigOptionResponse, TerminalOutputResponse,
    WaitForTerminalExitResponse, WriteTextFileResponse,
};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};

use super::fs::{BufferText, Files};
use super::rpc::{Incoming, Rpc, cut};
use super::session::SessionView;
use super::terminal::Terminals;
use super::{AcpError, AcpEvent, AgentConfig, PermissionAsk, WriteProposal};

/// How long an agent may take to answer `initialize` and `session/new` (npx may
/// download the adapter first).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);
/// Stderr lines kept to explain a failure.
const STDERR_TAIL: usize = 20;

/// How to open the agent's session.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// MCP servers to hand the agent in `session/new` / `session/load` (those whose
    /// transport the agent does not take are left out, and logged).
    pub mcp_servers: Vec<McpServer>,
    /// Load this earlier session (`session/load`) instead of opening a new one.
    pub load_session: Option<String>,
}

/// A running external agent with one session.
pub struct AcpAgent {
    name: String,
    rpc: Rpc,
    session: SessionId,
    init: InitializeResponse,
    new_session: NewSessionResponse,
    child: Mutex<Option<Child>>,
    pid: Option<u32>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stderr_done: watch::Receiver<bool>,
    cancel: watch::Sender<u64>,
    terminals: Terminals,
    view: Arc<Mutex<SessionView>>,
}

impl AcpAgent {
    /// Starts `config`'s agent in `workspace`, initializes it and opens a session.
    /// Open buffers are read through `buffers`. Everything the agent does arrives on
    /// the receiver.
    pub async fn start(
        config: &AgentConfig,
        workspace: &Path,
        buffers: BufferText,
    ) -> Result<(AcpAgent, mpsc::UnboundedReceiver<AcpEvent>), AcpError> {
        Self::start_with(config, workspace, buffers, StartOptions::default()).await
    }

    /// [`start`](AcpAgent::start) with MCP servers to forward, or an earlier session to
    /// load (its replayed updates are on the receiver when this returns).
    pub async fn start_with(
        config: &AgentConfig,
        workspace: &Path,
        buffers: BufferText,
        options: StartOptions,
    ) -> Result<(AcpAgent, mpsc::UnboundedReceiver<AcpEvent>), AcpError> {
        let mut child = spawn(config, workspace)?;
        let pid = child.id();
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(AcpError::Spawn {
                command: config.command.clone(),
                message: "no stdio pipes".into(),
            });
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (stderr_done_tx, stderr_done) = watch::channel(false);
        let t = tail.clone();
        let name = config.name.clone();
        tokio::spawn(async move {
            read_stderr(stderr, t, name).await;
            let _ = stderr_done_tx.send(true);
        });
        let (rpc, incoming) = Rpc::start(stdout, stdin);
        let (events, events_rx) = mpsc::unbounded_channel();
        let (cancel, cancel_rx) = watch::channel(0u64);
        let files = Files::new(workspace, buffers);
        let terminals = Terminals::default();
        let view = Arc::new(Mutex::new(SessionView::default()));
        tokio::spawn(dispatch(
            Dispatcher {
                rpc: rpc.clone(),
                files,
                terminals: terminals.clone(),
                events,
                cancel: cancel_rx,
                stderr: tail.clone(),
                stderr_done: stderr_done.clone(),
                name: config.name.clone(),
                view: view.clone(),
            },
            incoming,
        ));
        let mut agent = AcpAgent {
            name: config.name.clone(),
            rpc,
            session: SessionId::new(""),
            init: InitializeResponse::new(ProtocolVersion::V1),
            new_session: NewSessionResponse::new(""),
            child: Mutex::new(Some(child)),
            pid,
            stderr: tail,
            stderr_done,
            cancel,
            terminals,
            view,
        };
        agent.handshake(config, workspace, options).await?;
        Ok((agent, events_rx))
    }

    async fn handshake(
        &mut self,
        config: &AgentConfig,
        workspace: &Path,
        options: StartOptions,
    ) -> Result<(), AcpError> {
        let init = InitializeRequest::new(ProtocolVersion::V1)
            .client_capabilities(
                ClientCapabilities::new()
                    .fs(FileSystemCapabilities::new()
                        .read_text_file(true)
                        .write_text_file(true))
                    .terminal(true),
            )
            .client_info(Implementation::new("symphony", env!("CARGO_PKG_VERSION")));
        let answer = self.timed("initialize", to_value(&init)).await?;
        self.init = parse("initialize", answer)?;
        // The servers the caller passed, then the `[[mcp_servers]]` of the agent's config.
        let caps = &self.init.agent_capabilities.mcp_capabilities;
        let mut mcp = supported_mcp(&self.name, options.mcp_servers, caps);
        mcp.extend(crate::mcp::acp_servers(&config.mcp_servers, caps));
        if let Some(id) = options.load_session {
            return self.load(id, workspace, mcp).await;
        }
        let new = NewSessionRequest::new(workspace).mcp_servers(mcp);
        let answer = match self.timed("session/new", to_value(&new)).await {
            Err(AcpError::Rpc { error, .. }) if error.code == AUTH_REQUIRED => {
                return Err(AcpError::AuthRequired {
                    agent: self.name.clone(),
                    methods: self.init.auth_methods.iter().map(describe_auth).collect(),
                });
            }
            other => other?,
        };
        self.new_session = parse("session/new", answer)?;
        self.session = self.new_session.session_id.clone();
        self.view.lock().open(
            self.new_session.modes.clone(),
            self.new_session.config_options.clone(),
        );
        if let Some(mode) = &config.default_mode {
            let params = json!({"sessionId": self.session, "modeId": mode});
            if let Err(e) = self.timed("session/set_mode", params).await {
                tracing::warn!(agent = %self.name, %mode, "ACP: default_mode not taken: {e}");
            }
        }
        if let Some(model) = &config.default_model {
            self.select_model(model).await;
        }
        Ok(())
    }

    /// `session/load` of session `id`: the agent replays the conversation as updates
    /// (queued on the event receiver) before it answers.
    async fn load(
        &mut self,
        id: String,
        workspace: &Path,
        mcp: Vec<McpServer>,
    ) -> Result<(), AcpError> {
        if !self.init.agent_capabilities.load_session {
            return Err(AcpError::CannotLoad {
                agent: self.name.clone(),
            });
        }
        let req = LoadSessionRequest::new(id.clone(), workspace).mcp_servers(mcp);
        let answer = match self.timed("session/load", to_value(&req)).await {
            Err(AcpError::Rpc { error, .. }) if error.code == AUTH_REQUIRED => {
                return Err(AcpError::AuthRequired {
                    agent: self.name.clone(),
                    methods: self.init.auth_methods.iter().map(describe_auth).collect(),
                });
            }
            other => other?,
        };
        let loaded: LoadSessionResponse = parse("session/load", answer)?;
        self.session = SessionId::new(id.clone());
        let mut new = NewSessionResponse::new(id);
        new.modes = loaded.modes;
        new.config_options = loaded.config_options;
        self.view
            .lock()
            .open(new.modes.clone(), new.config_options.clone());
        self.new_session = new;
        Ok(())
    }

    /// `session/set_mode`; the view follows once the agent agreed.
    pub async fn set_mode(&self, mode: &str) -> Result<(), AcpError> {
        let params = json!({"sessionId": self.session, "modeId": mode});
        self.timed("session/set_mode", params).await?;
        self.view.lock().set_current_mode(mode);
        Ok(())
    }

    /// `session/set_config_option` (`value` "true"/"false" for a switch); the view takes
    /// the options the agent answers with.
    pub async fn set_option(&self, id: &str, value: &str) -> Result<(), AcpError> {
        let is_switch = self.view.lock().options.iter().any(|o| {
            &*o.id.0 == id
                && matches!(
                    o.kind,
                    agent_client_protocol_schema::v1::SessionConfigKind::Boolean(_)
                )
        });
        let value = match (is_switch, value) {
            (true, "true") => json!({"type": "boolean", "value": true}),
            (true, "false") => json!({"type": "boolean", "value": false}),
            _ => json!(value),
        };
        let mut params = json!({"sessionId": self.session, "configId": id});
        match value {
            Value::Object(o) => {
                if let Some(p) = params.as_object_mut() {
                    p.extend(o);
                }
            }
            v => params["value"] = v,
        }
        let answer = self.timed("session/set_config_option", params).await?;
        if let Ok(r) = serde_json::from_value::<SetSessionConfigOptionResponse>(answer) {
            self.view.lock().options = r.config_options;
        }
        Ok(())
    }

    /// The session's modes, options and commands as the agent last said.
    pub fn view(&self) -> SessionView {
        self.view.lock().clone()
    }

    /// The session id (to load it again after a restart).
    pub fn session_id(&self) -> &str {
        &self.session.0
    }

    /// Picks `model` through the session's config option of category "model" (how
    /// OpenCode and others offer their models); logged when the agent has none.
    async fn select_model(&self, model: &str) {
        let options = to_value(&self.new_session.config_options);
        let id = options.as_array().and_then(|opts| {
            opts.iter()
                .find(|o| o.get("category").and_then(Value::as_str) == Some("model"))
                .and_then(|o| o.get("id").and_then(Value::as_str))
        });
        let Some(id) = id else {
            tracing::warn!(agent = %self.name, %model, "ACP: default_model set but the agent offers no model option");
            return;
        };
        let params = json!({"sessionId": self.session, "configId": id, "value": model});
        if let Err(e) = self.timed("session/set_config_option", params).await {
            tracing::warn!(agent = %self.name, %model, "ACP: default_model not taken: {e}");
        }
    }

    /// What the agent said about itself in `initialize` (capabilities, auth methods).
    pub fn info(&self) -> &InitializeResponse {
        &self.init
    }

    /// The session's modes and config options as `session/new` answered.
    pub fn session(&self) -> &NewSessionResponse {
        &self.new_session
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends one prompt (the user's text plus a resource link per @-mentioned file)
    /// and waits for the turn to end; updates stream as events meanwhile.
    pub async fn prompt(&self, text: &str, files: &[PathBuf]) -> Result<PromptResponse, AcpError> {
        let files: Vec<_> = files
            .iter()
            .map(|f| crate::agent::Attachment::File(f.clone()))
            .collect();
        let blocks = super::content::prompt_blocks(text, &files, false, Path::new("/"), &|_| None);
        self.prompt_blocks(blocks).await
    }

    /// Whether the agent takes embedded resources in prompts (`embeddedContext`).
    pub fn takes_embedded_context(&self) -> bool {
        self.init
            .agent_capabilities
            .prompt_capabilities
            .embedded_context
    }

    /// Sends one prompt of `blocks` (see [`super::content::prompt_blocks`]) and waits
    /// for the turn to end.
    pub async fn prompt_blocks(
        &self,
        blocks: Vec<ContentBlock>,
    ) -> Result<PromptResponse, AcpError> {
        let req = PromptRequest::new(self.session.clone(), blocks);
        let answer = self.rpc.request("session/prompt", to_value(&req)).await;
        match answer {
            Ok(a) => parse("session/prompt", a),
            Err(e) => Err(self.explain(e).await),
        }
    }

    /// `session/cancel`: the agent stops the turn (its prompt then ends with
    /// `cancelled`); permission questions still open are answered "cancelled".
    pub fn cancel(&self) {
        self.cancel.send_modify(|n| *n += 1);
        self.rpc.notify(
            "session/cancel",
            to_value(&CancelNotification::new(self.session.clone())),
        );
    }

    /// Kills the agent's process group and its terminals.
    pub fn kill(&self) {
        self.terminals.kill_all();
        if let Some(pid) = self.pid {
            symphony_extensions::host::kill_group(pid);
        }
        self.child.lock().take();
    }

    async fn timed(&self, method: &str, params: Value) -> Result<Value, AcpError> {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.rpc.request(method, params)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.explain(e).await),
            Err(_) => Err(AcpError::Timeout {
                method: method.to_owned(),
                secs: HANDSHAKE_TIMEOUT.as_secs(),
            }),
        }
    }

    /// An agent that went away is reported with the last lines it wrote to stderr.
    async fn explain(&self, e: AcpError) -> AcpError {
        match e {
            AcpError::Exited => {
                wait_stderr(self.stderr_done.clone()).await;
                AcpError::Crashed {
                    agent: self.name.clone(),
                    stderr: stderr_text(&self.stderr),
                }
            }
            other => other,
        }
    }
}

impl Drop for AcpAgent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// ACP's "authentication required" error code.
pub const AUTH_REQUIRED: i64 = -32000;

fn describe_auth(m: &agent_client_protocol_schema::v1::AuthMethod) -> String {
    let v = serde_json::to_value(m).unwrap_or(Value::Null);
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| v.get("id").and_then(Value::as_str))
        .unwrap_or("?");
    match v.get("description").and_then(Value::as_str) {
        Some(d) => format!("{name}: {d}"),
        None => name.to_owned(),
    }
}

/// The MCP servers whose transport the agent takes: stdio always, HTTP and SSE when
/// its `mcpCapabilities` say so.
pub fn supported_mcp(
    agent: &str,
    servers: Vec<McpServer>,
    caps: &McpCapabilities,
) -> Vec<McpServer> {
    servers
        .into_iter()
        .filter(|s| {
            let (ok, name, transport) = match s {
                McpServer::Http(h) => (caps.http, &h.name, "HTTP"),
                McpServer::Sse(h) => (caps.sse, &h.name, "SSE"),
                McpServer::Stdio(h) => (true, &h.name, "stdio"),
                _ => (false, &String::new(), "unknown"),
            };
            if !ok {
                tracing::info!(%agent, server = %name, "ACP: MCP server not forwarded: the agent does not take the {transport} transport");
            }
            ok
        })
        .collect()
}

fn spawn(config: &AgentConfig, workspace: &Path) -> Result<Child, AcpError> {
    let mut cmd = Command::new(&config.command);
    cmd.args(&config.args)
        .current_dir(workspace)
        .env_clear()
        .envs(symphony_extensions::host::child_env(
            std::env::vars_os(),
            &[],
        ))
        .envs(&config.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    // Agents run node and language servers: no address-space cap, the CPU and
    // open-file limits of extensions.
    let limits = symphony_extensions::host::Limits {
        address_space: None,
        cpu_seconds: Some(4 * 3600),
        open_files: Some(4096),
    };
    symphony_extensions::host::apply_limits(&mut cmd, limits);
    cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AcpError::NotInstalled {
            agent: config.name.clone(),
            command: config.command.clone(),
        },
        _ => AcpError::Spawn {
            command: config.command.clone(),
            message: e.to_string(),
        },
    })
}

async fn read_stderr(
    stderr: tokio::process::ChildStderr,
    tail: Arc<Mutex<VecDeque<String>>>,
    name: String,
) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(agent = %name, "agent stderr: {line}");
        let mut t = tail.lock();
        if t.len() == STDERR_TAIL {
            t.pop_front();
        }
        t.push_back(cut(&line, 300));
    }
}

/// Waits (a little) for the agent's stderr to be read to its end, so a crash is
/// explained with its last words.
async fn wait_stderr(mut done: watch::Receiver<bool>) {
    let _ = tokio::time::timeout(Duration::from_secs(5), done.wait_for(|d| *d)).await;
}

fn stderr_text(tail: &Mutex<VecDeque<String>>) -> String {
    tail.lock().iter().cloned().collect::<Vec<_>>().join("\n")
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn parse<T: serde::de::DeserializeOwned>(method: &str, v: Value) -> Result<T, AcpError> {
    serde_json::from_value(v).map_err(|e| AcpError::BadAnswer {
        method: method.to_owned(),
        message: e.to_string(),
    })
}

/// A `session/update`'s params as the event the UI folds: [`AcpEvent::Update`], or
/// [`AcpEvent::Ignored`] with its `sessionUpdate` kind when it does not parse.
pub fn decode_update(params: Value) -> AcpEvent {
    let kind = match params
        .pointer("/update/sessionUpdate")
        .and_then(Value::as_str)
    {
        Some(k) => k.to_owned(),
        None => "?".to_owned(),
    };
    match serde_json::from_value::<SessionNotification>(params) {
        Ok(n) => AcpEvent::Update(Box::new(n.update)),
        Err(e) => {
            tracing::debug!(%kind, "ACP: session/update not parsed: {e}");
            AcpEvent::Ignored { kind }
        }
    }
}

struct Dispatcher {
    rpc: Rpc,
    files: Files,
    terminals: Terminals,
    events: mpsc::UnboundedSender<AcpEvent>,
    cancel: watch::Receiver<u64>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stderr_done: watch::Receiver<bool>,
    name: String,
    view: Arc<Mutex<SessionView>>,
}

async fn dispatch(d: Dispatcher, mut incoming: mpsc::UnboundedReceiver<Incoming>) {
    let d = Arc::new(d);
    while let Some(msg) = incoming.recv().await {
        match msg {
            Incoming::Notification { method, params } => d.notification(&method, params),
            Incoming::Request { id, method, params } => {
                let d = d.clone();
                tokio::spawn(async move { d.request(id, &method, params).await });
            }
            Incoming::Malformed(line) => {
                tracing::warn!(agent = %d.name, "ACP: not a JSON-RPC line: {line}");
                let _ = d.events.send(AcpEvent::Malformed(line));
            }
            Incoming::Answer(id, result) => d.rpc.resolve(id, result),
            Incoming::Closed => {
                d.terminals.kill_all();
                wait_stderr(d.stderr_done.clone()).await;
                d.rpc.close();
                let _ = d.events.send(AcpEvent::Exited {
                    stderr: stderr_text(&d.stderr),
                });
                return;
            }
        }
    }
}

impl Dispatcher {
    fn notification(&self, method: &str, params: Value) {
        if method != "session/update" {
            tracing::info!(agent = %self.name, %method, "ACP: notification ignored");
            return;
        }
        let ev = decode_update(params);
        match &ev {
            AcpEvent::Update(u) => {
                self.view.lock().apply(u);
            }
            AcpEvent::Ignored { kind } => {
                tracing::warn!(agent = %self.name, %kind, "ACP: session/update of a kind not known, ignored");
            }
            _ => {}
        }
        let _ = self.events.send(ev);
    }

    async fn request(&self, id: Value, method: &str, params: Value) {
        let req = match AgentRequest::from_method_and_params(method, &params) {
            Ok(r) => r,
            Err(agent_client_protocol_schema::MethodDispatchError::UnknownMethod { .. }) => {
                self.rpc
                    .respond_error(id, -32601, &format!("method not found: {method}"));
                return;
            }
            Err(e) => {
                self.rpc
                    .respond_error(id, -32602, &format!("invalid params: {e}"));
                return;
            }
        };
        let result: Result<Value, String> = match req {
            AgentRequest::ReadTextFileRequest(r) => self
                .files
                .read(&r.path, r.line, r.limit)
                .map(|t| to_value(&ReadTextFileResponse::new(t)))
                .map_err(|e| e.to_string()),
            AgentRequest::WriteTextFileRequest(r) => {
                match self.files.propose_write(&r.path, &r.content) {
                    Ok(proposal) => {
                        let _ = self.events.send(AcpEvent::Proposal(WriteProposal {
                            path: self.files.confine(&r.path).unwrap_or(r.path.clone()),
                            content: r.content,
                            proposal,
                        }));
                        Ok(to_value(&WriteTextFileResponse::new()))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            AgentRequest::RequestPermissionRequest(r) => Ok(to_value(
                &RequestPermissionResponse::new(self.permission(r).await),
            )),
            AgentRequest::CreateTerminalRequest(r) => {
                let events = self.events.clone();
                let on_output = Arc::new(move |term: &str, text: &str| {
                    let _ = events.send(AcpEvent::TerminalOutput {
                        terminal: term.to_owned(),
                        text: text.to_owned(),
                    });
                });
                self.terminals
                    .create(&r, self.files.root(), on_output)
                    .map(|t| to_value(&CreateTerminalResponse::new(t)))
                    .map_err(|e| format!("{}: {e}", r.command))
            }
            AgentRequest::TerminalOutputRequest(r) => match self.terminals.output(&r.terminal_id.0)
            {
                Some((out, truncated, exit)) => Ok(to_value(
                    &TerminalOutputResponse::new(out, truncated).exit_status(exit),
                )),
                None => Err(format!("no terminal {}", r.terminal_id.0)),
            },
            AgentRequest::WaitForTerminalExitRequest(r) => {
                match self.terminals.wait(&r.terminal_id.0).await {
                    Some(exit) => Ok(to_value(&WaitForTerminalExitResponse::new(exit))),
                    None => Err(format!("no terminal {}", r.terminal_id.0)),
                }
            }
            AgentRequest::KillTerminalRequest(r) => {
                if self.terminals.kill(&r.terminal_id.0) {
                    Ok(json!({}))
                } else {
                    Err(format!("no terminal {}", r.terminal_id.0))
                }
            }
            AgentRequest::ReleaseTerminalRequest(r) => {
                self.terminals.release(&r.terminal_id.0);
                Ok(json!({}))
            }
            _ => {
                self.rpc
                    .respond_error(id, -32601, &format!("not supported: {method}"));
                return;
            }
        };
        match result {
            Ok(v) => self.rpc.respond(id, v),
            Err(message) => {
                tracing::info!(agent = %self.name, %method, "ACP: refused: {message}");
                self.rpc.respond_error(id, -32602, &message);
            }
        }
    }

    /// Asks the user; a cancel of the turn (or the question dropped unanswered) answers
    /// "cancelled".
    async fn permission(&self, request: RequestPermissionRequest) -> RequestPermissionOutcome {
        let mut cancel = self.cancel.clone();
        cancel.borrow_and_update();
        let (tx, rx) = oneshot::channel();
        if self
            .events
            .send(AcpEvent::Permission(PermissionAsk {
                request: Box::new(request),
                reply: tx,
            }))
            .is_err()
        {
            return RequestPermissionOutcome::Cancelled;
        }
        tokio::select! {
            answer = rx => answer.unwrap_or(RequestPermissionOutcome::Cancelled),
            _ = cancel.changed() => RequestPermissionOutcome::Cancelled,
        }
    }
}
