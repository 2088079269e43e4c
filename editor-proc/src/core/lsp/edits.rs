//! Applying servers' edits: text edits to an open buffer as one undo group, workspace edits
//! across open buffers and files on disk (written atomically through `files::save`), their
//! steps in order with file operations (`resource_ops`) mixed in, aborting at the first
//! failure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_protocol::xi::ClientNotification;
use symphony_protocol::xi::lsp::EditSummary;
use xi_rope::{DeltaBuilder, Interval, Rope, RopeDelta};

use super::Core;
use super::resource_ops::OpsReport;
use crate::buffer::EditKind;
use crate::files;
use crate::lsp::features::{self, DocChange};
use crate::lsp::position::{self, Encoding, uri_to_path};
use crate::selection::InsertDrift;

/// The delta of `edits` (LSP ranges in `enc`) on `text`, and how many edits it holds.
/// Overlapping edits after the first are skipped; edits that change nothing are dropped.
pub(crate) fn edits_delta(
    text: &Rope,
    edits: &[(Value, String)],
    enc: Encoding,
) -> Option<(RopeDelta, usize)> {
    let mut reps: Vec<(usize, usize, &str)> = edits
        .iter()
        .filter_map(|(r, t)| {
            let (s, e) = position::range_offsets(text, r, enc)?;
            Some((s, e, t.as_str()))
        })
        .filter(|(s, e, t)| text.slice_to_cow(*s..*e) != *t)
        .collect();
    reps.sort_by_key(|(s, e, _)| (*s, *e));
    let mut builder = DeltaBuilder::new(text.len());
    let mut last = 0;
    let mut n = 0;
    for (s, e, t) in reps {
        if s < last {
            tracing::warn!("lsp: skipping an overlapping edit at {s}");
            continue;
        }
        builder.replace(Interval::new(s, e), Rope::from(t));
        last = e;
        n += 1;
    }
    (n > 0).then(|| (builder.build(), n))
}

impl Core {
    /// Applies text edits to open buffer `bid` as one undo group; returns how many.
    pub(super) fn lsp_apply_text_edits(
        &mut self,
        bid: u64,
        edits: &[(Value, String)],
        enc: Encoding,
    ) -> usize {
        let Some(b) = self.buffers.get_mut(&bid) else {
            return 0;
        };
        let Some((delta, n)) = edits_delta(b.buffer.text(), edits, enc) else {
            return 0;
        };
        let Some(view) = b.views.first().cloned() else {
            return 0;
        };
        b.buffer.break_group();
        let applied = self.apply(&view, delta, EditKind::Other, InsertDrift::Default);
        let views = match self.buffers.get_mut(&bid) {
            Some(b) => {
                b.buffer.break_group();
                b.views.clone()
            }
            None => Vec::new(),
        };
        for v in views {
            self.render_view(&v);
        }
        if applied { n } else { 0 }
    }

    /// The open buffer of `path`, if any.
    pub(super) fn lsp_buffer_of_path(&self, path: &Path) -> Option<u64> {
        self.buffers
            .iter()
            .find(|(_, b)| b.file.path.as_deref() == Some(path))
            .map(|(k, _)| *k)
    }

    /// Applies a `WorkspaceEdit` from server `idx` (see [`Self::lsp_apply_workspace_edit_ex`]).
    pub(super) fn lsp_apply_workspace_edit(&mut self, idx: usize, edit: &Value) -> EditSummary {
        self.lsp_apply_workspace_edit_ex(idx, edit).0
    }

    /// Applies a `WorkspaceEdit` from server `idx`, its steps in order: open buffers get
    /// one undo group each, other files are rewritten atomically, files are created,
    /// renamed and deleted (deleted or overwritten ones go to the trash). The first step
    /// that fails stops the rest (`failureHandling: "abort"`): the user gets an alert
    /// naming the file and why, and the steps before it stay applied. Returns the summary
    /// and, on failure, the index of the failed step and the reason.
    pub(super) fn lsp_apply_workspace_edit_ex(
        &mut self,
        idx: usize,
        edit: &Value,
    ) -> (EditSummary, Option<(usize, String)>) {
        let enc = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.servers.get(idx))
            .map(|s| s.encoding)
            .unwrap_or_default();
        let mut sum = EditSummary::default();
        let mut report = OpsReport::default();
        let steps = features::document_changes(edit);
        let total = steps.len();
        let mut failed = None;
        for (i, step) in steps.into_iter().enumerate() {
            if let Err(why) = self.lsp_apply_step(&step, enc, &mut sum, &mut report) {
                failed = Some((i, why));
                break;
            }
        }
        let note = report.trash_note();
        let alert = match &failed {
            Some((i, why)) => {
                let later = total - i - 1;
                let msg = format!(
                    "The language server's edit stopped at step {} of {total}: {why}. \
                     The {i} step(s) before it were applied and stay applied; \
                     the {later} after it were not. {note}",
                    i + 1
                );
                Some(msg.trim_end().to_string())
            }
            None => (!note.is_empty()).then_some(note),
        };
        if let Some(msg) = alert {
            match self.services.lsp.as_mut() {
                Some(l) => l.edit_alerts.push(msg),
                None => self.notify(ClientNotification::Alert { msg }),
            }
        }
        (sum, failed)
    }

    /// Sends the alerts of the workspace edits applied so far (after the answer that
    /// reported them, so the client shows them last).
    pub(super) fn lsp_flush_edit_alerts(&mut self) {
        let alerts = match self.services.lsp.as_mut() {
            Some(l) => std::mem::take(&mut l.edit_alerts),
            None => return,
        };
        for msg in alerts {
            self.notify(ClientNotification::Alert { msg });
        }
    }

    /// One step of a workspace edit; `Err` is why it failed, for the user.
    fn lsp_apply_step(
        &mut self,
        step: &DocChange,
        enc: Encoding,
        sum: &mut EditSummary,
        report: &mut OpsReport,
    ) -> Result<(), String> {
        let path_of = |uri: &str| {
            uri_to_path(uri).ok_or_else(|| format!("{uri} is not a file on this machine"))
        };
        match step {
            DocChange::Edit { uri, edits } => {
                let path = path_of(uri)?;
                let n = match self.lsp_buffer_of_path(&path) {
                    Some(bid) => self.lsp_apply_text_edits(bid, edits, enc),
                    None => edit_file(&path, edits, enc).map_err(|e| {
                        format!("could not apply the edit to {}: {e}", path.display())
                    })?,
                };
                if n > 0 {
                    sum.files_changed += 1;
                    sum.edits += n;
                }
            }
            DocChange::Create {
                uri,
                overwrite,
                ignore_if_exists,
            } => {
                let path = path_of(uri)?;
                if self.lsp_create_file(&path, *overwrite, *ignore_if_exists, report)? {
                    sum.files_created += 1;
                }
            }
            DocChange::Rename {
                old_uri,
                new_uri,
                overwrite,
                ignore_if_exists,
            } => {
                let (from, to) = (path_of(old_uri)?, path_of(new_uri)?);
                if self.lsp_rename_file(&from, &to, *overwrite, *ignore_if_exists, report)? {
                    sum.files_renamed += 1;
                }
            }
            DocChange::Delete {
                uri,
                recursive,
                ignore_if_not_exists,
            } => {
                let path = path_of(uri)?;
                if self.lsp_delete_file(&path, *recursive, *ignore_if_not_exists, report)? {
                    sum.files_deleted += 1;
                }
            }
        }
        Ok(())
    }

    /// Line `line` of `path`: from its open buffer, else from disk (cached in `cache`).
    pub(super) fn lsp_line_of(
        &self,
        path: &Path,
        line: usize,
        cache: &mut HashMap<PathBuf, Rope>,
    ) -> String {
        if let Some(b) = self
            .lsp_buffer_of_path(path)
            .and_then(|b| self.buffers.get(&b))
        {
            return position::line_text(b.buffer.text(), line);
        }
        let text = cache
            .entry(path.to_path_buf())
            .or_insert_with(|| match files::load(path) {
                Ok(Some(f)) => f.text,
                _ => Rope::default(),
            });
        position::line_text(text, line)
    }
}

/// Applies edits to a file that is not open; returns how many.
fn edit_file(path: &Path, edits: &[(Value, String)], enc: Encoding) -> files::Result<usize> {
    let (text, mut format) = match files::load(path)? {
        Some(f) => (f.text, f.format),
        None => (Rope::default(), files::TextFormat::default()),
    };
    let Some((delta, n)) = edits_delta(&text, edits, enc) else {
        return Ok(0);
    };
    let new = delta.apply(&text);
    // every line keeps its own ending, the BOM stays
    format.endings.after_edit(&delta);
    files::save(path, &new, &format)?;
    Ok(n)
}

/// `a` plus `b`, field by field.
pub(super) fn add_summaries(a: EditSummary, b: EditSummary) -> EditSummary {
    EditSummary {
        files_changed: a.files_changed + b.files_changed,
        edits: a.edits + b.edits,
        files_created: a.files_created + b.files_created,
        files_renamed: a.files_renamed + b.files_renamed,
        files_deleted: a.files_deleted + b.files_deleted,
    }
}
