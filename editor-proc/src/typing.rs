//! Typing helpers as pure functions: auto-closing brackets and quotes (skip over a typed
//! closer, backspace deletes an empty pair), and smart indentation (a new line after an
//! opener such as `{`, `(` or Python's `:` is indented one level; a closer typed on a blank
//! line goes back to its opener's indentation). Each returns the delta and where the carets
//! go; `core` applies them.

use xi_rope::{DeltaBuilder, Interval, Rope, RopeDelta};

use crate::edit_ops::EditSettings;
use crate::selection::{SelRegion, Selection};
use crate::text::{char_after, char_before, is_word_char, line_of_offset, offset_of_line};

/// How far back a typed closer looks for its opener (bytes).
const MATCH_SCAN_LIMIT: usize = 256 * 1024;

/// What typing one character does at one caret.
enum Typed {
    /// Insert the character as it is.
    Plain,
    /// The next character is this closer: move over it.
    Skip,
    /// Insert the opener and its closer, the caret between them.
    Pair(char),
    /// Replace the line's blank indentation by `indent`, then insert the character.
    Outdent(String),
}

/// Typing `chars` (one character) at every caret, when an auto-closing or indentation rule
/// applies to at least one of them: the delta and the new carets. `None` means a plain
/// insert (more than one character, a selection, or no rule applies).
pub fn type_char(
    text: &Rope,
    sel: &[SelRegion],
    chars: &str,
    s: &EditSettings,
) -> Option<(RopeDelta, Selection)> {
    let mut it = chars.chars();
    let (Some(c), None) = (it.next(), it.next()) else {
        return None;
    };
    if sel.is_empty() || !sel.iter().all(SelRegion::is_caret) {
        return None;
    }
    let mut last_line = None;
    let actions: Vec<Typed> = sel
        .iter()
        .map(|r| {
            let line = line_of_offset(text, r.end);
            let first_on_line = last_line != Some(line);
            last_line = Some(line);
            action(text, r.end, c, s, first_on_line)
        })
        .collect();
    if actions.iter().all(|a| matches!(a, Typed::Plain)) {
        return None;
    }
    let mut b = DeltaBuilder::new(text.len());
    let mut out = Selection::new();
    // bytes inserted minus bytes deleted before the current caret
    let mut shift: isize = 0;
    let at = |o: usize, shift: isize| (o as isize + shift) as usize;
    for (r, a) in sel.iter().zip(actions) {
        let o = r.end;
        match a {
            Typed::Plain => {
                b.replace(Interval::new(o, o), Rope::from(chars));
                shift += chars.len() as isize;
                out.add_region(SelRegion::caret(at(o, shift)));
            }
            Typed::Skip => out.add_region(SelRegion::caret(at(o, shift) + c.len_utf8())),
            Typed::Pair(close) => {
                let mut ins = String::from(c);
                ins.push(close);
                b.replace(Interval::new(o, o), Rope::from(ins));
                out.add_region(SelRegion::caret(at(o, shift) + c.len_utf8()));
                shift += (c.len_utf8() + close.len_utf8()) as isize;
            }
            Typed::Outdent(indent) => {
                let start = offset_of_line(text, line_of_offset(text, o));
                let mut ins = indent;
                ins.push(c);
                shift += ins.len() as isize - (o - start) as isize;
                b.replace(Interval::new(start, o), Rope::from(ins));
                out.add_region(SelRegion::caret(at(o, shift)));
            }
        }
    }
    Some((b.build(), out))
}

fn action(text: &Rope, o: usize, c: char, s: &EditSettings, first_on_line: bool) -> Typed {
    let next = char_after(text, o).map(|(n, _)| n);
    let prev = char_before(text, o).map(|(p, _)| p);
    let is_closer = s.auto_close_pairs.iter().any(|&(_, close)| close == c);
    if is_closer && next == Some(c) {
        return Typed::Skip;
    }
    if let Some(&(open, close)) = s.auto_close_pairs.iter().find(|&&(open, _)| open == c)
        && may_close(text, o, open, close, prev, next, s)
        && !in_string_or_comment(text, o, s)
    {
        return Typed::Pair(close);
    }
    if s.smart_indent
        && first_on_line
        && let Some(open) = opener_of(c)
        && let Some(indent) = closer_indent(text, o, open, c)
    {
        return Typed::Outdent(indent);
    }
    Typed::Plain
}

/// Whether typing `open` before `next` (after `prev`) adds its closer: only before the end
/// of the line, a space or a closing character, never inside a word; a quote (`open ==
/// close`) also not right after a word character or the same quote, nor when it closes a
/// string opened earlier on the line.
fn may_close(
    text: &Rope,
    o: usize,
    open: char,
    close: char,
    prev: Option<char>,
    next: Option<char>,
    s: &EditSettings,
) -> bool {
    let next_ok = match next {
        None => true,
        Some(n) => {
            n.is_whitespace()
                || matches!(n, ',' | ';' | ':')
                || s.auto_close_pairs
                    .iter()
                    .any(|&(po, pc)| pc == n && po != pc)
        }
    };
    if !next_ok {
        return false;
    }
    if open != close {
        return true;
    }
    if prev.is_some_and(|p| is_word_char(p) || p == open) {
        return false;
    }
    let line_start = offset_of_line(text, line_of_offset(text, o));
    let before = text.slice_to_cow(line_start..o);
    let mut count = 0;
    let mut escaped = false;
    for ch in before.chars() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == open {
            count += 1;
        }
    }
    count % 2 == 0
}

/// Whether `o` is inside a string or a comment, by a look at its line: strings
/// between the quotes of `auto_close_pairs` (and `"`), with backslash escapes;
/// `line_comments` to the line's end; `/* */` opened earlier on the line.
fn in_string_or_comment(text: &Rope, o: usize, s: &EditSettings) -> bool {
    let line_start = offset_of_line(text, line_of_offset(text, o));
    let before = text.slice_to_cow(line_start..o);
    let is_quote = |c: char| c == '"' || s.auto_close_pairs.iter().any(|&(a, b)| a == b && a == c);
    let mut quote: Option<char> = None;
    let mut block = false;
    let mut escaped = false;
    for (i, c) in before.char_indices() {
        let rest = &before[i..];
        if block {
            if rest.starts_with("*/") {
                block = false;
            }
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if s.line_comments.iter().any(|t| rest.starts_with(t.as_str())) {
            return true;
        }
        if rest.starts_with("/*") && s.line_comments.iter().any(|t| t == "//") {
            block = true;
        } else if is_quote(c) {
            quote = Some(c);
        }
    }
    block || quote.is_some()
}

fn opener_of(close: char) -> Option<char> {
    match close {
        '}' => Some('{'),
        ']' => Some('['),
        ')' => Some('('),
        _ => None,
    }
}

/// The indentation a closer typed at `o` gets: the indentation of the line holding its
/// opener, when the line is blank before `o` and that differs from what it has now.
fn closer_indent(text: &Rope, o: usize, open: char, close: char) -> Option<String> {
    let line_start = offset_of_line(text, line_of_offset(text, o));
    let lead = text.slice_to_cow(line_start..o);
    if !lead.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let from = line_start.saturating_sub(MATCH_SCAN_LIMIT);
    let scan = text.slice_to_cow(from..line_start);
    let mut depth = 0usize;
    let mut found = None;
    for (i, ch) in scan.char_indices().rev() {
        if ch == close {
            depth += 1;
        } else if ch == open {
            if depth == 0 {
                found = Some(from + i);
                break;
            }
            depth -= 1;
        }
    }
    let opener = found?;
    let opener_line = offset_of_line(text, line_of_offset(text, opener));
    let indent: String = text
        .slice_to_cow(opener_line..opener)
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    (indent != lead).then_some(indent)
}

/// Backspace right inside an empty pair (`(|)`): the pair's closer goes too. Returns the
/// range to delete for a caret at `o`, when it applies.
pub fn pair_backspace(text: &Rope, o: usize, s: &EditSettings) -> Option<(usize, usize)> {
    let (prev, start) = char_before(text, o)?;
    let (next, end) = char_after(text, o)?;
    s.auto_close_pairs
        .iter()
        .any(|&(open, close)| open == prev && close == next)
        .then_some((start, end))
}

/// Newline at every region: the current line's indentation (with `auto_indent`), one level
/// more after an opener (`smart_indent`, the openers in `indent_after`), and, between an
/// opener and its closer (`{|}`), the closer on a line of its own at the old indentation.
pub fn insert_newline(text: &Rope, sel: &[SelRegion], s: &EditSettings) -> (RopeDelta, Selection) {
    let mut b = DeltaBuilder::new(text.len());
    let mut out = Selection::new();
    let mut shift: isize = 0;
    let unit = if s.translate_tabs_to_spaces {
        " ".repeat(s.tab_size.max(1))
    } else {
        "\t".to_string()
    };
    for r in sel {
        let (min, max) = (r.min(), r.max());
        let line_start = offset_of_line(text, line_of_offset(text, min));
        let before = text.slice_to_cow(line_start..min);
        let lead: String = if s.auto_indent {
            before
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect()
        } else {
            String::new()
        };
        let mut ins = format!("\n{lead}");
        let mut caret_at = ins.len();
        let last = before.trim_end().chars().last();
        if s.auto_indent
            && s.smart_indent
            && let Some(open) = last.filter(|c| s.indent_after.contains(c))
        {
            ins.push_str(&unit);
            caret_at = ins.len();
            let close = s
                .auto_close_pairs
                .iter()
                .find(|&&(o, c)| o == open && o != c)
                .map(|&(_, c)| c)
                .or_else(|| closing_bracket(open));
            let after = char_after(text, max).map(|(n, _)| n);
            if close.is_some() && after == close {
                ins.push('\n');
                ins.push_str(&lead);
            }
        }
        b.replace(Interval::new(min, max), Rope::from(ins.as_str()));
        out.add_region(SelRegion::caret((min as isize + shift) as usize + caret_at));
        shift += ins.len() as isize - (max - min) as isize;
    }
    (b.build(), out)
}

fn closing_bracket(open: char) -> Option<char> {
    match open {
        '{' => Some('}'),
        '[' => Some(']'),
        '(' => Some(')'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{parse, render};

    // (`[` and `]` mark selections in the notation: the tests type `(` and `{` instead)
    fn typed(src: &str, chars: &str, s: &EditSettings) -> String {
        let (text, sel) = parse(src);
        match type_char(&text, &sel, chars, s) {
            Some((d, after)) => render(&d.apply(&text), &after),
            None => {
                let d = crate::edit_ops::insert(&text, &sel, chars);
                let after = sel.apply_delta(&d, true, crate::selection::InsertDrift::Default);
                render(&d.apply(&text), &after)
            }
        }
    }

    fn ty(src: &str, chars: &str) -> String {
        typed(src, chars, &EditSettings::default())
    }

    fn newline(src: &str, s: &EditSettings) -> String {
        let (text, sel) = parse(src);
        let (d, after) = insert_newline(&text, &sel, s);
        render(&d.apply(&text), &after)
    }

    #[test]
    fn an_opening_bracket_gets_its_closer() {
        assert_eq!(ty("fn main|", "("), "fn main(|)");
        assert_eq!(ty("x = |", "["), "x = [|]");
        assert_eq!(ty("f(|)", "{"), "f({|})");
        assert_eq!(ty("a|, b", "("), "a(|), b");
        assert_eq!(ty("a| b\nc| d", "("), "a(|) b\nc(|) d");
    }

    #[test]
    fn no_closer_before_a_word() {
        assert_eq!(ty("fn ma|in()", "("), "fn ma(|in()");
        assert_eq!(ty("|foo", "["), "[|foo");
        assert_eq!(ty("|foo", "\""), "\"|foo");
    }

    #[test]
    fn a_typed_closer_skips_over_the_next_one() {
        assert_eq!(ty("fn main(|)", ")"), "fn main()|");
        assert_eq!(ty("say(\"hi|\")", "\""), "say(\"hi\"|)");
        assert_eq!(ty("{1, 2|}", "}"), "{1, 2}|");
        assert_eq!(ty("a|", ")"), "a)|");
    }

    #[test]
    fn quotes_pair_only_where_a_string_starts() {
        assert_eq!(ty("x = |", "\""), "x = \"|\"");
        assert_eq!(ty("don|", "'"), "don'|");
        assert_eq!(ty("x = \"a b |", "\""), "x = \"a b \"|");
        assert_eq!(ty("x = \"a\\\" |", "\""), "x = \"a\\\" \"|");
        assert_eq!(ty("x = \"|", "\""), "x = \"\"|");
        assert_eq!(ty("f(|)", "'"), "f('|')");
    }

    #[test]
    fn backspace_deletes_an_empty_pair() {
        let s = EditSettings::default();
        let (text, sel) = parse("f(|)");
        assert_eq!(pair_backspace(&text, sel[0].end, &s), Some((1, 3)));
        let (text, sel) = parse("f(|x)");
        assert_eq!(pair_backspace(&text, sel[0].end, &s), None);
        let off = EditSettings {
            auto_close_pairs: Vec::new(),
            ..EditSettings::default()
        };
        assert_eq!(pair_backspace(&text, 2, &off), None);
    }

    #[test]
    fn auto_closing_can_be_turned_off() {
        let off = EditSettings {
            auto_close_pairs: Vec::new(),
            ..EditSettings::default()
        };
        assert_eq!(typed("fn main|", "(", &off), "fn main(|");
        assert_eq!(typed("fn main(|)", ")", &off), "fn main()|)");
    }

    #[test]
    fn enter_after_an_opener_indents_one_level() {
        let s = EditSettings::default();
        assert_eq!(newline("fn main() {|", &s), "fn main() {\n    |");
        assert_eq!(newline("    if x {|}", &s), "    if x {\n        |\n    }");
        assert_eq!(newline("f(|)", &s), "f(\n    |\n)");
        assert_eq!(newline("  ab|c", &s), "  ab\n  |c");
        assert_eq!(newline("if x:|", &s), "if x:\n|");
        let py = EditSettings {
            indent_after: vec!['{', '[', '(', ':'],
            ..EditSettings::default()
        };
        assert_eq!(newline("    if x:|", &py), "    if x:\n        |");
        assert_eq!(newline("a|\nb|", &s), "a\n|\nb\n|");
        let dumb = EditSettings {
            smart_indent: false,
            ..EditSettings::default()
        };
        assert_eq!(newline("  f {|}", &dumb), "  f {\n  |}");
    }

    #[test]
    fn a_closer_on_a_blank_line_goes_back_to_its_opener() {
        assert_eq!(ty("fn f() {\n    x;\n    |", "}"), "fn f() {\n    x;\n}|");
        assert_eq!(ty("  a = (\n    1,\n      |", ")"), "  a = (\n    1,\n  )|");
        assert_eq!(ty("{\n    {}\n    |", "}"), "{\n    {}\n}|");
        assert_eq!(ty("x\n    |", "}"), "x\n    }|");
        assert_eq!(ty("f {\n    x|", "}"), "f {\n    x}|");
    }

    #[test]
    fn no_closer_is_added_inside_a_string() {
        assert_eq!(ty("let s = \"see |\";", "("), "let s = \"see (|\";");
        assert_eq!(ty("let s = \"a <|\";", "{"), "let s = \"a <{|\";");
        // An escaped quote does not end the string.
        assert_eq!(ty("x = \"say \\\" |\"", "("), "x = \"say \\\" (|\"");
        // After the string has closed, pairs are back.
        assert_eq!(ty("f(\"a\", |)", "("), "f(\"a\", (|))");
        // A closing quote typed at the end of a string still moves over it.
        assert_eq!(ty("let s = \"abc|\";", "\""), "let s = \"abc\"|;");
    }

    #[test]
    fn no_closer_is_added_inside_a_comment() {
        assert_eq!(ty("let x = 1; // see |", "("), "let x = 1; // see (|");
        assert_eq!(ty("// it is |", "'"), "// it is '|");
        assert_eq!(ty("/* a |", "{"), "/* a {|");
        assert_eq!(ty("/* a */ f|", "("), "/* a */ f(|)");
        // `//` inside a string is no comment.
        assert_eq!(ty("s = \"http://x\"; g|", "("), "s = \"http://x\"; g(|)");
        let py = EditSettings {
            line_comments: vec!["#".into()],
            ..EditSettings::default()
        };
        assert_eq!(typed("x = 1  # call |", "(", &py), "x = 1  # call (|");
        assert_eq!(typed("print|", "(", &py), "print(|)");
        // Rust's `#` (attributes) is no comment there.
        assert_eq!(ty("#derive|", "("), "#derive(|)");
    }
}
