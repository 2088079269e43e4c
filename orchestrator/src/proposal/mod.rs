//! Edit proposals: the hunks a workflow proposes against the buffer revision it read,
//! rebased onto the current text, reviewed hunk by hunk.
//!
//! - [`from_replacement`]: "replace this range by that text" as line-granular hunks.
//! - [`from_unified_diff`]: a unified diff (a model's answer, the "apply a diff" operator)
//!   located in the buffer by its context lines.
//! - [`Review`]: one proposal under review: rebase replies from the editor
//!   (`symphony.review.rebase`), conflicts with the user's own edits decided by the
//!   Arbitration Engine, accept / reject, the edits to send with `symphony.review.apply`.
//! - [`hunk_words`] / [`word_diff`]: which words changed inside a hunk's paired lines, for
//!   drawing the review with the changed words emphasised.
//!
//! ```
//! use symphony_conductor::command::EditorContext;
//! use symphony_conductor::proposal::{Review, from_replacement};
//! let ctx = EditorContext { file_text: "a\nb\nc\n".into(), revision: Some(7), ..Default::default() };
//! let p = from_replacement(&ctx, 0, 6, "a\nB\nc\n");
//! assert_eq!((p.hunks[0].start, p.hunks[0].end, p.hunks[0].new_text.as_str()), (2, 4, "B\n"));
//! let mut review = Review::new(p);
//! let edits = review.accept(0);
//! assert_eq!((edits[0].start, edits[0].end, edits[0].text.as_str()), (2, 4, "B\n"));
//! review.applied(8);
//! assert!(review.is_done());
//! ```

mod diff;
mod review;
mod unified;
mod words;

use serde::{Deserialize, Serialize};

pub use diff::{apply_hunks, from_replacement};
pub use review::Review;
pub use unified::from_unified_diff;
pub use words::{
    HunkWords, LineChanges, MAX_CHANGED, MAX_LINE_BYTES, hunk_words, tokens, word_diff,
};

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

impl HunkState {
    /// Pending or conflicted: the user has not decided yet.
    pub fn is_undecided(&self) -> bool {
        matches!(self, HunkState::Pending | HunkState::Conflicted(_))
    }
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

/// What can go wrong building a proposal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// The diff holds no hunk (`@@ ... @@` section).
    #[error("the diff has no hunks")]
    NoHunks,
    /// A line of the diff is not part of a unified diff.
    #[error("line {line} of the diff: {reason}")]
    Malformed {
        /// 1-based line of the diff text.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A hunk's context and removed lines are not in the buffer, even with fuzz.
    #[error("hunk {hunk} of the diff does not match the buffer (near line {line})")]
    NoMatch {
        /// 0-based index of the diff hunk.
        hunk: usize,
        /// 1-based line the hunk header named.
        line: usize,
    },
    /// Two hunks of the diff change the same lines.
    #[error("hunks {first} and {second} of the diff overlap")]
    Overlapping {
        /// 0-based index of the first diff hunk.
        first: usize,
        /// 0-based index of the second.
        second: usize,
    },
}

/// Result alias for proposal building.
pub type Result<T, E = ProposalError> = std::result::Result<T, E>;

/// The 0-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// `(first_line, last_line)` of `start..end` in `text`, as [`Hunk`] defines them.
pub(crate) fn line_span(text: &str, start: usize, end: usize) -> (usize, usize) {
    let first = line_of(text, start);
    let last = if end > start {
        line_of(text, end - 1)
    } else {
        first
    };
    (first, last)
}
