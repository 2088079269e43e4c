//! symphony-conductor: the Conductor turns AI commands into workflows (DAGs run by the
//! Pit), calls model backends ("instruments"), stores everything as artifacts and
//! produces reviewable edit proposals.
//!
//! - [`agent`]: Symphony's own agent: a tool-calling loop over an instrument, the
//!   built-in tools, permissions, and the run's nodes and change set.
//! - [`instrument`]: the [`Instrument`](instrument::Instrument) trait every backend
//!   implements, and its request / event / error types.
//! - [`backends`]: the built-in instruments (OpenAI-compatible, Ollama, Anthropic, command).
//! - [`completion`]: inline completion (ghost text) backends: `/infill`, `/v1/completions`, Ollama.
//! - [`acp`]: external agents (OpenCode, Gemini CLI, Claude Code...) over the Agent Client Protocol.
//! - [`mcp`]: MCP servers' tools for the agent (through `rmcp`), their status, and the
//!   same servers passed on to ACP agents.
//! - [`command`]: the AI commands a user runs and the editor context they read.
//! - [`events`]: what the Conductor tells its panes ([`ConductorEvent`](events::ConductorEvent)).
//! - [`conductor`]: the [`Conductor`](conductor::Conductor) handle: run, cancel, retry, search.
//! - [`extension_bridge`]: extension instruments in the pool, operator extensions as
//!   workflow nodes.
//! - [`proposal`]: edit proposals: hunks against a buffer revision, rebase, accept / reject.
//! - `python` (feature `python`, on by default): workflows, agent tools and policies
//!   written in Python, on an embedded interpreter.
//! - [`workflow`]: built-in and user workflows (nodes, validation, templates, text operators).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod acp;
pub mod agent;
pub mod backends;
pub mod command;
pub mod completion;
pub mod conductor;
pub mod events;
pub mod extension_bridge;
pub mod instrument;
pub mod mcp;
pub mod proposal;
#[cfg(feature = "python")]
pub mod python;
pub mod workflow;
