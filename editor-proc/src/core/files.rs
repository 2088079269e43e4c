//! Opening, saving and recovering buffers: the glue between the core and `crate::files`,
//! the crash journal and the watcher.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xi_rope::{Interval, Rope};

use super::journal_glue::RecoveryOffer;
use super::{BufferState, Core};
use crate::buffer::Buffer;
use crate::files::{self, Fingerprint, LoadedFile, TextFormat};
use crate::highlight::LineStyles;
use crate::journal::BufferJournal;
use crate::text::line_count;
use symphony_protocol::xi::ClientNotification;

/// Files at least this big show their first screen before the rest is loaded.
const PROGRESSIVE_MIN: u64 = 8 << 20;
/// How much of a big file is read for its first screen.
const PREFIX_BYTES: usize = 256 << 10;

/// The first complete lines of a big file, or None for small, binary, CRLF, BOM or odd files
/// (which take the normal path, where `files::load` judges them).
pub(super) fn read_prefix(path: &Path) -> Option<Rope> {
    use std::io::Read;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() < PROGRESSIVE_MIN {
        return None;
    }
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; PREFIX_BYTES];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.truncate(n);
    if memchr::memchr(0, &buf).is_some()
        || memchr::memchr(b'\r', &buf).is_some()
        || buf.starts_with(files::BOM)
    {
        return None;
    }
    let valid = match std::str::from_utf8(&buf) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).ok()?,
    };
    let end = valid.rfind('\n')? + 1;
    Some(Rope::from(&valid[..end]))
}

/// [`read_prefix`] on a thread of its own: Err (the message for the user) when even
/// looking at the path stalls (a hung network file system), so the editor goes on.
pub(super) fn read_prefix_with_patience(path: &Path) -> Result<Option<Rope>, String> {
    let owned = path.to_path_buf();
    files::with_patience(files::LOAD_PATIENCE, move || read_prefix(&owned)).ok_or_else(|| {
        files::FileError::Stalled {
            path: path.to_path_buf(),
            secs: files::LOAD_PATIENCE.as_secs(),
        }
        .to_string()
    })
}

/// Work left after a line was answered (see `Core::run_pending`).
#[derive(Debug)]
pub(super) enum Pending {
    /// Load the rest of a big file whose first screen was sent.
    FinishOpen {
        /// Buffer.
        bid: u64,
        /// View showing it.
        view_id: String,
        /// File.
        path: PathBuf,
        /// What was shown.
        prefix: Rope,
    },
}

/// What the core knows about a buffer's file.
#[derive(Debug, Default)]
pub struct FileState {
    /// Where it is saved (None: scratch buffer).
    pub path: Option<PathBuf>,
    /// How to write it back as it was: every line's ending, the BOM.
    pub format: TextFormat,
    /// Whether the file ended with a newline when read (None: a new or empty file);
    /// `save_with_newline` adds none to a file that had none.
    pub final_newline: Option<bool>,
    /// What the file looked like when we last read or wrote it.
    pub fingerprint: Option<Fingerprint>,
    /// The hash of the bytes we last read or wrote (`files::content_hash`).
    pub hash: Option<[u8; 32]>,
    /// The file changed on disk behind unsaved edits, and that is not resolved yet
    /// (by a save or a reload): the client is told with `symphony.disk_state`.
    pub disk_changed: bool,
    /// The next save writes even over a conflict (`save` with `force: true`).
    pub force_save: bool,
    /// The crash journal of this buffer's unsaved edits.
    pub journal: Option<BufferJournal>,
    /// Whether the journal has been written since it was opened.
    pub journaled: bool,
    /// Journals of dead instances of this file, claimed; the first is offered and waits
    /// for `symphony.recover`.
    pub offers: std::collections::VecDeque<crate::journal::Orphan>,
    /// A file that could not be opened in this view: never saved over.
    pub refused: Option<PathBuf>,
}

impl FileState {
    /// Called when the last view of the buffer closes: its journal is not needed any more.
    pub fn close(self) {
        if let Some(j) = self.journal
            && let Err(e) = j.discard()
        {
            tracing::warn!("journal: {e}");
        }
    }
}

/// What a buffer knows of its file as read from disk.
#[derive(Debug, Default)]
pub(super) struct OnDisk {
    /// Line endings and BOM.
    pub(super) format: TextFormat,
    /// Whether the text ended with a newline (None: no file, or an empty one).
    pub(super) final_newline: Option<bool>,
    /// Size and time.
    pub(super) fingerprint: Option<Fingerprint>,
    /// Hash of the bytes.
    pub(super) hash: Option<[u8; 32]>,
}

impl OnDisk {
    /// What `files::load` found (`None`: no such file).
    pub(super) fn of(loaded: Option<&LoadedFile>) -> Self {
        match loaded {
            None => OnDisk::default(),
            Some(f) => OnDisk {
                format: f.format.clone(),
                final_newline: (!f.text.is_empty())
                    .then(|| f.text.byte_at(f.text.len() - 1) == b'\n'),
                fingerprint: Some(f.fingerprint),
                hash: Some(f.hash),
            },
        }
    }

    /// Puts this into `file`.
    pub(super) fn store(self, file: &mut FileState) {
        file.format = self.format;
        file.final_newline = self.final_newline;
        file.fingerprint = self.fingerprint;
        file.hash = self.hash;
    }
}

impl Core {
    /// Loads `path` (or makes an empty buffer) and registers it.
    /// Returns the buffer id and, when the journal holds unsaved edits, the
    /// `symphony.recovery_available` params (without `view_id`).
    pub(super) fn open_buffer(
        &mut self,
        path: Option<&Path>,
    ) -> Result<(u64, Option<RecoveryOffer>), String> {
        let (text, disk) = match path {
            None => (Rope::default(), OnDisk::default()),
            Some(p) => match files::load_with_patience(p, files::LOAD_PATIENCE) {
                Ok(f) => {
                    let disk = OnDisk::of(f.as_ref());
                    (f.map(|f| f.text).unwrap_or_default(), disk)
                }
                Err(e) => return Err(e.to_string()),
            },
        };
        let language = self.language_for(path, &text);
        let id = self.add_buffer(text.clone(), language);
        let recovery = match path {
            Some(p) => self.attach_file(id, p, &text, disk),
            None => None,
        };
        Ok((id, recovery))
    }

    /// Registers a new buffer holding `text`, with no file and no views yet; returns its id.
    fn add_buffer(&mut self, text: Rope, language: String) -> u64 {
        let id = self.next_buffer;
        self.next_buffer += 1;
        self.buffers.insert(
            id,
            BufferState {
                buffer: Buffer::new(text),
                file: FileState::default(),
                language,
                views: Vec::new(),
                rev: 0,
                styles: LineStyles::new(),
                highlight_epoch: 0,
            },
        );
        id
    }

    /// Ties buffer `bid` to its file: crash-journal recovery and journal, watching.
    /// Returns the `symphony.recovery_available` params (without `view_id`) when there are
    /// unsaved edits to offer.
    fn attach_file(
        &mut self,
        bid: u64,
        path: &Path,
        text: &Rope,
        disk: OnDisk,
    ) -> Option<RecoveryOffer> {
        let mut file = FileState {
            path: Some(path.to_path_buf()),
            ..Default::default()
        };
        let ending = disk.format.endings.dominant;
        disk.store(&mut file);
        self.set_detected_ending(bid, ending);
        let mut recovery_params = None;
        if let Some(dir) = self.services.journal.as_ref() {
            match dir.recover_all(path, text) {
                Ok(found) => {
                    file.offers = found.into();
                    recovery_params = RecoveryOffer::first(path, &file.offers);
                }
                Err(e) => tracing::warn!("journal recovery: {e}"),
            }
            match dir.open(path, text) {
                Ok(j) => file.journal = Some(j),
                Err(e) => tracing::warn!("journal: {e}"),
            }
        }
        if let Some(w) = self.services.watcher.as_mut()
            && let Err(e) = w.watch(path)
        {
            tracing::warn!("{e}");
        }
        if let Some(b) = self.buffers.get_mut(&bid) {
            b.file = file;
        }
        recovery_params
    }

    /// Opens a big file progressively: its first lines are shown at once, then the whole
    /// file is loaded and the view updated (the lines already sent stay valid).
    pub(super) fn new_view_progressive(&mut self, id: u64, path: &Path, prefix: Rope) {
        let language = self.language_for(Some(path), &prefix);
        let bid = self.add_buffer(prefix.clone(), language);
        let Some(view_id) = self.attach_view(id, bid) else {
            return;
        };
        // the first screen goes out now; the rest of the file loads right after it is written
        self.pending.push(Pending::FinishOpen {
            bid,
            view_id,
            path: path.to_path_buf(),
            prefix,
        });
    }

    /// Loads the whole file of a progressively opened view and updates the view.
    pub(super) fn finish_open(&mut self, bid: u64, view_id: String, path: &Path, prefix: Rope) {
        let prefix_lines = line_count(&prefix);
        match files::load_with_patience(path, files::LOAD_PATIENCE) {
            Ok(loaded) => {
                let disk = OnDisk::of(loaded.as_ref());
                let text = loaded.map(|f| f.text).unwrap_or_default();
                let recovery = self.attach_file(bid, path, &text, disk);
                self.send_detected_ending(bid);
                let keeps_prefix = text.len() >= prefix.len()
                    && text.slice_to_cow(0..prefix.len()) == prefix.slice_to_cow(..);
                let total = line_count(&text);
                if let Some(b) = self.buffers.get_mut(&bid) {
                    b.buffer = Buffer::new(text.clone());
                }
                if let Some(v) = self.views.get_mut(&view_id) {
                    if keeps_prefix && total + 1 >= prefix_lines {
                        // complete lines of the prefix are unchanged; its empty last line is not
                        v.shadow
                            .edit(prefix_lines - 1, prefix_lines, total + 1 - prefix_lines);
                    } else {
                        v.selection = crate::selection::Selection::caret(0);
                        v.set_dirty(&text);
                    }
                }
                self.render_view(&view_id);
                if let Some(r) = recovery {
                    self.notify(r.into_notification(view_id.clone()));
                }
                self.request_highlight(bid, None);
            }
            Err(e) => {
                // never leave a truncated file in an editable buffer tied to its path
                self.notify(ClientNotification::Alert { msg: e.to_string() });
                let empty = Rope::default();
                if let Some(b) = self.buffers.get_mut(&bid) {
                    b.buffer = Buffer::new(empty.clone());
                    b.file.refused = Some(path.to_path_buf());
                }
                if let Some(v) = self.views.get_mut(&view_id) {
                    v.selection = crate::selection::Selection::caret(0);
                    v.set_dirty(&empty);
                }
                self.render_view(&view_id);
            }
        }
    }

    /// `save {view_id, file_path}`.
    pub(super) fn save(&mut self, view_id: &str, path: &Path) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        if b.file.refused.as_deref() == Some(path) {
            let msg = format!(
                "Not saving over {}: it could not be opened as text.",
                path.display()
            );
            self.notify(ClientNotification::Alert { msg });
            return;
        }
        let forced = self
            .buffers
            .get_mut(&bid)
            .is_some_and(|b| std::mem::take(&mut b.file.force_save));
        if !forced && let Some((reason, message)) = self.save_conflict(bid, path) {
            tracing::info!(path = %path.display(), reason, "save refused: conflict with the file on disk");
            self.notify(ClientNotification::SymphonySaveConflict {
                view_id: view_id.to_string(),
                file_path: path.to_string_lossy().into_owned(),
                reason: reason.to_string(),
                message,
            });
            return;
        }
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let cfg = self.config.effective(bid, &b.language);
        let mut text = b.buffer.text().clone();
        // a file that had no final newline is not given one
        let with_newline = b.file.final_newline != Some(false)
            && cfg
                .get("save_with_newline")
                .and_then(Value::as_bool)
                .unwrap_or(true);
        if with_newline && !text.is_empty() && text.byte_at(text.len() - 1) != b'\n' {
            let n = text.len();
            text.edit(n..n, "\n");
        }
        let saved = match files::save_exact(path, &text, &b.file.format) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("save failed: {e}");
                self.notify(ClientNotification::Alert { msg: e.to_string() });
                return;
            }
        };
        let fp = saved.fingerprint;
        let path_changed = b.file.path.as_deref() != Some(path);
        let language = if path_changed {
            Some(self.language_for(Some(path), &text))
        } else {
            None
        };
        if let Some(w) = self.services.watcher.as_mut() {
            if path_changed {
                if let Some(old) = self.buffers.get(&bid).and_then(|b| b.file.path.clone()) {
                    w.unwatch(&old);
                }
                if let Err(e) = w.watch(path) {
                    tracing::warn!("{e}");
                }
            }
            w.note_own_write(path, &fp);
        }
        let new_journal = if path_changed {
            self.services
                .journal
                .as_ref()
                .and_then(|d| d.open(path, &text).ok())
        } else {
            None
        };
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        let was_failing = b
            .file
            .journal
            .as_ref()
            .is_some_and(|j| j.failure().is_some());
        b.file.path = Some(path.to_path_buf());
        b.file.fingerprint = Some(fp);
        b.file.hash = Some(saved.hash);
        if !text.is_empty() {
            b.file.final_newline = Some(text.byte_at(text.len() - 1) == b'\n');
        }
        let was_changed = std::mem::take(&mut b.file.disk_changed);
        if let Some(j) = new_journal {
            if let Some(old) = b.file.journal.replace(j) {
                let _ = old.discard();
            }
        } else if let Some(j) = b.file.journal.as_mut()
            && let Err(e) = j.saved(&text)
        {
            tracing::warn!("journal: {e}");
        }
        b.file.journaled = false;
        b.buffer.set_pristine();
        self.journal_health(bid, was_failing);
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        let views = b.views.clone();
        if let Some(l) = &language {
            b.language = l.clone();
        }
        for v in &views {
            if let (Some(view), Some(b)) = (self.views.get_mut(v), self.buffers.get(&bid)) {
                view.set_dirty(b.buffer.text());
            }
            self.render_view(v);
        }
        if was_changed {
            self.send_disk_state(bid, "in_sync");
        }
        if let Some(l) = language {
            for v in &views {
                self.notify(ClientNotification::LanguageChanged {
                    view_id: v.clone(),
                    language_id: l.clone(),
                });
            }
            self.request_highlight(bid, None);
        }
    }
}

/// The delta from `old` to `new` that replaces only the lines that differ (a line diff),
/// so that what is kept keeps its place (and its line ending, see `files::LineEndings`).
pub(super) fn line_delta(old: &Rope, new: &Rope) -> xi_rope::RopeDelta {
    let (a, b) = (String::from(old), String::from(new));
    let old_lines: Vec<&str> = a.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = b.split_inclusive('\n').collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );
    let mut builder = xi_rope::DeltaBuilder::new(old.len());
    // the ops cover every line of both texts, in order
    let mut offset = 0;
    for op in ops {
        let (tag, olds, news) = op.as_tag_tuple();
        let len: usize = old_lines[olds].iter().map(|l| l.len()).sum();
        if tag != similar::DiffTag::Equal {
            let text: String = new_lines[news].concat();
            builder.replace(Interval::new(offset, offset + len), Rope::from(text));
        }
        offset += len;
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_delta_replaces_only_the_lines_that_differ() {
        let old = Rope::from("a\nb\nc\nd");
        let new = Rope::from("a\nB\nc\nd\ne\n");
        let d = line_delta(&old, &new);
        assert_eq!(String::from(d.apply(&old)), "a\nB\nc\nd\ne\n");
        // "a\n" and "c\n" are untouched
        let mut t = xi_rope::delta::Transformer::new(&d);
        assert_eq!(t.transform(1, false), 1);
        assert_eq!(t.transform(5, false), 5);
        assert_eq!(
            String::from(line_delta(&old, &old).apply(&old)),
            "a\nb\nc\nd"
        );
    }
}
