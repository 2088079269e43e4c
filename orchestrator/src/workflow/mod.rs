//! Workflows: the built-in AI commands and the user's `[[workflows]]`, described as nodes
//! (context, prompt, model, extract, shell, diff, apply_diff, pick), validated into Pit
//! workflows ([`config::Plan`]), and the text operators their nodes use.

pub mod builtin;
pub mod config;
pub mod template;
pub mod text;

pub use config::{DiffTarget, NodeConfig, NodeKind, Plan, WorkflowConfig};

/// A workflow that cannot run, naming the workflow and, when it is about one, the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workflow \"{workflow}\"{}: {message}", node.as_ref().map(|n| format!(", node \"{n}\"")).unwrap_or_default())]
pub struct WorkflowError {
    /// The workflow's name.
    pub workflow: String,
    /// The node, when the problem is about one.
    pub node: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Result alias of workflow validation.
pub type Result<T> = std::result::Result<T, WorkflowError>;
