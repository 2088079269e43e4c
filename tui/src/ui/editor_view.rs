//! The editor view widget: a view's `LineCache` drawn in a pane with a
//! line-number gutter, syntax styles, selections, find highlights, several
//! cursors, tabs and wide characters, horizontal scroll or soft wrap. Also
//! the geometry the mouse and scrolling share with drawing.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::text::{byte_to_col, char_width, col_to_byte, wrap_points};
use crate::app::{State, ViewData};
use crate::config::Config;
use crate::linecache::CachedLine;
use crate::panes::EditorPane;

/// One screen row of a view: which line, which bytes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    /// 0-based buffer line.
    pub line: usize,
    /// First byte of the line on this row.
    pub start: usize,
    /// End byte (exclusive) on this row; `usize::MAX` = to the end.
    pub end: usize,
    /// The first row of the line (the gutter shows its number).
    pub first: bool,
}

/// Width of the line-number gutter for a view (0 when numbers are off).
pub fn gutter_width(config: &Config, data: &ViewData) -> u16 {
    // A language server's sign column first (see `lsp::sign_columns`).
    let signs = crate::lsp::sign_columns(data);
    if !config.line_numbers {
        return u16::try_from(signs).unwrap_or(0);
    }
    let digits = data.cache.len().max(1).to_string().len().max(3);
    u16::try_from(digits + 1 + signs).unwrap_or(u16::MAX)
}

/// The text area of a pane (the pane less the gutter).
pub fn text_rect(config: &Config, data: &ViewData, pane: Rect) -> Rect {
    let g = gutter_width(config, data).min(pane.width.saturating_sub(1));
    Rect {
        x: pane.x + g,
        width: pane.width - g,
        ..pane
    }
}

/// The rows a view shows in `text` from its `top` line.
pub fn layout_rows(config: &Config, data: &ViewData, pane: &EditorPane, text: Rect) -> Vec<RowRef> {
    let mut rows = Vec::with_capacity(usize::from(text.height));
    let height = usize::from(text.height);
    let mut line = pane.top;
    while rows.len() < height && line < data.cache.len() {
        let points = match (config.soft_wrap, data.cache.get(line)) {
            (true, Some(l)) => wrap_points(&l.text, usize::from(text.width), config.tab_size),
            _ => vec![0],
        };
        for (i, start) in points.iter().enumerate() {
            if rows.len() >= height {
                break;
            }
            rows.push(RowRef {
                line,
                start: *start,
                end: points.get(i + 1).copied().unwrap_or(usize::MAX),
                first: i == 0,
            });
        }
        line += 1;
    }
    rows
}

/// The buffer position (line, byte) under a screen cell of a pane.
pub fn screen_to_buffer(
    config: &Config,
    data: &ViewData,
    pane: &EditorPane,
    rect: Rect,
    x: u16,
    y: u16,
) -> Option<(usize, usize)> {
    let text = text_rect(config, data, rect);
    let rows = layout_rows(config, data, pane, text);
    let row_index = usize::from(y.saturating_sub(text.y));
    let row = match rows.get(row_index) {
        Some(r) => *r,
        // Below the last line: the end of the buffer.
        None => {
            let last = data.cache.len().checked_sub(1)?;
            let len = data.cache.get(last).map(|l| l.text.len()).unwrap_or(0);
            return Some((last, len));
        }
    };
    let Some(line) = data.cache.get(row.line) else {
        return Some((row.line, 0));
    };
    let tab = config.tab_size;
    let dx = usize::from(x.saturating_sub(text.x));
    let byte = if config.soft_wrap {
        let start_col = byte_to_col(&line.text, row.start, tab);
        let b = col_to_byte(&line.text, start_col + dx, tab);
        let end = row.end.min(line.text.len());
        // On a wrapped row, clicking past its end lands before the next row's first char.
        if row.end != usize::MAX && b >= end {
            floor_char(&line.text, end.saturating_sub(1))
        } else {
            b
        }
    } else {
        col_to_byte(&line.text, pane.left + dx, tab)
    };
    Some((row.line, byte))
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where the caret of the focused view is on screen, if visible.
pub fn caret_position(
    config: &Config,
    data: &ViewData,
    pane: &EditorPane,
    rect: Rect,
) -> Option<(u16, u16)> {
    let text = text_rect(config, data, rect);
    let (line, col) = data.caret;
    let rows = layout_rows(config, data, pane, text);
    let tab = config.tab_size;
    let line_text = data.cache.get(line).map(|l| l.text.as_str()).unwrap_or("");
    for (i, row) in rows.iter().enumerate() {
        if row.line != line {
            continue;
        }
        let last_row = row.end == usize::MAX;
        if col < row.start || (!last_row && col >= row.end) {
            continue;
        }
        let c = byte_to_col(line_text, col, tab);
        let dx = if config.soft_wrap {
            c - byte_to_col(line_text, row.start, tab)
        } else {
            c.checked_sub(pane.left)?
        };
        if dx >= usize::from(text.width) {
            return None;
        }
        return Some((text.x + dx as u16, text.y + i as u16));
    }
    None
}

/// The colours the view uses, from the theme.
struct Palette {
    base: Style,
    gutter: Style,
    selection: Style,
    find: Style,
}

fn palette(state: &State) -> Palette {
    let m = state.color_mode;
    let t = &state.theme;
    let mut base = Style::default();
    if let Some(fg) = m.theme(t.foreground) {
        base = base.fg(fg);
    }
    if let Some(bg) = m.theme(t.background) {
        base = base.bg(bg);
    }
    let mut gutter = base.fg(m.theme(t.gutter_foreground).unwrap_or(Color::DarkGray));
    if let Some(bg) = m.theme(t.gutter) {
        gutter = gutter.bg(bg);
    }
    let mut selection = Style::default().bg(m.theme(t.selection).unwrap_or(Color::Indexed(238)));
    if let Some(fg) = m.theme(t.selection_foreground) {
        selection = selection.fg(fg);
    }
    let mut find = Style::default().bg(m.theme(t.find_highlight).unwrap_or(Color::Indexed(136)));
    if let Some(fg) = m.theme(t.find_highlight_foreground) {
        find = find.fg(fg);
    }
    Palette {
        base,
        gutter,
        selection,
        find,
    }
}

/// Byte ranges of `line` covered by annotation ranges `[l0, c0, l1, c1]`;
/// `usize::MAX` as the end means "and the line break".
fn ranges_on_line(ranges: &[[usize; 4]], line: usize) -> Vec<(usize, usize)> {
    ranges
        .iter()
        .filter(|r| r[0] <= line && line <= r[2])
        .filter(|r| (r[0], r[1]) != (r[2], r[3]))
        .map(|r| {
            let s = if r[0] == line { r[1] } else { 0 };
            let e = if r[2] == line { r[3] } else { usize::MAX };
            (s, e)
        })
        .collect()
}

/// Draws the view of `pane` in `rect`.
pub fn render(state: &State, pane: &EditorPane, rect: Rect, focused: bool, buf: &mut Buffer) {
    render_rows(state, pane, rect, focused, rect.y..rect.bottom(), buf);
}

/// Draws the screen rows `ys` of the view of `pane` in `rect`, touching no
/// cell outside them: what [`render`] draws there, cell for cell.
pub fn render_rows(
    state: &State,
    pane: &EditorPane,
    rect: Rect,
    focused: bool,
    ys: Range<u16>,
    buf: &mut Buffer,
) {
    let Some(data) = state.views.get(&pane.view) else {
        return;
    };
    let pal = palette(state);
    let ys = ys.start.max(rect.y)..ys.end.min(rect.bottom());
    if ys.is_empty() {
        return;
    }
    buf.set_style(
        Rect::new(rect.x, ys.start, rect.width, ys.end - ys.start),
        pal.base,
    );
    if let Some(err) = &data.open_error {
        if !ys.contains(&rect.y) {
            return;
        }
        buf.set_stringn(
            rect.x,
            rect.y,
            err,
            usize::from(rect.width),
            pal.base.fg(Color::Red),
        );
        return;
    }
    let text = text_rect(&state.config, data, rect);
    let gutter = rect.width - text.width;
    let rows = layout_rows(&state.config, data, pane, text);
    // Ghost text's virtual rows push the lines below down.
    let rows = crate::completion::draw::with_virtual_rows(state, data, pane, rect, focused, rows);
    for (i, row) in rows.iter().enumerate() {
        let y = text.y + i as u16;
        if !ys.contains(&y) {
            continue;
        }
        let Some(row) = row else {
            buf.set_stringn(
                rect.x,
                y,
                " ".repeat(usize::from(gutter)),
                usize::from(gutter),
                pal.gutter,
            );
            continue;
        };
        if gutter > 1 && row.first {
            let n = data
                .cache
                .get(row.line)
                .and_then(|l| l.ln)
                .unwrap_or(row.line + 1);
            let s = format!("{:>w$} ", n, w = usize::from(gutter) - 1);
            buf.set_stringn(rect.x, y, s, usize::from(gutter), pal.gutter);
        } else if gutter > 0 {
            buf.set_style(Rect::new(rect.x, y, gutter, 1), pal.gutter);
        }
        if let Some(line) = data.cache.get(row.line) {
            draw_row(
                state,
                data,
                &pal,
                line,
                row,
                pane,
                Rect::new(text.x, y, text.width, 1),
                focused,
                buf,
            );
        }
    }
    crate::completion::draw::draw(state, data, pane, rect, focused, ys, buf);
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    state: &State,
    data: &ViewData,
    pal: &Palette,
    line: &CachedLine,
    row: &RowRef,
    pane: &EditorPane,
    area: Rect,
    focused: bool,
    buf: &mut Buffer,
) {
    let tab = state.config.tab_size;
    let mut selections = ranges_on_line(data.cache.selections(), row.line);
    let mut finds = ranges_on_line(data.cache.find_ranges(), row.line);
    let mut syntax = Vec::new();
    for span in &line.styles {
        match span.style_id {
            0 => selections.push((span.start, span.end)),
            1 => finds.push((span.start, span.end)),
            id => {
                if let Some(def) = state.styles.get(&id) {
                    syntax.push((span.start, span.end, state.color_mode.style(def)));
                }
            }
        }
    }
    let primary = (focused && data.caret.0 == row.line).then_some(data.caret.1);
    let style_at = |byte: usize| -> Style {
        let mut s = pal.base;
        for (a, b, st) in &syntax {
            if *a <= byte && byte < *b {
                s = s.patch(*st);
            }
        }
        if finds.iter().any(|(a, b)| *a <= byte && byte < *b) {
            s = s.patch(pal.find);
        }
        if selections.iter().any(|(a, b)| *a <= byte && byte < *b) {
            s = s.patch(pal.selection);
        }
        if line.cursors.contains(&byte) && primary != Some(byte) {
            // An inactive pane shows where its caret is without a block
            // cursor: only the focused pane has one.
            s = s.add_modifier(if focused {
                Modifier::REVERSED
            } else {
                Modifier::UNDERLINED
            });
        }
        s
    };
    let (skip_cols, row_end) = if state.config.soft_wrap {
        (
            byte_to_col(&line.text, row.start, tab),
            row.end.min(line.text.len()),
        )
    } else {
        (pane.left, line.text.len())
    };
    let width = usize::from(area.width);
    let mut col = if state.config.soft_wrap { skip_cols } else { 0 };
    let start = if state.config.soft_wrap { row.start } else { 0 };
    // `style_at` only changes where a span starts or ends: compute it there
    // and reuse it for the characters in between.
    let mut breaks: Vec<usize> = syntax
        .iter()
        .flat_map(|(a, b, _)| [*a, *b])
        .chain(finds.iter().chain(&selections).flat_map(|(a, b)| [*a, *b]))
        .chain(line.cursors.iter().flat_map(|c| [*c, c + 1]))
        .collect();
    breaks.sort_unstable();
    breaks.dedup();
    let mut next_break = 0;
    let mut style = pal.base;
    let mut style_valid = false;
    let mut tmp = [0u8; 4];
    for (i, c) in line.text[start..row_end].char_indices() {
        let byte = start + i;
        let w = char_width(c, col, tab);
        let (from, to) = (col, col + w);
        col = to;
        if to <= skip_cols {
            continue;
        }
        if from >= skip_cols + width {
            break;
        }
        if !style_valid || breaks.get(next_break).is_some_and(|b| *b <= byte) {
            style = style_at(byte);
            style_valid = true;
            next_break = breaks.partition_point(|b| *b <= byte);
        }
        // A character cut by the left edge shows as spaces.
        let cut = from < skip_cols;
        let visible_from = from.max(skip_cols) - skip_cols;
        let x = area.x + visible_from as u16;
        let room = width - visible_from;
        if c == '\t' || cut {
            let n = (to - from.max(skip_cols)).min(room);
            for dx in 0..n {
                put_char(buf, x + dx as u16, area.y, ' ', style);
            }
        } else if c == ' ' || c.is_ascii_graphic() {
            // The common case: one cell, no grapheme segmentation needed.
            put_char(buf, x, area.y, c, style);
        } else if c.is_control() {
            let shown = format!("^{}", char::from(((c as u32) as u8 ^ 0x40) & 0x7f));
            buf.set_stringn(x, area.y, shown, room, style);
        } else if w > room {
            buf.set_stringn(x, area.y, " ".repeat(room), room, style);
        } else {
            buf.set_stringn(x, area.y, c.encode_utf8(&mut tmp), room, style);
        }
    }
    // Past the text: a selected line break, a cursor at the end of the line.
    let end_byte = line.text.len();
    let at_end = row.end == usize::MAX || row.end >= end_byte;
    if at_end && col >= skip_cols && col < skip_cols + width {
        let x = area.x + (col - skip_cols) as u16;
        let mut s = pal.base;
        if selections
            .iter()
            .any(|(a, b)| *a <= end_byte && *b > end_byte)
        {
            s = s.patch(pal.selection);
        }
        if line.cursors.contains(&end_byte) && primary != Some(end_byte) {
            s = s.add_modifier(Modifier::REVERSED);
        }
        if s != pal.base {
            buf.set_stringn(x, area.y, " ", 1, s);
        }
    }
}

/// Writes one single-width character into a cell: what `set_stringn` does
/// for it, without segmenting a one-character string into graphemes.
fn put_char(buf: &mut Buffer, x: u16, y: u16, c: char, style: Style) {
    if let Some(cell) = buf.cell_mut((x, y)) {
        cell.set_char(c).set_style(style);
    }
}
