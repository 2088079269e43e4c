//! External agents over the Agent Client Protocol (ACP v1: JSON-RPC 2.0 as
//! newline-delimited JSON on the agent's stdio), with the message types of the
//! protocol authors' `agent-client-protocol-schema` crate.
//!
//! - [`config`]: `[[agents]]` and the presets `--print-default-config` shows.

pub mod config;

pub use config::{AGENT_PRESETS, AgentConfig};
