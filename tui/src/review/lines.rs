//! What an open hunk's rows show: the buffer lines it removes, and the lines it adds as
//! they will read once it is applied (a hunk covering part of a line keeps the rest of
//! that line around its new text), plus the changed words of each removed / added pair
//! (`proposal::hunk_words`: the words drawn emphasised).

use std::cell::RefCell;
use std::collections::HashMap;

use symphony_conductor::proposal::{HunkWords, hunk_words};

use super::{LiveHunk, Review};
use crate::app::ViewData;

/// One open hunk as the widget draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkRows {
    /// The hunk.
    pub hunk: LiveHunk,
    /// The lines it adds, whole (without line breaks).
    pub added: Vec<String>,
}

/// The open hunks of `review`, in buffer order, with their added lines.
pub fn plan(review: &Review, data: &ViewData) -> Vec<HunkRows> {
    review
        .open_hunks()
        .into_iter()
        .map(|hunk| HunkRows {
            added: added_lines(data, &hunk),
            hunk,
        })
        .collect()
}

/// Buffer line `line` without its line break ("" when not in the cache).
pub fn line_text(data: &ViewData, line: usize) -> &str {
    data.cache
        .get(line)
        .map(|l| l.text.as_str())
        .unwrap_or_default()
}

/// The changed words of the hunk's paired lines (the removed lines as the cache holds them
/// now, so the ranges match what is drawn), from `cache` when its lines have not changed.
pub fn words(data: &ViewData, rows: &HunkRows, cache: &WordCache) -> HunkWords {
    let removed: Vec<&str> = rows
        .hunk
        .removed_lines()
        .map(|l| line_text(data, l))
        .collect();
    let mut cache = cache.0.borrow_mut();
    if let Some(c) = cache.get(&rows.hunk.index)
        && c.removed == removed
        && c.added == rows.added
    {
        return c.words.clone();
    }
    let added: Vec<&str> = rows.added.iter().map(String::as_str).collect();
    let words = hunk_words(&removed, &added);
    cache.insert(
        rows.hunk.index,
        Cached {
            removed: removed.into_iter().map(str::to_owned).collect(),
            added: rows.added.clone(),
            words: words.clone(),
        },
    );
    words
}

/// The word diffs of a review's hunks, kept between frames (a hunk is diffed again only
/// when its lines change).
#[derive(Debug, Clone, Default)]
pub struct WordCache(RefCell<HashMap<usize, Cached>>);

impl PartialEq for WordCache {
    /// A cache: any two are alike.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// One hunk's word diff and the lines it was computed from.
#[derive(Debug, Clone)]
pub struct Cached {
    removed: Vec<String>,
    added: Vec<String>,
    words: HunkWords,
}

/// Splits `text` into lines: one trailing line break ends the last line (it does not start
/// an empty one), `\r` before a break is dropped.
fn split_lines(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
        .collect()
}

/// The hunk's added lines as they will read: the start of its first line before it, its
/// new text, the rest of its last line after it. A pure insertion shows its new text; when
/// the cache no longer matches the hunk's old text (the user typed, a rebase is on its
/// way) the new text alone is shown until the rebase answers.
pub fn added_lines(data: &ViewData, h: &LiveHunk) -> Vec<String> {
    if h.old_text.is_empty() {
        return split_lines(&h.new_text);
    }
    match edges(data, h) {
        Some((before, after)) => split_lines(&format!("{before}{}{after}", h.new_text)),
        None => split_lines(&h.new_text),
    }
}

/// The text of the hunk's first line before it and of its last line after it, checked
/// against the hunk's old text (the cache holds lines without their line breaks).
fn edges<'a>(data: &'a ViewData, h: &LiveHunk) -> Option<(&'a str, &'a str)> {
    let old = h.old_text.as_str();
    let first = data.cache.get(h.first_line)?.text.as_str();
    match old.find('\n') {
        // Several lines: the old text's first line is the end of the buffer's first line,
        // its last (partial) line the start of the buffer's last line.
        Some(i) => {
            let head = old[..i].strip_suffix('\r').unwrap_or(&old[..i]);
            let col = first.len().checked_sub(head.len())?;
            if !first.is_char_boundary(col) || first[col..] != *head {
                return None;
            }
            let after = match old.rfind('\n') {
                Some(j) if j + 1 == old.len() => "",
                Some(j) => {
                    let tail = &old[j + 1..];
                    let last_line = h.first_line + old.matches('\n').count();
                    let last = data.cache.get(last_line)?.text.as_str();
                    last.strip_prefix(tail)?
                }
                None => "",
            };
            Some((&first[..col], after))
        }
        // Part of one line: where in it (by offset when the text is there twice).
        None => {
            let cols: Vec<usize> = first.match_indices(old).map(|(c, _)| c).collect();
            let col = match cols.as_slice() {
                [] => return None,
                [only] => *only,
                [head, ..] => line_start(data, h.first_line)
                    .and_then(|s| h.start.checked_sub(s))
                    .filter(|c| cols.contains(c))
                    .unwrap_or(*head),
            };
            Some((&first[..col], &first[col + old.len()..]))
        }
    }
}

/// Byte offset of the start of `line`, when every line above it is in the cache (and ends
/// with `\n` alone).
fn line_start(data: &ViewData, line: usize) -> Option<usize> {
    (0..line).try_fold(0, |acc, l| Some(acc + data.cache.get(l)?.text.len() + 1))
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // ranges of changed words
mod tests {
    use super::*;
    use symphony_conductor::proposal::HunkState;
    use symphony_protocol::xi::Update;

    fn data(lines: &[&str]) -> ViewData {
        let mut d = ViewData::new(None);
        let lines: Vec<serde_json::Value> = lines
            .iter()
            .map(|t| serde_json::json!({"text": t}))
            .collect();
        let update: Update = serde_json::from_value(serde_json::json!({
            "ops": [{"op": "ins", "n": lines.len(), "lines": lines}], "pristine": true
        }))
        .expect("update");
        d.cache.apply(&update);
        d
    }

    fn hunk(text: &str, start: usize, old: &str, new: &str) -> LiveHunk {
        LiveHunk {
            index: 0,
            first_line: text[..start].matches('\n').count(),
            start,
            old_text: old.into(),
            new_text: new.into(),
            state: HunkState::Pending,
        }
    }

    #[test]
    fn a_hunk_inside_a_line_keeps_the_rest_of_the_line() {
        let lines = ["fn f() {\n", "    a + b\n", "}\n"];
        let (d, text) = (data(&lines), lines.concat());
        let at = text.find("a + b").expect("in text");
        let h = hunk(&text, at, "a + b", "a.add(b)");
        assert_eq!(added_lines(&d, &h), ["    a.add(b)"]);
        assert_eq!(h.removed_lines(), 1..2);
        let rows = HunkRows {
            added: added_lines(&d, &h),
            hunk: h,
        };
        let cache = WordCache::default();
        let w = words(&d, &rows, &cache);
        assert_eq!(words(&d, &rows, &cache), w, "the same from the cache");
        assert_eq!(w.removed, vec![Some(vec![5..8])], "` + `");
        assert_eq!(w.added, vec![Some(vec![5..10, 11..12])], "`.add(` and `)`");
    }

    #[test]
    fn a_hunk_across_lines_keeps_the_start_and_the_end() {
        let lines = ["let x = (1,\n", "  2);\n"];
        let (d, text) = (data(&lines), lines.concat());
        let at = text.find("1,").expect("in text");
        let h = hunk(&text, at, "1,\n  2", "3,\n  4");
        assert_eq!(added_lines(&d, &h), ["let x = (3,", "  4);"]);
        // The same text twice on the line: the offset decides.
        let lines = ["x\n", "a = a\n"];
        let (d, text) = (data(&lines), lines.concat());
        let h = hunk(&text, 6, "a", "b");
        assert_eq!(added_lines(&d, &h), ["a = b"]);
    }

    #[test]
    fn whole_lines_blank_lines_and_a_stale_cache() {
        let lines = ["x\n", "\n", "\n", "y\n"];
        let (d, text) = (data(&lines), lines.concat());
        let h = hunk(&text, 2, "\n\n", "\n");
        assert_eq!(h.removed_lines(), 1..3, "two blank lines removed");
        assert_eq!(added_lines(&d, &h), [""], "one blank line added");
        let h = hunk(&text, 0, "x\n", "z\r\n\n");
        assert_eq!(added_lines(&d, &h), ["z", ""]);
        let h = hunk(&text, 0, "gone\n", "new\n");
        assert_eq!(added_lines(&d, &h), ["new"], "the old text is not there");
    }
}
