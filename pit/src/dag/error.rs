//! Errors of the DAG Tracker and its `Result` alias.

use std::path::PathBuf;

use super::validate::Problem;

/// Everything that can go wrong while building, validating, running or resuming a workflow.
#[derive(Debug, thiserror::Error)]
pub enum DagError {
    /// The workflow is not valid; every problem found is listed (cycles, missing inputs,
    /// duplicate ids, bad fallbacks).
    #[error("invalid workflow: {}", Problem::join(.0))]
    Invalid(Vec<Problem>),
    /// A node id given by the caller is not part of the workflow.
    #[error("unknown node `{0}`")]
    UnknownNode(String),
    /// Reading or writing a checkpoint failed.
    #[error("checkpoint I/O at {path}: {source}")]
    CheckpointIo {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint exists but cannot be decoded.
    #[error("corrupt checkpoint at {path}: {reason}")]
    CheckpointCorrupt {
        /// The file involved.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The checkpoint was written by a different workflow (other node ids).
    #[error("checkpoint at {0} belongs to a different workflow")]
    CheckpointMismatch(PathBuf),
    /// `resume` was asked to run without a checkpoint directory in its options.
    #[error("resume needs RunOptions::checkpoint to be set")]
    NoCheckpoint,
    /// The run's coordinator task ended abnormally (it panicked or was aborted).
    #[error("the run's coordinator stopped: {0}")]
    Coordinator(String),
}

/// Result alias of the DAG Tracker.
pub type Result<T> = std::result::Result<T, DagError>;
