//! External agents over the Agent Client Protocol (ACP v1: JSON-RPC 2.0 as
//! newline-delimited JSON on the agent's stdio), with the message types of the
//! protocol authors' `agent-client-protocol-schema` crate (the schema half of
//! `agent-client-protocol`; the framing here is the few lines of [`rpc`], on tokio).
//!
//! - [`config`]: `[[agents]]` and the presets `--print-default-config` shows.
//! - [`client`]: [`AcpAgent`]: the process, handshake, prompt, cancel, and the agent's
//!   requests (files, permissions, terminals) turned into [`AcpEvent`]s.
//! - [`fs`]: reads from the buffer the user sees, writes as proposals, workspace only.
//! - [`terminal`]: `terminal/*` commands in their own process groups.
//! - [`run`]: [`AcpRun`]: a run's state folded from its updates (text, thoughts, plan,
//!   tool-call nodes, commands, usage, stop reason).
//! - [`bridge`]: [`bridge::RunBridge`]: an ACP run as Conductor events (answer stream,
//!   one DAG node per tool call, proposals, stop reason) for the existing panes.
//! - [`runner`]: [`runner::AcpRunner`]: prompts to one agent as Conductor runs
//!   (permission questions as pick nodes, Esc as cancel).
//! - [`content`]: a prompt's @-mentions as resource links / embedded resources.
//! - [`session`]: [`session::SessionView`]: the session's modes, config options and
//!   slash commands, kept current from its updates.
//! - [`journal`]: each run's session id on disk, for `session/load` after a restart.
//! - [`rpc`]: the JSON-RPC line layer.

pub mod bridge;
pub mod client;
pub mod config;
pub mod content;
pub mod fs;
pub mod journal;
pub mod rpc;
pub mod run;
pub mod runner;
pub mod session;
pub mod terminal;

use std::path::PathBuf;

pub use agent_client_protocol_schema::v1 as schema;
use agent_client_protocol_schema::v1::{
    PermissionOptionKind, RequestPermissionOutcome, RequestPermissionRequest,
    SelectedPermissionOutcome, SessionUpdate,
};
pub use client::AcpAgent;
pub use config::{AGENT_PRESETS, AgentConfig};
pub use run::{AcpRun, PlanItem, ToolNode};

use crate::proposal::Proposal;

/// What can go wrong talking to an agent; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AcpError {
    /// The command is not on PATH.
    #[error(
        "agent `{agent}`: `{command}` is not installed (not found on PATH); install it or fix `command` in [[agents]]"
    )]
    NotInstalled {
        /// Configured name.
        agent: String,
        /// The command.
        command: String,
    },
    /// Starting it failed otherwise.
    #[error("could not start `{command}`: {message}")]
    Spawn {
        /// The command.
        command: String,
        /// Why.
        message: String,
    },
    /// The agent needs the user to log in first.
    #[error("agent `{agent}` needs you to log in first ({}); run the agent once in a terminal to log in, or set its API key in [[agents]] env", if methods.is_empty() { "no login method offered".to_owned() } else { methods.join("; ") })]
    AuthRequired {
        /// Configured name.
        agent: String,
        /// Its `authMethods`, "name: description".
        methods: Vec<String>,
    },
    /// A session was to be loaded but the agent cannot (`loadSession` is not offered).
    #[error(
        "agent `{agent}` cannot load an earlier session (it does not offer loadSession); the run was interrupted, prompt it again"
    )]
    CannotLoad {
        /// Configured name.
        agent: String,
    },
    /// The agent answered a request with an error.
    #[error("the agent refused {method}: {} (code {})", error.message, error.code)]
    Rpc {
        /// Our request.
        method: String,
        /// Its error.
        error: Box<rpc::RpcError>,
    },
    /// Its answer did not have ACP's shape.
    #[error("the agent's answer to {method} is not ACP: {message}")]
    BadAnswer {
        /// Our request.
        method: String,
        /// The parse error.
        message: String,
    },
    /// No answer in time.
    #[error("the agent did not answer {method} within {secs} s")]
    Timeout {
        /// Our request.
        method: String,
        /// The limit.
        secs: u64,
    },
    /// The agent's stdout closed (internal; reported as [`AcpError::Crashed`]).
    #[error("the agent exited")]
    Exited,
    /// The agent exited while we waited for it.
    #[error("agent `{agent}` exited{}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    Crashed {
        /// Configured name.
        agent: String,
        /// The last lines it wrote to stderr.
        stderr: String,
    },
}

/// What an agent does, for the UI, in order.
#[derive(Debug)]
pub enum AcpEvent {
    /// A `session/update` (fold it with [`AcpRun::apply`]).
    Update(Box<SessionUpdate>),
    /// A `session/update` of a kind this client does not know (logged, ignored).
    Ignored {
        /// Its `sessionUpdate`.
        kind: String,
    },
    /// A line on its stdout that is not JSON-RPC (logged, ignored).
    Malformed(String),
    /// It asks before doing something: show it with its own options.
    Permission(PermissionAsk),
    /// It wrote a file: a proposal to review (nothing is on disk).
    Proposal(WriteProposal),
    /// Output of one of its terminals.
    TerminalOutput {
        /// The terminal id.
        terminal: String,
        /// The text.
        text: String,
    },
    /// Its process ended (its last stderr lines).
    Exited {
        /// Last stderr lines.
        stderr: String,
    },
}

/// `session/request_permission`, waiting for the user's choice.
#[derive(Debug)]
pub struct PermissionAsk {
    /// What it asks (the tool call: title, kind, content, locations) and its options.
    pub request: Box<RequestPermissionRequest>,
    reply: tokio::sync::oneshot::Sender<RequestPermissionOutcome>,
}

impl PermissionAsk {
    /// Answers with option `option_id` (one of `request.options`).
    pub fn choose(self, option_id: &str) {
        let _ = self.reply.send(RequestPermissionOutcome::Selected(
            SelectedPermissionOutcome::new(option_id.to_owned()),
        ));
    }

    /// The id of the first option of `kind`, if the agent offered one.
    pub fn option_of(&self, kind: PermissionOptionKind) -> Option<String> {
        self.request
            .options
            .iter()
            .find(|o| o.kind == kind)
            .map(|o| o.option_id.0.to_string())
    }

    /// Answers with the agent's "reject once" (else "reject always"); "cancelled" when
    /// it offered no reject option.
    pub fn reject(self) {
        match self
            .option_of(PermissionOptionKind::RejectOnce)
            .or_else(|| self.option_of(PermissionOptionKind::RejectAlways))
        {
            Some(id) => self.choose(&id),
            None => {
                let _ = self.reply.send(RequestPermissionOutcome::Cancelled);
            }
        }
    }
}

/// `fs/write_text_file`, as a proposal against what the user sees.
#[derive(Debug, Clone)]
pub struct WriteProposal {
    /// The file (inside the workspace).
    pub path: PathBuf,
    /// The whole new content the agent wrote.
    pub content: String,
    /// Its hunks, for review.
    pub proposal: Proposal,
}
