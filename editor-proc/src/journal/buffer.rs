//! One buffer's journal: append records, start over after a save, discard.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use xi_rope::Rope;

use super::dir::remove_if_present;
use super::format::{self, Header, VERSION};
use super::sync::{SYNC_INTERVAL, sync_soon};
use super::{BaseId, JournalEdit, JournalError, Result};

/// The journal of one open buffer, from [`super::JournalDir::open`].
///
/// Dropping it keeps the journal on disk (a crash and a quit without saving look
/// the same); call [`BufferJournal::discard`] when the unsaved edits are meant to go.
#[derive(Debug)]
pub struct BufferJournal {
    dir: PathBuf,
    journal: PathBuf,
    file_path: PathBuf,
    base: BaseId,
    /// Open for appending once the first record was written.
    file: Option<Arc<File>>,
    /// When an fsync was last requested.
    last_sync_request: Option<Instant>,
}

impl BufferJournal {
    pub(crate) fn new(dir: PathBuf, journal: PathBuf, file_path: PathBuf, base: BaseId) -> Self {
        BufferJournal {
            dir,
            journal,
            file_path,
            base,
            file: None,
            last_sync_request: None,
        }
    }

    /// Where this journal is (or will be) written.
    pub fn journal_path(&self) -> &std::path::Path {
        &self.journal
    }

    /// Appends `edits` (applied in order, each in the coordinates left by the
    /// previous one) with a single `write(2)`: once this returns, a SIGKILL loses
    /// nothing. An fsync follows on a background thread within about a second.
    pub fn record(&mut self, edits: &[JournalEdit]) -> Result<()> {
        if edits.is_empty() {
            return Ok(());
        }
        let mut line =
            Vec::with_capacity(64 + edits.iter().map(|e| e.text.len() + 24).sum::<usize>());
        let file = match &self.file {
            Some(f) => Arc::clone(f),
            None => {
                let header = Header {
                    symphony_journal: VERSION,
                    path: self.file_path.to_string_lossy().into_owned(),
                    base: self.base,
                };
                line = format::header_line(&header)?;
                let f = Arc::new(self.create()?);
                self.file = Some(Arc::clone(&f));
                f
            }
        };
        format::push_record(&mut line, edits)?;
        (&*file)
            .write_all(&line)
            .map_err(|source| JournalError::Io {
                path: self.journal.clone(),
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

    /// Schedules an fsync of what was recorded so far (done within about a second).
    pub fn flush_soon(&mut self) {
        if let Some(f) = &self.file {
            sync_soon(Arc::clone(f));
            self.last_sync_request = Some(Instant::now());
        }
    }

    /// The buffer was saved as `new_base`: the journal starts over (it is removed
    /// now and begins again with the next recorded edit).
    pub fn saved(&mut self, new_base: &Rope) -> Result<()> {
        self.base = BaseId::of(new_base);
        self.file = None;
        self.last_sync_request = None;
        remove_if_present(&self.journal)
    }

    /// Removes the journal: its edits are not wanted any more.
    pub fn discard(mut self) -> Result<()> {
        self.file = None;
        remove_if_present(&self.journal)
    }

    /// Creates (or truncates) the journal file, private to the user.
    fn create(&self) -> Result<File> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|source| JournalError::Io {
                path: self.dir.clone(),
                source,
            })?;
        OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&self.journal)
            .map_err(|source| JournalError::Io {
                path: self.journal.clone(),
                source,
            })
    }
}
