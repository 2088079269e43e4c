//! The journal's error type.

use std::io;
use std::path::PathBuf;

/// A `Result` whose error is a [`JournalError`].
pub type Result<T, E = JournalError> = std::result::Result<T, E>;

/// Why the crash journal could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading or writing the journal file failed.
    #[error("The crash journal {} could not be used: {source}.", path.display())]
    Io {
        /// The journal file or directory.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// An earlier write failed and the next attempt is not due yet.
    #[error("The crash journal is still failing: {0}.")]
    Failing(String),
    /// A record could not be encoded.
    #[error("A crash journal record could not be encoded: {0}.")]
    Encode(#[from] serde_json::Error),
}

impl JournalError {
    /// What went wrong in a few words, for the status line.
    pub fn short(&self) -> String {
        match self {
            JournalError::Io { source, .. } => source.to_string(),
            JournalError::Failing(why) => why.clone(),
            JournalError::Encode(e) => e.to_string(),
        }
    }
}
