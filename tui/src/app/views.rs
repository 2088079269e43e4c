//! Keeping views and panes in step: tell the core each visible view's size
//! and line range, keep the caret in sight, open and retire views.

use std::path::PathBuf;

use symphony_protocol::xi::{EditNotification as E, LineRange, Size};

use super::{State, ViewData};
use crate::panes::{EditorPane, PaneId, PaneKind};
use crate::ui::editor_view::text_rect;
use crate::ui::text::{byte_to_col, wrap_rows};

/// Sends `resize` and `scroll` for every view shown in the current window
/// whose size or visible range changed since last sent.
pub fn sync_views(state: &mut State) {
    let layout = state.windows.layout(state.pane_area());
    for (id, rect) in layout.panes {
        let Some(PaneKind::Editor(e)) = state.windows.panes.get_mut(&id) else {
            continue;
        };
        let Some(data) = state.views.get(&e.view) else {
            continue;
        };
        let text = text_rect(&state.config, data, rect);
        // Keep the top line inside the buffer.
        if !data.cache.is_empty() && e.top >= data.cache.len() {
            e.top = data.cache.len() - 1;
        }
        let (view, top) = (e.view, e.top);
        let size = (usize::from(text.width), usize::from(text.height));
        let range = (top, top + size.1 + 1);
        let Some(data) = state.views.get_mut(&view) else {
            continue;
        };
        if data.sent_size != Some(size) {
            data.sent_size = Some(size);
            state.editor.edit(
                view,
                E::Resize(Size {
                    width: size.0,
                    height: size.1,
                }),
            );
        }
        if data.sent_scroll != Some(range) {
            data.sent_scroll = Some(range);
            state
                .editor
                .edit(view, E::Scroll(LineRange(range.0, range.1)));
        }
    }
}

/// Moves the panes showing `view` so that (line, byte col) is visible.
pub fn reveal(state: &mut State, view: u64, line: usize, col: usize) {
    let layout = state.windows.layout(state.pane_area());
    let panes: Vec<(PaneId, ratatui::layout::Rect)> = layout
        .panes
        .into_iter()
        .filter(|(id, _)| matches!(state.windows.panes.get(id), Some(PaneKind::Editor(e)) if e.view == view))
        .collect();
    // rows a find bar or prompt covers at the bottom: the line must be above it
    let covered = state
        .overlays
        .iter()
        .map(crate::overlays::Overlay::bottom_rows)
        .max()
        .unwrap_or(0);
    let uncovered_bottom = state.pane_area().bottom().saturating_sub(covered);
    for (id, rect) in panes {
        let Some(data) = state.views.get(&view) else {
            return;
        };
        let text = text_rect(&state.config, data, rect);
        let shown = text.bottom().min(uncovered_bottom).saturating_sub(text.y);
        let (h, w) = (usize::from(shown).max(1), usize::from(text.width).max(1));
        let tab = state.config.tab_size;
        let wrap = state.config.soft_wrap;
        let line_text = data.cache.get(line).map(|l| l.text.clone());
        let rows_of = |l: usize| -> usize {
            match (wrap, data.cache.get(l)) {
                (true, Some(cl)) => wrap_rows(&cl.text, w, tab),
                _ => 1,
            }
        };
        let Some(PaneKind::Editor(e)) = state.windows.panes.get(&id) else {
            continue;
        };
        let mut top = e.top;
        let mut left = e.left;
        if line < top {
            top = line;
        } else if wrap {
            let mut rows: usize = (top..=line).map(rows_of).sum();
            while rows > h && top < line {
                rows -= rows_of(top);
                top += 1;
            }
        } else if line >= top + h {
            top = line + 1 - h;
        }
        if wrap {
            left = 0;
        } else if let Some(t) = &line_text {
            let c = byte_to_col(t, col, tab);
            if c < left {
                left = c.saturating_sub(w / 4);
            } else if c >= left + w {
                left = c + 1 - w + w / 4;
            }
        }
        if let Some(PaneKind::Editor(e)) = state.windows.panes.get_mut(&id) {
            e.top = top;
            e.left = left;
        }
    }
}

/// Opens a view in the editor and records it.
pub fn open_view(state: &mut State, path: Option<PathBuf>) -> u64 {
    let view = state.editor.open(path.clone());
    state.views.insert(view, ViewData::new(path));
    view
}

/// Shows `view` in the focused pane (turning a tool pane into an editor);
/// the view shown before goes to the hidden list, or is closed when it is
/// an untouched empty buffer.
pub fn show_in_focused(state: &mut State, view: u64) {
    let old = match state.windows.focused_mut() {
        Some(PaneKind::Editor(e)) => {
            let old = e.view;
            *e = EditorPane {
                view,
                ..Default::default()
            };
            Some(old)
        }
        Some(other) => {
            *other = PaneKind::Editor(EditorPane {
                view,
                ..Default::default()
            });
            None
        }
        None => None,
    };
    state.hidden.retain(|v| *v != view);
    if let Some(old) = old {
        retire_view(state, old);
    }
}

/// A view no pane shows any more: keep it as a hidden buffer unless it is
/// an untouched new buffer or another view shows the same file unchanged.
pub fn retire_view(state: &mut State, view: u64) {
    let Some(data) = state.views.get(&view) else {
        return;
    };
    let shown_elsewhere = data.path.is_some()
        && state
            .windows
            .views()
            .any(|(_, v)| v != view && state.views.get(&v).is_some_and(|d| d.path == data.path));
    let untouched_new = data.path.is_none() && !data.dirty() && data.cache.len() <= 1;
    if (untouched_new || shown_elsewhere || data.open_error.is_some()) && !data.dirty() {
        state.editor.close(view);
        state.views.remove(&view);
        state.hidden.retain(|v| *v != view);
    } else if !state.hidden.contains(&view) {
        state.hidden.push(view);
    }
}

/// Focuses the pane showing `view` (in whichever window holds it); false when no pane
/// shows it.
pub fn focus_view(state: &mut State, view: u64) -> bool {
    let Some(pane) = state
        .windows
        .views()
        .find(|(_, v)| *v == view)
        .map(|(id, _)| id)
    else {
        return false;
    };
    match state.windows.windows.iter().position(|w| w.contains(pane)) {
        Some(w) => {
            state.windows.select_window(w);
            state.windows.focus_pane(pane)
        }
        None => false,
    }
}

/// Shows `view`'s buffer: focuses a pane showing it, else shows it in the focused pane.
pub fn show_buffer(state: &mut State, view: u64) {
    if !state.views.contains_key(&view) {
        return;
    }
    if !focus_view(state, view) {
        show_in_focused(state, view);
    }
}

/// Scrolls the pane showing `view` by `delta` lines (the wheel, scroll keys).
pub fn scroll_pane(state: &mut State, pane: PaneId, delta: isize) {
    let Some(PaneKind::Editor(e)) = state.windows.panes.get_mut(&pane) else {
        return;
    };
    let len = state.views.get(&e.view).map(|d| d.cache.len()).unwrap_or(0);
    let top = e.top as isize + delta;
    e.top = top.clamp(0, len.saturating_sub(1) as isize) as usize;
}
