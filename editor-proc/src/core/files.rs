//! Opening, saving and recovering buffers: the glue between the core and `crate::files`,
//! the crash journal and the watcher.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xi_rope::Rope;

use super::journal_glue::RecoveryOffer;
use super::{BufferState, Core};
use crate::buffer::Buffer;
use crate::files::{self, Fingerprint, LineEnding};
use crate::highlight::LineStyles;
use crate::journal::BufferJournal;
use crate::text::line_count;
use symphony_protocol::xi::ClientNotification;

/// Files at least this big show their first screen before the rest is loaded.
const PROGRESSIVE_MIN: u64 = 8 << 20;
/// How much of a big file is read for its first screen.
const PREFIX_BYTES: usize = 256 << 10;

/// The first complete lines of a big file, or None for small, binary, CRLF or odd files
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
    if memchr::memchr(0, &buf).is_some() || memchr::memchr(b'\r', &buf).is_some() {
        return None;
    }
    let valid = match std::str::from_utf8(&buf) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).ok()?,
    };
    let end = valid.rfind('\n')? + 1;
    Some(Rope::from(&valid[..end]))
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
    /// Line ending to write back.
    pub line_ending: LineEnding,
    /// What the file looked like when we last read or wrote it.
    pub fingerprint: Option<Fingerprint>,
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

impl Core {
    /// Loads `path` (or makes an empty buffer) and registers it.
    /// Returns the buffer id and, when the journal holds unsaved edits, the
    /// `symphony.recovery_available` params (without `view_id`).
    pub(super) fn open_buffer(
        &mut self,
        path: Option<&Path>,
    ) -> Result<(u64, Option<RecoveryOffer>), String> {
        let (text, line_ending, fingerprint) = match path {
            None => (Rope::default(), LineEnding::Lf, None),
            Some(p) => match files::load(p) {
                Ok(Some(f)) => (f.text, f.line_ending, Some(f.fingerprint)),
                Ok(None) => (Rope::default(), LineEnding::Lf, None),
                Err(e) => return Err(e.to_string()),
            },
        };
        let language = self.language_for(path, &text);
        let id = self.add_buffer(text.clone(), language);
        let recovery = match path {
            Some(p) => self.attach_file(id, p, &text, line_ending, fingerprint),
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
        line_ending: LineEnding,
        fingerprint: Option<Fingerprint>,
    ) -> Option<RecoveryOffer> {
        let mut file = FileState {
            path: Some(path.to_path_buf()),
            line_ending,
            fingerprint,
            ..Default::default()
        };
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
        match files::load(path) {
            Ok(loaded) => {
                let (text, line_ending, fingerprint) = match loaded {
                    Some(f) => (f.text, f.line_ending, Some(f.fingerprint)),
                    None => (Rope::default(), LineEnding::Lf, None),
                };
                let recovery = self.attach_file(bid, path, &text, line_ending, fingerprint);
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
        let cfg = self.config.effective(bid, &b.language);
        let mut text = b.buffer.text().clone();
        let with_newline = cfg
            .get("save_with_newline")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if with_newline && !text.is_empty() && text.byte_at(text.len() - 1) != b'\n' {
            let n = text.len();
            text.edit(n..n, "\n");
        }
        let fp = match files::save(path, &text, b.file.line_ending) {
            Ok(fp) => fp,
            Err(e) => {
                tracing::warn!("save failed: {e}");
                self.notify(ClientNotification::Alert { msg: e.to_string() });
                return;
            }
        };
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
