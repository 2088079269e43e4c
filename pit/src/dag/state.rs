//! Node states, progress, per-node timing and the report of a finished run.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::executor::Value;

/// The state of one node in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum NodeState {
    /// Waiting for its inputs.
    Pending = 0,
    /// Inputs available, waiting for a slot.
    Ready = 1,
    /// Executing (an attempt is in flight).
    Running = 2,
    /// Finished with outputs.
    Succeeded = 3,
    /// Failed all its attempts.
    Failed = 4,
    /// Not run: something upstream failed with `Skip`, or a standby fallback not needed.
    Skipped = 5,
    /// Cancelled (itself, something upstream, or the whole run).
    Cancelled = 6,
}

impl NodeState {
    /// True for Succeeded, Failed, Skipped and Cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Skipped | Self::Cancelled
        )
    }

    pub(crate) fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Pending,
            1 => Self::Ready,
            2 => Self::Running,
            3 => Self::Succeeded,
            4 => Self::Failed,
            5 => Self::Skipped,
            _ => Self::Cancelled,
        }
    }
}

/// Finished nodes over all nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Nodes in a terminal state.
    pub done: usize,
    /// Nodes in the workflow.
    pub total: usize,
}

impl Progress {
    /// `done / total` in 0..=1 (1 for an empty workflow).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        }
    }
}

/// What happened to one node, with timing relative to the start of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReport {
    /// Final state.
    pub state: NodeState,
    /// Attempts made (0 if never started or restored from a checkpoint).
    pub attempts: u32,
    /// When its first attempt started.
    pub started: Option<Duration>,
    /// When it reached its final state.
    pub finished: Option<Duration>,
    /// True when its result came from a checkpoint rather than from running it.
    pub restored: bool,
    /// The last error if it failed.
    pub error: Option<String>,
}

impl NodeReport {
    /// Time from its first start to its end, when both are known.
    pub fn duration(&self) -> Option<Duration> {
        Some(self.finished?.saturating_sub(self.started?))
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every node ended Succeeded, Skipped, or Failed with a non-fatal policy.
    Completed,
    /// A node failed with `FailRun`.
    Failed {
        /// The node id.
        node: String,
        /// Its last error.
        error: String,
    },
    /// The run was cancelled.
    Cancelled,
}

/// The result of a run: outcome, per-node reports and outputs.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Id of the run (as in events).
    pub run: super::events::RunId,
    /// How it ended.
    pub outcome: RunOutcome,
    /// Wall time of the run.
    pub elapsed: Duration,
    pub(crate) ids: Vec<Arc<str>>,
    pub(crate) nodes: Vec<NodeReport>,
    pub(crate) outputs: Vec<Vec<Arc<Value>>>,
}

impl RunReport {
    /// The report of node `id`.
    pub fn node(&self, id: &str) -> Option<&NodeReport> {
        self.ids
            .iter()
            .position(|n| &**n == id)
            .map(|i| &self.nodes[i])
    }

    /// Reports of all nodes with their ids, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, &NodeReport)> {
        self.ids.iter().map(|s| &**s).zip(self.nodes.iter())
    }

    /// The outputs of node `id` (those of its fallback if it was replaced).
    pub fn outputs(&self, id: &str) -> Option<&[Arc<Value>]> {
        self.ids
            .iter()
            .position(|n| &**n == id)
            .map(|i| self.outputs[i].as_slice())
    }

    /// Count of nodes in `state`.
    pub fn count(&self, state: NodeState) -> usize {
        self.nodes.iter().filter(|n| n.state == state).count()
    }
}
