//! The buffer and its file on disk disagreeing: saves that would overwrite another
//! program's changes (or an existing file under a new name) ask first
//! (`symphony.save_conflict`), the client is told while the file changed behind unsaved
//! edits (`symphony.disk_state`), and the user may reload the file or see a diff.

use std::path::Path;

use serde_json::Value;
use xi_rope::Interval;

use super::Core;
use super::files::OnDisk;
use crate::buffer::EditKind;
use crate::files::{self, FileError, Fingerprint, LineEnding};
use symphony_protocol::xi::ClientNotification;

impl Core {
    /// `save` with `force: true`: the next save of the view's buffer writes over a conflict.
    pub(super) fn force_next_save(&mut self, view_id: &str) {
        if let Some(bid) = self.views.get(view_id).map(|v| v.buffer)
            && let Some(b) = self.buffers.get_mut(&bid)
        {
            b.file.force_save = true;
        }
    }

    /// Why saving buffer `bid` to `path` must ask first: `(reason, message)` with reason
    /// `"changed"` (another program wrote the file since we read or saved it), `"binary"`
    /// (and it is not text now) or `"exists"` (a new name, and a file is there). None when
    /// the save may go ahead (a file that was only touched, or was deleted, is no conflict).
    pub(super) fn save_conflict(
        &mut self,
        bid: u64,
        path: &Path,
    ) -> Option<(&'static str, String)> {
        let b = self.buffers.get_mut(&bid)?;
        if b.file.path.as_deref() != Some(path) {
            return std::fs::symlink_metadata(path).is_ok().then(|| {
                (
                    "exists",
                    format!(
                        "{} already exists. Not saved: overwrite it, or save under another name.",
                        path.display()
                    ),
                )
            });
        }
        let now = match Fingerprint::of(path) {
            Ok(Some(now)) => now,
            // gone (a save writes it again), or unreadable (the save says why)
            Ok(None) | Err(_) => return None,
        };
        if b.file.fingerprint == Some(now) {
            return None;
        }
        match files::hash_file(path) {
            Ok(Some(h)) if Some(h) == b.file.hash => {
                // the same bytes (touched, or written again unchanged)
                b.file.fingerprint = Some(now);
                return None;
            }
            Ok(None) | Err(_) => return None,
            Ok(Some(_)) => {}
        }
        let binary = matches!(
            files::load(path),
            Err(FileError::Binary { .. } | FileError::InvalidUtf8 { .. })
        );
        Some(if binary {
            (
                "binary",
                format!(
                    "{} was replaced on disk by a file that is not text since it was opened or saved. Not saved: overwrite it, or keep it and save under another name.",
                    path.display()
                ),
            )
        } else {
            (
                "changed",
                format!(
                    "{} was changed on disk by another program since it was opened or saved. Not saved: overwrite those changes, reload the file, or see the differences.",
                    path.display()
                ),
            )
        })
    }

    /// Tells every view of buffer `bid` whether its file is in step (`"in_sync"`) or
    /// changed or removed behind unsaved edits.
    pub(super) fn send_disk_state(&mut self, bid: u64, state: &str) {
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let file_path = b
            .file
            .path
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        for view_id in b.views.clone() {
            self.notify(ClientNotification::SymphonyDiskState {
                view_id,
                file_path: file_path.clone(),
                state: state.to_string(),
            });
        }
    }

    /// `symphony.reload {view_id}`: the file as it is on disk replaces the buffer, as one
    /// undoable edit; the buffer is pristine after it.
    pub(super) fn reload_view(&mut self, view_id: &str) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(path) = self.buffers.get(&bid).and_then(|b| b.file.path.clone()) else {
            return;
        };
        if let Err(msg) = self.reload_from_disk(bid, &path) {
            self.notify(ClientNotification::Alert { msg });
        }
    }

    /// Replaces buffer `bid`'s text by its file on disk (keeping the carets where they
    /// were), as one undoable edit, and makes it pristine. Err: why it could not.
    pub(super) fn reload_from_disk(&mut self, bid: u64, path: &Path) -> Result<(), String> {
        let loaded = match files::load_with_patience(path, files::LOAD_PATIENCE) {
            Ok(Some(f)) => f,
            Ok(None) => {
                return Err(format!(
                    "Cannot reload {}: it no longer exists.",
                    path.display()
                ));
            }
            Err(e) => return Err(e.to_string()),
        };
        let disk = OnDisk::of(Some(&loaded));
        let ending = loaded.format.endings.dominant;
        let Some(b) = self.buffers.get_mut(&bid) else {
            return Ok(());
        };
        let old = b.buffer.text().clone();
        let mut builder = xi_rope::DeltaBuilder::new(old.len());
        builder.replace(Interval::new(0, old.len()), loaded.text.clone());
        let delta = builder.build();
        b.buffer.break_group();
        let changed = b.buffer.apply(delta.clone(), EditKind::Other, false);
        b.buffer.break_group();
        b.buffer.set_pristine();
        disk.store(&mut b.file);
        let was_failing = b
            .file
            .journal
            .as_ref()
            .is_some_and(|j| j.failure().is_some());
        if let Some(j) = b.file.journal.as_mut()
            && let Err(e) = j.saved(&loaded.text)
        {
            tracing::warn!("journal: {e}");
        }
        b.file.journaled = false;
        self.journal_health(bid, was_failing);
        let Some(b) = self.buffers.get_mut(&bid) else {
            return Ok(());
        };
        let was_changed = std::mem::take(&mut b.file.disk_changed);
        let views = b.views.clone();
        if changed {
            let origin = views.first().cloned().unwrap_or_default();
            self.after_reload(bid, &origin, &old, &delta);
            self.lsp_changed(bid, &old, &delta);
        }
        for v in &views {
            if let (Some(view), Some(b)) = (self.views.get_mut(v), self.buffers.get(&bid)) {
                // the pristine flag of every line changed
                view.set_dirty(b.buffer.text());
            }
            self.render_view(v);
        }
        self.set_detected_ending(bid, ending);
        self.send_detected_ending(bid);
        if was_changed {
            self.send_disk_state(bid, "in_sync");
        }
        Ok(())
    }

    /// `symphony.disk_diff {view_id}`: a unified diff from the file on disk to the buffer
    /// (empty when they hold the same text).
    pub(super) fn disk_diff(&self, view_id: &str) -> Option<String> {
        let b = self.buffer_of(view_id)?;
        let ours = String::from(b.buffer.text());
        let Some(path) = b.file.path.as_deref() else {
            return Some(String::new());
        };
        let theirs = match files::load_with_patience(path, files::LOAD_PATIENCE) {
            Ok(Some(f)) => String::from(&f.text),
            Ok(None) => String::new(),
            Err(e) => return Some(format!("{e}\n")),
        };
        let name = path.display().to_string();
        Some(
            similar::TextDiff::from_lines(&theirs, &ours)
                .unified_diff()
                .header(&format!("{name} (on disk)"), &format!("{name} (unsaved)"))
                .to_string(),
        )
    }

    /// Puts the line ending buffer `bid`'s file uses into its settings (the status line
    /// shows it), unless the user set one.
    pub(super) fn set_detected_ending(&mut self, bid: u64, ending: LineEnding) {
        self.config
            .set_detected(bid, "line_ending", Value::from(ending.as_str()));
    }

    /// Sends `config_changed {line_ending}` to every view of buffer `bid` (after the file
    /// was read behind views that exist already).
    pub(super) fn send_detected_ending(&mut self, bid: u64) {
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let Some(ending) = self.config.get(bid, &b.language, "line_ending").cloned() else {
            return;
        };
        let mut changes = crate::config::Table::new();
        changes.insert("line_ending".into(), ending);
        for view_id in b.views.clone() {
            self.notify(ClientNotification::ConfigChanged {
                view_id,
                changes: changes.clone(),
            });
        }
    }
}
