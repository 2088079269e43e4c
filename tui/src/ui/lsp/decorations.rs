//! Diagnostics inside an editor view, drawn over what the view widget drew:
//! a sign in the gutter's first column and severity-coloured underlines under
//! the ranges.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use symphony_protocol::xi::lsp::Diagnostic;

use super::severity_color;
use crate::app::State;
use crate::lsp::diagnostics::worst_on_line;
use crate::panes::EditorPane;
use crate::ui::editor_view::{RowRef, layout_rows, text_rect};
use crate::ui::text::byte_to_col;

/// The sign drawn in the gutter of a line with diagnostics.
pub const SIGN: &str = "●";

/// Draws the diagnostics of the view shown in `pane` (at `rect`).
pub fn draw_decorations(state: &State, pane: &EditorPane, rect: Rect, buf: &mut Buffer) {
    draw_decorations_rows(state, pane, rect, rect.y..rect.bottom(), buf);
}

/// [`draw_decorations`] on the screen rows `ys` only.
pub fn draw_decorations_rows(
    state: &State,
    pane: &EditorPane,
    rect: Rect,
    ys: Range<u16>,
    buf: &mut Buffer,
) {
    let Some(data) = state.views.get(&pane.view) else {
        return;
    };
    let diags = &data.lsp.diagnostics;
    if diags.is_empty() || data.open_error.is_some() {
        return;
    }
    let config = &state.config;
    let text = text_rect(config, data, rect);
    let rows = layout_rows(config, data, pane, text);
    let has_sign_column = text.x > rect.x && data.lsp.attached;
    // Least serious first, so the worst colour wins where ranges overlap.
    let mut order: Vec<&Diagnostic> = diags.iter().collect();
    order.sort_by_key(|d| std::cmp::Reverse(d.severity));
    for (i, row) in rows.iter().enumerate() {
        let y = text.y + i as u16;
        if !ys.contains(&y) {
            continue;
        }
        if row.first
            && has_sign_column
            && let Some(sev) = worst_on_line(diags, row.line)
        {
            let style = Style::default().fg(severity_color(sev));
            buf.set_stringn(rect.x, y, SIGN, 1, style);
        }
        let Some(line) = data.cache.get(row.line) else {
            continue;
        };
        for d in &order {
            if let Some((s, e)) = bytes_on_line(d, row.line, &line.text) {
                underline(state, pane, row, &line.text, (s, e), d, text, y, buf);
            }
        }
    }
}

/// The byte range of `line` a diagnostic covers (an empty range covers the
/// character it points at, or the last one at the end of the line).
fn bytes_on_line(d: &Diagnostic, line: usize, text: &str) -> Option<(usize, usize)> {
    if line < d.line || line > d.end_line {
        return None;
    }
    let len = text.len();
    let s = if line == d.line { d.col.min(len) } else { 0 };
    let e = if line == d.end_line {
        d.end_col.min(len)
    } else {
        len
    };
    if s < e {
        return Some((s, e));
    }
    if d.line != d.end_line || len == 0 {
        return None;
    }
    // A point: the character there, else the last one.
    let at = if s < len {
        s
    } else {
        text.char_indices().last().map_or(0, |(i, _)| i)
    };
    // (A column inside a character from a confused server: nothing drawn.)
    let next = text
        .get(at..)?
        .chars()
        .next()
        .map_or(len, |c| at + c.len_utf8());
    Some((at, next))
}

#[allow(clippy::too_many_arguments)]
fn underline(
    state: &State,
    pane: &EditorPane,
    row: &RowRef,
    text: &str,
    (s, e): (usize, usize),
    d: &Diagnostic,
    area: Rect,
    y: u16,
    buf: &mut Buffer,
) {
    let tab = state.config.tab_size;
    // Clip to the bytes this screen row shows.
    let s = s.max(row.start.min(text.len()));
    let e = e.min(row.end);
    if s >= e {
        return;
    }
    let skip = if state.config.soft_wrap {
        byte_to_col(text, row.start.min(text.len()), tab)
    } else {
        pane.left
    };
    let (c0, c1) = (byte_to_col(text, s, tab), byte_to_col(text, e, tab));
    let style = Style::default()
        .add_modifier(Modifier::UNDERLINED)
        .underline_color(severity_color(d.severity));
    for col in c0.max(skip)..c1 {
        let x = area.x as usize + (col - skip);
        if x >= usize::from(area.right()) {
            break;
        }
        if let Some(cell) = buf.cell_mut((x as u16, y)) {
            cell.set_style(style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphony_protocol::xi::lsp::Severity;

    fn d(line: usize, col: usize, end_line: usize, end_col: usize) -> Diagnostic {
        Diagnostic {
            line,
            col,
            end_line,
            end_col,
            severity: Severity::Error,
            message: String::new(),
            source: None,
            code: None,
        }
    }

    #[test]
    fn ranges_on_lines() {
        assert_eq!(bytes_on_line(&d(0, 2, 0, 4), 0, "abcdef"), Some((2, 4)));
        assert_eq!(bytes_on_line(&d(0, 2, 2, 1), 1, "xyz"), Some((0, 3)));
        assert_eq!(bytes_on_line(&d(0, 2, 2, 1), 2, "xyz"), Some((0, 1)));
        assert_eq!(bytes_on_line(&d(0, 2, 2, 0), 2, "xyz"), None);
        // A point at the end of the line marks the last character.
        assert_eq!(bytes_on_line(&d(0, 9, 0, 9), 0, "aé"), Some((1, 3)));
        assert_eq!(bytes_on_line(&d(0, 0, 0, 0), 0, ""), None);
    }
}
