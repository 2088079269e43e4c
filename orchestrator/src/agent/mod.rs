//! Symphony's own agent: the model calls tools in a loop until the task is done, and
//! every step is visible and reviewable.
//!
//! - [`tools`]: the [`Tool`](tools::Tool) trait, the [`ToolRegistry`](tools::ToolRegistry)
//!   (built-ins now; MCP tools register the same way) and the built-in tools.
//! - [`changes`]: the run's [`ChangeSet`](changes::ChangeSet): every file edit a tool
//!   proposes, with +/- counts; nothing is written to disk by the agent.
//! - [`permissions`]: allow / ask / deny per tool, answers remembered per workspace.
//! - [`runner`]: [`AgentRunner`]: this agent as an [`AgentHost`] (prompts as Conductor
//!   runs, questions as pick and question nodes, edits as proposals), through
//!   [`bridge`]'s translation of the loop's events into Conductor events.
//! - [`accounting`]: tokens, cost and the artifacts of every prompt, response, call
//!   and result of a run.
//! - [`context`]: staying inside the model's context window (results cut, oldest
//!   exchanges left out with a note, the window the server reports).
//! - [`records`]: the runner's record of each run on disk (its conversation journal,
//!   how it ended), so an interrupted run can be resumed after a crash.
//! - [`undo`]: "undo this run": each changed file's text to restore, with the hunks
//!   the user edited since as conflicts.
//! - [`host`]: [`AgentHost`]: what the client needs from any hosted agent, ours or
//!   an external one over ACP (runs as Conductor events, questions, cancel).
//! - [`run`]: the loop: model turn, tool calls, results back, until done, cancelled,
//!   out of turns or out of budget; each turn and each call is an [`AgentNode`](run::AgentNode)
//!   announced through [`AgentEvent`](run::AgentEvent)s.
//!
//! The node, event and change-set types are public so other agent front ends (ACP
//! agents) can map their tool calls onto the same run model.

pub mod accounting;
pub mod bridge;
pub mod changes;
pub mod context;
pub mod host;
pub mod permissions;
pub mod prompt;
mod questions;
pub mod records;
pub mod run;
pub mod runner;
pub mod tools;
pub mod undo;

pub use changes::{ChangeSet, FileChange};
pub use host::{AgentHost, AgentPrompt, Attachment, HostKind};
pub use permissions::{Decision, Permission, PermissionConfig, RememberedGrants};
pub use run::{
    Agent, AgentConfig, AgentEvent, AgentJournal, AgentNode, AgentOutcome, AgentSettings, AgentUi,
    NodeKind, NodeStatus,
};
pub use runner::{AgentRunner, AgentRunnerSettings};
pub use tools::{Tool, ToolContext, ToolOutput, ToolRegistry, Workspace};
