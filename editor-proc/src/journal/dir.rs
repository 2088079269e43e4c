//! The journal directory: where each file's journal lives, and recovery.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use xi_rope::Rope;

use super::format;
use super::{BaseId, BufferJournal, JournalError, Result};

/// The directory holding every buffer's journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDir {
    dir: PathBuf,
}

/// Unsaved text found in a journal.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// The on-disk text with the journal's edits replayed onto it.
    pub text: Rope,
    /// How many edits were replayed.
    pub edits: usize,
}

impl JournalDir {
    /// `$XDG_STATE_HOME/symphony/journal`, falling back to
    /// `$HOME/.local/state/symphony/journal` (and the temp dir without `$HOME`).
    pub fn from_env() -> Self {
        JournalDir::new(crate::files::xdg_dir(
            "XDG_STATE_HOME",
            ".local/state",
            "journal",
        ))
    }

    /// Journals in `dir` (created on the first recorded edit).
    pub fn new(dir: PathBuf) -> Self {
        JournalDir { dir }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Starts journaling edits of `file_path`, whose current text is `base`.
    ///
    /// Cheap: nothing is written until the first [`BufferJournal::record`], which
    /// replaces any older journal of this file (so call [`JournalDir::recover`] first).
    pub fn open(&self, file_path: &Path, base: &Rope) -> Result<BufferJournal> {
        let canonical = canonical(file_path);
        let journal = self.journal_path(&canonical);
        Ok(BufferJournal::new(
            self.dir.clone(),
            journal,
            canonical,
            BaseId::of(base),
        ))
    }

    /// Looks for unsaved edits of `file_path`. Returns `Ok(None)` when there is no
    /// journal, it is empty, it was made on another text than `on_disk` (the file
    /// changed since), or replaying it gives back `on_disk` itself.
    pub fn recover(&self, file_path: &Path, on_disk: &Rope) -> Result<Option<Recovered>> {
        let canonical = canonical(file_path);
        let journal = self.journal_path(&canonical);
        let bytes = match fs::read(&journal) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(JournalError::Io {
                    path: journal,
                    source,
                });
            }
        };
        let Some(parsed) = format::parse(&bytes) else {
            tracing::warn!(journal = %journal.display(), "unreadable journal header; ignoring it");
            return Ok(None);
        };
        drop(bytes);
        if parsed.header.path != canonical.to_string_lossy() {
            tracing::warn!(journal = %journal.display(), "journal belongs to another file; ignoring it");
            return Ok(None);
        }
        if parsed.header.base != BaseId::of(on_disk) {
            tracing::info!(file = %canonical.display(), "journal was made on another version of the file; not offering it");
            return Ok(None);
        }
        let mut text = on_disk.clone();
        let edits = format::replay(&mut text, &parsed.records);
        if edits == 0 || ropes_equal(&text, on_disk) {
            return Ok(None);
        }
        Ok(Some(Recovered { text, edits }))
    }

    /// Deletes the journal of `file_path`, if any (the user refused the recovery).
    pub fn remove(&self, file_path: &Path) -> Result<()> {
        let journal = self.journal_path(&canonical(file_path));
        remove_if_present(&journal)
    }

    /// `<dir>/<file name>-<hash of the path>.jsonl`.
    fn journal_path(&self, canonical: &Path) -> PathBuf {
        let name: String = canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        let hash = fnv1a(canonical.as_os_str().as_encoded_bytes());
        self.dir.join(format!("{name}-{hash:016x}.jsonl"))
    }
}

/// Removes `path`, treating "already gone" as success.
pub(crate) fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(JournalError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The canonical form of `path`, also for a file that does not exist yet.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or(absolute.clone()),
        _ => absolute,
    }
}

/// Whether two ropes hold the same text, without copying them.
fn ropes_equal(a: &Rope, b: &Rope) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut pos = 0;
    for chunk in a.iter_chunks(..) {
        let end = pos + chunk.len();
        if !b.is_codepoint_boundary(end) || b.slice_to_cow(pos..end) != chunk {
            return false;
        }
        pos = end;
    }
    true
}

/// 64-bit FNV-1a, stable across versions (journal file names depend on it).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
