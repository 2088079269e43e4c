//! Drawing some rows of the screen alone, over the frame the terminal shows.
//!
//! Two things change only a few rows of an up-to-date screen, and drawing a whole
//! frame for them costs most of their time:
//! - a keystroke echoed ahead of the core: the caret's row and the status line
//!   ([`echo_damage`]);
//! - the core's `update` of the focused view that confirms it (or any small edit):
//!   the rows whose content changed ([`RowPrints`], taken before and after the
//!   update, and [`RowPrints::changed_rows`]).
//!
//! Both are drawn by [`draw_echo`], cell for cell what [`super::draw_screen`] draws
//! there. Either gives up (`None`) whenever something else could be on those rows
//! (an overlay, a popup, a message, a review, the view shown in a second pane): the
//! whole frame is drawn then.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{editor_view, lsp, status};
use crate::app::{State, ViewData};
use crate::panes::{EditorPane, PaneKind};

/// The screen less the status line.
fn panes_area(area: Rect) -> Rect {
    Rect::new(area.x, area.y, area.width, area.height.saturating_sub(1))
}

/// The focused editor pane, its rectangle and its view, when its rows can be
/// drawn alone: nothing is drawn over the panes and no other pane shows its view.
fn lone_focused_editor(state: &State, area: Rect) -> Option<(&EditorPane, Rect, &ViewData)> {
    if !state.overlays.is_empty()
        || state.message.is_some()
        || state.motifs.prompt.is_some()
        || lsp::popup_shown(state)
    {
        return None;
    }
    let window = state.windows.current();
    let layout = state.windows.layout(panes_area(area));
    let Some(PaneKind::Editor(pane)) = state.windows.panes.get(&window.focus) else {
        return None;
    };
    if crate::review::active(state, pane.view).is_some() {
        return None;
    }
    let shown_twice = layout.panes.iter().any(|(id, _)| {
        *id != window.focus
            && matches!(state.windows.panes.get(id), Some(PaneKind::Editor(e)) if e.view == pane.view)
    });
    if shown_twice {
        return None;
    }
    let rect = layout.rect_of(window.focus)?;
    let data = state.views.get(&pane.view)?;
    Some((pane, rect, data))
}

/// The status line of a screen of `area`.
fn status_row(area: Rect) -> Option<Rect> {
    Some(Rect::new(
        area.x,
        area.bottom().checked_sub(1)?,
        area.width,
        1,
    ))
}

/// What a keystroke drawn ahead of the core (local echo) changes on a screen
/// of `area` that shows the previous frame: the caret's row in the focused
/// editor pane and the status line. `None` when something else could be
/// drawn over them (an overlay, a popup, a message, a review, the view in
/// another pane too): then the whole frame is drawn.
pub fn echo_damage(state: &State, area: Rect) -> Option<[Rect; 2]> {
    let (pane, rect, data) = lone_focused_editor(state, area)?;
    let (_, y) = editor_view::caret_position(&state.config, data, pane, rect)?;
    Some([Rect::new(rect.x, y, rect.width, 1), status_row(area)?])
}

/// Draws `rows` of the focused editor pane and the status line (what
/// [`echo_damage`] or [`RowPrints::changed_rows`] named) into a `buf` where
/// those cells are blank and the rest shows the previous frame, exactly as
/// [`super::draw_screen`] would; returns where the cursor goes.
pub fn draw_echo(state: &State, area: Rect, rows: &[Rect], buf: &mut Buffer) -> Option<(u16, u16)> {
    let panes = panes_area(area);
    let window = state.windows.current();
    let rect = state.windows.layout(panes).rect_of(window.focus)?;
    let Some(PaneKind::Editor(pane)) = state.windows.panes.get(&window.focus) else {
        return None;
    };
    for row in rows {
        if row.y >= panes.bottom() {
            status::draw_status(state, *row, buf);
        } else {
            let ys = row.y..row.y + 1;
            editor_view::render_rows(state, pane, rect, true, ys.clone(), buf);
            lsp::draw_decorations_rows(state, pane, rect, ys, buf);
        }
    }
    let data = state.views.get(&pane.view)?;
    editor_view::caret_position(&state.config, data, pane, rect)
}

/// A fingerprint of every screen row of the focused editor pane: everything
/// [`editor_view::render_rows`] and the diagnostics drawn over it read for that
/// row, hashed. Two prints of one pane differ in a row exactly when that row may
/// look different.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPrints {
    /// The pane's rectangle.
    rect: Rect,
    /// What moves every row: the pane's text area, scroll, gutter and its signs,
    /// an open error.
    whole: u64,
    /// One print per screen row from the pane's top.
    rows: Vec<u64>,
}

impl RowPrints {
    /// The prints of the focused editor pane of a screen of `area`, when its rows
    /// can be drawn alone (see [`echo_damage`]).
    pub fn take(state: &State, area: Rect) -> Option<RowPrints> {
        let (pane, rect, data) = lone_focused_editor(state, area)?;
        let config = &state.config;
        let text = editor_view::text_rect(config, data, rect);
        let layout = editor_view::layout_rows(config, data, pane, text);
        let mut h = DefaultHasher::new();
        (text, pane.top, pane.left).hash(&mut h);
        (data.open_error.is_some(), data.lsp.attached).hash(&mut h);
        let whole = h.finish();
        let selections = data.cache.selections();
        let finds = data.cache.find_ranges();
        let touches = |r: &[usize; 4], line: usize| r[0] <= line && line <= r[2];
        let rows = layout
            .iter()
            .map(|row| {
                let mut h = DefaultHasher::new();
                (row.line, row.start, row.end, row.first).hash(&mut h);
                if let Some(line) = data.cache.get(row.line) {
                    (&line.text, &line.cursors, line.ln).hash(&mut h);
                    for s in &line.styles {
                        (s.start, s.end, s.style_id).hash(&mut h);
                    }
                } else {
                    // A line not received yet draws blank.
                    u8::MAX.hash(&mut h);
                }
                for r in selections.iter().filter(|r| touches(r, row.line)) {
                    (0u8, r).hash(&mut h);
                }
                for r in finds.iter().filter(|r| touches(r, row.line)) {
                    (1u8, r).hash(&mut h);
                }
                (data.caret.0 == row.line)
                    .then_some(data.caret.1)
                    .hash(&mut h);
                for d in &data.lsp.diagnostics {
                    if d.line <= row.line && row.line <= d.end_line {
                        (d.line, d.col, d.end_line, d.end_col, d.severity).hash(&mut h);
                    }
                }
                h.finish()
            })
            .collect();
        Some(RowPrints { rect, whole, rows })
    }

    /// The rows that changed from `before` to `self` (always with the status
    /// line, which shows the revision and the caret), or `None` when the pane
    /// moved, scrolled or changed its gutter: then the whole frame is drawn.
    pub fn changed_rows(&self, before: &RowPrints, area: Rect) -> Option<Vec<Rect>> {
        if self.rect != before.rect || self.whole != before.whole {
            return None;
        }
        let top = self.rect.y;
        let rows = self.rows.len().max(before.rows.len());
        let mut changed: Vec<Rect> = (0..rows)
            .filter(|i| self.rows.get(*i) != before.rows.get(*i))
            .filter_map(|i| u16::try_from(i).ok())
            .map(|i| Rect::new(self.rect.x, top + i, self.rect.width, 1))
            .collect();
        changed.push(status_row(area)?);
        Some(changed)
    }
}
