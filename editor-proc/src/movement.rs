//! Caret movements (xi's `Movement`) as pure functions of (text, region).

use xi_rope::{Cursor, LinesMetric, Rope};

use crate::selection::{SelRegion, Selection};
use crate::text::{
    line_col_to_offset, line_count, line_end, line_of_offset, next_word_boundary, offset_of_line,
    offset_to_line_col, prev_word_boundary,
};

/// A movement of one caret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// One grapheme left.
    Left,
    /// One grapheme right.
    Right,
    /// Start of the previous word.
    LeftWord,
    /// End of the next word.
    RightWord,
    /// Start of the line.
    LeftOfLine,
    /// End of the line (before the line break).
    RightOfLine,
    /// One line up, keeping the column.
    Up,
    /// One line down, keeping the column.
    Down,
    /// One page up.
    UpPage,
    /// One page down.
    DownPage,
    /// One line up; stays put on the first line (add_selection_above).
    UpExactPosition,
    /// One line down; stays put on the last line (add_selection_below).
    DownExactPosition,
    /// Start of the paragraph (logical line).
    StartOfParagraph,
    /// End of the paragraph.
    EndOfParagraph,
    /// End of the paragraph, including the line break when already there (kill).
    EndOfParagraphKill,
    /// Start of the document.
    StartOfDocument,
    /// End of the document.
    EndOfDocument,
}

fn vertical(
    r: SelRegion,
    text: &Rope,
    delta: isize,
    modify: bool,
    exact: bool,
) -> (usize, Option<usize>) {
    let active = if modify || r.is_caret() {
        r.end
    } else if delta < 0 {
        r.min()
    } else {
        r.max()
    };
    let (line, col) = offset_to_line_col(text, active);
    let col = r.horiz.unwrap_or(col);
    let n_lines = line_count(text);
    if delta < 0 && (line as isize) < -delta {
        return if exact {
            (active, Some(col))
        } else {
            (0, Some(col))
        };
    }
    let new_line = (line as isize + delta) as usize;
    if new_line >= n_lines {
        return if exact {
            (active, Some(col))
        } else {
            (text.len(), Some(col))
        };
    }
    (line_col_to_offset(text, new_line, col), Some(col))
}

/// Where `r` goes under `m`; the result is a region (anchor kept when `modify`).
pub fn region_movement(
    m: Movement,
    r: SelRegion,
    text: &Rope,
    page: usize,
    modify: bool,
) -> SelRegion {
    let page = page.saturating_sub(2).max(1) as isize;
    let (offset, horiz) = match m {
        Movement::Left => {
            if r.is_caret() || modify {
                (text.prev_grapheme_offset(r.end).unwrap_or(0), None)
            } else {
                (r.min(), None)
            }
        }
        Movement::Right => {
            if r.is_caret() || modify {
                (text.next_grapheme_offset(r.end).unwrap_or(r.end), None)
            } else {
                (r.max(), None)
            }
        }
        Movement::LeftWord => (prev_word_boundary(text, r.end), None),
        Movement::RightWord => (next_word_boundary(text, r.end), None),
        Movement::LeftOfLine => (offset_of_line(text, line_of_offset(text, r.end)), None),
        Movement::RightOfLine => (line_end(text, line_of_offset(text, r.end)), None),
        Movement::Up => vertical(r, text, -1, modify, false),
        Movement::Down => vertical(r, text, 1, modify, false),
        Movement::UpPage => vertical(r, text, -page, modify, false),
        Movement::DownPage => vertical(r, text, page, modify, false),
        Movement::UpExactPosition => vertical(r, text, -1, modify, true),
        Movement::DownExactPosition => vertical(r, text, 1, modify, true),
        Movement::StartOfParagraph => {
            let mut c = Cursor::new(text, r.end);
            (c.prev::<LinesMetric>().unwrap_or(0), None)
        }
        Movement::EndOfParagraph | Movement::EndOfParagraphKill => {
            let line = line_of_offset(text, r.end);
            let mut end = line_end(text, line);
            if m == Movement::EndOfParagraphKill && end == r.end {
                end = offset_of_line(text, line + 1);
            }
            (end, None)
        }
        Movement::StartOfDocument => (0, None),
        Movement::EndOfDocument => (text.len(), None),
    };
    SelRegion::new(if modify { r.start } else { offset }, offset).with_horiz(horiz)
}

/// Applies `m` to every region of `sel`, merging regions that meet.
pub fn selection_movement(
    m: Movement,
    sel: &Selection,
    text: &Rope,
    page: usize,
    modify: bool,
) -> Selection {
    let mut out = Selection::new();
    for &r in sel.iter() {
        out.add_region(region_movement(m, r, text, page, modify));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{parse, render};

    fn mv(src: &str, m: Movement, modify: bool) -> String {
        let (text, sel) = parse(src);
        render(&text, &selection_movement(m, &sel, &text, 10, modify))
    }

    #[test]
    fn left_right() {
        assert_eq!(mv("ab|c", Movement::Left, false), "a|bc");
        assert_eq!(mv("ab|c", Movement::Right, false), "abc|");
        assert_eq!(mv("abc|", Movement::Right, false), "abc|");
        assert_eq!(mv("a[bc|]", Movement::Left, false), "a|bc");
        assert_eq!(mv("a[b|]c", Movement::Right, true), "a[bc|]");
        assert_eq!(mv("é|x", Movement::Left, false), "|éx");
    }

    #[test]
    fn vertical_keeps_column() {
        assert_eq!(
            mv("abc|d\nx\nabcdef", Movement::Down, false),
            "abcd\nx|\nabcdef"
        );
        assert_eq!(mv("a|b\ncd", Movement::Up, false), "|ab\ncd");
        assert_eq!(mv("ab\nc|d", Movement::Down, false), "ab\ncd|");
    }

    #[test]
    fn lines_and_paragraphs() {
        assert_eq!(
            mv("ab\ncd|ef\n", Movement::LeftOfLine, false),
            "ab\n|cdef\n"
        );
        assert_eq!(
            mv("ab\nc|def\ng", Movement::RightOfLine, false),
            "ab\ncdef|\ng"
        );
        assert_eq!(mv("ab\n|cd", Movement::StartOfParagraph, false), "|ab\ncd");
        assert_eq!(mv("a|b\ncd", Movement::EndOfParagraph, false), "ab|\ncd");
        assert_eq!(mv("a|b\ncd", Movement::EndOfDocument, true), "a[b\ncd|]");
    }

    #[test]
    fn words() {
        assert_eq!(
            mv("foo b|ar baz", Movement::RightWord, false),
            "foo bar| baz"
        );
        assert_eq!(
            mv("foo bar| baz", Movement::LeftWord, false),
            "foo |bar baz"
        );
    }
}
