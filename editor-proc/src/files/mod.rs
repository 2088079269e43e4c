//! Files on disk: streaming UTF-8 load into an LF-normalized rope, and safe saves that
//! write the file back byte for byte as it was, apart from the edits.
//!
//! - [`load`] reads a file in chunks, refuses special files (before opening them),
//!   binary files and invalid UTF-8 with a typed [`FileError`], normalizes CRLF to LF
//!   and takes off a UTF-8 BOM, remembering both in a [`TextFormat`] (the ending of
//!   every line, for mixed-ending files), without ever holding the file twice in memory.
//! - [`save`] writes the rope with that format to a temporary file in the same
//!   directory, fsyncs it, gives it the original permissions, renames it over the
//!   target and fsyncs the directory: a failed save leaves the original untouched.
//!   A file with hard links, or in a directory we may not write, is written in place
//!   after a backup copy (vim's `backupcopy=auto`).
//! - [`trash`] moves what a workspace edit deletes or overwrites into the editor's trash.
//! - [`xdg_dir`] finds the editor's own folders (state, data) the XDG way.

mod error;
mod format;
mod guard;
mod load;
mod save;
pub mod trash;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use error::{FileError, Result, SaveStage};
pub use format::{BOM, LineEndings, TextFormat};
pub use guard::{LOAD_PATIENCE, load_with_patience, with_patience};
pub use load::{READ_CHUNK, load};
pub use save::{Saved, default_backup_dir, save, save_exact, save_with_backup_dir};

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

/// A line ending on disk.
///
/// Buffers always hold LF; [`save`] writes each line back with the ending it had
/// ([`LineEndings`]).
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
    /// The dominant line ending of the file (that of most lines; of the first line on a tie).
    pub line_ending: LineEnding,
    /// Everything needed to write the file back as it was: every line's ending, the BOM.
    pub format: TextFormat,
    /// Size and modification time of the file that was read.
    pub fingerprint: Fingerprint,
    /// [`content_hash`] of the bytes read.
    pub hash: [u8; 32],
}

/// The hash the editor compares files by (BLAKE3 of the bytes on disk).
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// [`content_hash`] of the file at `path` (read in chunks); `Ok(None)` when it does not
/// exist. Special files are refused before they are opened.
pub fn hash_file(path: &Path) -> std::io::Result<Option<[u8; 32]>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => {
            return Err(std::io::Error::other(format!(
                "it is {}",
                load::file_kind(&m)
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(*hasher.finalize().as_bytes()))
}
