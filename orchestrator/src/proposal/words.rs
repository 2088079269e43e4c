//! Word-level changes inside a hunk, for drawing it the way delta, VS Code or GitHub do:
//! the hunk's removed and added lines are paired up, and each pair's token diff marks the
//! words that changed so they can be emphasised inside the softer line colour.
//!
//! Tokens are identifier runs (Unicode letters, digits and `_`), whitespace runs (tabs
//! included) and single other characters. A pair is shown whole (no emphasis) when either
//! line is longer than [`MAX_LINE_BYTES`] or when more than [`MAX_CHANGED`] of the pair's
//! characters changed, as delta does: emphasis on nearly everything helps nobody.

use std::ops::Range;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};

/// Lines longer than this (in bytes) are shown whole.
pub const MAX_LINE_BYTES: usize = 1000;

/// A pair in which a larger share of the characters (of both lines together) changed is
/// shown whole.
pub const MAX_CHANGED: f64 = 0.6;

/// How many added lines past the last pair a removed line looks at for its partner when
/// the hunk removes and adds different numbers of lines.
const LOOKAHEAD: usize = 16;

/// How many line pairs one hunk compares at most: the lines past that budget (a rewrite of
/// thousands of lines) are shown whole.
const MAX_COMPARISONS: usize = 2000;

/// How long one token diff may take before settling for a coarser (still correct) answer.
const DEADLINE: Duration = Duration::from_millis(3);

/// The changed byte ranges of a removed line and of the added line it pairs with (sorted,
/// non-overlapping, on char boundaries; empty when the two lines are equal).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineChanges {
    /// Ranges of the removed line that are not in the added one.
    pub removed: Vec<Range<usize>>,
    /// Ranges of the added line that are not in the removed one.
    pub added: Vec<Range<usize>>,
}

/// The emphasis of one hunk: for each removed line and each added line (in order), the
/// changed ranges when the line is paired with one on the other side, `None` when it is
/// shown whole (a pure insertion or deletion, a line too long, a pair too different).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HunkWords {
    /// One entry per removed line.
    pub removed: Vec<Option<Vec<Range<usize>>>>,
    /// One entry per added line.
    pub added: Vec<Option<Vec<Range<usize>>>>,
}

/// Splits `line` into tokens: identifier runs, whitespace runs and single other characters.
/// The tokens concatenate back to `line`.
///
/// ```
/// use symphony_conductor::proposal::tokens;
/// assert_eq!(tokens("\tlet café = f(x_1);"),
///     ["\t", "let", " ", "café", " ", "=", " ", "f", "(", "x_1", ")", ";"]);
/// ```
pub fn tokens(line: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Kind {
        Word,
        Space,
        Other,
    }
    let kind = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Kind::Word
        } else if c.is_whitespace() {
            Kind::Space
        } else {
            Kind::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut last: Option<Kind> = None;
    for (i, c) in line.char_indices() {
        let k = kind(c);
        if let Some(prev) = last
            && (k != prev || k == Kind::Other)
        {
            out.push(&line[start..i]);
            start = i;
        }
        last = Some(k);
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// The token diff of a removed line and an added line, or `None` when the pair should be
/// shown whole: either line is longer than [`MAX_LINE_BYTES`], or more than [`MAX_CHANGED`]
/// of their characters changed. Changed ranges separated only by whitespace are merged into
/// one (a changed phrase reads as one span).
///
/// ```
/// use symphony_conductor::proposal::word_diff;
/// let c = word_diff("let total = a + b;", "let total = a - b;").unwrap();
/// assert_eq!((c.removed, c.added), (vec![14..15], vec![14..15]));
/// assert!(word_diff("a + b", "x.checked_add(y).expect(\"overflow\")").is_none());
/// ```
pub fn word_diff(old: &str, new: &str) -> Option<LineChanges> {
    if old.len() > MAX_LINE_BYTES || new.len() > MAX_LINE_BYTES {
        return None;
    }
    let (a, b) = (tokens(old), tokens(new));
    let starts = |t: &[&str]| {
        let mut at = 0;
        let mut out = Vec::with_capacity(t.len() + 1);
        out.push(0);
        for s in t {
            at += s.len();
            out.push(at);
        }
        out
    };
    let total = old.chars().count() + new.chars().count();
    if !may_be_similar(&a, &b, total) {
        return None;
    }
    let (sa, sb) = (starts(&a), starts(&b));
    let chars = |t: &[&str], r: Range<usize>| t[r].iter().map(|s| s.chars().count()).sum::<usize>();
    let mut changes = LineChanges::default();
    let mut changed = 0;
    let deadline = Instant::now().checked_add(DEADLINE);
    for op in capture_diff_slices_deadline(Algorithm::Myers, &a, &b, deadline) {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        changed += chars(&a, o.clone()) + chars(&b, n.clone());
        if !o.is_empty() {
            changes.removed.push(sa[o.start]..sa[o.end]);
        }
        if !n.is_empty() {
            changes.added.push(sb[n.start]..sb[n.end]);
        }
    }
    if total > 0 && changed as f64 > MAX_CHANGED * total as f64 {
        return None;
    }
    changes.removed = merge_across_spaces(old, changes.removed);
    changes.added = merge_across_spaces(new, changes.added);
    Some(changes)
}

/// Whether the two token lists can share enough characters for the pair to be shown word
/// by word: the tokens they have in common, counted as a bag (order ignored), bound what a
/// diff can leave unchanged. Cheap: it spares the diff of most unrelated pairs.
fn may_be_similar(a: &[&str], b: &[&str], total_chars: usize) -> bool {
    let mut bag: HashMap<&str, usize> = HashMap::with_capacity(a.len());
    for t in a {
        *bag.entry(t).or_default() += 1;
    }
    let mut shared = 0;
    for t in b {
        if let Some(n) = bag.get_mut(t)
            && *n > 0
        {
            *n -= 1;
            shared += 2 * t.chars().count();
        }
    }
    let changed_at_least = total_chars - shared;
    total_chars == 0 || changed_at_least as f64 <= MAX_CHANGED * total_chars as f64
}

/// Joins sorted ranges of `line` whose gap is empty or only whitespace.
fn merge_across_spaces(line: &str, ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if line[last.end..r.start].chars().all(char::is_whitespace) => {
                last.end = r.end;
            }
            _ => out.push(r),
        }
    }
    out
}

/// Pairs a hunk's removed lines with its added lines and diffs each pair by words.
///
/// With as many added lines as removed ones, line `i` pairs with line `i`. Otherwise each
/// removed line, in order, pairs with the first added line after the previous pair (looking
/// a few lines ahead) that is similar enough ([`word_diff`] gives changes); the lines left
/// over are pure insertions or deletions. Past 2000 line comparisons (a rewrite of
/// thousands of lines) the remaining lines are shown whole. Lines are given without their
/// line breaks.
///
/// ```
/// use symphony_conductor::proposal::hunk_words;
/// let w = hunk_words(&["    let x = 1;"], &["    // TODO: explain the magic number", "    let x = 42;"]);
/// assert_eq!(w.added[0], None);
/// assert_eq!(w.added[1], Some(vec![12..14]));
/// assert_eq!(w.removed[0], Some(vec![12..13]));
/// ```
pub fn hunk_words(removed: &[&str], added: &[&str]) -> HunkWords {
    let mut out = HunkWords {
        removed: vec![None; removed.len()],
        added: vec![None; added.len()],
    };
    if removed.len() == added.len() {
        for (i, (old, new)) in removed.iter().zip(added).enumerate().take(MAX_COMPARISONS) {
            if let Some(c) = word_diff(old, new) {
                out.removed[i] = Some(c.removed);
                out.added[i] = Some(c.added);
            }
        }
        return out;
    }
    let mut next = 0;
    let mut budget = MAX_COMPARISONS;
    'lines: for (i, old) in removed.iter().enumerate() {
        for (k, new) in added.iter().enumerate().skip(next).take(LOOKAHEAD) {
            if budget == 0 {
                break 'lines;
            }
            budget -= 1;
            if let Some(c) = word_diff(old, new) {
                out.removed[i] = Some(c.removed);
                out.added[k] = Some(c.added);
                next = k + 1;
                break;
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // ranges of changed words
mod tests {
    use super::*;

    fn spans<'a>(line: &'a str, ranges: &[Range<usize>]) -> Vec<&'a str> {
        ranges.iter().map(|r| &line[r.clone()]).collect()
    }

    #[test]
    fn tokens_split_words_spaces_and_punctuation() {
        assert_eq!(tokens(""), Vec::<&str>::new());
        assert_eq!(tokens("a::b"), ["a", ":", ":", "b"]);
        assert_eq!(tokens("  \t x"), ["  \t ", "x"]);
        assert_eq!(tokens("日本語 テキスト"), ["日本語", " ", "テキスト"]);
        assert_eq!(tokens("é+ü"), ["é", "+", "ü"]);
        assert_eq!(tokens("😀😀"), ["😀", "😀"]);
        for s in ["fn a(b: &str) -> Ok<()> {", "\t日本 x\u{1}y", "  "] {
            assert_eq!(tokens(s).concat(), s);
        }
    }

    #[test]
    fn one_changed_word_is_the_only_span_on_both_sides() {
        let (old, new) = (
            "    let total = price * count;",
            "    let total = price * amount;",
        );
        let c = word_diff(old, new).expect("similar");
        assert_eq!(spans(old, &c.removed), ["count"]);
        assert_eq!(spans(new, &c.added), ["amount"]);
    }

    #[test]
    fn non_ascii_spans_are_on_char_boundaries() {
        let (old, new) = ("let s = \"café crème\";", "let s = \"café brûlée\";");
        let c = word_diff(old, new).expect("similar");
        assert_eq!(spans(old, &c.removed), ["crème"]);
        assert_eq!(spans(new, &c.added), ["brûlée"]);
        let (old, new) = ("名前 = 日本", "名前 = 東京");
        let c = word_diff(old, new).expect("similar");
        assert_eq!(spans(new, &c.added), ["東京"]);
    }

    #[test]
    fn tabs_are_whitespace_tokens() {
        let (old, new) = ("\tx = 1", "\t\tx = 1");
        let c = word_diff(old, new).expect("similar");
        assert_eq!(spans(old, &c.removed), ["\t"]);
        assert_eq!(spans(new, &c.added), ["\t\t"]);
        let c = word_diff("\tfoo(a)\t// x", "\tfoo(b)\t// x").expect("similar");
        assert_eq!((c.removed, c.added), (vec![5..6], vec![5..6]));
    }

    #[test]
    fn a_pure_insertion_of_words_marks_only_the_added_line() {
        let (old, new) = ("call(a, b)", "call(a, b, c)");
        let c = word_diff(old, new).expect("similar");
        assert!(c.removed.is_empty());
        assert_eq!(spans(new, &c.added), [", c"]);
    }

    #[test]
    fn changed_words_separated_by_spaces_make_one_span() {
        let (old, new) = ("x = red green blue;", "x = one two blue;");
        let c = word_diff(old, new).expect("similar");
        assert_eq!(spans(old, &c.removed), ["red green"]);
        assert_eq!(spans(new, &c.added), ["one two"]);
    }

    #[test]
    fn very_different_or_very_long_pairs_are_shown_whole() {
        assert!(word_diff("return a + b;", "panic!(\"unreachable state\")").is_none());
        let long = format!("let x = [{}];", "1, ".repeat(400));
        let longer = long.replace("];", ", 2];");
        assert!(long.len() > MAX_LINE_BYTES);
        assert!(word_diff(&long, &longer).is_none());
        assert_eq!(word_diff("same", "same"), Some(LineChanges::default()));
        assert_eq!(word_diff("", ""), Some(LineChanges::default()));
    }

    #[test]
    fn equal_counts_pair_line_by_line_and_others_by_similarity() {
        let w = hunk_words(&["a = 1", "b = 2"], &["a = 10", "b = 20"]);
        assert_eq!(w.removed, vec![Some(vec![4..5]), Some(vec![4..5])]);
        assert_eq!(w.added, vec![Some(vec![4..6]), Some(vec![4..6])]);
        // A new line in the middle stays whole; the others pair around it.
        let w = hunk_words(
            &["first(one)", "second(two)"],
            &["first(uno)", "completely unrelated text!", "second(dos)"],
        );
        assert_eq!(w.added[1], None);
        assert_eq!(w.added[0], Some(vec![6..9]));
        assert_eq!(w.added[2], Some(vec![7..10]));
        assert_eq!(w.removed, vec![Some(vec![6..9]), Some(vec![7..10])]);
        // A rewrite of thousands of lines: the first ones word by word, the rest whole.
        let old: Vec<String> = (0..3000).map(|i| format!("let v{i} = {i};")).collect();
        let mut new: Vec<String> = old.iter().map(|l| l.replace(" = ", " := ")).collect();
        new.insert(0, "// header".into());
        let (old, new): (Vec<&str>, Vec<&str>) = (
            old.iter().map(String::as_str).collect(),
            new.iter().map(String::as_str).collect(),
        );
        let w = hunk_words(&old, &new);
        assert_eq!(w.added[0], None);
        assert!(w.added[1].is_some() && w.removed[0].is_some());
        assert_eq!(w.removed[2999], None, "past the budget");
        // Pure insertions and deletions stay whole.
        assert_eq!(hunk_words(&[], &["x"]).added, vec![None]);
        assert_eq!(hunk_words(&["x"], &[]).removed, vec![None]);
    }
}
