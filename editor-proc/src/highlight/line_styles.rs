//! The styles of a buffer's lines as the core keeps them.
//!
//! Results are computed for the revision of their job; by the time one arrives
//! the core may have applied newer edits. [`LineStyles::apply_result`] maps such a
//! result through the edits recorded since (lines an edit replaced are skipped:
//! the newer job re-highlights them), so nothing the worker sent is lost or put
//! on the wrong line. Memory is proportional to the highlighted lines only.

use std::collections::VecDeque;
use std::ops::Range;

use super::{HighlightResult, LineEdit, StyleSpan};

/// At most this many edits are remembered for mapping late results.
const MAX_LOG: usize = 4096;

/// Per-buffer store of highlighted lines.
#[derive(Debug, Default, Clone)]
pub struct LineStyles {
    /// `lines[i]`: spans of line `i`, `None` when unknown.
    lines: Vec<Option<Box<[StyleSpan]>>>,
    /// Edits applied since the oldest result that may still arrive: (rev, edit).
    log: VecDeque<(u64, LineEdit)>,
}

impl LineStyles {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shifts the stored lines by an edit of the text that produced revision
    /// `rev` (the same `rev` and edit as the [`super::HighlightJob`] sent for it);
    /// the edited lines lose their styles until a result restyles them.
    pub fn apply_edit(&mut self, rev: u64, edit: &LineEdit) {
        if edit.is_unchanged() {
            return;
        }
        if self.log.len() == MAX_LOG {
            self.log.pop_front();
        }
        self.log.push_back((rev, *edit));
        shift(&mut self.lines, edit);
    }

    /// Stores a result from the highlighter, mapped onto the current lines.
    /// Returns the range of current lines whose spans changed (to resend if
    /// visible); `None` when every line already had exactly these spans.
    pub fn apply_result(&mut self, result: &HighlightResult) -> Option<Range<usize>> {
        while self.log.front().is_some_and(|(rev, _)| *rev <= result.rev) {
            self.log.pop_front();
        }
        let later: Vec<LineEdit> = self.log.iter().map(|(_, e)| *e).collect();
        let mut changed: Option<Range<usize>> = None;
        for (i, spans) in result.lines.iter().enumerate() {
            let mapped = later
                .iter()
                .try_fold(result.start_line + i, |line, e| e.map_line(line));
            let Some(line) = mapped else { continue };
            if self.get(line) == Some(&spans[..]) {
                // the front end already holds these styles: nothing to resend
                continue;
            }
            self.put(line, spans);
            changed = Some(match changed {
                Some(r) => r.start.min(line)..r.end.max(line + 1),
                None => line..line + 1,
            });
        }
        changed
    }

    /// Stores `lines` as the spans of lines `start_line..` (no mapping).
    pub fn set(&mut self, start_line: usize, lines: Vec<Vec<StyleSpan>>) {
        for (i, spans) in lines.iter().enumerate() {
            self.put(start_line + i, spans);
        }
    }

    /// Keeps `line`'s styles (known before the edit) across an edit inside it,
    /// shifted by [`shift_spans`], until a result restyles it. Call after
    /// [`Self::apply_edit`] for a one-line edit; `old` is the line's spans before it.
    pub fn keep_shifted(&mut self, line: usize, old: &[StyleSpan], cut: InLineCut) {
        self.put(line, &shift_spans(old, cut));
    }

    /// The spans of `line`, if it was highlighted.
    pub fn get(&self, line: usize) -> Option<&[StyleSpan]> {
        self.lines.get(line).and_then(|l| l.as_deref())
    }

    /// Forgets every line (language or theme changed; the text was replaced).
    pub fn clear(&mut self) {
        self.lines = Vec::new();
    }

    /// One past the last line that may have styles.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line has styles.
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(Option::is_none)
    }

    fn put(&mut self, line: usize, spans: &[StyleSpan]) {
        if line >= self.lines.len() {
            self.lines.resize(line + 1, None);
        }
        self.lines[line] = Some(spans.into());
    }
}

/// An edit inside one line: bytes `col..col + deleted` replaced by `inserted` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InLineCut {
    /// Byte offset of the edit within the line.
    pub col: usize,
    /// Bytes removed.
    pub deleted: usize,
    /// Bytes inserted.
    pub inserted: usize,
}

/// `spans` moved by `cut`: spans after it move by `inserted - deleted`, spans
/// touching the removed bytes shrink (and vanish when empty), and a span that
/// contains or ends at `col` grows over the inserted bytes (typing inside or at
/// the end of a token keeps its style, as the next highlight says in the
/// common case).
pub fn shift_spans(spans: &[StyleSpan], cut: InLineCut) -> Vec<StyleSpan> {
    let InLineCut {
        col,
        deleted,
        inserted,
    } = cut;
    let after = |p: usize| p.max(col + deleted) - deleted + inserted;
    spans
        .iter()
        .filter_map(|s| {
            let end = s.start + s.len;
            let (start, end) = if end < col {
                (s.start, end)
            } else if s.start < col {
                (s.start, after(end))
            } else {
                (after(s.start), after(end))
            };
            (end > start).then_some(StyleSpan {
                start,
                len: end - start,
                style_id: s.style_id,
            })
        })
        .collect()
}

/// Replaces lines `first..first + old` by `new` unknown lines.
fn shift<T: Clone>(lines: &mut Vec<Option<T>>, edit: &LineEdit) {
    let f = edit.first_line;
    if f >= lines.len() {
        return;
    }
    let end = (f + edit.old_lines).min(lines.len());
    lines.splice(f..end, std::iter::repeat_n(None, edit.new_lines));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: u64) -> Vec<StyleSpan> {
        vec![StyleSpan {
            start: 0,
            len: 1,
            style_id: id,
        }]
    }

    fn result(rev: u64, start_line: usize, ids: &[u64]) -> HighlightResult {
        HighlightResult {
            buffer: 1,
            rev,
            start_line,
            lines: ids.iter().map(|&i| span(i)).collect(),
            new_styles: vec![],
            complete: true,
        }
    }

    fn sp(start: usize, len: usize, style_id: u64) -> StyleSpan {
        StyleSpan {
            start,
            len,
            style_id,
        }
    }

    #[test]
    fn spans_follow_an_edit_inside_the_line() {
        let line = [sp(0, 2, 1), sp(3, 4, 2), sp(8, 3, 3)];
        let typed = InLineCut {
            col: 5,
            deleted: 0,
            inserted: 1,
        };
        assert_eq!(
            shift_spans(&line, typed),
            vec![sp(0, 2, 1), sp(3, 5, 2), sp(9, 3, 3)],
            "the token typed into grows, later ones move"
        );
        let at_end = InLineCut {
            col: 7,
            deleted: 0,
            inserted: 2,
        };
        assert_eq!(
            shift_spans(&line, at_end),
            vec![sp(0, 2, 1), sp(3, 6, 2), sp(10, 3, 3)]
        );
        let deleted = InLineCut {
            col: 1,
            deleted: 4,
            inserted: 0,
        };
        assert_eq!(
            shift_spans(&line, deleted),
            vec![sp(0, 1, 1), sp(1, 2, 2), sp(4, 3, 3)],
            "spans touching the removed bytes shrink"
        );
        let gone = InLineCut {
            col: 2,
            deleted: 6,
            inserted: 0,
        };
        assert_eq!(shift_spans(&line, gone), vec![sp(0, 2, 1), sp(2, 3, 3)]);
    }

    #[test]
    fn an_equal_result_changes_nothing() {
        let mut s = LineStyles::new();
        s.set(0, vec![span(8), span(9)]);
        assert_eq!(s.apply_result(&result(0, 0, &[8, 9])), None);
        assert_eq!(s.apply_result(&result(0, 0, &[8, 7])), Some(1..2));
    }

    #[test]
    fn edits_shift_and_clear_lines() {
        let mut s = LineStyles::new();
        s.set(0, vec![span(8), span(9), span(10)]);
        s.apply_edit(
            2,
            &LineEdit {
                first_line: 1,
                old_lines: 1,
                new_lines: 2,
            },
        );
        assert_eq!(s.get(0), Some(&span(8)[..]));
        assert_eq!(s.get(1), None);
        assert_eq!(s.get(2), None);
        assert_eq!(s.get(3), Some(&span(10)[..]));
    }

    #[test]
    fn a_late_result_lands_on_the_right_lines() {
        let mut s = LineStyles::new();
        // Job rev 1 is computed; meanwhile rev 2 inserts two lines at line 0.
        s.apply_edit(
            1,
            &LineEdit {
                first_line: 5,
                old_lines: 1,
                new_lines: 1,
            },
        );
        s.apply_edit(
            2,
            &LineEdit {
                first_line: 0,
                old_lines: 0,
                new_lines: 2,
            },
        );
        let changed = s.apply_result(&result(1, 4, &[8, 9, 10]));
        assert_eq!(changed, Some(6..9));
        assert_eq!(s.get(6), Some(&span(8)[..]));
        assert_eq!(s.get(8), Some(&span(10)[..]));
        assert_eq!(s.get(4), None);
        // A result for rev 2 is already in current coordinates.
        assert_eq!(s.apply_result(&result(2, 0, &[11])), Some(0..1));
        assert_eq!(s.get(0), Some(&span(11)[..]));
    }

    #[test]
    fn lines_replaced_since_are_skipped() {
        let mut s = LineStyles::new();
        s.apply_edit(
            1,
            &LineEdit {
                first_line: 0,
                old_lines: 1,
                new_lines: 1,
            },
        );
        s.apply_edit(
            2,
            &LineEdit {
                first_line: 1,
                old_lines: 1,
                new_lines: 1,
            },
        );
        s.apply_result(&result(1, 0, &[8, 9, 10]));
        assert_eq!(s.get(0), Some(&span(8)[..]));
        assert_eq!(
            s.get(1),
            None,
            "line 1 changed in rev 2: its rev-1 styles are stale"
        );
        assert_eq!(s.get(2), Some(&span(10)[..]));
    }
}
