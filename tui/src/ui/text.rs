//! Text measurement for the terminal: tabs expanded to tab stops, wide
//! characters measured with unicode-width, control characters shown as `^X`,
//! byte offsets <-> display columns, and soft-wrap row breaks.

use unicode_width::UnicodeWidthChar;

/// Display width of `c` when it starts at display column `col`.
pub fn char_width(c: char, col: usize, tab: usize) -> usize {
    match c {
        '\t' => tab.max(1) - col % tab.max(1),
        c if c.is_control() => 2,
        c => c.width().unwrap_or(0),
    }
}

/// Display column of byte offset `byte` (clamped to the text).
pub fn byte_to_col(text: &str, byte: usize, tab: usize) -> usize {
    let mut col = 0;
    for (i, c) in text.char_indices() {
        if i >= byte {
            break;
        }
        col += char_width(c, col, tab);
    }
    col
}

/// Byte offset of the character under display column `col` (the end of the
/// text when `col` is past it). A click on the right half of a wide
/// character or tab lands before it, as editors do.
pub fn col_to_byte(text: &str, col: usize, tab: usize) -> usize {
    let mut at = 0;
    for (i, c) in text.char_indices() {
        let w = char_width(c, at, tab);
        if col < at + w.max(1) {
            return i;
        }
        at += w;
    }
    text.len()
}

/// Byte offsets where each soft-wrapped row of `text` starts, for rows of
/// `width` columns (always at least one row: `[0]`).
pub fn wrap_points(text: &str, width: usize, tab: usize) -> Vec<usize> {
    let width = width.max(1);
    let mut points = vec![0];
    let mut col = 0; // absolute display column (tabs depend on it)
    let mut row_start_col = 0;
    for (i, c) in text.char_indices() {
        let w = char_width(c, col, tab);
        if col + w - row_start_col > width && col > row_start_col {
            points.push(i);
            row_start_col = col;
        }
        col += w;
    }
    points
}

/// Number of rows `text` takes with soft wrap at `width`.
pub fn wrap_rows(text: &str, width: usize, tab: usize) -> usize {
    wrap_points(text, width, tab).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_and_wide_chars_measure() {
        assert_eq!(byte_to_col("\tx", 1, 4), 4);
        assert_eq!(byte_to_col("ab\tx", 3, 4), 4);
        assert_eq!(byte_to_col("日本x", "日本".len(), 4), 4);
        assert_eq!(byte_to_col("a\u{1}b", 2, 4), 3);
        assert_eq!(col_to_byte("日本x", 2, 4), 3);
        assert_eq!(col_to_byte("日本x", 3, 4), 3);
        assert_eq!(col_to_byte("日本x", 4, 4), 6);
        assert_eq!(col_to_byte("\tx", 2, 4), 0);
        assert_eq!(col_to_byte("abc", 10, 4), 3);
    }

    #[test]
    fn wrap_breaks_before_a_wide_char_that_does_not_fit() {
        assert_eq!(wrap_points("abcdef", 4, 4), vec![0, 4]);
        assert_eq!(wrap_points("abc日d", 4, 4), vec![0, 3]);
        assert_eq!(wrap_points("", 4, 4), vec![0]);
        assert_eq!(wrap_rows("abcdefgh", 4, 4), 2);
        assert_eq!(wrap_rows("abcdefghi", 4, 4), 3);
    }
}
