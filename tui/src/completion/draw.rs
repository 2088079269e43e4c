//! Ghost text: the shown suggestion drawn dim after the focused caret, the rest of the
//! caret's line pushed after it; a suggestion of several lines covers the rows below
//! while it is shown (the buffer is not changed). Soft wrap continues it on the next
//! rows; without it, it is cut at the pane's edge. Wide characters never straddle the
//! edge.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::app::{State, ViewData};
use crate::panes::EditorPane;
use crate::ui::editor_view::{caret_position, text_rect};
use crate::ui::text::{byte_to_col, char_width};

/// The style of ghost text over `base`: the theme's gutter colour, dim and italic.
pub fn ghost_style(state: &State, base: Style) -> Style {
    let fg = state
        .color_mode
        .theme(state.theme.gutter_foreground)
        .unwrap_or(Color::DarkGray);
    base.fg(fg).add_modifier(Modifier::DIM | Modifier::ITALIC)
}

fn base_style(state: &State) -> Style {
    let m = state.color_mode;
    let mut base = Style::default();
    if let Some(fg) = m.theme(state.theme.foreground) {
        base = base.fg(fg);
    }
    if let Some(bg) = m.theme(state.theme.background) {
        base = base.bg(bg);
    }
    base
}

/// Draws the focused view's ghost text, touching only rows in `ys`.
pub fn draw(
    state: &State,
    data: &ViewData,
    pane: &EditorPane,
    rect: Rect,
    focused: bool,
    ys: Range<u16>,
    buf: &mut Buffer,
) {
    let Some(ghost) = &state.ghost.shown else {
        return;
    };
    if !focused || ghost.view != pane.view || ghost.at != data.caret || ghost.is_empty() {
        return;
    }
    let Some((x, y)) = caret_position(&state.config, data, pane, rect) else {
        return;
    };
    let line = data.cache.get(data.caret.0).map_or("", |l| l.text.as_str());
    let at = data.caret.1.min(line.len());
    let tab = state.config.tab_size;
    let base = base_style(state);
    let mut pen = Pen {
        buf,
        area: text_rect(&state.config, data, rect),
        ys,
        x,
        y,
        col: byte_to_col(line, at, tab),
        skip: if state.config.soft_wrap { 0 } else { pane.left },
        wrap: state.config.soft_wrap,
        tab,
        base,
    };
    let style = ghost_style(state, base);
    for c in ghost.text().chars() {
        if c == '\n' {
            pen.new_line();
        } else {
            pen.put(c, style);
        }
    }
    for c in line.get(at..).unwrap_or("").chars() {
        pen.put(c, base);
    }
    pen.clear_rest();
}

/// Writes characters into the text area from the caret on.
struct Pen<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    ys: Range<u16>,
    x: u16,
    y: u16,
    /// Display column in the buffer line (tab stops).
    col: usize,
    /// Columns scrolled off on the left (no soft wrap).
    skip: usize,
    wrap: bool,
    tab: usize,
    base: Style,
}

impl Pen<'_> {
    fn visible(&self) -> bool {
        self.y < self.area.bottom() && self.ys.contains(&self.y)
    }

    fn put(&mut self, c: char, style: Style) {
        let w = char_width(c, self.col, self.tab);
        let start = self.col;
        self.col += w;
        if !self.wrap {
            // Cut at the edges: positions follow the buffer columns.
            if start < self.skip {
                return;
            }
            let x = self.area.x as usize + start - self.skip;
            if x + w > self.area.right() as usize {
                self.x = self.area.right();
                return;
            }
            self.x = x as u16;
        } else if usize::from(self.x) + w > usize::from(self.area.right()) {
            self.clear_rest();
            self.y += 1;
            self.x = self.area.x;
        }
        if self.visible() {
            let shown = if c == '\t' || c.is_control() { ' ' } else { c };
            if shown == ' ' {
                for dx in 0..w as u16 {
                    if let Some(cell) = self.buf.cell_mut((self.x + dx, self.y)) {
                        cell.set_char(' ').set_style(style);
                    }
                }
            } else {
                let mut tmp = [0u8; 4];
                self.buf
                    .set_stringn(self.x, self.y, shown.encode_utf8(&mut tmp), w, style);
            }
        }
        self.x = self.x.saturating_add(w as u16);
    }

    /// Blanks the row from the pen to the right edge.
    fn clear_rest(&mut self) {
        if !self.visible() {
            return;
        }
        for x in self.x..self.area.right() {
            if let Some(cell) = self.buf.cell_mut((x, self.y)) {
                cell.set_char(' ').set_style(self.base);
            }
        }
    }

    fn new_line(&mut self) {
        self.clear_rest();
        self.y += 1;
        self.x = self.area.x;
        self.col = 0;
        self.clear_rest();
    }
}
