//! Line/column helpers and Unicode-aware word boundaries over a rope.

use xi_rope::{LinesMetric, Rope};

/// Number of lines as the front end counts them (a trailing `\n` starts an empty last line).
pub fn line_count(text: &Rope) -> usize {
    text.measure::<LinesMetric>() + 1
}

/// Offset of the start of `line` (0-based); past the end gives the text length.
pub fn offset_of_line(text: &Rope, line: usize) -> usize {
    if line >= line_count(text) {
        text.len()
    } else {
        text.offset_of_line(line)
    }
}

/// Line containing `offset`.
pub fn line_of_offset(text: &Rope, offset: usize) -> usize {
    text.line_of_offset(offset.min(text.len()))
}

/// (line, byte column) of `offset`.
pub fn offset_to_line_col(text: &Rope, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let line = text.line_of_offset(offset);
    (line, offset - text.offset_of_line(line))
}

/// Offset of (line, col), clamped to the line's end (before its `\n`) and to a grapheme boundary.
pub fn line_col_to_offset(text: &Rope, line: usize, col: usize) -> usize {
    let mut offset = offset_of_line(text, line).saturating_add(col);
    if offset >= text.len() {
        offset = text.len();
        if line_of_offset(text, offset) <= line {
            return offset;
        }
    } else {
        offset = text.prev_grapheme_offset(offset + 1).unwrap_or(0);
    }
    let next_line = offset_of_line(text, line + 1);
    if offset >= next_line
        && let Some(prev) = text.prev_grapheme_offset(next_line)
    {
        offset = prev;
    }
    offset
}

/// End of the line containing `offset`, before its line break.
pub fn line_end(text: &Rope, line: usize) -> usize {
    let next = offset_of_line(text, line + 1);
    if line + 1 < line_count(text) && next > 0 && text.byte_at(next - 1) == b'\n' {
        let mut e = next - 1;
        if e > 0 && text.byte_at(e - 1) == b'\r' {
            e -= 1;
        }
        e
    } else {
        next
    }
}

/// Character classes for word boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Lf,
    Space,
    Punct,
    Word,
}

fn class(c: char) -> Class {
    if c == '\n' || c == '\r' {
        Class::Lf
    } else if c.is_whitespace() {
        Class::Space
    } else if c.is_alphanumeric() || c == '_' || is_mark(c) {
        Class::Word
    } else {
        Class::Punct
    }
}

/// Combining marks belong to the word they decorate.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Whether a word starts between `prev` and `next`. A line break is a boundary on both
/// sides (as xi-core): word moves and deletes stop at it, so `delete_word_backward` at
/// column 0 deletes only the line break.
fn is_start(prev: Class, next: Class) -> bool {
    match (prev, next) {
        (Class::Lf, _) | (_, Class::Lf) => true,
        (Class::Space, Class::Space) | (_, Class::Space) => false,
        (Class::Space, _) => true,
        (a, b) => a != b,
    }
}

/// Whether a word ends between `prev` and `next` (line breaks as in `is_start`).
fn is_end(prev: Class, next: Class) -> bool {
    match (prev, next) {
        (Class::Lf, _) | (_, Class::Lf) => true,
        (Class::Space, Class::Space) | (Class::Space, _) => false,
        (_, Class::Space) => true,
        (a, b) => a != b,
    }
}

pub(crate) fn char_before(text: &Rope, offset: usize) -> Option<(char, usize)> {
    let prev = text.prev_codepoint_offset(offset)?;
    text.slice_to_cow(prev..offset)
        .chars()
        .next()
        .map(|c| (c, prev))
}

pub(crate) fn char_after(text: &Rope, offset: usize) -> Option<(char, usize)> {
    let next = text.next_codepoint_offset(offset)?;
    text.slice_to_cow(offset..next)
        .chars()
        .next()
        .map(|c| (c, next))
}

/// Start of the word before `offset` (move_word_left).
pub fn prev_word_boundary(text: &Rope, offset: usize) -> usize {
    let Some((mut next, mut pos)) = char_before(text, offset) else {
        return 0;
    };
    while let Some((c, p)) = char_before(text, pos) {
        if is_start(class(c), class(next)) && !is_crlf(c, next) {
            return pos;
        }
        next = c;
        pos = p;
    }
    0
}

/// A `\r\n` pair is one line break: never a boundary inside it.
fn is_crlf(prev: char, next: char) -> bool {
    prev == '\r' && next == '\n'
}

/// End of the word after `offset` (move_word_right).
pub fn next_word_boundary(text: &Rope, offset: usize) -> usize {
    let Some((mut prev, mut pos)) = char_after(text, offset) else {
        return text.len();
    };
    while let Some((c, p)) = char_after(text, pos) {
        if is_end(class(prev), class(c)) && !is_crlf(prev, c) {
            return pos;
        }
        prev = c;
        pos = p;
    }
    text.len()
}

/// The word around `offset` (double click, selection_for_find, numbers).
pub fn select_word(text: &Rope, offset: usize) -> (usize, usize) {
    let before = char_before(text, offset).map(|(c, _)| class(c));
    let after = char_after(text, offset).map(|(c, _)| class(c));
    // Prefer the word after the caret, then the word before it.
    let target = match (before, after) {
        (_, Some(Class::Word)) => Class::Word,
        (Some(Class::Word), _) => Class::Word,
        (_, Some(Class::Punct)) => Class::Punct,
        (Some(Class::Punct), _) => Class::Punct,
        (_, Some(Class::Space)) => Class::Space,
        (Some(Class::Space), _) => Class::Space,
        _ => return (offset, offset),
    };
    let mut start = offset;
    while let Some((c, p)) = char_before(text, start) {
        if class(c) != target {
            break;
        }
        start = p;
    }
    let mut end = offset;
    while let Some((c, p)) = char_after(text, end) {
        if class(c) != target {
            break;
        }
        end = p;
    }
    (start, end)
}

/// True for characters that make up words (letters, digits, `_`, combining marks).
pub fn is_word_char(c: char) -> bool {
    class(c) == Class::Word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_move_over_unicode() {
        let t = Rope::from("héllo wörld, ok");
        assert_eq!(next_word_boundary(&t, 0), "héllo".len());
        let w = "héllo wörld".len();
        assert_eq!(next_word_boundary(&t, "héllo".len()), w);
        assert_eq!(next_word_boundary(&t, w), w + 1);
        assert_eq!(prev_word_boundary(&t, w), "héllo ".len());
        assert_eq!(prev_word_boundary(&t, "héllo ".len()), 0);
    }

    #[test]
    fn a_line_break_is_a_word_boundary_on_both_sides() {
        let t = Rope::from("foo bar\nbaz");
        let bol = "foo bar\n".len();
        assert_eq!(prev_word_boundary(&t, bol), bol - 1);
        assert_eq!(next_word_boundary(&t, bol - 1), bol);
        let t = Rope::from("a\n   x");
        assert_eq!(prev_word_boundary(&t, "a\n   ".len()), 2);
        let t = Rope::from("a\r\nb");
        assert_eq!(prev_word_boundary(&t, 3), 1);
        assert_eq!(next_word_boundary(&t, 1), 3);
        let t = Rope::from("a\n\n\n");
        assert_eq!(prev_word_boundary(&t, 4), 3);
    }

    #[test]
    fn select_word_finds_the_word() {
        let t = Rope::from("foo bar_baz!");
        assert_eq!(select_word(&t, 5), (4, 11));
        assert_eq!(select_word(&t, 11), (4, 11));
        assert_eq!(select_word(&t, 0), (0, 3));
    }

    #[test]
    fn line_col_clamps() {
        let t = Rope::from("ab\ncdef\n");
        assert_eq!(line_col_to_offset(&t, 0, 10), 2);
        assert_eq!(line_col_to_offset(&t, 1, 2), 5);
        assert_eq!(line_col_to_offset(&t, 5, 0), 8);
        assert_eq!(line_end(&t, 1), 7);
        assert_eq!(offset_to_line_col(&t, 5), (1, 2));
    }
}
