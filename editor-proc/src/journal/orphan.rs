//! A journal whose owner is gone, claimed (locked) while the user is asked about it:
//! its recovered text, and what to do with it after the answer (remove, trash, adopt).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use xi_rope::Rope;

use super::dir::{remove_if_present, ropes_equal};
use super::format;
use super::{BaseId, JournalError, Result};

/// Refused journals stay in the trash this many days...
pub const TRASH_DAYS: u64 = 7;
/// ...and at most this many of them (the newest) are kept.
pub const TRASH_KEEP: usize = 100;

/// Unsaved text found in the journal of a dead buffer instance.
#[derive(Debug)]
pub struct Orphan {
    /// The journal file.
    pub journal: PathBuf,
    /// Held with an exclusive lock: the claim.
    file: File,
    /// The canonical path of the edited file.
    pub file_path: PathBuf,
    /// The text the journal's edits give.
    pub text: Rope,
    /// How many edits were replayed.
    pub edits: usize,
    /// The file on disk is not the text the journal was made on.
    pub changed_on_disk: bool,
    /// The edits were replayed onto the text they were made on. False only for a journal
    /// without its base (big files, old journals) whose file changed: its edits were
    /// replayed onto the file as it is now, which may not give what was typed.
    pub exact: bool,
    /// When the journal was last written.
    pub modified: Option<SystemTime>,
    /// Its text had been recovered into a buffer of its own (not the file's buffer), which
    /// went on journaling into it: never the file buffer's own unsaved text.
    pub detached: bool,
}

impl Orphan {
    /// Claims the journal at `path` if its owner is dead and it holds unsaved text of
    /// `canonical` (whose text on disk is `on_disk`); `Ok(None)` otherwise.
    pub(crate) fn claim(path: &Path, canonical: &Path, on_disk: &Rope) -> Result<Option<Self>> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = match OpenOptions::new().read(true).append(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            // A live instance (this process or another) is writing it.
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let bytes = fs::read(path).map_err(io_err)?;
        let modified = file.metadata().and_then(|m| m.modified()).ok();
        let Some(parsed) = format::parse(&bytes) else {
            if !bytes.is_empty() {
                tracing::warn!(journal = %path.display(), "unreadable journal header; leaving it alone");
            }
            return Ok(None);
        };
        drop(bytes);
        if parsed.header.path != canonical.to_string_lossy() {
            tracing::warn!(journal = %path.display(), "journal belongs to another file; ignoring it");
            return Ok(None);
        }
        let same_base = parsed.header.base == BaseId::of(on_disk);
        let stored = parsed
            .base_text
            .map(Rope::from)
            .filter(|b| BaseId::of(b) == parsed.header.base);
        let (base, exact) = match stored {
            _ if same_base => (on_disk.clone(), true),
            Some(b) => (b, true),
            None => (on_disk.clone(), false),
        };
        let mut text = base.clone();
        let edits = format::replay(&mut text, &parsed.records);
        if ropes_equal(&text, on_disk) || (exact && ropes_equal(&text, &base)) {
            if exact {
                // Nothing unsaved in it: the text is on disk (or was the base).
                tracing::info!(journal = %path.display(), "removing a journal that holds nothing unsaved");
                drop(file);
                remove_if_present(path)?;
            }
            return Ok(None);
        }
        if !same_base {
            tracing::info!(file = %canonical.display(), exact, "journal was made on another version of the file; offering it");
        }
        Ok(Some(Orphan {
            journal: path.to_path_buf(),
            file,
            file_path: canonical.to_path_buf(),
            text,
            edits,
            changed_on_disk: !same_base,
            exact,
            modified,
            detached: path
                .file_stem()
                .is_some_and(|n| n.to_string_lossy().ends_with(super::dir::DETACHED_MARK)),
        }))
    }

    /// The recovered text is safe elsewhere (in a buffer whose own journal holds it):
    /// removes this journal.
    pub fn remove(self) -> Result<()> {
        drop(self.file);
        remove_if_present(&self.journal)
    }

    /// Moves the journal to the trash folder `dir` (kept [`TRASH_DAYS`] days, at most
    /// [`TRASH_KEEP`] journals); returns where it went.
    pub(crate) fn trash(self, dir: &Path) -> Result<PathBuf> {
        let io_err = |source| JournalError::Io {
            path: self.journal.clone(),
            source,
        };
        let to = crate::files::trash::trash_into(dir, &self.journal).map_err(io_err)?;
        if let Err(e) =
            crate::files::trash::purge(dir, Duration::from_secs(TRASH_DAYS * 24 * 3600), TRASH_KEEP)
        {
            tracing::warn!(dir = %dir.display(), "could not tidy the journal trash: {e}");
        }
        Ok(to)
    }

    /// The journal's path, its locked file and the edited file's path.
    pub(crate) fn into_parts(self) -> (PathBuf, File, PathBuf) {
        (self.journal, self.file, self.file_path)
    }
}
