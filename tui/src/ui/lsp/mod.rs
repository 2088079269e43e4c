//! Drawing language intelligence: diagnostics in the editor view (signs in
//! the gutter, severity-coloured underlines), the popups at the caret
//! (completion, hover, signature help), the language pickers and the rename
//! prompt, and what the status line shows (counts, the message under the caret).

mod decorations;
mod popups;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use symphony_protocol::xi::lsp::{ServerState, Severity};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::State;
use crate::lsp::diagnostics::{at_caret, counts, describe, letter};
use crate::overlays::lsp::{LspOverlay, LspPicker};
use crate::ui::overlay_view::{centered_box, draw_input_row};

pub use decorations::{draw_decorations, draw_decorations_rows};
pub use popups::{draw_popups, popup_shown};

/// The colour of a severity.
pub fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Information => Color::Blue,
        Severity::Hint => Color::Cyan,
    }
}

/// Adds the language parts of the status line: the message of the
/// diagnostic under the caret after the file name (`left`), the error and
/// warning counts, and the server's state when it is not running (`parts`,
/// as `(priority, text)`: higher priorities are dropped first when narrow).
pub fn status(state: &State, left: &mut String, parts: &mut Vec<(u8, String)>) {
    let Some(data) = state.focused_data() else {
        return;
    };
    if let Some(d) = at_caret(&data.lsp.diagnostics, data.caret) {
        left.push_str(&format!("  {} {}", letter(d.severity), describe(d)));
    }
    let (errors, warnings) = counts(&data.lsp.diagnostics);
    if errors + warnings > 0 {
        parts.push((1, format!("E{errors} W{warnings}")));
    }
    if let Some((server, s)) = state
        .lsp
        .servers
        .iter()
        .find(|(lang, _)| lang.eq_ignore_ascii_case(&data.language))
        .map(|(_, v)| v)
        && *s != ServerState::Running
    {
        let word = match s {
            ServerState::Starting => "starting",
            ServerState::Running => "running",
            ServerState::Restarting => "restarting",
            ServerState::Failed => "failed",
            ServerState::NotInstalled => "not installed",
            ServerState::Stopped => "stopped",
        };
        parts.push((3, format!("{server}: {word}")));
    }
}

/// Draws a language overlay; returns where the terminal cursor goes.
pub fn draw_overlay(overlay: &LspOverlay, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    match overlay {
        LspOverlay::Picker(p) => draw_picker(p, area, buf),
        LspOverlay::Rename(r) => {
            let y = area.bottom().checked_sub(1)?;
            draw_input_row(
                "Rename to: ",
                &r.input,
                Rect::new(area.x, y, area.width, 1),
                buf,
            )
        }
    }
}

fn draw_picker(p: &LspPicker, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let inner = centered_box(p.title.as_str(), (100, 22), (10, 4), area, buf)?;
    let cursor = draw_input_row(
        "> ",
        &p.input,
        Rect::new(inner.x, inner.y, inner.width, 1),
        buf,
    );
    let visible = usize::from(inner.height.saturating_sub(1));
    let first = p.selected.saturating_sub(visible.saturating_sub(1));
    for (i, &idx) in p.filtered.iter().enumerate().skip(first).take(visible) {
        let row = &p.rows[idx];
        let y = inner.y + 1 + (i - first) as u16;
        let selected = i == p.selected;
        let style = if selected {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default()
        };
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        let dw = row.detail.width() as u16;
        let room = usize::from(inner.width.saturating_sub(dw + 3));
        buf.set_stringn(inner.x + 1, y, &row.label, room, style);
        if let (Some(sev), false) = (row.severity, selected) {
            // The severity letter in its colour.
            buf.set_stringn(
                inner.x + 1,
                y,
                letter(sev).to_string(),
                1,
                style.fg(severity_color(sev)).add_modifier(Modifier::BOLD),
            );
        }
        if dw > 0 && dw + 2 < inner.width {
            let detail_style = if selected {
                style
            } else {
                style.fg(Color::DarkGray)
            };
            buf.set_stringn(
                inner.right() - dw - 1,
                y,
                &row.detail,
                usize::from(dw),
                detail_style,
            );
        }
    }
    cursor
}

/// Splits `text` into rows of at most `width` cells, breaking at spaces
/// when it can (a word longer than a row is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut row = String::new();
        let mut w = 0;
        for c in line.chars() {
            let c = if c == '\t' { ' ' } else { c };
            let cw = c.width().unwrap_or(0);
            if w + cw > width {
                match row.rfind(' ').filter(|&i| i > 0 && c != ' ') {
                    Some(sp) => {
                        let rest = row[sp + 1..].to_owned();
                        row.truncate(sp);
                        out.push(std::mem::replace(&mut row, rest));
                        w = row.width();
                    }
                    None => {
                        out.push(std::mem::take(&mut row));
                        w = 0;
                    }
                }
                if c == ' ' {
                    continue;
                }
            }
            row.push(c);
            w += cw;
        }
        out.push(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(
            wrap("the quick brown fox", 10),
            vec!["the quick", "brown fox"]
        );
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\n\nb", 4), vec!["a", "", "b"]);
    }
}
