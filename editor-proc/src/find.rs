//! Find: one query's settings and its occurrences, kept current through edits (xi's `Find`).

use regex::{Regex, RegexBuilder};
use symphony_protocol::xi::FindStatusQuery;
use xi_rope::find::{CaseMatching, find};
use xi_rope::{Cursor, LinesMetric, Rope, RopeDelta};

use crate::selection::{InsertDrift, SelRegion, Selection};
use crate::text::{is_word_char, offset_to_line_col};

const REGEX_SIZE_LIMIT: usize = 1_000_000;

/// One search query and what it matches.
#[derive(Debug, Clone)]
pub struct Find {
    id: usize,
    chars: Option<String>,
    case_sensitive: bool,
    regex: Option<Regex>,
    whole_words: bool,
    occurrences: Selection,
}

impl Find {
    /// An empty query with the given id.
    pub fn new(id: usize) -> Self {
        Find {
            id,
            chars: None,
            case_sensitive: false,
            regex: None,
            whole_words: false,
            occurrences: Selection::new(),
        }
    }

    /// The query id (find highlight style `index + 1`, payload id).
    pub fn id(&self) -> usize {
        self.id
    }

    /// Current matches.
    pub fn occurrences(&self) -> &Selection {
        &self.occurrences
    }

    /// Drops the query.
    pub fn unset(&mut self) {
        self.chars = None;
        self.occurrences = Selection::new();
    }

    /// Sets the query; returns true when anything changed (then call `search_all`).
    pub fn set(
        &mut self,
        chars: &str,
        case_sensitive: bool,
        is_regex: bool,
        whole_words: bool,
    ) -> bool {
        if chars.is_empty() {
            let changed = self.chars.is_some();
            self.unset();
            return changed;
        }
        if self.chars.as_deref() == Some(chars)
            && self.case_sensitive == case_sensitive
            && self.regex.is_some() == is_regex
            && self.whole_words == whole_words
        {
            return false;
        }
        self.unset();
        self.chars = Some(chars.to_string());
        self.case_sensitive = case_sensitive;
        self.whole_words = whole_words;
        self.regex = if is_regex {
            RegexBuilder::new(chars)
                .size_limit(REGEX_SIZE_LIMIT)
                .case_insensitive(!case_sensitive)
                .build()
                .map_err(|e| tracing::info!("find: invalid regex {chars:?}: {e}"))
                .ok()
        } else {
            None
        };
        true
    }

    /// Searches the whole text.
    pub fn search_all(&mut self, text: &Rope) {
        self.occurrences = Selection::new();
        self.search(text, 0, text.len());
    }

    fn whole_word_ok(text: &Rope, start: usize, end: usize) -> bool {
        let before = text
            .prev_codepoint_offset(start)
            .map(|p| text.slice_to_cow(p..start));
        let first = text.slice_to_cow(start..text.next_codepoint_offset(start).unwrap_or(start));
        let last = text.slice_to_cow(text.prev_codepoint_offset(end).unwrap_or(end)..end);
        let after = text
            .next_codepoint_offset(end)
            .map(|n| text.slice_to_cow(end..n));
        let w = |s: &str| s.chars().next().is_some_and(is_word_char);
        let start_ok = !(before.as_deref().is_some_and(w) && w(&first));
        let end_ok = !(after.as_deref().is_some_and(w) && w(&last));
        start_ok && end_ok
    }

    /// Adds the matches that start in `start..end`.
    pub fn search(&mut self, text: &Rope, start: usize, end: usize) {
        let Some(pat) = self.chars.clone() else {
            return;
        };
        let cm = if self.case_sensitive {
            CaseMatching::Exact
        } else {
            CaseMatching::CaseInsensitive
        };
        let from = text.at_or_prev_codepoint_boundary(start).unwrap_or(0);
        let to = text
            .at_or_next_codepoint_boundary(end.min(text.len()))
            .unwrap_or(text.len());
        let mut cursor = Cursor::new(text, from);
        let mut lines = text.lines_raw(from..text.len());
        while let Some(s) = find(&mut cursor, &mut lines, cm, &pat, self.regex.as_ref()) {
            if s >= to && !(s == to && to == from) {
                break;
            }
            let e = cursor.pos();
            if (!self.whole_words || Self::whole_word_ok(text, s, e))
                && self
                    .occurrences
                    .regions_in_range(s, e)
                    .iter()
                    .all(|r| r.max() <= s || r.min() >= e)
                && s < e
            {
                self.occurrences.add_region(SelRegion::new(s, e));
            }
            if e <= s {
                match text.next_codepoint_offset(s) {
                    Some(n) if n < text.len() => cursor.set(n),
                    _ => break,
                }
            }
            lines = text.lines_raw(cursor.pos()..text.len());
        }
    }

    /// Keeps the matches current after `delta` turned the old text into `text`.
    pub fn update_after_edit(&mut self, text: &Rope, delta: &RopeDelta) {
        if self.chars.is_none() {
            return;
        }
        let (iv, new_len) = delta.summary();
        let mut occ = self.occurrences.clone();
        occ.delete_range(iv.start(), iv.end(), false);
        let mut occ = occ.apply_delta(delta, false, InsertDrift::Default);
        let edit_end = iv.start() + new_len;
        let line_start = text.offset_of_line(text.line_of_offset(iv.start()));
        let mut c = Cursor::new(text, edit_end);
        let line_end = c.next::<LinesMetric>().unwrap_or(text.len());
        let multiline =
            self.chars.as_deref().is_some_and(|c| c.contains('\n')) || self.regex.is_some();
        let search_end = if multiline { text.len() } else { line_end };
        occ.delete_range(line_start, search_end, false);
        self.occurrences = occ;
        self.search(text, line_start, search_end);
    }

    /// The match to select next after (or before, `reverse`) the last region of `sel`.
    pub fn next_occurrence(
        &self,
        text: &Rope,
        reverse: bool,
        wrapped: bool,
        sel: &Selection,
    ) -> Option<SelRegion> {
        if self.occurrences.is_empty() {
            return None;
        }
        let (sel_start, sel_end) = match sel.last() {
            Some(l) if l.is_caret() => (l.min(), l.max()),
            Some(l) => (l.min(), l.max() + 1),
            None => (0, 0),
        };
        let unselected = || {
            self.occurrences
                .iter()
                .copied()
                .filter(|o| sel.regions_in_range(o.min(), o.max()).is_empty())
        };
        if reverse {
            let next = sel_start
                .checked_sub(1)
                .and_then(|e| self.occurrences.regions_in_range(0, e).last().copied());
            if next.is_none() && !wrapped {
                return unselected().next_back();
            }
            next
        } else {
            let next = self
                .occurrences
                .regions_in_range(sel_end, text.len())
                .first()
                .copied();
            if next.is_none() && !wrapped {
                return unselected().next();
            }
            next
        }
    }

    /// The `find_status` entry for this query.
    pub fn status(&self, text: &Rope, matches_only: bool) -> FindStatusQuery {
        if matches_only {
            return FindStatusQuery {
                id: self.id,
                chars: None,
                case_sensitive: None,
                is_regex: None,
                whole_words: None,
                matches: self.occurrences.len(),
                lines: Vec::new(),
            };
        }
        let lines: Vec<usize> = self
            .occurrences
            .iter()
            .map(|o| offset_to_line_col(text, o.min()).0 + 1)
            .collect();
        FindStatusQuery {
            id: self.id,
            chars: self.chars.clone(),
            case_sensitive: Some(self.case_sensitive),
            is_regex: Some(self.regex.is_some()),
            whole_words: Some(self.whole_words),
            matches: self.occurrences.len(),
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xi_rope::{DeltaBuilder, Interval};

    fn occ(f: &Find) -> Vec<(usize, usize)> {
        f.occurrences().iter().map(|r| (r.min(), r.max())).collect()
    }

    #[test]
    fn plain_case_regex_whole_words() {
        let t = Rope::from("Hello hello world\nhelloworld");
        let mut f = Find::new(1);
        f.set("hello", false, false, false);
        f.search_all(&t);
        assert_eq!(occ(&f), vec![(0, 5), (6, 11), (18, 23)]);
        f.set("hello", true, false, false);
        f.search_all(&t);
        assert_eq!(occ(&f), vec![(6, 11), (18, 23)]);
        f.set("hello", false, false, true);
        f.search_all(&t);
        assert_eq!(occ(&f), vec![(0, 5), (6, 11)]);
        f.set("w.r", false, true, false);
        f.search_all(&t);
        assert_eq!(occ(&f), vec![(12, 15), (23, 26)]);
    }

    #[test]
    fn matches_follow_edits() {
        let t = Rope::from("ab ab\nab");
        let mut f = Find::new(1);
        f.set("ab", false, false, false);
        f.search_all(&t);
        let mut b = DeltaBuilder::new(t.len());
        b.replace(Interval::new(0, 0), Rope::from("xab"));
        let d = b.build();
        let t2 = d.apply(&t);
        f.update_after_edit(&t2, &d);
        assert_eq!(occ(&f), vec![(1, 3), (3, 5), (6, 8), (9, 11)]);
    }
}
