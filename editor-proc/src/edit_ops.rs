//! Edit operations as pure functions: (text, selection, settings) -> delta.
//! Nothing here changes state; `core` applies the deltas in one place.

use std::collections::BTreeSet;

use xi_rope::{Cursor, DeltaBuilder, Interval, LinesMetric, Rope, RopeDelta};

use crate::movement::{Movement, region_movement};
use crate::selection::{SelRegion, Selection};
use crate::text::{
    line_col_to_offset, line_of_offset, offset_of_line, offset_to_line_col, select_word,
};

/// Settings the edit operations read.
#[derive(Debug, Clone)]
pub struct EditSettings {
    /// Columns per tab stop.
    pub tab_size: usize,
    /// Insert spaces instead of `\t`.
    pub translate_tabs_to_spaces: bool,
    /// Backspace in leading spaces deletes to the previous tab stop.
    pub use_tab_stops: bool,
    /// New lines copy the indentation of the current line.
    pub auto_indent: bool,
    /// Pairs that surround a selection when their opening char is typed.
    pub surrounding_pairs: Vec<(String, String)>,
    /// Pairs whose closer is added when the opener is typed (and typed over, and deleted
    /// with it by backspace): `auto_close_pairs`; empty turns auto-closing off.
    pub auto_close_pairs: Vec<(char, char)>,
    /// Indent one level after a line ending in one of `indent_after`, and put a closer
    /// typed on a blank line at its opener's indentation.
    pub smart_indent: bool,
    /// The characters that open an indented block at a line's end (`:` for Python).
    pub indent_after: Vec<char>,
    /// What starts a comment to the line's end (`//`, Python's `#`): no closer is
    /// added inside one, nor inside a string.
    pub line_comments: Vec<String>,
}

impl Default for EditSettings {
    fn default() -> Self {
        EditSettings {
            tab_size: 4,
            translate_tabs_to_spaces: true,
            use_tab_stops: true,
            auto_indent: true,
            surrounding_pairs: vec![
                ("\"".into(), "\"".into()),
                ("'".into(), "'".into()),
                ("{".into(), "}".into()),
                ("[".into(), "]".into()),
            ],
            auto_close_pairs: vec![('(', ')'), ('[', ']'), ('{', '}'), ('"', '"'), ('\'', '\'')],
            smart_indent: true,
            indent_after: vec!['{', '[', '('],
            line_comments: vec!["//".into()],
        }
    }
}

/// The replacements of one multi-region edit, gathered in any order and turned into one
/// delta. Edits are sorted by position; one that starts inside an earlier kept edit (a
/// caret's computed span reaching into a neighbouring region's) is dropped, so the delta
/// is always well formed: `DeltaBuilder` needs sorted, non-overlapping intervals.
struct Edits {
    len: usize,
    list: Vec<(usize, usize, Rope)>,
}

impl Edits {
    fn new(text: &Rope) -> Self {
        Edits {
            len: text.len(),
            list: Vec::new(),
        }
    }

    /// Replaces `range` by `with` (an insertion when the range is empty).
    fn replace(&mut self, range: std::ops::Range<usize>, with: Rope) {
        self.list.push((range.start, range.end, with));
    }

    /// Deletes `range`.
    fn delete(&mut self, range: std::ops::Range<usize>) {
        self.replace(range, Rope::default());
    }

    /// The delta of every edit that does not overlap an earlier one.
    fn build(mut self) -> RopeDelta {
        // stable: insertions at one point keep the order they were given in
        self.list.sort_by_key(|&(start, end, _)| (start, end));
        let mut b = DeltaBuilder::new(self.len);
        let mut last = 0;
        for (start, end, with) in self.list {
            if start < last || end > self.len {
                tracing::debug!(start, end, last, "overlapping edit dropped");
                continue;
            }
            b.replace(Interval::new(start, end), with);
            last = end;
        }
        b.build()
    }
}

/// Replaces every region with `chars`.
pub fn insert(text: &Rope, sel: &[SelRegion], chars: &str) -> RopeDelta {
    let rope = Rope::from(chars);
    let mut b = Edits::new(text);
    for r in sel {
        b.replace(r.min()..r.max(), rope.clone());
    }
    b.build()
}

/// Puts `before` and `after` around every region.
pub fn surround(text: &Rope, sel: &[SelRegion], before: &str, after: &str) -> RopeDelta {
    let mut b = Edits::new(text);
    for r in sel {
        b.replace(r.min()..r.min(), Rope::from(before));
        b.replace(r.max()..r.max(), Rope::from(after));
    }
    b.build()
}

/// Paste: with as many lines as carets, one line per caret; otherwise the whole text everywhere.
pub fn paste(text: &Rope, sel: &[SelRegion], chars: &str) -> RopeDelta {
    let lines: Vec<&str> = chars.lines().collect();
    if sel.len() == 1 || sel.len() != lines.len() {
        return insert(text, sel, chars);
    }
    let mut b = Edits::new(text);
    for (r, line) in sel.iter().zip(lines) {
        b.replace(r.min()..r.max(), Rope::from(line));
    }
    b.build()
}

fn delete_regions(text: &Rope, regions: &[SelRegion]) -> RopeDelta {
    let mut b = Edits::new(text);
    for r in regions {
        if r.min() < r.max() {
            b.delete(r.min()..r.max());
        }
    }
    b.build()
}

/// Deletes the selected text of every region (cut).
pub fn delete_selection(text: &Rope, sel: &[SelRegion]) -> RopeDelta {
    delete_regions(text, sel)
}

/// Where backspace starts deleting for a caret at `offset`.
fn backspace_start(text: &Rope, offset: usize, s: &EditSettings) -> usize {
    let Some(prev) = text.prev_grapheme_offset(offset) else {
        return offset;
    };
    if s.use_tab_stops && s.translate_tabs_to_spaces && s.tab_size > 1 {
        let (_, col) = offset_to_line_col(text, offset);
        if col > 0 {
            let to_stop = (col - 1) % s.tab_size + 1;
            let lead = text.slice_to_cow(offset - col..offset);
            if to_stop > 1 && lead.bytes().all(|c| c == b' ') {
                return offset - to_stop;
            }
        }
    }
    prev
}

/// Backspace: deletes each selection, or the grapheme (or indent step) before each caret.
pub fn delete_backward(text: &Rope, sel: &[SelRegion], s: &EditSettings) -> RopeDelta {
    let mut dels = Selection::new();
    for r in sel {
        let (start, end) = if !r.is_caret() {
            (r.min(), r.max())
        } else if let Some(pair) = crate::typing::pair_backspace(text, r.end, s) {
            pair
        } else {
            (backspace_start(text, r.end, s), r.end)
        };
        dels.add_region(SelRegion::new(start, end));
    }
    delete_regions(text, &dels)
}

/// Deletes from each caret to where `m` takes it (selections are deleted as they are).
/// Returns the delta and the deleted text (for the kill ring).
pub fn delete_by_movement(
    text: &Rope,
    sel: &[SelRegion],
    m: Movement,
    page: usize,
) -> (RopeDelta, String) {
    let mut dels = Selection::new();
    for &r in sel {
        if r.is_caret() {
            dels.add_region(region_movement(m, r, text, page, true));
        } else {
            dels.add_region(r);
        }
    }
    let killed = extract(text, &dels).unwrap_or_default();
    (delete_regions(text, &dels), killed)
}

/// The selected text of every non-empty region, joined by newlines; `None` when nothing is selected.
pub fn extract(text: &Rope, sel: &[SelRegion]) -> Option<String> {
    let mut out: Option<String> = None;
    for r in sel.iter().filter(|r| !r.is_caret()) {
        let s = text.slice_to_cow(r.min()..r.max());
        match out.as_mut() {
            None => out = Some(s.into_owned()),
            Some(o) => {
                o.push('\n');
                o.push_str(&s);
            }
        }
    }
    out
}

fn tab_text(s: &EditSettings, width: usize) -> String {
    if s.translate_tabs_to_spaces {
        " ".repeat(width.max(1))
    } else {
        "\t".into()
    }
}

fn lines_of(text: &Rope, r: &SelRegion) -> std::ops::Range<usize> {
    let first = line_of_offset(text, r.min());
    let (last, col) = offset_to_line_col(text, r.max());
    let end = if last > first && col == 0 {
        last
    } else {
        last + 1
    };
    first..end
}

/// Tab: spaces to the next tab stop at carets; indents every line of multi-line selections.
pub fn insert_tab(text: &Rope, sel: &[SelRegion], s: &EditSettings) -> RopeDelta {
    let mut b = Edits::new(text);
    let full = tab_text(s, s.tab_size);
    for r in sel {
        let lines = lines_of(text, r);
        if lines.len() > 1 {
            for line in lines {
                let o = offset_of_line(text, line);
                b.replace(o..o, Rope::from(full.as_str()));
            }
        } else {
            let (_, col) = offset_to_line_col(text, r.start);
            let w = s.tab_size.max(1) - col % s.tab_size.max(1);
            b.replace(r.min()..r.max(), Rope::from(tab_text(s, w)));
        }
    }
    b.build()
}

/// Indent (`outdent == false`) or outdent every line touched by the selection.
pub fn modify_indent(text: &Rope, sel: &[SelRegion], s: &EditSettings, outdent: bool) -> RopeDelta {
    let mut lines = BTreeSet::new();
    for r in sel {
        lines.extend(lines_of(text, r));
    }
    let tab = tab_text(s, s.tab_size);
    let mut b = Edits::new(text);
    for line in lines {
        let o = offset_of_line(text, line);
        if !outdent {
            b.replace(o..o, Rope::from(tab.as_str()));
            continue;
        }
        let tab_end = line_col_to_offset(text, line, tab.len());
        let lead = text.slice_to_cow(o..tab_end.max(o));
        if lead == tab.as_str() {
            b.delete(o..tab_end);
        } else {
            let n = lead
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .map(char::len_utf8)
                .sum::<usize>();
            if n > 0 {
                b.delete(o..o + n);
            }
        }
    }
    b.build()
}

/// Width in columns of the leading whitespace of `line` (tabs to the next tab stop).
fn indent_width(line: &str, tab_size: usize) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .fold(0, |w, c| {
            if c == '\t' {
                w - w % tab_size + tab_size
            } else {
                w + 1
            }
        })
}

/// Reindent, upstream xi's meaning (its syntect plugin's `reindent` command): every
/// non-blank line touched by the selection gets the indent level of the nearest
/// non-blank line above it (as already reindented), one more when that line ends by
/// opening a block (`{`, `[`, `(` or `:`), one less when this line starts by closing one
/// (`}`, `]`, `)`). Levels are written with the indent unit (`tab_size` spaces or a tab).
/// Blank lines are left alone.
pub fn reindent(text: &Rope, sel: &[SelRegion], s: &EditSettings) -> RopeDelta {
    let mut lines = BTreeSet::new();
    for r in sel {
        lines.extend(lines_of(text, r));
    }
    let tab_size = s.tab_size.max(1);
    let unit = tab_text(s, tab_size);
    let line_text = |l: usize| {
        let start = offset_of_line(text, l);
        (
            start,
            String::from(text.slice_to_cow(start..crate::text::line_end(text, l))),
        )
    };
    // the (level, opens a block) of the last non-blank line seen, reindented or not
    let mut above: Option<(usize, bool)> = None;
    let mut scanned = 0;
    let mut b = Edits::new(text);
    for line in lines {
        // lines between the previous touched line and this one keep their own indent
        for l in scanned..line {
            let (_, t) = line_text(l);
            if !t.trim().is_empty() {
                above = Some((indent_width(&t, tab_size) / tab_size, opens_block(&t)));
            }
        }
        scanned = line + 1;
        let (start, t) = line_text(line);
        let body = t.trim_start_matches([' ', '\t']);
        if body.trim().is_empty() {
            continue;
        }
        let mut level = match above {
            Some((level, true)) => level + 1,
            Some((level, false)) => level,
            None => 0,
        };
        if body.starts_with(['}', ']', ')']) {
            level = level.saturating_sub(1);
        }
        let lead = t.len() - body.len();
        let new_lead = unit.repeat(level);
        if t[..lead] != new_lead {
            b.replace(start..start + lead, Rope::from(new_lead));
        }
        above = Some((level, opens_block(body)));
    }
    b.build()
}

/// Whether a line ends by opening a block.
fn opens_block(line: &str) -> bool {
    line.trim_end().ends_with(['{', '[', '(', ':'])
}

/// Transpose: swaps the graphemes around each caret (the two before it at a line end);
/// rotates the contents of non-empty regions. A caret whose swap would reach into a
/// neighbouring region's edit (a caret at the end of a line just after a selection) is
/// left alone.
pub fn transpose(text: &Rope, sel: &[SelRegion]) -> RopeDelta {
    let mut edits = Edits::new(text);
    let mut prev_sel = sel
        .iter()
        .rev()
        .find(|r| !r.is_caret())
        .map(|r| text.subseq(Interval::new(r.min(), r.max())));
    for r in sel {
        if r.is_caret() {
            let mut middle = r.end;
            let mut start = text.prev_grapheme_offset(middle).unwrap_or(0);
            let mut end = text.next_grapheme_offset(middle).unwrap_or(middle);
            let next_line_start = offset_of_line(text, line_of_offset(text, end));
            if end == middle || (end == next_line_start && end > middle) {
                middle = start;
                start = text.prev_grapheme_offset(middle).unwrap_or(0);
                end = r.end;
            }
            if start < middle && middle < end {
                let before = text.slice_to_cow(start..middle);
                let after = text.slice_to_cow(middle..end);
                edits.replace(start..end, Rope::from([after, before].concat()));
            }
        } else if let Some(p) = prev_sel.take() {
            prev_sel = Some(text.subseq(Interval::new(r.min(), r.max())));
            edits.replace(r.min()..r.max(), p);
        }
    }
    edits.build()
}

/// Replaces each region's text by `f(text)` (uppercase, lowercase).
pub fn transform_text(text: &Rope, sel: &[SelRegion], f: impl Fn(&str) -> String) -> RopeDelta {
    let mut b = Edits::new(text);
    for r in sel.iter().filter(|r| !r.is_caret()) {
        let s = text.slice_to_cow(r.min()..r.max());
        b.replace(r.min()..r.max(), Rope::from(f(&s)));
    }
    b.build()
}

/// Capitalizes every word touched by each region; carets end at each region's end.
pub fn capitalize(text: &Rope, sel: &[SelRegion]) -> (RopeDelta, Selection) {
    let mut b = Edits::new(text);
    let mut out = Selection::new();
    let mut last = 0;
    for r in sel {
        out.add_region(SelRegion::caret(r.max()));
        let start = select_word(text, r.min()).0.min(r.min()).max(last);
        let end = select_word(text, r.max()).1.max(r.max()).max(start);
        last = end;
        let old = text.slice_to_cow(start..end);
        let mut new = String::with_capacity(old.len());
        let mut in_word = false;
        for c in old.chars() {
            if c.is_alphanumeric() {
                if in_word {
                    new.extend(c.to_lowercase());
                } else {
                    new.extend(c.to_uppercase());
                }
                in_word = true;
            } else {
                in_word = c == '_' && in_word;
                new.push(c);
            }
        }
        if new != old {
            b.replace(start..end, Rope::from(new));
        }
    }
    (b.build(), out)
}

/// Adds `step` to the integer at or just before each caret.
pub fn change_number(text: &Rope, sel: &[SelRegion], step: i128) -> RopeDelta {
    let mut b = Edits::new(text);
    for r in sel {
        let (mut start, end) = select_word(text, r.end);
        if start > 0 && text.byte_at(start - 1) == b'-' {
            start -= 1;
        }
        let word = text.slice_to_cow(start..end);
        if let Some(n) = word.parse::<i128>().ok().and_then(|n| n.checked_add(step)) {
            b.replace(start..end, Rope::from(n.to_string()));
        }
    }
    b.build()
}

/// Duplicates the line(s) of each region below themselves.
pub fn duplicate_line(text: &Rope, sel: &[SelRegion]) -> RopeDelta {
    let mut b = Edits::new(text);
    let mut spans = BTreeSet::new();
    for r in sel {
        let first = line_of_offset(text, r.min());
        let start = offset_of_line(text, first);
        let last = if r.is_caret() {
            first
        } else {
            line_of_offset(text, r.max())
        };
        let mut c = Cursor::new(text, offset_of_line(text, last));
        let end = c.next::<LinesMetric>().unwrap_or(text.len());
        spans.insert((start, end));
    }
    for (start, end) in spans {
        let mut dup = String::from(text.slice_to_cow(start..end));
        if !dup.ends_with('\n') {
            dup.push('\n');
        }
        b.replace(start..start, Rope::from(dup));
    }
    b.build()
}

/// Comments or uncomments the touched lines with `prefix` (e.g. `// `).
pub fn toggle_comment(text: &Rope, sel: &[SelRegion], prefix: &str) -> RopeDelta {
    let mut lines = BTreeSet::new();
    for r in sel {
        lines.extend(lines_of(text, r));
    }
    let bare = prefix.trim_end();
    let all_commented = lines.iter().all(|&l| {
        let s = offset_of_line(text, l);
        let e = crate::text::line_end(text, l);
        let t = text.slice_to_cow(s..e);
        t.trim_start().starts_with(bare) || t.trim().is_empty()
    });
    let mut b = Edits::new(text);
    for l in lines {
        let s = offset_of_line(text, l);
        let e = crate::text::line_end(text, l);
        let t = text.slice_to_cow(s..e);
        let indent = t.len() - t.trim_start().len();
        if all_commented {
            let rest = &t[indent..];
            let n = if rest.starts_with(prefix) {
                prefix.len()
            } else if rest.starts_with(bare) {
                bare.len()
            } else {
                0
            };
            if n > 0 {
                b.delete(s + indent..s + indent + n);
            }
        } else if !t.trim().is_empty() {
            b.replace(s + indent..s + indent, Rope::from(prefix));
        }
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::InsertDrift;
    use crate::testing::{parse, render};
    use proptest::prelude::{Just, Strategy, prop_oneof};

    fn run(src: &str, f: impl Fn(&Rope, &Selection) -> RopeDelta) -> String {
        let (text, sel) = parse(src);
        let d = f(&text, &sel);
        let new = d.apply(&text);
        render(&new, &sel.apply_delta(&d, true, InsertDrift::Default))
    }

    #[test]
    fn insert_and_delete() {
        let s = EditSettings::default();
        assert_eq!(run("ab|c", |t, sel| insert(t, sel, "X")), "abX|c");
        assert_eq!(run("a[bc|]d", |t, sel| insert(t, sel, "X")), "aX|d");
        assert_eq!(run("a|b|c", |t, sel| insert(t, sel, "-")), "a-|b-|c");
        assert_eq!(run("ab|c", |t, sel| delete_backward(t, sel, &s)), "a|c");
        assert_eq!(run("|abc", |t, sel| delete_backward(t, sel, &s)), "|abc");
        assert_eq!(
            run("        |x", |t, sel| delete_backward(t, sel, &s)),
            "    |x"
        );
        assert_eq!(
            run("ab|c", |t, sel| delete_by_movement(
                t,
                sel,
                Movement::Right,
                10
            )
            .0),
            "ab|"
        );
        assert_eq!(
            run("foo bar|", |t, sel| delete_by_movement(
                t,
                sel,
                Movement::LeftWord,
                10
            )
            .0),
            "foo |"
        );
    }

    #[test]
    fn word_deletes_stop_at_a_line_break() {
        let del = |src: &str, m| run(src, |t, sel| delete_by_movement(t, sel, m, 10).0);
        assert_eq!(del("foo bar\n|baz", Movement::LeftWord), "foo bar|baz");
        assert_eq!(del("foo bar|\nbaz", Movement::RightWord), "foo bar|baz");
        assert_eq!(del("foo\n    |x", Movement::LeftWord), "foo\n|x");
        assert_eq!(del("a\r\n|b", Movement::LeftWord), "a|b");
    }

    #[test]
    fn newline_and_tab() {
        let s = EditSettings::default();
        let (text, sel) = parse("  ab|c");
        let (d, after) = crate::typing::insert_newline(&text, &sel, &s);
        assert_eq!(render(&d.apply(&text), &after), "  ab\n  |c");
        assert_eq!(run("a|", |t, sel| insert_tab(t, sel, &s)), "a   |");
        assert_eq!(
            run("[a\nb|]", |t, sel| modify_indent(t, sel, &s, false)),
            "    [a\n    b|]"
        );
        assert_eq!(
            run("    a|", |t, sel| modify_indent(t, sel, &s, true)),
            "a|"
        );
    }

    #[test]
    fn transpose_case_numbers() {
        assert_eq!(run("ab|c", |t, sel| transpose(t, sel)), "acb|");
        assert_eq!(run("ab|\ncd", |t, sel| transpose(t, sel)), "ba|\ncd");
        assert_eq!(run("abc|", |t, sel| transpose(t, sel)), "acb|");
        assert_eq!(
            run("[ab|]", |t, sel| transform_text(t, sel, |s| s
                .to_uppercase())),
            "AB|"
        );
        assert_eq!(run("x 41|", |t, sel| change_number(t, sel, 1)), "x 42|");
        assert_eq!(run("x -|1", |t, sel| change_number(t, sel, -1)), "x -2|");
        let (text, sel) = parse("[hello wORLD|]");
        let (d, after) = capitalize(&text, &sel);
        assert_eq!(render(&d.apply(&text), &after), "Hello World|");
    }

    #[test]
    fn transpose_with_a_caret_at_the_line_end_after_a_selection_does_not_panic() {
        // the caret's swap (the two characters before it) reaches into the selection
        let text_after = |src: &str| {
            let (text, sel) = parse(src);
            String::from(transpose(&text, &sel).apply(&text))
        };
        assert_eq!(text_after("[ab|]c|"), "abc");
        assert_eq!(text_after("[ab|]c|\nxy"), "abc\nxy");
        // two selections still rotate, a caret away from them still swaps
        assert_eq!(text_after("[ab|] [cd|] e|f"), "cd ab fe");
    }

    /// A text of a few short lines (some indented, some numbers, some non-ASCII) and a
    /// random set of regions on its character boundaries.
    fn text_and_selection() -> impl Strategy<Value = (Rope, Selection)> {
        let text = proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("b"),
                Just(" "),
                Just("    "),
                Just("\t"),
                Just("\n"),
                Just("{"),
                Just("}"),
                Just("-4"),
                Just("17"),
                Just("é"),
                Just("✓"),
                Just("// "),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat());
        text.prop_flat_map(|t| {
            let bounds: Vec<usize> = (0..=t.len()).filter(|&i| t.is_char_boundary(i)).collect();
            let n = bounds.len();
            let regions = proptest::collection::vec((0..n, 0..n), 1..6);
            (Just(t), Just(bounds), regions)
        })
        .prop_map(|(t, bounds, regions)| {
            let mut sel = Selection::new();
            for (a, b) in regions {
                sel.add_region(SelRegion::new(bounds[a], bounds[b]));
            }
            (Rope::from(t), sel)
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        #[test]
        fn every_multi_region_edit_builds_a_valid_delta((text, sel) in text_and_selection()) {
            let s = EditSettings::default();
            let tabs = EditSettings { translate_tabs_to_spaces: false, ..EditSettings::default() };
            let deltas = vec![
                ("insert", insert(&text, &sel, "xy")),
                ("surround", surround(&text, &sel, "(", ")")),
                ("paste", paste(&text, &sel, "1\n2\n3")),
                ("delete_selection", delete_selection(&text, &sel)),
                ("delete_backward", delete_backward(&text, &sel, &s)),
                ("delete_word", delete_by_movement(&text, &sel, Movement::LeftWord, 5).0),
                ("delete_to_eol", delete_by_movement(&text, &sel, Movement::RightOfLine, 5).0),
                ("insert_newline", crate::typing::insert_newline(&text, &sel, &s).0),
                ("insert_tab", insert_tab(&text, &sel, &s)),
                ("indent", modify_indent(&text, &sel, &s, false)),
                ("outdent", modify_indent(&text, &sel, &tabs, true)),
                ("reindent", reindent(&text, &sel, &s)),
                ("transpose", transpose(&text, &sel)),
                ("uppercase", transform_text(&text, &sel, |t| t.to_uppercase())),
                ("capitalize", capitalize(&text, &sel).0),
                ("increase_number", change_number(&text, &sel, 1)),
                ("duplicate_line", duplicate_line(&text, &sel)),
                ("toggle_comment", toggle_comment(&text, &sel, "// ")),
            ];
            for (name, d) in deltas {
                let new = d.apply(&text);
                // a well-formed delta of this text: its new length adds up, the result
                // is valid text and the selection maps through it
                let (iv, new_len) = d.summary();
                proptest::prop_assert!(iv.end() <= text.len(), "{}", name);
                proptest::prop_assert_eq!(
                    new.len(),
                    text.len() - (iv.end() - iv.start()) + new_len,
                    "{}", name
                );
                let _ = String::from(&new);
                let _ = sel.apply_delta(&d, true, InsertDrift::Default);
            }
        }
    }

    #[test]
    fn reindent_follows_the_line_above_and_brackets() {
        let s = EditSettings::default();
        let r = |src: &str| run(src, |t, sel| reindent(t, sel, &s));
        assert_eq!(r("fn main() {\nlet x|;\n}"), "fn main() {\n    let x|;\n}");
        assert_eq!(
            r("[fn main() {\n        a;\n  if x {\nb;\n   }\n}|]"),
            "[fn main() {\n    a;\n    if x {\n        b;\n    }\n}|]"
        );
        assert_eq!(r("    a\n\n      b|"), "    a\n\n    b|");
        assert_eq!(r("  |x"), "|x");
        let tabs = EditSettings {
            translate_tabs_to_spaces: false,
            ..EditSettings::default()
        };
        assert_eq!(
            run("a:\n  b|", |t, sel| reindent(t, sel, &tabs)),
            "a:\n\tb|"
        );
    }

    #[test]
    fn duplicate_and_comment() {
        assert_eq!(run("a|b\nc", |t, sel| duplicate_line(t, sel)), "ab\na|b\nc");
        assert_eq!(run("ab\nc|", |t, sel| duplicate_line(t, sel)), "ab\nc\nc|");
        assert_eq!(run("a|b", |t, sel| toggle_comment(t, sel, "// ")), "// a|b");
        assert_eq!(run("// a|b", |t, sel| toggle_comment(t, sel, "// ")), "a|b");
    }
}
