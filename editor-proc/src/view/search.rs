//! A view's incremental search: one slice of its running query per step
//! between keystrokes, and the `find_next` that waits until the search has
//! reached its answer.

use xi_rope::Rope;

use super::{FindChange, SelectionModifier, View};
use crate::find::{Find, STEP_BYTES};
use crate::text::line_of_offset;
use crate::view_update::shadow::STYLES_VALID;

/// A `find_next` / `find_previous` the running search cannot answer yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindNextRequest {
    /// `find_previous`.
    pub reverse: bool,
    /// Wrap around the ends.
    pub wrap: bool,
    /// How the match joins the selection.
    pub modifier: SelectionModifier,
}

impl View {
    /// Whether a query's search is still running.
    pub fn is_searching(&self) -> bool {
        self.find.iter().any(Find::is_counting)
    }

    /// Searches the next slice of the first query still running; restyles the
    /// visible lines if it found matches there, owes a `find_status` when the
    /// count changed or became final, and answers a waiting `find_next` once
    /// the answer is known. Returns whether the front end has something new
    /// (a slice that found nothing changes nothing it shows).
    pub fn search_step(&mut self, text: &Rope) -> bool {
        let Some(f) = self.find.iter_mut().find(|f| f.is_counting()) else {
            return false;
        };
        let before = f.occurrences().len();
        let Some((from, to)) = f.search_step(text, STEP_BYTES) else {
            return false;
        };
        let found = f.occurrences().len() != before;
        let visible = self.visible_range(text);
        if found && self.highlight_find && from <= visible.end() && to >= visible.start() {
            let first = line_of_offset(text, from.max(visible.start()));
            let last = line_of_offset(text, to.min(visible.end())) + 1;
            self.shadow.partial_invalidate(first, last, STYLES_VALID);
        }
        let done = !self.is_searching();
        if found || done {
            self.owe_find_status();
        }
        let waited = self.pending_find_next.is_some();
        self.answer_pending_find_next(text);
        let answered = waited && self.pending_find_next.is_none();
        found || done || answered
    }

    /// Finishes every running search at once (find all, replace need all).
    pub fn finish_search(&mut self, text: &Rope) {
        if !self.is_searching() {
            return;
        }
        for f in &mut self.find {
            f.finish(text);
        }
        self.set_dirty(text);
        self.owe_find_status();
        self.answer_pending_find_next(text);
    }

    /// The count changed; the whole status (lines included) once it is final.
    fn owe_find_status(&mut self) {
        self.find_changed = match self.find_changed {
            FindChange::All => FindChange::All,
            _ if !self.is_searching() => FindChange::All,
            _ => FindChange::Matches,
        };
    }

    fn answer_pending_find_next(&mut self, text: &Rope) {
        let Some(req) = self.pending_find_next else {
            return;
        };
        if !self.is_searching() || self.next_is_known(text, req.reverse) {
            self.find_next(text, req.reverse, req.wrap, req.modifier);
        }
    }

    /// Whether the match `find_next` would pick can no longer change: no match
    /// still to be found could be nearer the selection.
    pub(super) fn next_is_known(&self, text: &Rope, reverse: bool) -> bool {
        let cur_start = self.selection.last().map(|s| s.min()).unwrap_or(0);
        // every match starting before `pos` has been found
        let found_before = |pos: usize| {
            self.find
                .iter()
                .all(|f| f.frontier().is_none_or(|frontier| frontier > pos))
        };
        match self.best_occurrence(text, reverse, false) {
            Some(occ) if !reverse && occ.min() >= cur_start => found_before(occ.min()),
            Some(occ) if reverse && occ.min() < cur_start => found_before(cur_start),
            _ => false,
        }
    }
}
