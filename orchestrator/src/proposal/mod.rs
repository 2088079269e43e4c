//! Edit proposals: the hunks a workflow proposes against the buffer revision it read,
//! rebased onto the current text, reviewed hunk by hunk.

use serde::{Deserialize, Serialize};

/// One change of a proposal, in byte offsets of `Proposal::base_revision`'s text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// Index within the proposal.
    pub index: usize,
    /// Start byte offset (inclusive) of the replaced text.
    pub start: usize,
    /// End byte offset (exclusive) of the replaced text.
    pub end: usize,
    /// The text being replaced (what the base revision held).
    pub old_text: String,
    /// The replacement.
    pub new_text: String,
    /// Review state.
    pub state: HunkState,
}

/// Where a hunk is in review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HunkState {
    /// Not decided yet.
    Pending,
    /// Applied to the buffer.
    Accepted,
    /// Dropped.
    Rejected,
    /// The user's own edits since the base revision overlap it (flagged by the
    /// Arbitration Engine); it can still be accepted deliberately.
    Conflicted(String),
}

/// A reviewable edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Unique id.
    pub id: String,
    /// The editor buffer it applies to.
    pub buffer: Option<String>,
    /// The file, for display.
    pub path: Option<std::path::PathBuf>,
    /// The revision the workflow read.
    pub base_revision: Option<u64>,
    /// The hunks, in buffer order.
    pub hunks: Vec<Hunk>,
}
