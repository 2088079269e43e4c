//! The file operations of a workspace edit (`CreateFile`, `RenameFile`, `DeleteFile`), as
//! rust-analyzer sends them to rename a module or a code action to move an item to a new
//! file. Nothing is ever removed: a deleted or overwritten file or directory goes to the
//! editor's trash (`files::trash`). Open buffers follow their files: a renamed one keeps its
//! text, undo and unsaved state under the new path (journal, watcher, language server and
//! client told), a deleted one stays open and becomes unsaved.

use std::path::{Path, PathBuf};

use symphony_protocol::xi::ClientNotification;
use xi_rope::{DeltaBuilder, Interval, Rope};

use super::Core;
use crate::files::{self, LineEnding, trash};
use crate::journal::JournalEdit;

/// What the file operations of one workspace edit did so far, for the summary and the alert.
#[derive(Debug, Default)]
pub(super) struct OpsReport {
    /// `(original path, where it is in the trash)` of everything moved there.
    pub trashed: Vec<(PathBuf, PathBuf)>,
    /// Files deleted while open: their buffers stay open, unsaved.
    pub kept_open: Vec<PathBuf>,
}

impl OpsReport {
    /// The sentence telling the user where trashed items went ("" when none).
    pub(super) fn trash_note(&self) -> String {
        if self.trashed.is_empty() {
            return String::new();
        }
        let items: Vec<String> = self
            .trashed
            .iter()
            .map(|(from, to)| format!("{} -> {}", from.display(), to.display()))
            .collect();
        let mut note = format!("Moved to the trash (recoverable): {}.", items.join("; "));
        if !self.kept_open.is_empty() {
            let open: Vec<String> = self
                .kept_open
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            note.push_str(&format!(
                " Still open in the editor, unsaved (save to write it again): {}.",
                open.join(", ")
            ));
        }
        note
    }
}

/// Whether anything (file, directory or dangling link) is at `path`.
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Creates the missing parent directories of `path`.
fn make_parents(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the folder {}: {e}", dir.display())),
        _ => Ok(()),
    }
}

impl Core {
    /// The open buffers whose file is `path` or inside the directory `path`, with their paths.
    fn lsp_buffers_under(&self, path: &Path) -> Vec<(u64, PathBuf)> {
        let mut v: Vec<(u64, PathBuf)> = self
            .buffers
            .iter()
            .filter_map(|(bid, b)| {
                let p = b.file.path.as_deref()?;
                p.starts_with(path).then(|| (*bid, p.to_path_buf()))
            })
            .collect();
        v.sort();
        v
    }

    /// Moves `path` to the trash, first detaching the open buffers of the files it holds
    /// (they stay open, unsaved). `Err` is the reason, for the user.
    fn lsp_trash(&mut self, path: &Path, report: &mut OpsReport) -> Result<(), String> {
        let affected = self.lsp_buffers_under(path);
        if let Some(w) = self.services.watcher.as_mut() {
            for (_, p) in &affected {
                w.unwatch(p);
            }
        }
        let result = trash::trash(path);
        for (bid, p) in &affected {
            if result.is_ok() {
                self.lsp_file_gone(*bid);
                report.kept_open.push(p.clone());
            }
            if let Some(w) = self.services.watcher.as_mut()
                && let Err(e) = w.watch(p)
            {
                tracing::warn!("{e}");
            }
        }
        match result {
            Ok(to) => {
                report.trashed.push((path.to_path_buf(), to));
                Ok(())
            }
            Err(e) => Err(format!(
                "cannot move {} to the trash ({}): {e}",
                path.display(),
                trash::trash_dir().display()
            )),
        }
    }

    /// The file of buffer `bid` is gone (deleted or overwritten): the buffer keeps its text
    /// and is unsaved (a save writes the file again); the journal keeps that text, so a crash
    /// before the save still offers it back.
    fn lsp_file_gone(&mut self, bid: u64) {
        let journal_dir = self.services.journal.clone();
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        b.buffer.mark_unsaved();
        b.file.fingerprint = None;
        if let (Some(dir), Some(path)) = (journal_dir, b.file.path.clone()) {
            let on_disk = match files::load(&path) {
                Ok(Some(f)) => f.text,
                _ => Rope::default(),
            };
            b.file.journal = journal_anew(
                &dir,
                &path,
                &on_disk,
                b.buffer.text(),
                b.file.journal.take(),
            );
            b.file.journaled = true;
        }
        let views = b.views.clone();
        for v in &views {
            if let (Some(view), Some(b)) = (self.views.get_mut(v), self.buffers.get(&bid)) {
                view.set_dirty(b.buffer.text());
            }
            self.render_view(v);
        }
    }

    /// `CreateFile`: an empty file (parents created). An existing file is left alone
    /// (`ignore_if_exists`), replaced after going to the trash (`overwrite`, which wins), or
    /// the step fails. Returns whether a file was created.
    pub(super) fn lsp_create_file(
        &mut self,
        path: &Path,
        overwrite: bool,
        ignore_if_exists: bool,
        report: &mut OpsReport,
    ) -> Result<bool, String> {
        if exists(path) {
            if !overwrite {
                return if ignore_if_exists {
                    Ok(false)
                } else {
                    Err(format!("{} already exists", path.display()))
                };
            }
            self.lsp_trash(path, report)?;
        }
        make_parents(path)?;
        let fp = files::save(path, &Rope::default(), LineEnding::Lf).map_err(|e| e.to_string())?;
        if let Some(w) = self.services.watcher.as_ref() {
            w.note_own_write(path, &fp);
        }
        Ok(true)
    }

    /// `DeleteFile`: moves the file or directory to the trash. A missing one is skipped
    /// (`ignore_if_not_exists`) or fails the step; a directory with content needs
    /// `recursive`. Returns whether something was deleted.
    pub(super) fn lsp_delete_file(
        &mut self,
        path: &Path,
        recursive: bool,
        ignore_if_not_exists: bool,
        report: &mut OpsReport,
    ) -> Result<bool, String> {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return if ignore_if_not_exists {
                Ok(false)
            } else {
                Err(format!("{} does not exist", path.display()))
            };
        };
        if meta.is_dir()
            && !recursive
            && std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_some())
        {
            return Err(format!(
                "{} is a folder that is not empty, and the server did not ask for a recursive delete",
                path.display()
            ));
        }
        self.lsp_trash(path, report)?;
        Ok(true)
    }

    /// `RenameFile`: renames a file or directory (parents of the new name created). An
    /// existing target is kept and the rename skipped (`ignore_if_exists`), moved to the
    /// trash first (`overwrite`, which wins), or the step fails. Open buffers of the moved
    /// files follow them. Returns whether something was renamed.
    pub(super) fn lsp_rename_file(
        &mut self,
        from: &Path,
        to: &Path,
        overwrite: bool,
        ignore_if_exists: bool,
        report: &mut OpsReport,
    ) -> Result<bool, String> {
        if !exists(from) {
            return Err(format!("{} does not exist", from.display()));
        }
        if from == to {
            return Ok(false);
        }
        if to.starts_with(from) {
            return Err(format!(
                "cannot move {} into itself ({})",
                from.display(),
                to.display()
            ));
        }
        if exists(to) {
            if !overwrite {
                return if ignore_if_exists {
                    Ok(false)
                } else {
                    Err(format!(
                        "{} already exists (the server did not ask to overwrite it)",
                        to.display()
                    ))
                };
            }
            // two buffers would then claim one file: the user decides which one stays
            if let Some((_, open)) = self.lsp_buffers_under(to).first() {
                return Err(format!(
                    "{} would be overwritten but {} is open in the editor (close it first)",
                    to.display(),
                    open.display()
                ));
            }
            self.lsp_trash(to, report)?;
        }
        make_parents(to)?;
        let moved = self.lsp_buffers_under(from);
        if let Some(w) = self.services.watcher.as_mut() {
            for (_, p) in &moved {
                w.unwatch(p);
            }
        }
        if let Err(e) = trash::move_path(from, to) {
            if let Some(w) = self.services.watcher.as_mut() {
                for (_, p) in &moved {
                    let _ = w.watch(p);
                }
            }
            return Err(format!(
                "cannot rename {} to {}: {e}",
                from.display(),
                to.display()
            ));
        }
        for (bid, old) in moved {
            let new = match old.strip_prefix(from) {
                Ok(rel) if !rel.as_os_str().is_empty() => to.join(rel),
                _ => to.to_path_buf(),
            };
            self.lsp_buffer_moved(bid, &old, &new);
        }
        Ok(true)
    }

    /// Buffer `bid`'s file moved from `old` to `new` on disk: it keeps its text, undo and
    /// unsaved state under `new`; the watcher, the crash journal, the language (by the new
    /// name), the language server (`didClose` old, `didOpen` new) and the client
    /// (`symphony.file_moved` per view) follow.
    fn lsp_buffer_moved(&mut self, bid: u64, old: &Path, new: &Path) {
        if let Some(w) = self.services.watcher.as_mut()
            && let Err(e) = w.watch(new)
        {
            tracing::warn!("{e}");
        }
        self.lsp_close(bid);
        let journal_dir = self.services.journal.clone();
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        b.file.path = Some(new.to_path_buf());
        if let Some(dir) = journal_dir {
            let on_disk = match files::load(new) {
                Ok(Some(f)) => f.text,
                _ => Rope::default(),
            };
            let dirty = !b.buffer.is_pristine();
            let old_journal = b.file.journal.take();
            b.file.journal = if dirty {
                journal_anew(&dir, new, &on_disk, b.buffer.text(), old_journal)
            } else {
                if let Some(j) = old_journal
                    && let Err(e) = j.discard()
                {
                    tracing::warn!("journal: {e}");
                }
                dir.open(new, &on_disk).ok()
            };
            b.file.journaled = dirty;
        }
        let text = b.buffer.text().clone();
        let old_language = b.language.clone();
        let views = b.views.clone();
        let language = self.language_for(Some(new), &text);
        tracing::info!(from = %old.display(), to = %new.display(), "buffer follows its renamed file");
        for v in &views {
            self.notify(ClientNotification::SymphonyFileMoved {
                view_id: v.clone(),
                file_path: new.to_string_lossy().into_owned(),
            });
        }
        if language != old_language {
            if let Some(b) = self.buffers.get_mut(&bid) {
                b.language = language.clone();
            }
            for v in &views {
                self.notify(ClientNotification::LanguageChanged {
                    view_id: v.clone(),
                    language_id: language.clone(),
                });
            }
            self.request_highlight(bid, None);
        }
        self.lsp_open(bid);
    }
}

/// A fresh journal of `path` whose base is `on_disk`, holding `text` as one edit (so that
/// a crash before the next save offers `text` back when `path` is opened); the journal
/// `old` (of the buffer's former path) is removed.
fn journal_anew(
    dir: &crate::journal::JournalDir,
    path: &Path,
    on_disk: &Rope,
    text: &Rope,
    old: Option<crate::journal::BufferJournal>,
) -> Option<crate::journal::BufferJournal> {
    if let Some(j) = old
        && let Err(e) = j.discard()
    {
        tracing::warn!("journal: {e}");
    }
    let mut j = match dir.open(path, on_disk) {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!("journal: {e}");
            return None;
        }
    };
    let mut builder = DeltaBuilder::new(on_disk.len());
    builder.replace(Interval::new(0, on_disk.len()), text.clone());
    if let Err(e) = j.record(&JournalEdit::from_delta(&builder.build()), text) {
        tracing::warn!("journal: {e}");
    }
    Some(j)
}
