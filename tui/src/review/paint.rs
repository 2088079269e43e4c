//! Draws one line of text in one screen row the way the editor view does (tabs to tab
//! stops, wide characters, control characters as `^X`, a character cut by the left edge
//! shown as spaces, horizontal scroll by display columns), in a base style patched by
//! styled byte ranges (a context line's syntax colours, the changed words of a review).

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::ui::text::char_width;

/// How a line is styled: `base`, patched by each of `spans` (in order) over its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Look<'a> {
    /// The line's style.
    pub base: Style,
    /// Byte ranges and the style patched over them.
    pub spans: &'a [(Range<usize>, Style)],
}

impl Look<'_> {
    fn at(&self, byte: usize) -> Style {
        self.spans
            .iter()
            .filter(|(r, _)| r.contains(&byte))
            .fold(self.base, |s, (_, p)| s.patch(*p))
    }
}

/// Draws `text` in the row `area` from display column `left`, styled by `look`.
pub fn line(buf: &mut Buffer, area: Rect, text: &str, left: usize, tab: usize, look: Look<'_>) {
    let width = usize::from(area.width);
    let mut col = 0;
    let mut tmp = [0u8; 4];
    for (byte, c) in text.char_indices() {
        let w = char_width(c, col, tab);
        let (from, to) = (col, col + w);
        col = to;
        if to <= left {
            continue;
        }
        if from >= left + width {
            break;
        }
        let s = look.at(byte);
        let cut = from < left;
        let visible_from = from.max(left) - left;
        let x = area.x + visible_from as u16;
        let room = width - visible_from;
        if c == '\t' || cut {
            let n = (to - from.max(left)).min(room);
            for dx in 0..n {
                put(buf, x + dx as u16, area.y, ' ', s);
            }
        } else if c == ' ' || c.is_ascii_graphic() {
            put(buf, x, area.y, c, s);
        } else if c.is_control() {
            let shown = format!("^{}", char::from(((c as u32) as u8 ^ 0x40) & 0x7f));
            buf.set_stringn(x, area.y, shown, room, s);
        } else if w > room {
            buf.set_stringn(x, area.y, " ".repeat(room), room, s);
        } else {
            buf.set_stringn(x, area.y, c.encode_utf8(&mut tmp), room, s);
            // The cells a wide character covers take its style (they are not drawn).
            if w > 1 {
                buf.set_style(Rect::new(x + 1, area.y, (w - 1) as u16, 1), s);
            }
        }
    }
}

fn put(buf: &mut Buffer, x: u16, y: u16, c: char, style: Style) {
    if let Some(cell) = buf.cell_mut((x, y)) {
        cell.set_char(c).set_style(style);
    }
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // ranges of changed words
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn draw(text: &str, left: usize, width: u16, strong: &[Range<usize>]) -> (String, String) {
        let area = Rect::new(0, 0, width, 1);
        let mut buf = Buffer::empty(area);
        let hard = Style::default().bg(Color::LightRed);
        let spans: Vec<_> = strong.iter().map(|r| (r.clone(), hard)).collect();
        let look = Look {
            base: Style::default().bg(Color::Red),
            spans: &spans,
        };
        line(&mut buf, area, text, left, 4, look);
        let mut symbols = String::new();
        let mut marks = String::new();
        for x in 0..width {
            let cell = &buf[(x, 0)];
            symbols.push_str(cell.symbol());
            marks.push(match cell.bg {
                Color::LightRed => '^',
                Color::Red => '.',
                _ => ' ',
            });
        }
        (symbols, marks)
    }

    #[test]
    fn strong_ranges_follow_tabs_and_wide_characters() {
        // "\tb = 日本;" with `日本` strong: the tab takes 4 columns, each CJK char 2.
        let text = "\tb = 日本;";
        let at = text.find('日').expect("in text");
        let (s, m) = draw(text, 0, 12, &[at..at + "日本".len()]);
        assert_eq!(m, "........^^^^");
        assert!(s.starts_with("    b = 日"), "{s:?}");
        // Scrolled by 5 columns: the tab is gone, the emphasis moves with the text.
        let (s, m) = draw(text, 5, 8, &[at..at + "日本".len()]);
        assert_eq!(s, " = 日 本 ;");
        assert_eq!(m, "...^^^^.");
    }

    #[test]
    fn a_wide_character_cut_by_the_left_edge_is_spaces_in_its_style() {
        let text = "日本x";
        let (s, m) = draw(text, 1, 4, &[0..3]);
        assert_eq!(s, " 本 x");
        assert_eq!(m, "^...");
        let (s, _) = draw("a\u{1}b", 0, 4, &[]);
        assert_eq!(s, "a^Ab");
    }
}
