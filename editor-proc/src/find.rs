//! Find: one query's settings and its occurrences, kept current through edits (xi's `Find`).
//!
//! The search is incremental: [`Find::set`] only resets it and
//! [`Find::search_step`] searches the next slice of about [`STEP_BYTES`], in
//! text order, so the core can answer keystrokes between slices and a new query
//! simply replaces the old one (nothing of the old search runs on). Every search
//! reads a bounded slice of the text, so no single step scans a 100 MB file.

use regex::{Regex, RegexBuilder};
use symphony_protocol::xi::FindStatusQuery;
use xi_rope::find::{CaseMatching, find};
use xi_rope::{Cursor, LinesMetric, Rope, RopeDelta};

use crate::selection::{InsertDrift, SelRegion, Selection};
use crate::text::{is_word_char, line_of_offset, offset_of_line, offset_to_line_col};

const REGEX_SIZE_LIMIT: usize = 1_000_000;
/// `find_status` lists the lines of at most this many matches (millions of
/// matches in a big file would cost seconds of line lookups per status).
const MAX_STATUS_LINES: usize = 10_000;
/// Bytes one [`Find::search_step`] searches (a few milliseconds).
pub const STEP_BYTES: usize = 512 * 1024;
/// How far past the searched range a match starting in it may reach (multi-line
/// regexes); a step never reads more than this beyond its range.
const MATCH_REACH: usize = 64 * 1024;

/// One search query and what it matches.
#[derive(Debug, Clone)]
pub struct Find {
    id: usize,
    chars: Option<String>,
    case_sensitive: bool,
    regex: Option<Regex>,
    whole_words: bool,
    occurrences: Selection,
    /// Where the search goes on: every match starting before it is in
    /// `occurrences`; `None` when the search is complete (or there is no query).
    frontier: Option<usize>,
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
            frontier: None,
        }
    }

    /// Whether the search is still running (the count is not final yet).
    pub fn is_counting(&self) -> bool {
        self.frontier.is_some()
    }

    /// Every match starting before this offset has been found (`None`: all).
    pub fn frontier(&self) -> Option<usize> {
        self.frontier
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
        self.frontier = None;
    }

    /// Sets the query; returns true when anything changed. A changed query
    /// starts a new search from the top (run it with [`Self::search_step`] or
    /// [`Self::search_all`]).
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
        self.frontier = Some(0);
        true
    }

    /// Searches the whole text at once.
    pub fn search_all(&mut self, text: &Rope) {
        self.occurrences = Selection::new();
        self.frontier = None;
        self.search(text, 0, text.len());
    }

    /// Searches what is left of an incremental search at once (find all,
    /// replace all need every match).
    pub fn finish(&mut self, text: &Rope) {
        if let Some(from) = self.frontier.take() {
            self.search(text, from, text.len());
        }
    }

    /// Searches the next `max_bytes` (rounded to a line end) of an incremental
    /// search; returns the byte range searched, `None` when nothing was left.
    pub fn search_step(&mut self, text: &Rope, max_bytes: usize) -> Option<(usize, usize)> {
        let from = self.frontier?;
        let len = text.len();
        let target = from.saturating_add(max_bytes).min(len);
        let target = text.at_or_next_codepoint_boundary(target).unwrap_or(len);
        let mut to = if target >= len {
            len
        } else {
            offset_of_line(text, line_of_offset(text, target) + 1)
        };
        if to - from > max_bytes.saturating_mul(4) {
            // one huge line: cut it (a match across the cut is still found, as
            // long as it starts before it; a regex sees the cut as a line start)
            to = target;
        }
        self.search(text, from, to);
        self.frontier = (to < len).then_some(to);
        Some((from, to))
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

    /// Adds the matches that start in `start..end`. Only a bounded slice of the
    /// text is read: up to the end of the line at `end` plus the pattern's length
    /// (plain text) or [`MATCH_REACH`] (regex).
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
        let reach = if self.regex.is_some() {
            MATCH_REACH
        } else {
            pat.len()
        };
        let reach_end = to.saturating_add(reach).min(text.len());
        let slice_end = if self.regex.is_some() && reach_end < text.len() {
            // whole lines, so `$` and line-wise regexes see the line end
            offset_of_line(text, line_of_offset(text, reach_end) + 1)
        } else {
            text.at_or_next_codepoint_boundary(reach_end)
                .unwrap_or(text.len())
        };
        let slice = text.slice(from..slice_end);
        let mut cursor = Cursor::new(&slice, 0);
        let mut lines = slice.lines_raw(0..slice.len());
        while let Some(s) = find(&mut cursor, &mut lines, cm, &pat, self.regex.as_ref()) {
            let e = cursor.pos() + from;
            let s = s + from;
            if s >= to && !(s == to && to == from) {
                break;
            }
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
                match slice.next_codepoint_offset(s - from) {
                    Some(n) if n < slice.len() => cursor.set(n),
                    _ => break,
                }
            }
            lines = slice.lines_raw(cursor.pos()..slice.len());
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
        // where the search goes on, in the new text
        let frontier = self.frontier.map(|f| {
            if f <= iv.start() {
                f
            } else if f >= iv.end() {
                f - (iv.end() - iv.start()) + new_len
            } else {
                line_start
            }
        });
        if multiline {
            // a match may now start anywhere from the edited line on: search
            // again from there, incrementally
            occ.delete_range(line_start, text.len(), false);
            self.occurrences = occ;
            self.frontier = Some(frontier.map_or(line_start, |f| f.min(line_start)));
            self.search_step(text, STEP_BYTES);
        } else {
            occ.delete_range(line_start, line_end, false);
            self.occurrences = occ;
            self.frontier = frontier;
            self.search(text, line_start, line_end);
        }
    }

    /// Whether `start..end` is one of this query's matches.
    pub fn has_match(&self, start: usize, end: usize) -> bool {
        self.occurrences
            .regions_in_range(start, end)
            .iter()
            .any(|r| r.min() == start && r.max() == end)
    }

    /// The text that replaces the match `start..end` of `text`. For a regex
    /// query the template's `$1` / `${1}`, `$name` / `${name}` and `\1` insert
    /// the match's capture groups (`$0` the whole match, `$$` a `$`; a group that
    /// did not take part is empty); otherwise the template is inserted as it is.
    pub fn replacement(&self, text: &Rope, start: usize, end: usize, template: &str) -> String {
        let Some(re) = &self.regex else {
            return template.to_string();
        };
        let template = backslash_groups_as_dollars(template);
        let mut out = String::new();
        // the match with its line around it, so anchors see what the search saw
        let ctx_start = offset_of_line(text, line_of_offset(text, start));
        let ctx_end = offset_of_line(text, line_of_offset(text, end) + 1).max(end);
        let context = text.slice_to_cow(ctx_start..ctx_end);
        let at = start - ctx_start;
        if let Some(caps) = re.captures_at(&context, at)
            && caps
                .get(0)
                .is_some_and(|m| m.start() == at && m.end() == end - ctx_start)
        {
            caps.expand(&template, &mut out);
            return out;
        }
        let matched = text.slice_to_cow(start..end);
        match re.captures(&matched) {
            Some(caps) => caps.expand(&template, &mut out),
            None => out.push_str(&template),
        }
        out
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
                counting: self.is_counting(),
            };
        }
        let lines: Vec<usize> = self
            .occurrences
            .iter()
            .take(MAX_STATUS_LINES)
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
            counting: self.is_counting(),
        }
    }
}

/// A replacement template in the regex crate's syntax: `\1` and `$1` become
/// `${1}`, so a group number may be followed by letters (`$1px` is group 1 then
/// `px`, where the crate would read a group named `1px`); `$$` and other
/// backslashes stay as they are.
fn backslash_groups_as_dollars(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                out.push_str("$$");
            }
            '\\' | '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    out.push(d);
                }
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out
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

    #[test]
    fn regex_replacements_insert_capture_groups() {
        let t = Rope::from("let width = 3;\nlet height = 4;\n");
        let mut f = Find::new(1);
        f.set(r"let (?P<name>\w+) = (\d+)", true, true, false);
        f.search_all(&t);
        let (s, e) = occ(&f)[1];
        assert_eq!(
            f.replacement(&t, s, e, "const $1: u32 = $2"),
            "const height: u32 = 4"
        );
        assert_eq!(f.replacement(&t, s, e, "${name}_px=${2}0"), "height_px=40");
        assert_eq!(f.replacement(&t, s, e, "$2px $name"), "4px height");
        assert_eq!(
            f.replacement(&t, s, e, r"\2 \1 $$1 $0"),
            "4 height $1 let height = 4"
        );
        let mut plain = Find::new(2);
        plain.set("width", true, false, false);
        plain.search_all(&t);
        let (s, e) = occ(&plain)[0];
        assert_eq!(
            plain.replacement(&t, s, e, "$1 \\1"),
            "$1 \\1",
            "plain text stays literal"
        );
    }

    /// `f`'s matches when its incremental search runs in slices of `step` bytes.
    fn stepped(f: &mut Find, t: &Rope, step: usize) -> Vec<(usize, usize)> {
        let mut steps = 0;
        while f.search_step(t, step).is_some() {
            steps += 1;
            assert!(steps <= t.len() + 1, "the search always moves on");
        }
        assert!(!f.is_counting());
        occ(f)
    }

    #[test]
    fn a_search_in_small_slices_finds_what_one_whole_search_finds() {
        let t =
            Rope::from("aaa Foo foo\nfoofoo xfoo foo_bar\n\nFOO foo\u{e9}foo\nlast foo\nfo\no foo");
        for (pat, case, regex, words) in [
            ("foo", false, false, false),
            ("foo", true, false, true),
            ("aa", false, false, false),
            ("o\nf", false, false, false),
            ("f.o$", false, true, false),
            ("^foo", true, true, false),
            ("o\\nf", false, true, false),
            ("\\bfoo\\b", false, true, false),
        ] {
            let mut whole = Find::new(1);
            whole.set(pat, case, regex, words);
            whole.search_all(&t);
            // a regex sees a cut inside a line (only made in lines longer than
            // four steps) as a line start: regexes are stepped along whole lines
            let steps: &[usize] = if regex {
                &[6, 8, 13, 64]
            } else {
                &[1, 2, 3, 5, 8, 13, 64]
            };
            for &step in steps {
                let mut f = Find::new(1);
                assert!(f.set(pat, case, regex, words));
                assert!(f.is_counting(), "a new query starts a search");
                assert_eq!(
                    stepped(&mut f, &t, step),
                    occ(&whole),
                    "{pat:?} in steps of {step}"
                );
            }
        }
    }

    #[test]
    fn a_new_query_replaces_the_running_search() {
        let t = Rope::from("ab\n".repeat(1000) + "abc\n");
        let mut f = Find::new(1);
        f.set("ab", false, false, false);
        f.search_step(&t, 100);
        assert!(f.is_counting());
        assert!(f.occurrences().len() > 10);
        assert!(f.set("abc", false, false, false));
        assert!(
            f.occurrences().is_empty(),
            "nothing of the old query is kept"
        );
        assert_eq!(f.frontier(), Some(0), "the new search starts at the top");
        assert_eq!(stepped(&mut f, &t, 100), vec![(3000, 3003)]);
    }

    #[test]
    fn edits_while_a_search_runs_keep_its_matches_exact() {
        let base = "foo bar\n".repeat(200);
        for (pat, regex) in [("foo", false), ("fo+", true)] {
            for at in [0, 5, 700, 1590] {
                let t = Rope::from(base.as_str());
                let mut f = Find::new(1);
                f.set(pat, false, regex, false);
                f.search_step(&t, 600);
                assert!(f.is_counting());
                // type "foo" at `at`, then delete a line's worth before it
                let mut b = DeltaBuilder::new(t.len());
                b.replace(Interval::new(at, at), Rope::from("foo"));
                let d = b.build();
                let t2 = d.apply(&t);
                f.update_after_edit(&t2, &d);
                let mut b = DeltaBuilder::new(t2.len());
                b.delete(Interval::new(at.saturating_sub(8), at));
                let d = b.build();
                let t3 = d.apply(&t2);
                f.update_after_edit(&t3, &d);
                let mut whole = Find::new(1);
                whole.set(pat, false, regex, false);
                whole.search_all(&t3);
                assert_eq!(
                    stepped(&mut f, &t3, 600),
                    occ(&whole),
                    "{pat} edited at {at}"
                );
            }
        }
    }
}
