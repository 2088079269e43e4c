//! The journal directory: where each buffer instance's journal lives, and finding the
//! journals of dead instances to offer.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use xi_rope::Rope;

use super::orphan::Orphan;
use super::{BufferJournal, JournalError, Result};

/// The directory holding every buffer's journal, and where refused journals go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDir {
    dir: PathBuf,
    trash: PathBuf,
}

impl JournalDir {
    /// `$XDG_STATE_HOME/symphony/journal`, falling back to
    /// `$HOME/.local/state/symphony/journal` (and the temp dir without `$HOME`); refused
    /// journals go to `<the editor's trash>/journals`.
    pub fn from_env() -> Self {
        JournalDir::with_trash(
            crate::files::xdg_dir("XDG_STATE_HOME", ".local/state", "journal"),
            crate::files::trash::trash_dir().join("journals"),
        )
    }

    /// Journals in `dir` (created on the first recorded edit); refused ones go to the
    /// sibling folder `journal-trash`.
    pub fn new(dir: PathBuf) -> Self {
        let trash = dir.with_file_name("journal-trash");
        JournalDir::with_trash(dir, trash)
    }

    /// Journals in `dir`, refused ones moved to `trash`.
    pub fn with_trash(dir: PathBuf, trash: PathBuf) -> Self {
        JournalDir { dir, trash }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where refused journals go.
    pub fn trash_path(&self) -> &Path {
        &self.trash
    }

    /// Starts journaling edits of `file_path`, whose current text is `base`, in a journal
    /// of this buffer instance alone.
    ///
    /// Cheap: nothing is written until the first [`BufferJournal::record`], which
    /// creates a new file; journals of other instances (live or dead) are never touched.
    pub fn open(&self, file_path: &Path, base: &Rope) -> Result<BufferJournal> {
        let canonical = canonical(file_path);
        let stem = stem(&canonical);
        Ok(BufferJournal::new(self.dir.clone(), stem, canonical, base))
    }

    /// Every journal of `file_path` whose owner is gone (its lock is free) and that holds
    /// text other than `on_disk`, newest first. Each is locked (claimed) while the
    /// returned [`Orphan`] lives, so no other instance offers it meanwhile.
    ///
    /// A journal made on another version of the file is offered too, marked
    /// `changed_on_disk`. Dead journals whose text equals `on_disk` hold nothing and are
    /// removed; unreadable ones are left alone.
    pub fn recover_all(&self, file_path: &Path, on_disk: &Rope) -> Result<Vec<Orphan>> {
        let canonical = canonical(file_path);
        let stem = stem(&canonical);
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(JournalError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !is_journal_of(name, &stem) {
                continue;
            }
            match Orphan::claim(&entry.path(), &canonical, on_disk) {
                Ok(Some(o)) => found.push(o),
                Ok(None) => {}
                Err(e) => tracing::warn!("journal recovery: {e}"),
            }
        }
        found.sort_by_key(|o| std::cmp::Reverse(o.modified));
        Ok(found)
    }

    /// The newest offerable journal of `file_path` (see [`JournalDir::recover_all`]).
    pub fn recover(&self, file_path: &Path, on_disk: &Rope) -> Result<Option<Orphan>> {
        Ok(self.recover_all(file_path, on_disk)?.into_iter().next())
    }

    /// Continues `orphan`'s journal for a new buffer holding its text (recovered into a
    /// buffer of its own): later edits append to it, so a crash keeps them too.
    ///
    /// The journal is renamed to end in `-r` ([`DETACHED_MARK`]): offered again after a
    /// crash, it says it is not the file's own buffer's (see [`Orphan::detached`]).
    pub fn adopt(&self, orphan: Orphan) -> BufferJournal {
        let stem = stem(&orphan.file_path);
        let text = orphan.text.clone();
        let (mut journal, file, file_path) = orphan.into_parts();
        let detached = detached_name(&journal, &stem);
        if detached != journal {
            match fs::rename(&journal, &detached) {
                Ok(()) => journal = detached,
                Err(e) => tracing::warn!("journal: could not mark {}: {e}", journal.display()),
            }
        }
        BufferJournal::adopt(self.dir.clone(), stem, journal, file, file_path, &text)
    }

    /// Moves a refused journal to the trash (kept [`super::orphan::TRASH_DAYS`] days, at
    /// most [`super::orphan::TRASH_KEEP`] of them); returns where it went.
    pub fn trash(&self, orphan: Orphan) -> Result<PathBuf> {
        orphan.trash(&self.trash)
    }
}

/// `<file name>-<hash of the canonical path>`: every journal of the file starts with it.
fn stem(canonical: &Path) -> String {
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
    format!("{name}-{hash:016x}")
}

/// How the instance part of a journal's name ends when its text was recovered into a
/// buffer of its own (not the file's buffer).
pub(crate) const DETACHED_MARK: &str = "-r";

/// `journal` renamed to `<stem>.<instance>-r.jsonl` (unchanged when it already is).
fn detached_name(journal: &Path, stem: &str) -> PathBuf {
    let name = journal
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let instance = name
        .strip_prefix(stem)
        .and_then(|r| r.strip_suffix(".jsonl"))
        .map(|mid| mid.trim_start_matches('.'))
        .unwrap_or_default();
    if instance.ends_with(DETACHED_MARK) {
        return journal.to_path_buf();
    }
    let instance = if instance.is_empty() { "old" } else { instance };
    journal.with_file_name(format!("{stem}.{instance}{DETACHED_MARK}.jsonl"))
}

/// Whether `name` is a journal of the file with `stem`: `<stem>.<instance>.jsonl`, or
/// `<stem>.jsonl` as written before journals had instances.
fn is_journal_of(name: &str, stem: &str) -> bool {
    name.strip_prefix(stem)
        .and_then(|rest| rest.strip_suffix(".jsonl"))
        .is_some_and(|mid| {
            mid.is_empty() || mid.strip_prefix('.').is_some_and(|i| !i.contains('.'))
        })
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
pub(crate) fn canonical(path: &Path) -> PathBuf {
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
pub(crate) fn ropes_equal(a: &Rope, b: &Rope) -> bool {
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
