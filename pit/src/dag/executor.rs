//! The executor a caller plugs into the scheduler: node + input values -> output values,
//! either at once (cheap, run inline) or as a future (run as a tokio task).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::node::NodeSpec;

/// A value passed along an edge.
pub type Value = serde_json::Value;

/// What a node execution returns: one value per declared output, in order.
pub type NodeResult = std::result::Result<Vec<Value>, NodeError>;

/// A boxed, sendable future of a node execution.
pub type BoxFuture = Pin<Box<dyn Future<Output = NodeResult> + Send + 'static>>;

/// Why one attempt of a node failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The executor reported a failure.
    #[error("{0}")]
    Failed(String),
    /// The attempt ran longer than the node's timeout.
    #[error("timed out")]
    Timeout,
    /// The executor returned a different number of outputs than the node declares.
    #[error("returned {got} outputs, the node declares {want}")]
    OutputCount {
        /// Outputs returned.
        got: usize,
        /// Outputs declared.
        want: usize,
    },
}

impl NodeError {
    /// A failure with a message.
    pub fn msg(m: impl Into<String>) -> Self {
        NodeError::Failed(m.into())
    }
}

/// The result of asking an executor to run a node.
pub enum Execution {
    /// Finished already: the scheduler uses it at once without spawning a task (use this for
    /// cheap work; timeouts do not apply).
    Done(NodeResult),
    /// Runs asynchronously: the scheduler spawns it on tokio under the concurrency limit,
    /// with the node's timeout and cancellation.
    Pending(BoxFuture),
}

impl Execution {
    /// Finished with these outputs.
    pub fn done(outputs: Vec<Value>) -> Self {
        Execution::Done(Ok(outputs))
    }

    /// Finished with a failure.
    pub fn failed(msg: impl Into<String>) -> Self {
        Execution::Done(Err(NodeError::msg(msg)))
    }

    /// Runs `fut` asynchronously.
    pub fn future(fut: impl Future<Output = NodeResult> + Send + 'static) -> Self {
        Execution::Pending(Box::pin(fut))
    }
}

/// Runs nodes. Implemented for any `Fn(&NodeSpec, &[Arc<Value>]) -> Execution`.
///
/// `inputs[i]` is the value of `node.inputs[i]` (`null` for ordering-only inputs). An
/// asynchronous execution must clone what it needs from `node` and `inputs`.
///
/// ```
/// use std::sync::Arc;
/// use symphony_pit::dag::{Execution, Executor, NodeSpec, Value};
/// let exec = |node: &NodeSpec, inputs: &[Arc<Value>]| {
///     if &*node.kind == "slow" {
///         let n = inputs.len();
///         Execution::future(async move { Ok(vec![Value::from(n)]) })
///     } else {
///         Execution::done(vec![])
///     }
/// };
/// let _boxed: Arc<dyn Executor> = Arc::new(exec);
/// ```
pub trait Executor: Send + Sync + 'static {
    /// Starts one attempt of `node` with its input values.
    fn execute(&self, node: &NodeSpec, inputs: &[Arc<Value>]) -> Execution;
}

impl<F> Executor for F
where
    F: Fn(&NodeSpec, &[Arc<Value>]) -> Execution + Send + Sync + 'static,
{
    fn execute(&self, node: &NodeSpec, inputs: &[Arc<Value>]) -> Execution {
        self(node, inputs)
    }
}
