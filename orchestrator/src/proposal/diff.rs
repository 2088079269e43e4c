//! Line-granular hunks from "replace this range by that text" (`similar`'s line diff),
//! and applying a subset of hunks to a text.

use similar::{DiffTag, TextDiff};

use super::{Hunk, HunkState, Proposal};
use crate::command::EditorContext;

/// The largest char boundary of `text` at or before `offset` (clamped to its length).
fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A proposal replacing `ctx.file_text[start..end]` by `new_text`: the line-level diff of
/// the two as hunks in base-revision byte offsets (whole lines where the range starts and
/// ends on line boundaries), adjacent changed lines merged into one hunk, unchanged lines
/// left out. `base_revision` is `ctx.revision`.
///
/// Offsets past the text are clamped to its end and offsets inside a character are moved
/// back to its start, so any input gives a well-formed proposal. Applying every hunk to
/// `ctx.file_text` gives `file_text[..start] + new_text + file_text[end..]`.
///
/// ```
/// use symphony_conductor::command::EditorContext;
/// use symphony_conductor::proposal::{apply_hunks, from_replacement};
/// let ctx = EditorContext { file_text: "fn a() {\n    1\n}\nfn b() {}\n".into(), ..Default::default() };
/// let p = from_replacement(&ctx, 0, 17, "fn a() {\n    2\n}\n");
/// assert_eq!(p.hunks.len(), 1);
/// assert_eq!(p.hunks[0].old_text, "    1\n");
/// assert_eq!(apply_hunks(&ctx.file_text, &p.hunks, |_| true), "fn a() {\n    2\n}\nfn b() {}\n");
/// ```
pub fn from_replacement(ctx: &EditorContext, start: usize, end: usize, new_text: &str) -> Proposal {
    let text = ctx.file_text.as_str();
    let end = floor_boundary(text, end);
    let start = floor_boundary(text, start.min(end));
    Proposal {
        id: uuid::Uuid::new_v4().to_string(),
        buffer: ctx.buffer.clone(),
        path: ctx.path.clone(),
        base_revision: ctx.revision,
        hunks: line_hunks(text, start, end, new_text),
    }
}

/// A hunk being built: its (start, end) in the old text and in the new text, in bytes.
type Building = ((usize, usize), (usize, usize));

/// The hunks turning `text[start..end]` into `new_text`, indexed from 0, all pending.
/// `start..end` must be a char-boundary range of `text`.
pub(crate) fn line_hunks(text: &str, start: usize, end: usize, new_text: &str) -> Vec<Hunk> {
    let old = &text[start..end];
    let diff = TextDiff::from_lines(old, new_text);
    let offsets = |slices: Vec<&str>, base: usize| {
        let mut acc = base;
        let mut out = Vec::with_capacity(slices.len() + 1);
        out.push(acc);
        for s in slices {
            acc += s.len();
            out.push(acc);
        }
        out
    };
    let old_at = offsets(diff.iter_old_slices().collect(), start);
    let new_at = offsets(diff.iter_new_slices().collect(), 0);
    let mut hunks: Vec<Hunk> = Vec::new();
    // (old range, new range) of the hunk being built, in bytes
    let mut open: Option<Building> = None;
    let close = |open: &mut Option<Building>, hunks: &mut Vec<Hunk>| {
        if let Some(((os, oe), (ns, ne))) = open.take() {
            hunks.push(Hunk {
                index: hunks.len(),
                start: os,
                end: oe,
                old_text: text[os..oe].to_owned(),
                new_text: new_text[ns..ne].to_owned(),
                state: HunkState::Pending,
            });
        }
    };
    for op in diff.ops() {
        let (o, n) = (op.old_range(), op.new_range());
        if op.tag() == DiffTag::Equal {
            close(&mut open, &mut hunks);
            continue;
        }
        let (os, oe) = (old_at[o.start], old_at[o.end]);
        let (ns, ne) = (new_at[n.start], new_at[n.end]);
        open = Some(match open {
            Some(((s, _), (t, _))) => ((s, oe), (t, ne)),
            None => ((os, oe), (ns, ne)),
        });
    }
    close(&mut open, &mut hunks);
    hunks
}

/// `base` with the hunks for which `take` is true applied (hunks in `base`'s offsets,
/// sorted, non-overlapping; hunks out of order or out of range are skipped).
///
/// ```
/// use symphony_conductor::proposal::{Hunk, HunkState, apply_hunks};
/// let h = |start, end, new: &str| Hunk { index: 0, start, end, old_text: String::new(),
///     new_text: new.into(), state: HunkState::Pending };
/// let hunks = [h(0, 1, "A"), h(2, 3, "C")];
/// assert_eq!(apply_hunks("abc", &hunks, |h| h.start == 2), "abC");
/// ```
pub fn apply_hunks(base: &str, hunks: &[Hunk], mut take: impl FnMut(&Hunk) -> bool) -> String {
    let mut out = String::with_capacity(base.len());
    let mut at = 0;
    for h in hunks {
        if h.start < at || h.end < h.start || base.get(h.start..h.end).is_none() || !take(h) {
            continue;
        }
        out.push_str(&base[at..h.start]);
        out.push_str(&h.new_text);
        at = h.end;
    }
    out.push_str(&base[at..]);
    out
}
