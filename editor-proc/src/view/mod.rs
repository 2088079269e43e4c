//! A view: selections, scroll position, find state and the shadow of the front end's
//! line cache for one buffer (xi's `View`). Selection changes only; edits go through `core`.

pub mod gesture;
mod search;

pub use search::FindNextRequest;

use xi_rope::{Interval, Rope, RopeDelta};

use crate::find::Find;
use crate::movement::{Movement, region_movement, selection_movement};
use crate::selection::{InsertDrift, SelRegion, Selection};
use crate::text::{line_col_to_offset, line_count, line_of_offset, offset_of_line, select_word};
use crate::view_update::shadow::{CURSOR_VALID, LineCacheShadow, STYLES_VALID};

/// What changed in the find state since the last `find_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindChange {
    /// Nothing.
    None,
    /// Query and matches.
    All,
    /// Only the number of matches.
    Matches,
}

/// How a find_next result joins the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SelectionModifier {
    /// Do not change the selection.
    None,
    /// Replace the selection.
    #[default]
    Set,
    /// Add a region.
    Add,
    /// Add a region, dropping the current last one.
    AddRemovingCurrent,
}

/// One query of `find` / `multi_find`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindQuery {
    /// Existing query to update; `None` adds one.
    pub id: Option<usize>,
    /// Text or pattern.
    pub chars: String,
    /// Match case.
    pub case_sensitive: bool,
    /// `chars` is a regular expression.
    pub regex: bool,
    /// Only whole words.
    pub whole_words: bool,
}

/// Granularity of a gesture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Characters.
    Point,
    /// Words.
    Word,
    /// Lines.
    Line,
}

#[derive(Debug, Clone)]
pub(crate) struct DragState {
    pub(crate) base: Selection,
    pub(crate) min: usize,
    pub(crate) max: usize,
    pub(crate) granularity: Granularity,
}

/// One view onto a buffer.
#[derive(Debug, Clone)]
pub struct View {
    /// The wire id, `view-id-N`.
    pub id: String,
    /// The buffer shown.
    pub buffer: u64,
    /// Invariant: never empty.
    pub selection: Selection,
    pub(crate) drag: Option<DragState>,
    /// First visible line.
    pub first_line: usize,
    /// Visible lines.
    pub height: usize,
    /// What the front end holds.
    pub shadow: LineCacheShadow,
    /// Offset to report in the next `scroll_to`.
    pub scroll_to: Option<usize>,
    /// The client's sequence number of the last edit processed, owed in the next
    /// `update` (`symphony_ack`; see `symphony.capabilities` in docs/protocol.md).
    pub ack: Option<u64>,
    /// Find queries.
    pub find: Vec<Find>,
    next_find_id: usize,
    /// Whether find_status is owed.
    pub find_changed: FindChange,
    /// Whether find matches are highlighted.
    pub highlight_find: bool,
    /// A `find_next` that waits for the running search to find its answer.
    pub pending_find_next: Option<FindNextRequest>,
    /// Replacement text and preserve_case.
    pub replace: Option<(String, bool)>,
    /// Whether replace_status is owed.
    pub replace_changed: bool,
}

impl View {
    /// A new view with a caret at 0 and the default height of 10 lines.
    pub fn new(id: String, buffer: u64, text: &Rope) -> Self {
        View {
            id,
            buffer,
            selection: Selection::caret(0),
            drag: None,
            first_line: 0,
            height: 10,
            shadow: LineCacheShadow::all_invalid(line_count(text)),
            scroll_to: Some(0),
            ack: None,
            find: Vec::new(),
            next_find_id: 1,
            find_changed: FindChange::None,
            highlight_find: false,
            pending_find_next: None,
            replace: None,
            replace_changed: false,
        }
    }

    /// Forces a full re-send at the next render.
    pub fn set_dirty(&mut self, text: &Rope) {
        self.shadow = LineCacheShadow::all_invalid(line_count(text));
    }

    /// `scroll [first, last)`.
    pub fn set_scroll(&mut self, first: usize, last: usize) {
        self.first_line = first;
        self.height = last.saturating_sub(first);
    }

    fn invalidate_selection(&mut self, text: &Rope) {
        let (Some(first), Some(last)) = (self.selection.first(), self.selection.last()) else {
            return;
        };
        let first_line = line_of_offset(text, first.min());
        let last_line = line_of_offset(text, last.max()) + 1;
        let all_caret = self.selection.iter().all(SelRegion::is_caret);
        let bits = if all_caret {
            CURSOR_VALID
        } else {
            CURSOR_VALID | STYLES_VALID
        };
        self.shadow.partial_invalidate(first_line, last_line, bits);
    }

    /// Sets the selection without scrolling.
    pub fn set_selection_raw(&mut self, text: &Rope, sel: Selection) {
        if sel.is_empty() {
            return;
        }
        self.invalidate_selection(text);
        self.selection = sel;
        self.invalidate_selection(text);
    }

    /// Sets the selection and scrolls its last caret into view.
    pub fn set_selection(&mut self, text: &Rope, sel: impl Into<Selection>) {
        self.set_selection_raw(text, sel.into());
        self.scroll_to_cursor(text);
    }

    fn scroll_to_cursor(&mut self, text: &Rope) {
        let Some(last) = self.selection.last() else {
            return;
        };
        let end = last.end;
        let line = line_of_offset(text, end);
        if line < self.first_line {
            self.first_line = line;
        } else if self.first_line + self.height <= line {
            self.first_line = line + 1 - self.height.max(1);
        }
        self.scroll_to = Some(end);
    }

    /// Moves (or with `modify`, extends) every region.
    pub fn do_move(&mut self, text: &Rope, m: Movement, modify: bool) {
        self.drag = None;
        let sel = selection_movement(m, &self.selection, text, self.height, modify);
        self.set_selection(text, sel);
    }

    /// `select_all` (does not scroll).
    pub fn select_all(&mut self, text: &Rope) {
        self.set_selection_raw(text, SelRegion::new(0, text.len()).into());
    }

    /// `add_selection_above` / `below`.
    pub fn add_selection_by_movement(&mut self, text: &Rope, m: Movement) {
        let mut sel = Selection::new();
        for &r in self.selection.iter() {
            sel.add_region(r);
            sel.add_region(region_movement(m, r, text, self.height, false));
        }
        self.set_selection(text, sel);
    }

    /// `collapse_selections`.
    pub fn collapse_selections(&mut self, text: &Rope) {
        let mut sel = self.selection.clone();
        sel.collapse();
        self.set_selection(text, sel);
    }

    /// `goto_line` (0-based).
    pub fn goto_line(&mut self, text: &Rope, line: usize) {
        let off = line_col_to_offset(text, line, 0);
        self.set_selection(text, SelRegion::caret(off));
    }

    /// `selection_into_lines`: one region per line of every selection.
    pub fn selection_into_lines(&mut self, text: &Rope) {
        let mut sel = Selection::new();
        for r in self.selection.iter() {
            if r.is_caret() {
                sel.add_region(SelRegion::caret(r.max()));
                continue;
            }
            let first = line_of_offset(text, r.min());
            let last = line_of_offset(text, r.max());
            for line in first..=last {
                let s = offset_of_line(text, line).max(r.min());
                let e = crate::text::line_end(text, line).min(r.max());
                if line == last && s == r.max() && line != first {
                    break;
                }
                sel.add_region(SelRegion::new(s, e.max(s)));
            }
        }
        self.set_selection_raw(text, sel);
    }

    /// The text to use as query for `selection_for_find` / `selection_for_replace`.
    pub fn selection_word(&self, text: &Rope) -> Option<String> {
        let r = self.selection.last()?;
        let (s, e) = if r.is_caret() {
            select_word(text, r.end)
        } else {
            (r.min(), r.max())
        };
        Some(text.slice_to_cow(s..e).into_owned())
    }

    /// Updates selections, find and the shadow after `delta` turned `old` into `text`.
    pub fn after_edit(
        &mut self,
        text: &Rope,
        old: &Rope,
        delta: &RopeDelta,
        drift: InsertDrift,
        scroll: bool,
    ) {
        let (iv, new_len) = delta.summary();
        let start_line = old.line_of_offset(iv.start());
        let end_line = old.line_of_offset(iv.end()) + 1;
        let new_end_line = text.line_of_offset(iv.start() + new_len) + 1;
        self.shadow
            .edit(start_line, end_line, new_end_line - start_line);
        self.drag = None;
        for f in &mut self.find {
            f.update_after_edit(text, delta);
            // the query is the same: only the count (as upstream)
            if self.find_changed == FindChange::None {
                self.find_changed = FindChange::Matches;
            }
        }
        let sel = self.selection.apply_delta(delta, true, drift);
        self.selection = sel;
        self.invalidate_selection(text);
        if scroll {
            self.scroll_to_cursor(text);
        }
    }

    /// `find` / `multi_find`: updates queries by id, adds those without one, drops the rest.
    pub fn set_find(&mut self, text: &Rope, queries: &[FindQuery]) {
        let mut changed = queries.len() != self.find.len();
        self.find
            .retain(|f| queries.iter().any(|q| q.id == Some(f.id())));
        for q in queries {
            let pos = match q.id {
                Some(id) => match self.find.iter().position(|f| f.id() == id) {
                    Some(p) => p,
                    None => continue,
                },
                None => {
                    self.find.push(Find::new(self.next_find_id));
                    self.next_find_id += 1;
                    self.find.len() - 1
                }
            };
            if self.find[pos].set(&q.chars, q.case_sensitive, q.regex, q.whole_words) {
                changed = true;
                // the first slice now (all of a small file); the rest in
                // steps between keystrokes (see `search_step`)
                self.find[pos].search_step(text, crate::find::STEP_BYTES);
            }
        }
        if changed {
            self.find_changed = FindChange::All;
            self.set_dirty(text);
        }
    }

    /// `selection_for_find`: the selection (or word at the caret) becomes the query.
    pub fn selection_for_find(&mut self, text: &Rope, case_sensitive: bool) {
        let Some(q) = self.selection_word(text) else {
            return;
        };
        if self.find.len() != 1 {
            self.find.push(Find::new(self.next_find_id));
            self.next_find_id += 1;
        }
        if let Some(f) = self.find.last_mut() {
            if !f.set(&q, case_sensitive, false, true) && !f.is_counting() {
                f.search_all(text);
            }
            f.search_step(text, crate::find::STEP_BYTES);
        }
        self.find_changed = FindChange::All;
        self.set_dirty(text);
    }

    /// `find_next` / `find_previous`.
    pub fn find_next(
        &mut self,
        text: &Rope,
        reverse: bool,
        wrap: bool,
        modifier: SelectionModifier,
    ) -> bool {
        self.pending_find_next = None;
        if self.find.iter().any(Find::is_counting) && !self.next_is_known(text, reverse) {
            // the search has not reached the answer yet: answered by `search_step`
            self.pending_find_next = Some(FindNextRequest {
                reverse,
                wrap,
                modifier,
            });
            return false;
        }
        let found = self.select_next_occurrence(text, reverse, false, modifier);
        if !found && wrap {
            return self.select_next_occurrence(text, reverse, true, modifier);
        }
        found
    }

    /// The match `find_next` (`reverse`: `find_previous`) would select.
    fn best_occurrence(&self, text: &Rope, reverse: bool, wrapped: bool) -> Option<SelRegion> {
        let (cur_start, cur_end) = self
            .selection
            .last()
            .map(|s| (s.min(), s.max()))
            .unwrap_or((0, 0));
        let len = text.len();
        self.find
            .iter()
            .filter_map(|f| f.next_occurrence(text, reverse, wrapped, &self.selection))
            .min_by_key(|x| match reverse {
                true if x.end > cur_end => 2 * len - x.end,
                true => cur_end - x.end,
                false if x.start < cur_start => x.start + len,
                false => x.start - cur_start,
            })
    }

    fn select_next_occurrence(
        &mut self,
        text: &Rope,
        reverse: bool,
        wrapped: bool,
        modifier: SelectionModifier,
    ) -> bool {
        let Some(occ) = self.best_occurrence(text, reverse, wrapped) else {
            return false;
        };
        match modifier {
            SelectionModifier::Set => self.set_selection(text, occ),
            SelectionModifier::Add => {
                let mut s = self.selection.clone();
                s.add_region(occ);
                self.set_selection(text, s);
            }
            SelectionModifier::AddRemovingCurrent => {
                let mut s = self.selection.clone();
                if let Some(l) = self.selection.last().filter(|l| !l.is_caret()) {
                    s.delete_range(l.min(), l.max(), false);
                }
                s.add_region(occ);
                self.set_selection(text, s);
            }
            SelectionModifier::None => {}
        }
        true
    }

    /// `find_all`: selects every match.
    pub fn find_all(&mut self, text: &Rope) {
        self.finish_search(text);
        let mut sel = Selection::new();
        for f in &self.find {
            for &o in f.occurrences().iter() {
                sel.add_region(o);
            }
        }
        if !sel.is_empty() {
            self.set_selection(text, sel);
        }
    }

    /// Byte range of the visible lines plus slop (for annotations).
    pub fn visible_range(&self, text: &Rope) -> Interval {
        Interval::new(
            offset_of_line(text, self.first_line),
            offset_of_line(text, self.first_line + self.height + 2),
        )
    }
}
