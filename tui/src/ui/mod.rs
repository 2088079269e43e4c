//! Drawing: `draw(&State, &mut Frame)` is a pure function of the state.
//! Panes and borders, the editor views, the status line, messages, then the
//! overlays bottom to top.

pub mod colors;
pub mod conductor_panes;
pub mod editor_view;
pub mod lsp;
pub(crate) mod overlay_view;
mod rows;
mod status;
pub mod text;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::app::State;
use crate::overlays::Overlay;
use crate::panes::{PaneKind, SplitDir};

pub use rows::{RowPrints, draw_echo, echo_damage};
pub use status::message_rows;

/// Draws the whole screen.
pub fn draw(state: &State, frame: &mut Frame) {
    let area = frame.area();
    if let Some(pos) = draw_screen(state, area, frame.buffer_mut()) {
        frame.set_cursor_position(pos);
    }
}

/// Draws the whole screen (`area`) into a blank `buf` and returns where the
/// terminal cursor goes (`None`: hidden). [`draw`] is this plus setting the
/// cursor.
pub fn draw_screen(state: &State, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let message = message_rows(state, area.width, area.height);
    let panes_area = Rect::new(
        area.x,
        area.y,
        area.width,
        area.height.saturating_sub(1 + message),
    );
    let message_area = Rect::new(area.x, panes_area.bottom(), area.width, message);
    let window = state.windows.current();
    let layout = state.windows.layout(panes_area);
    let focus = window.focus;
    let focus_rect = layout.rect_of(focus);
    for border in &layout.borders {
        draw_border(buf, border.rect, border.dir, focus_rect);
    }
    for (id, rect) in &layout.panes {
        match state.windows.panes.get(id) {
            Some(PaneKind::Editor(e)) => match crate::review::active(state, e.view) {
                Some(r) => crate::review::widget::render(state, e, r, *rect, *id == focus, buf),
                None => {
                    editor_view::render(state, e, *rect, *id == focus, buf);
                    lsp::draw_decorations(state, e, *rect, buf);
                }
            },
            Some(PaneKind::Tool(t)) => {
                let title = Style::default().add_modifier(Modifier::BOLD);
                buf.set_stringn(rect.x, rect.y, &t.title, usize::from(rect.width), title);
                // Long lines wrap at spaces (a message is read whole here).
                let width = usize::from(rect.width.max(1));
                for (i, line) in t
                    .lines
                    .iter()
                    .flat_map(|l| status::wrap_words(l, width))
                    .enumerate()
                    .take(usize::from(rect.height.saturating_sub(1)))
                {
                    buf.set_stringn(
                        rect.x,
                        rect.y + 1 + i as u16,
                        line,
                        usize::from(rect.width),
                        Style::default(),
                    );
                }
            }
            Some(PaneKind::Motif(m)) => crate::motif::draw(m, *rect, *id == focus, buf),
            Some(other) => {
                conductor_panes::render(state, other, *rect, *id == focus, buf);
            }
            None => {}
        }
    }
    let status_area = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
    status::draw_status(state, status_area, buf);
    lsp::draw_popups(state, focus_rect, panes_area, buf);
    let mut cursor = None;
    if state.overlays.is_empty()
        && let (Some(PaneKind::Editor(e)), Some(rect)) =
            (state.windows.panes.get(&focus), focus_rect)
        && let Some(data) = state.views.get(&e.view)
    {
        cursor = editor_view::caret_position(&state.config, data, e, rect);
    }
    // Conductor panes' inputs, and an editor pane under review.
    if state.overlays.is_empty()
        && let (Some(pane), Some(rect)) = (state.windows.panes.get(&focus), focus_rect)
        && let Some(c) = conductor_panes::cursor(state, pane, rect)
    {
        cursor = Some(c);
    }
    for overlay in &state.overlays {
        if let Overlay::PaneNumbers = overlay {
            for (n, (_, rect)) in layout.panes.iter().enumerate() {
                let label = format!(" {n} ");
                let x = rect.x + rect.width.saturating_sub(label.len() as u16) / 2;
                let y = rect.y + rect.height / 2;
                let style = Style::default()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD);
                buf.set_stringn(x, y, label, usize::from(rect.width), style);
            }
            continue;
        }
        cursor = overlay_view::draw_overlay(state, overlay, panes_area, buf);
    }
    if crate::motif::draw_prompt(state, panes_area, buf) {
        cursor = None;
    }
    if let Some(msg) = &state.message {
        let more = status::more_text(state);
        status::draw_message(msg, message_area, area.height, &more, buf);
    }
    cursor
}

fn draw_border(buf: &mut Buffer, rect: Rect, dir: SplitDir, focus: Option<Rect>) {
    let adjacent = |y_or_x: u16, horizontal: bool| -> bool {
        let Some(f) = focus else { return false };
        if horizontal {
            // A vertical line at column rect.x: next to the focus if it touches it and spans this row.
            (f.right() == rect.x || rect.x + 1 == f.x) && y_or_x >= f.y && y_or_x < f.bottom()
        } else {
            (f.bottom() == rect.y || rect.y + 1 == f.y) && y_or_x >= f.x && y_or_x < f.right()
        }
    };
    match dir {
        SplitDir::Horizontal => {
            for y in rect.y..rect.bottom() {
                let style = border_style(adjacent(y, true));
                buf.set_stringn(rect.x, y, "│", 1, style);
            }
        }
        SplitDir::Vertical => {
            for x in rect.x..rect.right() {
                let style = border_style(adjacent(x, false));
                buf.set_stringn(x, rect.y, "─", 1, style);
            }
        }
    }
}

fn border_style(active: bool) -> Style {
    if active {
        Style::default().fg(Color::Green)
    } else {
        Style::default().fg(Color::DarkGray)
    }
}
