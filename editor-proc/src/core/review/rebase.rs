//! Mapping a proposal's hunks from a base revision to the current text through the
//! xi-rope delta between them, and the user's edits that delta is made of. Pure functions.

use std::ops::Range;

use symphony_protocol::xi::review::{ProposedHunk, RebasedHunk, Span};
use xi_rope::delta::DeltaElement;
use xi_rope::{Rope, RopeDelta, RopeInfo};

/// One change the delta makes: `base` (in the base text) became `head` (in the current
/// text). A pure insertion has an empty `base`, a pure deletion an empty `head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The replaced range of the base text.
    pub base: Range<usize>,
    /// The range of the current text that replaced it.
    pub head: Range<usize>,
}

/// The changes of `delta`, in order (maximal: two changes never touch).
pub fn changes(delta: &RopeDelta) -> Vec<Change> {
    let mut out = Vec::new();
    let (mut base, mut head) = (0, 0);
    // head offset where inserted text began since the last copy
    let mut inserted_from: Option<usize> = None;
    let mut flush = |upto: usize, base: usize, head: usize, from: &mut Option<usize>| {
        if upto > base || from.is_some() {
            out.push(Change {
                base: base..upto,
                head: from.take().unwrap_or(head)..head,
            });
        }
    };
    for el in &delta.els {
        match el {
            DeltaElement::Copy(beg, end) => {
                flush(*beg, base, head, &mut inserted_from);
                head += end - beg;
                base = *end;
            }
            DeltaElement::Insert(node) => {
                inserted_from.get_or_insert(head);
                head += node.len();
            }
        }
    }
    flush(delta.base_len, base, head, &mut inserted_from);
    out
}

/// Maps base offsets to current ones with xi-rope's `Transformer` rule (an offset inside
/// replaced text lands after the replacement; `after` decides which side of an insertion
/// exactly at the offset), in one pass: queries must not go backwards.
struct Mapper<'a> {
    els: &'a [DeltaElement<RopeInfo>],
    i: usize,
    result: usize,
}

impl Mapper<'_> {
    fn map(&mut self, ix: usize, after: bool) -> usize {
        if ix == 0 && !after {
            return 0;
        }
        while let Some(el) = self.els.get(self.i) {
            match el {
                DeltaElement::Copy(beg, end) => {
                    if ix <= *beg {
                        return self.result;
                    }
                    if ix < *end || (ix == *end && !after) {
                        return self.result + ix - beg;
                    }
                    self.result += end - beg;
                }
                DeltaElement::Insert(node) => self.result += node.len(),
            }
            self.i += 1;
        }
        self.result
    }
}

/// Whether the hunks are sorted, non-overlapping and inside a base text of `base_len`.
pub fn hunks_are_valid(hunks: &[ProposedHunk], base_len: usize) -> bool {
    let mut at = 0;
    hunks.iter().all(|h| {
        let ok = at <= h.start && h.start <= h.end && h.end <= base_len;
        at = h.end;
        ok
    })
}

/// `hunks` (valid for the delta's base, see [`hunks_are_valid`]) mapped into `text`, the
/// delta's result, with `touched_by_user` set when a change intersects or abuts the hunk
/// in the base text. Offsets are kept on `text`'s char boundaries.
pub fn map_hunks(delta: &RopeDelta, text: &Rope, hunks: &[ProposedHunk]) -> Vec<RebasedHunk> {
    let changes = changes(delta);
    let mut mapper = Mapper {
        els: &delta.els,
        i: 0,
        result: 0,
    };
    let mut next_change = 0;
    let mut out = Vec::with_capacity(hunks.len());
    for h in hunks {
        let start = mapper.map(h.start, true);
        let end = if h.end > h.start {
            mapper.map(h.end, false).max(start)
        } else {
            start
        };
        let start = text
            .at_or_prev_codepoint_boundary(start.min(text.len()))
            .unwrap_or(0);
        let end = text
            .at_or_next_codepoint_boundary(end.min(text.len()))
            .unwrap_or(text.len())
            .max(start);
        // changes wholly before this hunk are before every later one too
        while changes
            .get(next_change)
            .is_some_and(|c| c.base.end < h.start)
        {
            next_change += 1;
        }
        let touched = changes
            .get(next_change)
            .is_some_and(|c| c.base.start <= h.end);
        let first_line = text.line_of_offset(start);
        let last_line = if end > start {
            // the line of the last character (which may be several bytes long)
            text.line_of_offset(text.prev_codepoint_offset(end).unwrap_or(start))
        } else {
            first_line
        };
        out.push(RebasedHunk {
            start,
            end,
            first_line,
            last_line,
            old_text: text.slice_to_cow(start..end).into_owned(),
            touched_by_user: touched,
        });
    }
    out
}

/// The changes of `delta` as current-text spans (`user_edits` of a rebase reply).
pub fn user_edits(delta: &RopeDelta) -> Vec<Span> {
    changes(delta)
        .into_iter()
        .map(|c| Span {
            start: c.head.start,
            end: c.head.end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xi_rope::{DeltaBuilder, Interval};

    fn delta(base: &str, edits: &[(usize, usize, &str)]) -> RopeDelta {
        let mut b = DeltaBuilder::new(base.len());
        for &(s, e, t) in edits {
            b.replace(Interval::new(s, e), Rope::from(t));
        }
        b.build()
    }

    fn hunk(start: usize, end: usize) -> ProposedHunk {
        ProposedHunk {
            start,
            end,
            new_text: "X".into(),
        }
    }

    #[test]
    fn changes_name_base_and_head_ranges() {
        let d = delta("0123456789", &[(1, 1, "ab"), (4, 6, ""), (8, 9, "xyz")]);
        let c = changes(&d);
        assert_eq!(
            c,
            vec![
                Change {
                    base: 1..1,
                    head: 1..3
                },
                Change {
                    base: 4..6,
                    head: 6..6
                },
                Change {
                    base: 8..9,
                    head: 8..11
                },
            ]
        );
    }

    #[test]
    fn hunks_move_past_edits_before_them_and_abutting_edits_touch() {
        let base = "aaaa\nbbbb\ncccc\n";
        // the user inserts a line at the top and types at the end of "bbbb"
        let d = delta(base, &[(0, 0, "new\n"), (9, 9, "!")]);
        let text = d.apply(&Rope::from(base));
        let m = map_hunks(&d, &text, &[hunk(5, 10), hunk(10, 15)]);
        assert_eq!((m[0].start, m[0].end), (9, 15));
        assert_eq!(m[0].old_text, "bbbb!\n");
        assert!(m[0].touched_by_user, "an edit inside the hunk touches it");
        assert_eq!((m[1].start, m[1].end, m[1].first_line), (15, 20, 3));
        assert_eq!(m[1].old_text, "cccc\n");
        assert!(!m[1].touched_by_user);
        // an insertion exactly at a hunk's start or end touches it
        let d = delta(base, &[(5, 5, "<")]);
        let text = d.apply(&Rope::from(base));
        let m = map_hunks(&d, &text, &[hunk(0, 5), hunk(5, 10), hunk(10, 15)]);
        assert!(m[0].touched_by_user && m[1].touched_by_user && !m[2].touched_by_user);
        assert_eq!(
            m[1].old_text, "bbbb\n",
            "the insertion stays out of the range"
        );
        assert_eq!(m[0].old_text, "aaaa\n");
    }

    #[test]
    fn a_hunk_whose_text_was_deleted_collapses_and_offsets_stay_on_char_boundaries() {
        let base = "héllo wörld\n";
        let d = delta(base, &[(0, 7, "")]);
        let text = d.apply(&Rope::from(base));
        let m = map_hunks(&d, &text, &[hunk(1, 6), hunk(7, 13)]);
        assert_eq!((m[0].start, m[0].end, m[0].old_text.as_str()), (0, 0, ""));
        assert!(m[0].touched_by_user);
        assert_eq!(m[1].old_text, "wörld");
        assert!(m[1].touched_by_user, "the deletion ends where it starts");
        assert_eq!(
            user_edits(&d),
            vec![Span { start: 0, end: 0 }],
            "a deletion is an empty span"
        );
    }

    #[test]
    fn invalid_hunks_are_detected() {
        assert!(hunks_are_valid(&[hunk(0, 2), hunk(2, 2), hunk(2, 5)], 5));
        assert!(!hunks_are_valid(&[hunk(0, 3), hunk(2, 4)], 5));
        assert!(!hunks_are_valid(&[hunk(3, 2)], 5));
        assert!(!hunks_are_valid(&[hunk(0, 6)], 5));
    }
}
