//! Files on disk: streaming UTF-8 load into an LF-normalized rope, and atomic save.
//!
//! - [`load`] reads a file in chunks, refuses binary files and invalid UTF-8 with a
//!   typed [`FileError`], normalizes CRLF to LF and remembers which ending the file
//!   used, without ever holding the file twice in memory.
//! - [`save`] writes the rope chunk by chunk to a temporary file in the same
//!   directory, fsyncs it, gives it the original permissions, renames it over the
//!   target and fsyncs the directory: a failed save leaves the original untouched.
//! - [`trash`] moves what a workspace edit deletes or overwrites into the editor's trash.
//! - [`xdg_dir`] finds the editor's own folders (state, data) the XDG way.

mod error;
mod load;
mod save;
pub mod trash;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use error::{FileError, Result, SaveStage};
pub use load::{READ_CHUNK, load};
pub use save::save;

/// `$<var>/symphony/<name>` when `var` (e.g. `XDG_STATE_HOME`) holds an absolute path,
/// else `$HOME/<home_default>/symphony/<name>` (e.g. `.local/state`), else the same under
/// the temp dir.
pub fn xdg_dir(var: &str, home_default: &str, name: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(home_default))
        })
        .unwrap_or_else(std::env::temp_dir)
        .join("symphony")
        .join(name)
}

/// The line ending a file uses on disk (the first line ending in the file wins).
///
/// Buffers always hold LF; [`save`] converts back to CRLF when the file had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\n` (also the choice for files with no line ending at all).
    #[default]
    Lf,
    /// `\r\n`.
    CrLf,
}

impl LineEnding {
    /// The ending as the text written to disk.
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }
}

/// What the editor remembers about the file it loaded or saved, to tell its own
/// writes from other programs' changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// Size on disk in bytes.
    pub len: u64,
    /// Last modification time, when the platform reports one.
    pub modified: Option<SystemTime>,
}

impl Fingerprint {
    /// The fingerprint of already fetched metadata.
    pub fn from_metadata(meta: &std::fs::Metadata) -> Self {
        Fingerprint {
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    /// The fingerprint of the file at `path` now (following symlinks); `Ok(None)`
    /// when there is no such file.
    pub fn of(path: &Path) -> std::io::Result<Option<Self>> {
        match std::fs::metadata(path) {
            Ok(meta) => Ok(Some(Self::from_metadata(&meta))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A file read into memory by [`load`].
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The whole text, with every CRLF turned into LF.
    pub text: xi_rope::Rope,
    /// The line ending the file used, to write it back the same way.
    pub line_ending: LineEnding,
    /// Size and modification time of the file that was read.
    pub fingerprint: Fingerprint,
}
