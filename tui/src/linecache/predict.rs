//! Local echo: keystrokes the client draws before the core answers.
//!
//! A plain insert (or a backspace) typed with one caret is applied to the
//! cached line at once ([`LineCache::predict_edit`]); the core's `update`
//! then wins. Before an update is applied the predicted line is put back as
//! the core last sent it, so the update's ops (relative to what the core
//! thinks the client holds) apply exactly; afterwards the predictions the
//! update does not include yet are applied again on top. Which ones it
//! includes is read from the line: its text and caret equal the state after
//! exactly one prefix of the pending predictions, or the predictions are
//! dropped (a mismatch just redraws what the core says).

use super::{CachedLine, LineCache, StyleSpan};

/// At most this many keystrokes are drawn ahead of the core.
pub const MAX_PENDING: usize = 64;

/// One predicted edit of the line: `deleted` bytes at `col` replaced by `inserted`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pred {
    col: usize,
    deleted: usize,
    inserted: String,
    /// The line's text once this prediction is applied.
    text_after: String,
    /// The caret's byte column once this prediction is applied.
    caret_after: usize,
}

/// Keystrokes drawn ahead of the core on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Echo {
    /// The (0-based) line they apply to.
    line: usize,
    /// The line as the core last sent it.
    base: CachedLine,
    /// `pristine` as the core last sent it.
    base_pristine: bool,
    /// Oldest first.
    preds: Vec<Pred>,
    /// Another edit went to the core after these: guess no more until the
    /// pending ones are answered (the caret may have moved).
    held: bool,
}

impl Echo {
    fn matches(line: &CachedLine, text: &str, caret: usize) -> bool {
        line.text == text && line.cursors == [caret]
    }
}

/// `spans` moved by an edit of `deleted` bytes at `col` replaced by
/// `inserted` bytes, the way the core shifts them until it restyles: spans
/// after the edit move, spans touching removed bytes shrink (and vanish when
/// empty), a span that contains or ends at `col` grows over the insert.
pub fn shift_spans(
    spans: &[StyleSpan],
    col: usize,
    deleted: usize,
    inserted: usize,
) -> Vec<StyleSpan> {
    let after = |p: usize| p.max(col + deleted) - deleted + inserted;
    spans
        .iter()
        .filter_map(|s| {
            let (start, end) = if s.end < col {
                (s.start, s.end)
            } else if s.start < col {
                (s.start, after(s.end))
            } else {
                (after(s.start), after(s.end))
            };
            (end > start).then_some(StyleSpan {
                start,
                end,
                style_id: s.style_id,
            })
        })
        .collect()
}

/// Applies one edit to a cached line (text, styles and its one caret).
fn edit_line(line: &mut CachedLine, col: usize, deleted: usize, inserted: &str) {
    line.text.replace_range(col..col + deleted, inserted);
    line.styles = shift_spans(&line.styles, col, deleted, inserted.len());
    line.cursors = vec![col + inserted.len()];
}

impl LineCache {
    /// Draws an edit of the caret's line before the core answers: `deleted`
    /// bytes before the caret at byte `col` of `line` are replaced by
    /// `inserted`. Returns false (and changes nothing) unless the edit is
    /// one the core will surely make the same way: the line is known, its
    /// only cursor is the view's only caret (no selection), no find
    /// highlight is on it, the removed bytes are whole characters and few
    /// keystrokes are already pending.
    pub fn predict_edit(
        &mut self,
        line: usize,
        col: usize,
        deleted: usize,
        inserted: &str,
    ) -> bool {
        if deleted > col {
            return false;
        }
        let start = col - deleted;
        let caret_ok = self.selections.len() == 1 && self.selections[0] == [line, col, line, col];
        let find_here = self
            .find_ranges
            .iter()
            .any(|r| r[0] <= line && line <= r[2]);
        if !caret_ok || find_here {
            return false;
        }
        if let Some(echo) = &self.echo
            && (echo.held || echo.line != line || echo.preds.len() >= MAX_PENDING)
        {
            return false;
        }
        let pristine = self.pristine;
        let Some(l) = self.get_mut(line) else {
            return false;
        };
        if l.cursors != [col]
            || col > l.text.len()
            || !l.text.is_char_boundary(start)
            || !l.text.is_char_boundary(col)
        {
            return false;
        }
        let base = l.clone();
        edit_line(l, start, deleted, inserted);
        let pred = Pred {
            col: start,
            deleted,
            inserted: inserted.to_owned(),
            text_after: l.text.clone(),
            caret_after: start + inserted.len(),
        };
        let caret = pred.caret_after;
        let echo = self.echo.get_or_insert_with(|| Echo {
            line,
            base,
            base_pristine: pristine,
            preds: Vec::new(),
            held: false,
        });
        echo.preds.push(pred);
        self.pristine = false;
        self.selections = vec![[line, caret, line, caret]];
        true
    }

    /// Where the caret is once every pending prediction is applied
    /// (`None`: nothing is pending).
    pub fn predicted_caret(&self) -> Option<(usize, usize)> {
        let echo = self.echo.as_ref()?;
        echo.preds.last().map(|p| (echo.line, p.caret_after))
    }

    /// How many keystrokes are drawn ahead of the core.
    pub fn pending_predictions(&self) -> usize {
        self.echo.as_ref().map_or(0, |e| e.preds.len())
    }

    /// Another edit was sent after the pending predictions: make no new
    /// ones until they are answered.
    pub fn hold_predictions(&mut self) {
        if let Some(echo) = &mut self.echo {
            echo.held = true;
        }
    }

    /// Drops every prediction and puts the line back as the core sent it.
    pub fn drop_predictions(&mut self) {
        if let Some(echo) = self.echo.take() {
            let line = echo.line;
            if let Some(l) = self.get_mut(line) {
                *l = echo.base;
            }
            self.pristine = echo.base_pristine;
        }
    }

    /// Before an update: the cache as the core believes it is. Returns the
    /// predictions to reconcile afterwards.
    pub(super) fn take_predictions(&mut self) -> Option<Echo> {
        let echo = self.echo.take()?;
        if let Some(l) = self.get_mut(echo.line) {
            *l = echo.base.clone();
        }
        self.pristine = echo.base_pristine;
        Some(echo)
    }

    /// After an update: applies again the predictions it does not include.
    pub(super) fn reapply_predictions(&mut self, echo: Echo) {
        let Some(now) = self.get(echo.line) else {
            return;
        };
        // j = how many predictions the core has processed.
        let base_caret = echo.base.cursors.first().copied();
        let done = if base_caret.is_some_and(|c| Echo::matches(now, &echo.base.text, c)) {
            Some(0)
        } else {
            echo.preds
                .iter()
                .position(|p| Echo::matches(now, &p.text_after, p.caret_after))
                .map(|i| i + 1)
        };
        let Some(done) = done else {
            tracing::debug!(
                line = echo.line,
                "local echo differs from the core: dropped"
            );
            return;
        };
        let rest = &echo.preds[done..];
        if rest.is_empty() {
            return;
        }
        let line = echo.line;
        let pristine = self.pristine;
        let Some(l) = self.get_mut(line) else {
            return;
        };
        let base = l.clone();
        for p in rest {
            edit_line(l, p.col, p.deleted, &p.inserted);
        }
        let caret = rest.last().map_or(0, |p| p.caret_after);
        self.echo = Some(Echo {
            line,
            base,
            base_pristine: pristine,
            preds: rest.to_vec(),
            held: echo.held,
        });
        self.pristine = false;
        self.selections = vec![[line, caret, line, caret]];
    }
}

#[cfg(test)]
mod tests;
