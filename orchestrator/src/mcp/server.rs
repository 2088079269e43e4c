//! One MCP server: started (a child process in its own process group with a cleaned
//! environment, or a Streamable HTTP endpoint), initialized and asked for its tools
//! through `rmcp`; then its tools are called through the same connection. A server that
//! fails to start, or dies later, keeps the reason in its [`McpState`]; calls to it
//! then return an error result the model can read.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ContentBlock,
    Implementation, ResourceContents,
};
use rmcp::service::{Peer, RunningService, ServiceError};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::config::{McpServerConfig, Transport};
use crate::agent::ToolOutput;
use crate::agent::tools::command::cut_middle;
use crate::instrument::CancellationToken;

/// How long a server may take to start and list its tools (npx may download it first).
pub const START_TIMEOUT: Duration = Duration::from_secs(90);
/// Stderr lines kept to explain a failure.
const STDERR_TAIL: usize = 20;
/// Bytes of one result the model reads; the middle of a longer one is cut, with a note.
pub const RESULT_LIMIT: usize = 64 * 1024;

/// Where a server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpState {
    /// `enabled = false` in its entry.
    Disabled,
    /// Starting: initializing and listing its tools.
    Starting,
    /// Running; its tools are offered.
    Ready,
    /// It could not be started (bad entry, not installed, no answer): why.
    Failed(String),
    /// It was running and died (or its connection closed): why.
    Died(String),
    /// Stopped by Symphony (shutdown).
    Stopped,
}

impl McpState {
    /// A short word for the pane: `ready`, `failed`...
    pub fn label(&self) -> &'static str {
        match self {
            McpState::Disabled => "disabled",
            McpState::Starting => "starting",
            McpState::Ready => "ready",
            McpState::Failed(_) => "failed",
            McpState::Died(_) => "died",
            McpState::Stopped => "stopped",
        }
    }

    /// The error, when it failed or died.
    pub fn error(&self) -> Option<&str> {
        match self {
            McpState::Failed(e) | McpState::Died(e) => Some(e),
            _ => None,
        }
    }
}

/// One tool a server offers, as it described it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTool {
    /// The server's own name for it.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its input schema (a JSON schema object).
    pub schema: Value,
}

type Service = RunningService<RoleClient, ClientConfig>;

/// A connection to one configured server.
pub struct McpServer {
    config: McpServerConfig,
    state: Mutex<McpState>,
    tools: Mutex<Vec<ServerTool>>,
    peer: Mutex<Option<Peer<RoleClient>>>,
    service: tokio::sync::Mutex<Option<Service>>,
    /// The process group of a stdio server (its pid).
    group: Mutex<Option<i32>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Set when its stderr closed (the process is gone): a failure's message waits
    /// for it, so it can quote the last lines.
    stderr_closed: tokio::sync::watch::Sender<bool>,
    /// A process was started (so there is a stderr to wait for).
    spawned: Mutex<bool>,
}

impl McpServer {
    /// Starts `config`'s server in `workspace` and lists its tools. Never fails: a server
    /// that cannot be used is returned in state [`McpState::Failed`] with the reason.
    pub async fn start(config: McpServerConfig, workspace: &Path) -> Arc<McpServer> {
        let enabled = config.enabled;
        let server = Arc::new(McpServer {
            config,
            state: Mutex::new(if enabled {
                McpState::Starting
            } else {
                McpState::Disabled
            }),
            tools: Mutex::default(),
            peer: Mutex::default(),
            service: tokio::sync::Mutex::default(),
            group: Mutex::default(),
            stderr: Arc::default(),
            stderr_closed: tokio::sync::watch::Sender::new(false),
            spawned: Mutex::new(false),
        });
        if !enabled {
            return server;
        }
        let result = match tokio::time::timeout(START_TIMEOUT, server.connect(workspace)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "did not initialize and list its tools within {} s",
                START_TIMEOUT.as_secs()
            )),
        };
        match result {
            Ok(()) => {
                tracing::info!(server = %server.config.name, tools = server.tools.lock().len(), "MCP server ready");
            }
            Err(e) => {
                server.kill_group();
                if server.pid_seen() {
                    let mut closed = server.stderr_closed.subscribe();
                    let _ = tokio::time::timeout(
                        Duration::from_secs(2),
                        closed.wait_for(|closed| *closed),
                    )
                    .await;
                }
                let e = server.with_stderr(e);
                tracing::warn!(server = %server.config.name, "MCP server failed to start: {e}");
                *server.state.lock() = McpState::Failed(e);
            }
        }
        server
    }

    async fn connect(self: &Arc<Self>, workspace: &Path) -> Result<(), String> {
        let client = ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("symphony", env!("CARGO_PKG_VERSION")),
        );
        let service = match self.config.transport()? {
            Transport::Stdio { command, args } => {
                let transport = self.spawn(command, args, workspace)?;
                client
                    .serve(transport)
                    .await
                    .map_err(|e| format!("initialize failed: {e}"))?
            }
            Transport::Http { url } => {
                install_tls_provider();
                let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
                client
                    .serve(transport)
                    .await
                    .map_err(|e| format!("initialize failed at {url}: {e}"))?
            }
        };
        let listed = service
            .peer()
            .list_all_tools()
            .await
            .map_err(|e| format!("tools/list failed: {e}"))?;
        let tools = listed
            .into_iter()
            .map(|t| ServerTool {
                name: t.name.to_string(),
                description: t.description.map(|d| d.to_string()).unwrap_or_default(),
                schema: Value::Object((*t.input_schema).clone()),
            })
            .collect();
        *self.tools.lock() = tools;
        *self.peer.lock() = Some(service.peer().clone());
        *self.service.lock().await = Some(service);
        let mut state = self.state.lock();
        // The process may already have died while we listed (the stderr watcher saw it).
        if *state == McpState::Starting {
            *state = McpState::Ready;
        }
        Ok(())
    }

    fn spawn(
        self: &Arc<Self>,
        command: &str,
        args: &[String],
        workspace: &Path,
    ) -> Result<TokioChildProcess, String> {
        let mut cmd = tokio::process::Command::new(command);
        cmd.args(args)
            .current_dir(workspace)
            .env_clear()
            .envs(symphony_extensions::host::child_env(
                std::env::vars_os(),
                &[],
            ))
            .envs(&self.config.env)
            .kill_on_drop(true)
            // Its own process group, so whatever it starts is killed with it.
            .process_group(0);
        let (transport, stderr) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "`{command}` is not installed (not found on PATH); install it or fix `command` in [[mcp_servers]]"
                ),
                _ => format!("could not start `{command}`: {e}"),
            })?;
        let pid = transport.id().and_then(|p| i32::try_from(p).ok());
        *self.group.lock() = pid;
        *self.spawned.lock() = pid.is_some();
        if let Some(stderr) = stderr {
            tokio::spawn(watch_stderr(stderr, Arc::downgrade(self)));
        }
        Ok(transport)
    }

    /// Its entry.
    pub fn config(&self) -> &McpServerConfig {
        &self.config
    }

    /// Where it is now.
    pub fn state(&self) -> McpState {
        self.state.lock().clone()
    }

    /// The tools it offered when it started.
    pub fn tools(&self) -> Vec<ServerTool> {
        self.tools.lock().clone()
    }

    /// Calls its tool `tool` with `args` (a JSON object). Every failure (server not
    /// running, died during the call, timeout, cancel, a protocol error) is an error
    /// output that says so; the tool's own `isError` results are error outputs too.
    pub async fn call(&self, tool: &str, args: Value, cancel: CancellationToken) -> ToolOutput {
        let name = &self.config.name;
        let peer = match self.state() {
            McpState::Ready => self.peer.lock().clone(),
            other => {
                let why = other
                    .error()
                    .map(str::to_owned)
                    .unwrap_or_else(|| other.label().into());
                return ToolOutput::error(format!(
                    "MCP server `{name}` is not running ({why}); its tool {tool} cannot be called now. Go on without it."
                ));
            }
        };
        let Some(peer) = peer else {
            return ToolOutput::error(format!("MCP server `{name}` has no connection"));
        };
        let arguments = match args {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return ToolOutput::error(format!(
                    "the arguments of {tool} must be a JSON object, not {other}"
                ));
            }
        };
        let mut params = CallToolRequestParams::new(tool.to_owned());
        if let Some(arguments) = arguments {
            params = params.with_arguments(arguments);
        }
        let timeout = self.config.call_timeout();
        let answer = tokio::select! {
            answer = tokio::time::timeout(timeout, peer.call_tool(params)) => answer,
            _ = cancel.cancelled() => return ToolOutput::error("cancelled"),
        };
        match answer {
            Ok(Ok(result)) => render(&result),
            Ok(Err(ServiceError::McpError(e))) => ToolOutput::error(format!(
                "MCP server `{name}` refused the call to {tool}: {} (code {})",
                e.message, e.code.0
            )),
            Ok(Err(e @ (ServiceError::TransportClosed | ServiceError::TransportSend(_)))) => {
                let why = self.with_stderr(format!("its connection closed ({e})"));
                self.died(why.clone());
                ToolOutput::error(format!(
                    "MCP server `{name}` died during the call to {tool}: {why}. Go on without it."
                ))
            }
            Ok(Err(e)) => {
                if peer.is_transport_closed() {
                    self.died(self.with_stderr(format!("its connection closed ({e})")));
                }
                ToolOutput::error(format!("MCP call {name}/{tool} failed: {e}"))
            }
            Err(_) => ToolOutput::error(format!(
                "MCP server `{name}` did not answer {tool} within {} s",
                timeout.as_secs()
            )),
        }
    }

    /// Stops it: its process group is killed, the connection closed.
    pub async fn shutdown(&self) {
        {
            // First, so the watcher does not take the kill for a death.
            let mut state = self.state.lock();
            if matches!(*state, McpState::Ready | McpState::Starting) {
                *state = McpState::Stopped;
            }
        }
        self.kill_group();
        let service = self.service.lock().await.take();
        *self.peer.lock() = None;
        if let Some(service) = service {
            let _ = tokio::time::timeout(Duration::from_secs(5), service.cancel()).await;
        }
    }

    /// The process id of a stdio server (for tests and the pane).
    pub fn pid(&self) -> Option<u32> {
        self.group.lock().and_then(|p| u32::try_from(p).ok())
    }

    fn pid_seen(&self) -> bool {
        *self.spawned.lock()
    }

    fn died(&self, why: String) {
        let mut state = self.state.lock();
        if matches!(*state, McpState::Ready | McpState::Starting) {
            tracing::warn!(server = %self.config.name, "MCP server died: {why}");
            *state = McpState::Died(why);
        }
    }

    fn kill_group(&self) {
        if let Some(group) = self.group.lock().take() {
            // SAFETY: killpg only sends a signal; the group is the one we created.
            unsafe {
                libc::killpg(group, libc::SIGKILL);
            }
        }
    }

    /// `message`, with the last lines the server wrote to stderr (secrets redacted).
    fn with_stderr(&self, message: String) -> String {
        let tail = self.stderr.lock();
        if tail.is_empty() {
            message
        } else {
            let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
            let text = format!("{message}; its stderr: {}", lines.join(" | "));
            crate::backends::secret::redact(&text).into_owned()
        }
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// Keeps the last stderr lines (logged too); when stderr closes the process has gone:
/// a running server is marked dead.
async fn watch_stderr(stderr: tokio::process::ChildStderr, server: Weak<McpServer>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Some(server) = server.upgrade() else {
            return;
        };
        tracing::debug!(server = %server.config.name, "MCP stderr: {line}");
        let mut tail = server.stderr.lock();
        if tail.len() == STDERR_TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    if let Some(server) = server.upgrade() {
        let why = server.with_stderr("its process exited".into());
        server.died(why);
        server.stderr_closed.send_replace(true);
    }
}

/// The rmcp HTTP client is built without a TLS provider of its own: use ring's, which
/// the model backends' HTTP client already brings. Installing twice is harmless.
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A call's result as the text the model reads: text blocks as they are, a note for
/// what is not text, the structured content when there is no text.
pub fn render(result: &CallToolResult) -> ToolOutput {
    let mut parts: Vec<String> = Vec::new();
    for block in &result.content {
        parts.push(match block {
            ContentBlock::Text(t) => t.text.clone(),
            ContentBlock::Image(i) => format!(
                "[image ({}), {} bytes of base64, not shown]",
                i.mime_type,
                i.data.len()
            ),
            ContentBlock::Audio(a) => format!(
                "[audio ({}), {} bytes of base64, not shown]",
                a.mime_type,
                a.data.len()
            ),
            ContentBlock::Resource(r) => match &r.resource {
                ResourceContents::TextResourceContents { uri, text, .. } => {
                    format!("[resource {uri}]\n{text}")
                }
                ResourceContents::BlobResourceContents { uri, mime_type, .. } => format!(
                    "[binary resource {uri} ({}), not shown]",
                    mime_type.as_deref().unwrap_or("unknown type")
                ),
                _ => "[a resource of a kind Symphony does not read, not shown]".into(),
            },
            ContentBlock::ResourceLink(l) => format!("[resource link: {} ({})]", l.uri, l.name),
            _ => "[content of a kind Symphony does not read, not shown]".into(),
        });
    }
    if parts.is_empty()
        && let Some(structured) = &result.structured_content
    {
        parts.push(structured.to_string());
    }
    let text = cut_middle(&parts.join("\n"), RESULT_LIMIT);
    if result.is_error == Some(true) {
        ToolOutput::error(if text.is_empty() {
            "the tool reported an error without a message".into()
        } else {
            text
        })
    } else {
        ToolOutput::ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{AudioContent, EmbeddedResource, ImageContent};

    fn result(content: Vec<ContentBlock>, is_error: Option<bool>) -> CallToolResult {
        let mut r = CallToolResult::success(content);
        r.is_error = is_error;
        r
    }

    #[test]
    fn text_is_passed_through_and_other_content_becomes_a_note() {
        let out = render(&result(
            vec![
                ContentBlock::text("12:00 in Tokyo"),
                ContentBlock::Image(ImageContent::new("aGVsbG8=", "image/png")),
                ContentBlock::Audio(AudioContent::new("aGk=", "audio/wav")),
                ContentBlock::Resource(EmbeddedResource::new(ResourceContents::text(
                    "body",
                    "file:///a.txt",
                ))),
            ],
            None,
        ));
        assert!(!out.is_error);
        assert_eq!(
            out.content,
            "12:00 in Tokyo\n[image (image/png), 8 bytes of base64, not shown]\n\
             [audio (audio/wav), 4 bytes of base64, not shown]\n[resource file:///a.txt]\nbody"
        );
        let failed = render(&result(
            vec![ContentBlock::text("no such zone")],
            Some(true),
        ));
        assert_eq!(failed, ToolOutput::error("no such zone"));
        let mut structured = result(Vec::new(), None);
        structured.structured_content = Some(serde_json::json!({"t": 1}));
        assert_eq!(render(&structured).content, r#"{"t":1}"#);
        let long = render(&result(
            vec![ContentBlock::text("x".repeat(RESULT_LIMIT * 2))],
            None,
        ));
        assert!(long.content.len() < RESULT_LIMIT + 100);
        assert!(
            long.content.contains("bytes cut"),
            "{}",
            &long.content[..100]
        );
    }
}
