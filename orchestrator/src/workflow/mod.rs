//! Workflows: the built-in AI commands and the user's `[[workflows]]`, described as nodes
//! (context, prompt, model, extract, shell, diff, apply_diff, pick), validated into Pit
//! workflows ([`config::Plan`]), and the text operators their nodes use.

pub mod builtin;
pub mod config;
pub mod template;
pub mod text;

pub use config::{DiffTarget, NodeConfig, NodeKind, Plan, WorkflowConfig};

/// The plan of a Python workflow: one `python` node (the workflow's answer) running it;
/// the nodes of its `ctx` calls join the run as they come.
pub fn python_plan(name: &str, default_instrument: Option<String>) -> Result<std::sync::Arc<Plan>> {
    let mut node = NodeConfig::new("python", NodeKind::Python);
    node.command = Some(name.to_owned());
    node.instrument = default_instrument;
    let spec = symphony_pit::dag::NodeSpec::new("python", "python").output("out");
    let dag = symphony_pit::dag::Workflow::new(vec![spec]).map_err(|e| WorkflowError {
        workflow: name.to_owned(),
        node: None,
        message: e.to_string(),
    })?;
    Ok(std::sync::Arc::new(Plan {
        name: name.to_owned(),
        answer: Some("python".into()),
        dag: std::sync::Arc::new(dag),
        nodes: std::collections::HashMap::from([("python".to_owned(), node)]),
    }))
}

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
