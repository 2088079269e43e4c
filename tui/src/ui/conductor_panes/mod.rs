//! Rendering of the Conductor panes (AI, DAG, artifacts, pool) and the AI
//! pickers from the client's [`crate::conductor::ConductorState`]; pure
//! functions of the state.

mod ai;
mod artifact_preview;
mod artifacts;
mod dag;
mod picker;
mod pool;

pub(crate) use picker::draw as draw_picker;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use unicode_width::UnicodeWidthChar;

use crate::app::State;
use crate::panes::PaneKind;

/// Draws a Conductor pane; false when `pane` is not one.
pub fn render(state: &State, pane: &PaneKind, rect: Rect, focused: bool, buf: &mut Buffer) -> bool {
    if rect.width == 0 || rect.height == 0 {
        return matches!(
            pane,
            PaneKind::Ai(_) | PaneKind::Dag(_) | PaneKind::Artifacts(_) | PaneKind::Pool(_)
        );
    }
    match pane {
        PaneKind::Ai(p) => ai::render(state, p, rect, focused, buf),
        PaneKind::Dag(p) => dag::render(state, p, rect, focused, buf),
        PaneKind::Artifacts(p) => artifacts::render(state, p, rect, focused, buf),
        PaneKind::Pool(p) => pool::render(state, p, rect, focused, buf),
        _ => return false,
    }
    true
}

/// Where the terminal cursor goes in a focused Conductor pane (or an editor
/// pane under review); `None` when it has none.
pub fn cursor(state: &State, pane: &PaneKind, rect: Rect) -> Option<(u16, u16)> {
    match pane {
        PaneKind::Ai(p) => ai::cursor(state, p, rect),
        PaneKind::Artifacts(p) => artifacts::cursor(p, rect),
        PaneKind::Editor(e) => {
            let review = crate::review::active(state, e.view)?;
            crate::review::widget::caret_position(state, e, review, rect)
        }
        _ => None,
    }
}

/// The pane's title row.
pub(crate) fn title(buf: &mut Buffer, rect: Rect, text: &str, focused: bool) {
    let style = if focused {
        Style::default()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default()
            .fg(Color::White)
            .bg(Color::DarkGray)
            .add_modifier(Modifier::BOLD)
    };
    let row = Rect { height: 1, ..rect };
    buf.set_style(row, style);
    buf.set_stringn(rect.x, rect.y, text, usize::from(rect.width), style);
}

/// Splits `text` into rows of at most `width` columns (by character width).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let mut row = String::new();
        let mut cols = 0;
        for c in line.chars() {
            let c = if c == '\t' { ' ' } else { c };
            let w = c.width().unwrap_or(0);
            if cols + w > width {
                out.push(std::mem::take(&mut row));
                cols = 0;
            }
            row.push(c);
            cols += w;
        }
        out.push(row);
    }
    out
}

/// A duration as the panes show it (`850ms`, `12.3s`).
pub(crate) fn duration(d: std::time::Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
