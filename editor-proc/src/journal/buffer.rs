//! One buffer instance's journal: append records, start over after a save, discard;
//! and when a write fails, say so and write the whole text again once it works.
//!
//! Each instance writes its own file (`<name>-<hash>.<instance>.jsonl`) and holds an
//! exclusive `flock` on it while it lives, so other editor processes (and other buffers)
//! on the same file never touch it, and recovery knows a journal whose lock is free
//! belongs to a dead owner.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use xi_rope::Rope;

use super::dir::remove_if_present;
use super::format::{self, Header, VERSION};
use super::sync::{SYNC_INTERVAL, sync_soon};
use super::{BaseId, JournalEdit, JournalError, Result};

/// Bases up to this size are copied into the journal, so that its edits can be
/// replayed exactly even after the file changed on disk.
pub const BASE_COPY_LIMIT: usize = 8 << 20;

/// After a failed write, the next attempt waits at least this long (each attempt
/// writes the whole text again).
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// Journal files made by this process so far (part of each instance name).
static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// The journal of one open buffer, from [`super::JournalDir::open`].
///
/// Dropping it keeps the journal on disk (a crash and a quit without saving look
/// the same) and releases its lock; call [`BufferJournal::discard`] when the unsaved
/// edits are meant to go.
#[derive(Debug)]
pub struct BufferJournal {
    dir: PathBuf,
    /// `<name>-<hash>`: this file's journals all start with it.
    stem: String,
    /// The journal file once it was created.
    journal: Option<PathBuf>,
    file_path: PathBuf,
    base: BaseId,
    /// The text the edits apply to (a rope clone is cheap).
    base_text: Rope,
    /// Open for appending (and locked) once the first record was written.
    file: Option<Arc<File>>,
    /// When an fsync was last requested.
    last_sync_request: Option<Instant>,
    /// Why the last write failed, while the journal misses edits.
    failure: Option<String>,
    /// When a write last failed.
    failed_at: Option<Instant>,
}

impl BufferJournal {
    pub(crate) fn new(dir: PathBuf, stem: String, file_path: PathBuf, base: &Rope) -> Self {
        BufferJournal {
            dir,
            stem,
            journal: None,
            file_path,
            base: BaseId::of(base),
            base_text: base.clone(),
            file: None,
            last_sync_request: None,
            failure: None,
            failed_at: None,
        }
    }

    /// Continues the orphaned journal `journal` (locked through `file`), whose edits give
    /// `text`: later records append to it.
    pub(crate) fn adopt(
        dir: PathBuf,
        stem: String,
        journal: PathBuf,
        file: File,
        file_path: PathBuf,
        text: &Rope,
    ) -> Self {
        let mut j = BufferJournal::new(dir, stem, file_path, text);
        j.journal = Some(journal);
        j.file = Some(Arc::new(file));
        j
    }

    /// Where this journal is written (None until the first record).
    pub fn journal_path(&self) -> Option<&Path> {
        self.journal.as_deref()
    }

    /// Why the journal cannot be written right now (None: it holds every edit).
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Appends `edits` (applied in order, each in the coordinates left by the
    /// previous one; `now` is the text after them) with a single `write(2)`: once this
    /// returns, a SIGKILL loses nothing. An fsync follows on a background thread
    /// within about a second.
    ///
    /// After a failed write the journal misses edits: the next attempt (at most one a
    /// second) writes a new journal holding `now` whole, then removes the old one.
    pub fn record(&mut self, edits: &[JournalEdit], now: &Rope) -> Result<()> {
        if edits.is_empty() {
            return Ok(());
        }
        if self.failure.is_some() {
            return self.rewrite(now);
        }
        let result = match self.file.clone() {
            Some(f) => {
                let mut line =
                    Vec::with_capacity(64 + edits.iter().map(|e| e.text.len() + 24).sum::<usize>());
                format::push_record(&mut line, edits)?;
                self.append(&f, &line)
            }
            None => self.start(edits).map(|_| ()),
        };
        if let Err(e) = &result {
            self.failed(e);
        }
        result
    }

    /// Writes `line` to the open journal.
    fn append(&mut self, file: &Arc<File>, line: &[u8]) -> Result<()> {
        (&**file)
            .write_all(line)
            .map_err(|source| JournalError::Io {
                path: self.journal.clone().unwrap_or_else(|| self.dir.clone()),
                source,
            })?;
        // The syncer syncs one interval after a request, which covers every
        // record written until then; later records make a new request.
        if self
            .last_sync_request
            .is_none_or(|t| t.elapsed() >= SYNC_INTERVAL)
        {
            self.flush_soon();
        }
        Ok(())
    }

    /// Creates a new journal file holding the header, the base and `edits`, in one write;
    /// a file that could not be written whole is removed again.
    fn start(&mut self, edits: &[JournalEdit]) -> Result<PathBuf> {
        let header = Header {
            symphony_journal: VERSION,
            path: self.file_path.to_string_lossy().into_owned(),
            base: self.base,
            base_text: self.base_text.len() <= BASE_COPY_LIMIT,
            pid: Some(std::process::id()),
        };
        let mut bytes = format::header_line(&header)?;
        if header.base_text {
            format::push_text(&mut bytes, &self.base_text)?;
        }
        format::push_record(&mut bytes, edits)?;
        let (path, file) = self.create()?;
        if let Err(source) = (&file).write_all(&bytes) {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(JournalError::Io { path, source });
        }
        let file = Arc::new(file);
        self.journal = Some(path.clone());
        self.file = Some(Arc::clone(&file));
        self.last_sync_request = None;
        self.flush_soon();
        Ok(path)
    }

    /// A new journal holding `now` whole (one edit over the base), replacing the old one.
    fn rewrite(&mut self, now: &Rope) -> Result<()> {
        if let (Some(at), Some(why)) = (self.failed_at, &self.failure)
            && at.elapsed() < RETRY_INTERVAL
        {
            return Err(JournalError::Failing(why.clone()));
        }
        let whole = JournalEdit {
            start: 0,
            end: self.base_text.len(),
            text: String::from(now),
        };
        let old = self.journal.take();
        let old_file = self.file.take();
        match self.start(&[whole]) {
            Ok(_) => {
                drop(old_file);
                if let Some(old) = old {
                    remove_if_present(&old)?;
                }
                self.failure = None;
                self.failed_at = None;
                Ok(())
            }
            Err(e) => {
                self.journal = old;
                self.file = old_file;
                self.failed(&e);
                Err(e)
            }
        }
    }

    fn failed(&mut self, e: &JournalError) {
        tracing::warn!("journal: {e}");
        self.failure = Some(e.short());
        self.failed_at = Some(Instant::now());
    }

    /// Schedules an fsync of what was recorded so far (done within about a second).
    pub fn flush_soon(&mut self) {
        if let Some(f) = &self.file {
            sync_soon(f);
            self.last_sync_request = Some(Instant::now());
        }
    }

    /// The buffer was saved as `new_base`: this instance's journal starts over (it is
    /// removed now and begins again with the next recorded edit). Other instances'
    /// journals of the same file are left alone.
    pub fn saved(&mut self, new_base: &Rope) -> Result<()> {
        self.base = BaseId::of(new_base);
        self.base_text = new_base.clone();
        self.file = None;
        self.last_sync_request = None;
        self.failure = None;
        self.failed_at = None;
        match self.journal.take() {
            Some(p) => remove_if_present(&p),
            None => Ok(()),
        }
    }

    /// Removes the journal: its edits are not wanted any more.
    pub fn discard(mut self) -> Result<()> {
        self.file = None;
        match self.journal.take() {
            Some(p) => remove_if_present(&p),
            None => Ok(()),
        }
    }

    /// Creates a new journal file of this instance, private to the user, and locks it.
    fn create(&self) -> Result<(PathBuf, File)> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| JournalError::Io { path, source }
        };
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(io(&self.dir))?;
        loop {
            let path = self
                .dir
                .join(format!("{}.{}.jsonl", self.stem, instance_id()));
            match OpenOptions::new()
                .create_new(true)
                .append(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => {
                    // Recovery scans lock a file only to read it; an empty file is
                    // never theirs to keep, so this waits at most for one read.
                    file.lock().map_err(io(&path))?;
                    return Ok((path, file));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(JournalError::Io { path, source }),
            }
        }
    }
}

impl Drop for BufferJournal {
    /// A journal closed with unsynced records (its buffer went away, or the process
    /// ends) syncs them now: the background syncer only holds it weakly.
    fn drop(&mut self) {
        if let Some(f) = self.file.take()
            && self
                .last_sync_request
                .is_some_and(|t| t.elapsed() < SYNC_INTERVAL * 3)
        {
            let _ = f.sync_data();
        }
    }
}

/// `<pid>-<nanoseconds since the epoch>-<counter>`: unique across processes and time.
fn instance_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = INSTANCES.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos:x}-{n}", std::process::id())
}
