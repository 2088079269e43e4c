//! Crash journal: every applied edit of an unsaved buffer is appended to a
//! per-file journal, so that after a crash (even SIGKILL) the next open of the
//! same file can offer the unsaved text back.
//!
//! Layout: `$XDG_STATE_HOME/symphony/journal/<name>-<hash of the canonical path>.jsonl`
//! (fallback `~/.local/state`). The first line is a header naming the file and
//! identifying the base text ([`BaseId`]: length plus sampled hash, cheap even
//! for 100 MB); each further line is one [`BufferJournal::record`] call, written
//! with a single `write(2)`. A torn last line is ignored on recovery.

mod base;
mod buffer;
mod delta;
mod dir;
mod error;
mod format;
mod sync;
#[cfg(test)]
mod tests;

pub use base::BaseId;
pub use buffer::BufferJournal;
pub use dir::{JournalDir, Recovered};
pub use error::{JournalError, Result};

/// One edit as the journal stores it: replace the bytes `start..end` of the text
/// *before this edit* by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEdit {
    /// Byte offset where the replaced range starts.
    pub start: usize,
    /// Byte offset where the replaced range ends (equal to `start` for an insert).
    pub end: usize,
    /// The new text.
    pub text: String,
}
