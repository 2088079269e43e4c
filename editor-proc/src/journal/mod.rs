//! Crash journal: every applied edit of an unsaved buffer is appended to a
//! journal of that buffer instance, so that after a crash (even SIGKILL) the next
//! open of the same file can offer the unsaved text back.
//!
//! Layout: `$XDG_STATE_HOME/symphony/journal/<name>-<hash of the canonical path>.<instance>.jsonl`
//! (fallback `~/.local/state`); the instance is `<pid>-<time>-<counter>`. A live
//! instance holds an exclusive `flock` on its journal, so two editor processes (or two
//! buffers) on one file each keep their own, and recovery offers only journals whose
//! lock is free ([`Orphan`]). The first line is a header naming the file and
//! identifying the base text ([`BaseId`]: length plus sampled hash, cheap even
//! for 100 MB); for files up to [`BASE_COPY_LIMIT`] the base text itself follows, so
//! the edits replay exactly even when the file changed on disk since; each further
//! line is one [`BufferJournal::record`] call, written with a single `write(2)`. A
//! torn last line is ignored on recovery. Refused journals go to the trash.

mod base;
mod buffer;
mod delta;
mod dir;
mod error;
mod format;
mod orphan;
mod sync;
#[cfg(test)]
mod tests;

pub use base::BaseId;
pub use buffer::{BASE_COPY_LIMIT, BufferJournal};
pub use dir::JournalDir;
pub use error::{JournalError, Result};
pub use orphan::{Orphan, TRASH_DAYS, TRASH_KEEP};

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
