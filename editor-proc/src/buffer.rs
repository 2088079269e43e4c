//! A buffer: the text in xi-rope's `Engine`, with undo groups like xi-core's editor.

use std::collections::BTreeSet;

use xi_rope::engine::Engine;
use xi_rope::{Rope, RopeDelta};

/// What kind of edit produced a delta; decides whether it joins the previous undo group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// Typed characters (consecutive ones group).
    InsertChars,
    /// Newlines (consecutive ones group).
    InsertNewline,
    /// Indentation of several lines.
    Indent,
    /// Deletions (consecutive ones group).
    Delete,
    /// Transpose (never groups).
    Transpose,
    /// Surround (pairs around a selection).
    Surround,
    /// Anything else (never groups).
    Other,
}

impl EditKind {
    fn breaks_group(self, previous: Option<EditKind>) -> bool {
        self == EditKind::Other || self == EditKind::Transpose || Some(self) != previous
    }
}

/// The text of one file (or scratch buffer) and its undo history.
pub struct Buffer {
    engine: Engine,
    text: Rope,
    /// Undo groups in history order; `live[..cur]` are applied.
    live: Vec<usize>,
    cur: usize,
    undone: BTreeSet<usize>,
    next_group: usize,
    last_kind: Option<EditKind>,
    /// The group that was on top when the text matched the file.
    pristine_group: Option<usize>,
    /// Random per `Buffer::new`: mixed into revisions (see `revision`) so that a revision
    /// of another history (a reloaded buffer, another process) is never taken for one of
    /// this history (xi-rope's tokens repeat across engines).
    history: u64,
}

impl Buffer {
    /// A buffer holding `text`, pristine.
    pub fn new(text: Rope) -> Self {
        let engine = Engine::new(text);
        let text = engine.get_head().clone();
        Buffer {
            engine,
            text,
            live: vec![0],
            cur: 1,
            undone: BTreeSet::new(),
            next_group: 1,
            last_kind: None,
            pristine_group: Some(0),
            history: fresh_history_id(),
        }
    }

    /// The current revision (`symphony.review.*`): names this exact text in this history.
    pub fn revision(&self) -> u64 {
        self.engine.get_head_rev_id().token() ^ self.history
    }

    /// The delta from the text at `revision` to the current text (through undo and redo
    /// too), or None when `revision` is not of this buffer's history.
    pub fn delta_since(&self, revision: u64) -> Option<RopeDelta> {
        self.engine.try_delta_rev_head(revision ^ self.history).ok()
    }

    /// Makes every revision named so far unknown (undo is kept): for a text that came
    /// from elsewhere (a reload from disk), where mapping old proposals makes no sense.
    pub fn forget_revisions(&mut self) {
        self.history = fresh_history_id();
    }

    /// The current text.
    pub fn text(&self) -> &Rope {
        &self.text
    }

    /// True when the text is what was loaded or last saved.
    pub fn is_pristine(&self) -> bool {
        self.cur > 0 && self.pristine_group == Some(self.live[self.cur - 1])
    }

    /// Marks the current text as saved; the next edit starts a new undo group.
    pub fn set_pristine(&mut self) {
        self.pristine_group = self.live.get(self.cur.wrapping_sub(1)).copied();
        self.last_kind = None;
    }

    /// Marks the text as not matching any file (its file was deleted): no undo or redo
    /// makes it pristine until the next save.
    pub fn mark_unsaved(&mut self) {
        self.pristine_group = None;
    }

    /// Ends the current undo group (called after commands that do not edit).
    pub fn break_group(&mut self) {
        self.last_kind = None;
    }

    /// Applies `delta` as an edit of `kind`; returns false when it changed nothing.
    pub fn apply(&mut self, delta: RopeDelta, kind: EditKind, force_group: bool) -> bool {
        let (iv, new_len) = delta.summary();
        if delta.is_identity() || (iv.is_empty() && new_len == 0) {
            return false;
        }
        let joins = self.cur == self.live.len()
            && self.cur > 1
            && (force_group || !kind.breaks_group(self.last_kind))
            && self.pristine_group != Some(self.live[self.cur - 1]);
        let group = if joins {
            self.live[self.cur - 1]
        } else {
            let dropped: Vec<usize> = self.live.drain(self.cur..).collect();
            if dropped.contains(&self.pristine_group.unwrap_or(usize::MAX)) {
                self.pristine_group = None;
            }
            // dropped groups stay in `undone`: the engine still holds their edits
            let g = self.next_group;
            self.next_group += 1;
            self.live.push(g);
            self.cur = self.live.len();
            g
        };
        self.last_kind = Some(kind);
        let head = self.engine.get_head_rev_id().token();
        self.engine.edit_rev(0x10000, group, head, delta);
        self.text = self.engine.get_head().clone();
        true
    }

    /// Undoes the last group; returns the delta from the old to the new text.
    pub fn undo(&mut self) -> Option<RopeDelta> {
        self.last_kind = None;
        if self.cur <= 1 {
            return None;
        }
        self.cur -= 1;
        self.undone.insert(self.live[self.cur]);
        self.last_kind = None;
        self.rerun_undo()
    }

    /// Redoes the last undone group.
    pub fn redo(&mut self) -> Option<RopeDelta> {
        self.last_kind = None;
        if self.cur >= self.live.len() {
            return None;
        }
        self.undone.remove(&self.live[self.cur]);
        self.cur += 1;
        self.last_kind = None;
        self.rerun_undo()
    }

    fn rerun_undo(&mut self) -> Option<RopeDelta> {
        let before = self.engine.get_head_rev_id().token();
        self.engine.undo(self.undone.clone());
        self.text = self.engine.get_head().clone();
        self.engine.try_delta_rev_head(before).ok()
    }
}

/// A random number (std's per-process random hash keys, new for every call).
fn fresh_history_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xi_rope::{DeltaBuilder, Interval};

    fn ins(b: &mut Buffer, at: usize, s: &str, kind: EditKind) {
        let mut d = DeltaBuilder::new(b.text().len());
        d.replace(Interval::new(at, at), Rope::from(s));
        b.apply(d.build(), kind, false);
    }

    #[test]
    fn typing_groups_and_undo_redo() {
        let mut b = Buffer::new(Rope::from("x"));
        assert!(b.is_pristine());
        ins(&mut b, 1, "a", EditKind::InsertChars);
        ins(&mut b, 2, "b", EditKind::InsertChars);
        ins(&mut b, 3, "\n", EditKind::InsertNewline);
        ins(&mut b, 4, "c", EditKind::InsertChars);
        assert_eq!(String::from(b.text()), "xab\nc");
        assert!(!b.is_pristine());
        b.undo();
        assert_eq!(String::from(b.text()), "xab\n");
        b.undo();
        assert_eq!(String::from(b.text()), "xab");
        b.undo();
        assert_eq!(String::from(b.text()), "x");
        assert!(b.is_pristine());
        assert!(b.undo().is_none());
        b.redo();
        assert_eq!(String::from(b.text()), "xab");
        ins(&mut b, 0, "z", EditKind::Other);
        assert!(b.redo().is_none());
        assert_eq!(String::from(b.text()), "zxab");
    }

    #[test]
    fn pristine_after_save_then_undo() {
        let mut b = Buffer::new(Rope::from(""));
        ins(&mut b, 0, "a", EditKind::InsertChars);
        b.set_pristine();
        assert!(b.is_pristine());
        ins(&mut b, 1, "b", EditKind::InsertChars);
        assert!(!b.is_pristine());
        b.undo();
        assert!(b.is_pristine());
        assert_eq!(String::from(b.text()), "a");
    }
}
