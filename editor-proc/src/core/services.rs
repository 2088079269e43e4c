//! Background services the core drives: syntax highlighting (results arrive later and
//! restyle lines), the file watcher (external changes) and the crash journal.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedReceiver;
use xi_rope::{Rope, RopeDelta};

use super::Core;
use crate::highlight::{
    HighlightJob, HighlightResult, HighlightService, Highlighting, InLineCut, LineEdit, LineStyles,
};
use crate::journal::{JournalDir, JournalEdit};
use crate::selection::{InsertDrift, SelRegion, Selection};
use crate::view_update::StyleLookup;
use crate::view_update::shadow::STYLES_VALID;
use crate::watch::{FileWatcher, WatchEvent, WatchEventKind};
use symphony_protocol::xi::ClientNotification;

impl StyleLookup for LineStyles {
    fn spans(&self, line: usize) -> Vec<(usize, usize, u64)> {
        self.get(line)
            .map(|s| s.iter().map(|s| (s.start, s.len, s.style_id)).collect())
            .unwrap_or_default()
    }
}

/// Optional services; a plain `Core::new()` has none (tests, benches).
#[derive(Default)]
pub struct Services {
    /// Syntaxes and themes.
    pub highlighting: Option<Arc<Highlighting>>,
    /// The highlighting worker.
    pub highlighter: Option<HighlightService>,
    /// The file watcher.
    pub watcher: Option<FileWatcher>,
    /// Where crash journals go.
    pub journal: Option<JournalDir>,
    /// Language servers.
    pub lsp: Option<crate::lsp::Lsp>,
}

/// Receivers the serving loop listens on besides the protocol input.
pub struct ServiceEvents {
    /// Highlight results.
    pub highlight: Option<UnboundedReceiver<HighlightResult>>,
    /// File changes.
    pub watch: Option<UnboundedReceiver<WatchEvent>>,
    /// Language servers' messages, exits and timers.
    pub lsp: Option<UnboundedReceiver<crate::lsp::LspEvent>>,
}

impl Services {
    /// Everything on: highlighting (themes from `themes_dir`), watcher, journal from the environment.
    pub fn start(themes_dir: Option<&Path>) -> (Self, ServiceEvents) {
        let h = Arc::new(Highlighting::load(themes_dir));
        let (service, hrx) = HighlightService::spawn(Arc::clone(&h));
        let (wtx, wrx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = FileWatcher::new(wtx)
            .map_err(|e| tracing::warn!("no file watching: {e}"))
            .ok();
        let (ltx, lrx) = tokio::sync::mpsc::unbounded_channel();
        let services = Services {
            highlighting: Some(h),
            highlighter: Some(service),
            watcher,
            journal: Some(JournalDir::from_env()),
            lsp: crate::lsp::Lsp::from_env(ltx),
        };
        (
            services,
            ServiceEvents {
                highlight: Some(hrx),
                watch: Some(wrx),
                lsp: Some(lrx),
            },
        )
    }
}

impl Core {
    /// Asks for (re-)highlighting of a buffer; `edit` None means from scratch.
    pub(super) fn request_highlight(&mut self, bid: u64, edit: Option<LineEdit>) {
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        if edit.is_none() {
            // from scratch (language or theme changed): results of older jobs are stale
            b.rev += 1;
            b.highlight_epoch = b.rev;
            b.styles.clear();
        }
        let Some(service) = self.services.highlighter.as_ref() else {
            return;
        };
        if b.language == crate::highlight::PLAIN_TEXT || b.language.is_empty() {
            if edit.is_none() {
                service.forget(bid);
            }
            return;
        }
        if let Some(e) = edit {
            b.styles.apply_edit(b.rev, &e);
        }
        let want = b
            .views
            .iter()
            .filter_map(|v| self.views.get(v))
            .map(|v| v.first_line..v.first_line + v.height + 3)
            .reduce(|a, c| a.start.min(c.start)..a.end.max(c.end))
            .unwrap_or(0..12);
        service.request(HighlightJob {
            buffer: bid,
            rev: b.rev,
            text: b.buffer.text().clone(),
            language: b.language.clone(),
            theme: self.theme.clone(),
            edit,
            want_lines: want,
        });
    }

    /// Asks the highlighter for the lines of `view_id` that have no styles yet: the
    /// first job only covers the lines in view when the buffer opened, so a pane
    /// that grew, scrolled or was opened on the same buffer needs more.
    pub(super) fn highlight_lines_in_view(&mut self, view_id: &str) {
        let Some(view) = self.views.get(view_id) else {
            return;
        };
        let Some(b) = self.buffers.get(&view.buffer) else {
            return;
        };
        if b.language == crate::highlight::PLAIN_TEXT || b.language.is_empty() {
            return;
        }
        // the empty line after a final `\n` is never highlighted
        let text = b.buffer.text();
        let ends_open = text.is_empty() || text.byte_at(text.len() - 1) == b'\n';
        let lines = crate::text::line_count(text) - usize::from(ends_open);
        let end = (view.first_line + view.height).min(lines);
        let missing = (view.first_line..end).any(|l| b.styles.get(l).is_none());
        if missing {
            let bid = view.buffer;
            self.request_highlight(bid, Some(LineEdit::UNCHANGED));
        }
    }

    /// Records an applied delta in the journal and tells the highlighter what changed.
    pub(super) fn text_changed(&mut self, bid: u64, old: &Rope, delta: &RopeDelta) {
        let (iv, new_len) = delta.summary();
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        b.file.format.endings.after_edit(delta);
        let mut was_failing = None;
        if let Some(j) = b.file.journal.as_mut() {
            was_failing = Some(j.failure().is_some());
            // A failure is logged by the journal and told to the client below.
            let _ = j.record(&JournalEdit::from_delta(delta), b.buffer.text());
            b.file.journaled = true;
        }
        let first_line = old.line_of_offset(iv.start());
        let old_end = old.line_of_offset(iv.end()) + 1;
        let new_end = b.buffer.text().line_of_offset(iv.start() + new_len) + 1;
        let edit = LineEdit {
            first_line,
            old_lines: old_end - first_line,
            new_lines: new_end - first_line,
        };
        // An edit inside one line keeps that line's styles, shifted, so the edit's
        // update carries them and the restyle is only sent if they differ.
        let kept = (edit.old_lines == 1 && edit.new_lines == 1)
            .then(|| b.styles.get(first_line).map(<[_]>::to_vec))
            .flatten()
            .map(|spans| {
                let cut = InLineCut {
                    col: iv.start() - old.offset_of_line(first_line),
                    deleted: iv.end() - iv.start(),
                    inserted: new_len,
                };
                (spans, cut)
            });
        self.request_highlight(bid, Some(edit));
        self.lsp_changed(bid, old, delta);
        if let Some((spans, cut)) = kept
            && let Some(b) = self.buffers.get_mut(&bid)
        {
            b.styles.keep_shifted(first_line, &spans, cut);
        }
        if let Some(was_failing) = was_failing {
            self.journal_health(bid, was_failing);
        }
    }

    /// A highlight result arrived: announce new styles, then send the restyled lines.
    pub fn on_highlight(&mut self, result: HighlightResult, out: &mut Vec<String>) {
        // styles are announced even from stale results: the ids are remembered as sent
        for def in &result.new_styles {
            self.notify(ClientNotification::DefStyle(def.clone()));
        }
        let changed = match self.buffers.get_mut(&result.buffer) {
            Some(b) if result.rev >= b.highlight_epoch => b.styles.apply_result(&result),
            _ => None,
        };
        if let Some(range) = changed {
            let views = self
                .buffers
                .get(&result.buffer)
                .map(|b| b.views.clone())
                .unwrap_or_default();
            for v in views {
                if let Some(view) = self.views.get_mut(&v) {
                    view.shadow
                        .partial_invalidate(range.start, range.end, STYLES_VALID);
                }
                self.render_view(&v);
            }
        }
        self.flush(out);
    }

    /// A watched file changed on disk.
    pub fn on_watch(&mut self, event: WatchEvent, out: &mut Vec<String>) {
        let Some(bid) = self
            .buffers
            .iter()
            .find(|(_, b)| b.file.path.as_deref() == Some(event.path.as_path()))
            .map(|(k, _)| *k)
        else {
            return;
        };
        let pristine = self
            .buffers
            .get(&bid)
            .is_some_and(|b| b.buffer.is_pristine());
        match (event.kind, pristine) {
            (WatchEventKind::Changed, true) => {
                if let Err(msg) = self.reload_from_disk(bid, &event.path) {
                    // (now binary, say): the buffer keeps the old text, and saving asks
                    self.notify(ClientNotification::Alert { msg });
                    self.mark_disk_changed(bid, "changed");
                }
            }
            (WatchEventKind::Changed, false) => {
                self.notify(ClientNotification::Alert {
                    msg: format!(
                        "{} changed on disk; your unsaved changes are kept (saving asks before overwriting).",
                        event.path.display()
                    ),
                });
                self.mark_disk_changed(bid, "changed");
            }
            (WatchEventKind::Removed, _) => {
                self.notify(ClientNotification::Alert {
                    msg: format!(
                        "{} was removed from disk; save to write it again.",
                        event.path.display()
                    ),
                });
                self.mark_disk_changed(bid, "removed");
            }
        }
        self.flush(out);
    }

    /// Remembers that buffer `bid`'s file changed behind it and tells its views.
    fn mark_disk_changed(&mut self, bid: u64, state: &str) {
        if let Some(b) = self.buffers.get_mut(&bid) {
            b.file.disk_changed = true;
        }
        self.send_disk_state(bid, state);
    }

    /// Brings the views up to date after a reload, without journaling it (the journal
    /// starts again from the reloaded text).
    pub(super) fn after_reload(&mut self, bid: u64, origin: &str, old: &Rope, delta: &RopeDelta) {
        let found = self.update_views_after_change(bid, origin, |view, text, is_origin| {
            // a reload keeps the carets where they were (clamped), not after the new text
            let kept = view.selection.iter().fold(Selection::new(), |mut sel, r| {
                let at = |o: usize| {
                    text.at_or_prev_codepoint_boundary(o.min(text.len()))
                        .unwrap_or(0)
                };
                sel.add_region(SelRegion::new(at(r.start), at(r.end)));
                sel
            });
            view.after_edit(text, old, delta, InsertDrift::Default, is_origin);
            view.set_selection(text, kept);
        });
        if found {
            self.request_highlight(bid, None);
        }
    }
}
