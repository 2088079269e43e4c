//! The error type of loading and saving files; its messages are shown to the user.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A `Result` whose error is a [`FileError`].
pub type Result<T, E = FileError> = std::result::Result<T, E>;

/// Why a file could not be opened or saved. The `Display` text is a full sentence
/// meant for an `alert`.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file is not UTF-8: it is refused rather than mangled.
    #[error(
        "Cannot open {}: it is not valid UTF-8 (bad byte sequence at offset {offset}). The file was not opened and is unchanged.",
        path.display()
    )]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid sequence.
        offset: u64,
    },
    /// The file contains a NUL byte near its start: it is binary.
    #[error(
        "Cannot open {}: it looks like a binary file (it contains a NUL byte). The file was not opened and is unchanged.",
        path.display()
    )]
    Binary {
        /// The file.
        path: PathBuf,
    },
    /// The path names a directory, FIFO, socket, device: not a regular file. Refused
    /// before it is opened.
    #[error(
        "Cannot open {}: it is {kind}, not a regular file. Only regular files can be edited; it was not opened.",
        path.display()
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead ("a FIFO (named pipe)", "a directory", ...).
        kind: &'static str,
    },
    /// Reading made no progress for a long time (a hung network file system?): given up
    /// so that the editor keeps serving other files.
    #[error(
        "Cannot open {}: reading it made no progress for {secs} s (a slow or unreachable file system?). It was not opened; the editor goes on with your other files.",
        path.display()
    )]
    Stalled {
        /// The file.
        path: PathBuf,
        /// How long it was waited for.
        secs: u64,
    },
    /// Reading failed.
    #[error("Cannot read {}: {source}.", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Saving failed; the original file (if any) was left as it was.
    #[error(
        "Could not save {}: {source} (while {stage}). The file on disk was left unchanged.",
        path.display()
    )]
    Save {
        /// The file being saved.
        path: PathBuf,
        /// The step that failed.
        stage: SaveStage,
        /// What the system said.
        source: io::Error,
    },
    /// Writing a file in place failed and its backup could not be put back: the file may
    /// be cut short, its previous contents are in `backup`.
    #[error(
        "Could not save {}: {source} (while writing it in place), and the previous contents could not be put back: they are kept in {}.",
        path.display(),
        backup.display()
    )]
    SaveInPlace {
        /// The file being saved.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
        /// Where the previous contents are.
        backup: PathBuf,
    },
}

/// The step of a save that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveStage {
    /// Looking at the existing file.
    Inspect,
    /// Creating the temporary file next to the target.
    CreateTemp,
    /// Copying the permissions of the original.
    Permissions,
    /// Writing the text.
    Write,
    /// Flushing the text to the disk.
    Sync,
    /// Renaming the temporary file over the target.
    Rename,
    /// Opening the file to write it in place.
    Open,
    /// Making the backup copy before writing in place.
    Backup,
}

impl fmt::Display for SaveStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SaveStage::Inspect => "checking the existing file",
            SaveStage::CreateTemp => "creating a temporary file in its directory",
            SaveStage::Permissions => "copying the file's permissions",
            SaveStage::Write => "writing",
            SaveStage::Sync => "flushing to disk",
            SaveStage::Rename => "replacing the file",
            SaveStage::Open => "opening it to write it in place",
            SaveStage::Backup => "making a backup copy before writing it in place",
        })
    }
}
