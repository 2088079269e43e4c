//! External changes: open files are watched with notify (through their parent
//! directory, since other editors replace files by renaming over them), events
//! are debounced (~50 ms) and compared with the file's last known fingerprint,
//! so the editor's own saves ([`FileWatcher::note_own_write`]) and no-op events
//! are not reported.

mod debounce;
#[cfg(test)]
mod tests;
mod watcher;

use std::path::PathBuf;

pub use watcher::FileWatcher;

/// How long a file must be quiet before its change is reported.
pub const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(50);

/// What happened to a watched file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEventKind {
    /// Its contents changed (written, replaced, or created again).
    Changed,
    /// It no longer exists.
    Removed,
}

/// A change to a watched file, made by another program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    /// The path as given to [`FileWatcher::watch`].
    pub path: PathBuf,
    /// What happened.
    pub kind: WatchEventKind,
}

/// A `Result` whose error is a [`WatchError`].
pub type Result<T, E = WatchError> = std::result::Result<T, E>;

/// Why a file could not be watched.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The operating system's watcher failed.
    #[error("Cannot watch {} for changes: {source}.", path.display())]
    Notify {
        /// The file (or directory) concerned.
        path: PathBuf,
        /// What notify said.
        source: notify::Error,
    },
    /// The file's directory could not be resolved.
    #[error("Cannot watch {} for changes: {source}.", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The watcher's background thread could not be started.
    #[error("Cannot start watching files: {0}.")]
    Thread(std::io::Error),
}
