//! MCP (Model Context Protocol) servers as tools for the agent, through the official
//! Rust SDK `rmcp`.
//!
//! - [`config`]: `[[mcp_servers]]` entries ([`McpServerConfig`]): stdio (`command`,
//!   `args`, `env`) or Streamable HTTP (`url`), `enabled`, `timeout_secs`.
//! - [`server`]: [`McpServer`]: one connection: start (own process group, cleaned
//!   environment), initialize, list tools, call, and its [`McpState`] (failures and
//!   deaths with their reason).
//! - [`tool`]: [`McpTool`]: one server tool as an agent [`Tool`](crate::agent::Tool),
//!   named `<server>__<tool>`.
//! - [`acp`]: the entries as ACP `McpServer` values for external agents' `session/new`.
//!
//! [`McpHub`] starts every configured server, registers their tools next to the
//! built-ins and reports each server's status for the panes; a server that fails or
//! dies is reported and the agent goes on without it.

pub mod acp;
pub mod config;
pub mod server;
pub mod tool;

use std::path::Path;
use std::sync::Arc;

pub use acp::acp_servers;
pub use config::{MCP_SERVER_EXAMPLES, McpServerConfig};
pub use server::{McpServer, McpState, ServerTool};
pub use tool::{McpTool, tool_name};

use crate::agent::ToolRegistry;

/// What the pool pane shows of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServerStatus {
    /// Its configured name.
    pub name: String,
    /// `stdio: command args` or `http: url`.
    pub endpoint: String,
    /// Where it is (with the error when it failed or died).
    pub state: McpState,
    /// The names its tools are offered to the model under.
    pub tools: Vec<String>,
}

/// Every configured MCP server.
#[derive(Default)]
pub struct McpHub {
    servers: Vec<Arc<McpServer>>,
}

impl McpHub {
    /// Starts the servers of `configs` (all at once) in `workspace`, waiting until each
    /// is ready or has failed. Disabled entries are kept, not started.
    pub async fn start(configs: &[McpServerConfig], workspace: &Path) -> McpHub {
        let starts = configs
            .iter()
            .map(|c| McpServer::start(c.clone(), workspace));
        McpHub {
            servers: futures::future::join_all(starts).await,
        }
    }

    /// The servers, in config order.
    pub fn servers(&self) -> &[Arc<McpServer>] {
        &self.servers
    }

    /// The server called `name`.
    pub fn server(&self, name: &str) -> Option<&Arc<McpServer>> {
        self.servers.iter().find(|s| s.config().name == name)
    }

    /// Each server's state and tools, for the panes.
    pub fn status(&self) -> Vec<McpServerStatus> {
        self.servers
            .iter()
            .map(|s| McpServerStatus {
                name: s.config().name.clone(),
                endpoint: s.config().describe(),
                state: s.state(),
                tools: s
                    .tools()
                    .iter()
                    .map(|t| tool_name(&s.config().name, &t.name))
                    .collect(),
            })
            .collect()
    }

    /// The tools of the servers that started, as agent tools.
    pub fn tools(&self) -> Vec<Arc<McpTool>> {
        self.servers
            .iter()
            .filter(|s| s.state() == McpState::Ready)
            .flat_map(|s| {
                s.tools()
                    .into_iter()
                    .map(move |t| Arc::new(McpTool::new(s.clone(), t)))
            })
            .collect()
    }

    /// Adds the servers' tools to `registry`, next to the built-ins. A tool whose server
    /// dies later stays registered; calling it gives an error result saying so.
    pub fn register(&self, registry: &mut ToolRegistry) {
        for tool in self.tools() {
            registry.register(tool);
        }
    }

    /// Stops every server (process groups killed, connections closed).
    pub async fn shutdown(&self) {
        futures::future::join_all(self.servers.iter().map(|s| s.shutdown())).await;
    }
}
