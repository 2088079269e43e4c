//! Ghost text: the shown suggestion drawn dim after the focused caret, the rest of the
//! caret's line pushed after it. A suggestion of several lines (or one that soft wrap
//! continues on more rows) takes virtual rows of its own: the buffer lines below are
//! pushed down in the view ([`with_virtual_rows`]) and what no longer fits is cut at
//! the pane's bottom (the buffer is not changed). Without soft wrap it is cut at the
//! pane's edge. Wide characters never straddle the edge.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::app::{State, ViewData};
use crate::panes::EditorPane;
use crate::ui::editor_view::{RowRef, caret_position, text_rect};
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
    let Some(mut pen) = pen(state, data, pane, rect, focused, ys, Some(buf)) else {
        return;
    };
    let style = ghost_style(state, pen.base);
    let (ghost, rest) = texts(state, data);
    pen.write(ghost, style);
    let base = pen.base;
    pen.write(rest, base);
    pen.clear_rest();
    log_timing(state);
}

/// The first frame that draws a suggestion logs (at debug, target
/// `symphony::ghost_timing`) the time from the end of the pause to
/// here, the server's own time and the difference: what the client adds.
fn log_timing(state: &State) {
    let Some((asked, server_us)) = state.ghost.timing.take() else {
        return;
    };
    let total_us = u64::try_from(asked.elapsed().as_micros()).unwrap_or(u64::MAX);
    let client_us = server_us.map(|s| total_us.saturating_sub(s));
    tracing::debug!(
        target: "symphony::ghost_timing",
        total_us,
        server_us,
        client_us,
        "ghost text drawn"
    );
}

/// The rows of a view with the shown ghost text's virtual rows (`None`) put after
/// the caret's line, cut to the text area's height: the lines below move down.
pub fn with_virtual_rows(
    state: &State,
    data: &ViewData,
    pane: &EditorPane,
    rect: Rect,
    focused: bool,
    rows: Vec<RowRef>,
) -> Vec<Option<RowRef>> {
    let height = usize::from(rect.height);
    let mut out: Vec<Option<RowRef>> = rows.into_iter().map(Some).collect();
    let Some((after, extra)) = virtual_rows(state, data, pane, rect, focused) else {
        return out;
    };
    let at = (after + 1).min(out.len());
    out.splice(at..at, std::iter::repeat_n(None, extra));
    out.truncate(height);
    out
}

/// Where the ghost text's virtual rows go (after this index of the view's rows) and
/// how many there are: the rows it takes beyond those of the caret's line.
fn virtual_rows(
    state: &State,
    data: &ViewData,
    pane: &EditorPane,
    rect: Rect,
    focused: bool,
) -> Option<(usize, usize)> {
    let all = rect.y..rect.bottom();
    let (ghost, rest) = texts(state, data);
    let mut plain = pen(state, data, pane, rect, focused, all.clone(), None)?;
    let top = plain.area.y;
    plain.write(rest, plain.base);
    let mut with = pen(state, data, pane, rect, focused, all, None)?;
    with.write(ghost, with.base);
    with.write(rest, with.base);
    let extra = usize::from(with.y.saturating_sub(plain.y));
    (extra > 0).then(|| (usize::from(plain.y - top), extra))
}

/// The ghost text to show and the rest of the caret's line after it.
fn texts<'a>(state: &'a State, data: &'a ViewData) -> (&'a str, &'a str) {
    let ghost = state.ghost.shown.as_ref().map_or("", |g| g.text());
    let line = data.cache.get(data.caret.0).map_or("", |l| l.text.as_str());
    let line = line.strip_suffix('\n').unwrap_or(line);
    (
        ghost,
        line.get(data.caret.1.min(line.len())..).unwrap_or(""),
    )
}

/// A pen at the focused caret when a ghost is shown there (`buf` `None`: it only
/// measures).
fn pen<'a>(
    state: &State,
    data: &ViewData,
    pane: &EditorPane,
    rect: Rect,
    focused: bool,
    ys: Range<u16>,
    buf: Option<&'a mut Buffer>,
) -> Option<Pen<'a>> {
    let ghost = state.ghost.shown.as_ref()?;
    if !focused || ghost.view != pane.view || ghost.at != data.caret || ghost.is_empty() {
        return None;
    }
    let (x, y) = caret_position(&state.config, data, pane, rect)?;
    let line = data.cache.get(data.caret.0).map_or("", |l| l.text.as_str());
    let at = data.caret.1.min(line.len());
    let tab = state.config.tab_size;
    Some(Pen {
        buf,
        area: text_rect(&state.config, data, rect),
        ys,
        x,
        y,
        col: byte_to_col(line, at, tab),
        skip: if state.config.soft_wrap { 0 } else { pane.left },
        wrap: state.config.soft_wrap,
        tab,
        base: base_style(state),
    })
}

/// Writes characters into the text area from the caret on.
struct Pen<'a> {
    /// `None`: measuring only.
    buf: Option<&'a mut Buffer>,
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
        self.buf.is_some() && self.y < self.area.bottom() && self.ys.contains(&self.y)
    }

    /// Writes `text`, a line break starting the next row at the left edge.
    fn write(&mut self, text: &str, style: Style) {
        for c in text.chars() {
            if c == '\n' {
                self.new_line();
            } else {
                self.put(c, style);
            }
        }
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
        if self.visible()
            && let Some(buf) = self.buf.as_deref_mut()
        {
            let shown = if c == '\t' || c.is_control() { ' ' } else { c };
            if shown == ' ' {
                for dx in 0..w as u16 {
                    if let Some(cell) = buf.cell_mut((self.x + dx, self.y)) {
                        cell.set_char(' ').set_style(style);
                    }
                }
            } else {
                let mut tmp = [0u8; 4];
                buf.set_stringn(self.x, self.y, shown.encode_utf8(&mut tmp), w, style);
            }
        }
        self.x = self.x.saturating_add(w as u16);
    }

    /// Blanks the row from the pen to the right edge.
    fn clear_rest(&mut self) {
        if !self.visible() {
            return;
        }
        let Some(buf) = self.buf.as_deref_mut() else {
            return;
        };
        for x in self.x..self.area.right() {
            if let Some(cell) = buf.cell_mut((x, self.y)) {
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
