//! Applying servers' edits: text edits to an open buffer as one undo group, workspace edits
//! across open buffers and files on disk (written atomically through `files::save`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_protocol::xi::ClientNotification;
use symphony_protocol::xi::lsp::EditSummary;
use xi_rope::{DeltaBuilder, Interval, Rope, RopeDelta};

use super::Core;
use crate::buffer::EditKind;
use crate::files;
use crate::lsp::features;
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

    /// Applies a `WorkspaceEdit` from server `idx`: open buffers get one undo group each,
    /// other files are rewritten atomically.
    pub(super) fn lsp_apply_workspace_edit(&mut self, idx: usize, edit: &Value) -> EditSummary {
        let enc = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.servers.get(idx))
            .map(|s| s.encoding)
            .unwrap_or_default();
        let mut sum = EditSummary::default();
        for (uri, edits) in features::workspace_edit(edit) {
            let Some(path) = uri_to_path(&uri) else {
                tracing::warn!("lsp: skipping edits to {uri}: not a file");
                continue;
            };
            let n = match self.lsp_buffer_of_path(&path) {
                Some(bid) => self.lsp_apply_text_edits(bid, &edits, enc),
                None => match edit_file(&path, &edits, enc) {
                    Ok(n) => n,
                    Err(e) => {
                        self.notify(ClientNotification::Alert {
                            msg: format!("Could not apply the edit to {}: {e}", path.display()),
                        });
                        0
                    }
                },
            };
            if n > 0 {
                sum.files_changed += 1;
                sum.edits += n;
            }
        }
        sum
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
    let (text, ending) = match files::load(path)? {
        Some(f) => (f.text, f.line_ending),
        None => (Rope::default(), files::LineEnding::Lf),
    };
    let Some((delta, n)) = edits_delta(&text, edits, enc) else {
        return Ok(0);
    };
    let new = delta.apply(&text);
    files::save(path, &new, ending)?;
    Ok(n)
}
