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
    NewSessionRequest, NewSessionResponse, PromptRequest, PromptResponse, ReadTextFileResponse,
    RequestPermissionOutcome, RequestPermissionRequest, RequestPermissionResponse, ResourceLink,
    SessionId, SessionNotification, TerminalOutputResponse, TextContent,
    WaitForTerminalExitResponse, WriteTextFileResponse,
};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};

use super::fs::{BufferText, Files};
use super::rpc::{Incoming, Rpc, cut};
use super::terminal::Terminals;
use super::{AcpError, AcpEvent, AgentConfig, PermissionAsk, WriteProposal};

/// How long an agent may take to answer `initialize` and `session/new` (npx may
/// download the adapter first).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);
/// Stderr lines kept to explain a failure.
const STDERR_TAIL: usize = 20;

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
        };
        agent.handshake(config, workspace).await?;
        Ok((agent, events_rx))
    }

    async fn handshake(&mut self, config: &AgentConfig, workspace: &Path) -> Result<(), AcpError> {
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
        let mcp = crate::mcp::acp_servers(
            &config.mcp_servers,
            &self.init.agent_capabilities.mcp_capabilities,
        );
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
        let mut blocks = vec![ContentBlock::Text(TextContent::new(text))];
        for f in files {
            let name = f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            blocks.push(ContentBlock::ResourceLink(ResourceLink::new(
                name,
                format!("file://{}", f.display()),
            )));
        }
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

struct Dispatcher {
    rpc: Rpc,
    files: Files,
    terminals: Terminals,
    events: mpsc::UnboundedSender<AcpEvent>,
    cancel: watch::Receiver<u64>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stderr_done: watch::Receiver<bool>,
    name: String,
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
        match serde_json::from_value::<SessionNotification>(params.clone()) {
            Ok(n) => {
                let _ = self.events.send(AcpEvent::Update(Box::new(n.update)));
            }
            Err(e) => {
                let kind = params
                    .pointer("/update/sessionUpdate")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned();
                tracing::warn!(agent = %self.name, %kind, "ACP: session/update ignored: {e}");
                let _ = self.events.send(AcpEvent::Ignored { kind });
            }
        }
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
