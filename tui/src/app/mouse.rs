//! Mouse gestures: a click focuses the pane and places the cursor, a drag
//! selects (or moves a border it started on), the wheel scrolls.

use symphony_protocol::xi::{EditNotification as E, GestureType, SelectionGranularity};

use super::views::scroll_pane;
use super::{Drag, State};
use crate::action::MouseAction;
use crate::panes::PaneKind;
use crate::ui::editor_view::screen_to_buffer;

/// Clicks closer than this on one cell make a double (triple) click.
const MULTI_CLICK: std::time::Duration = std::time::Duration::from_millis(400);

/// Lines the wheel scrolls per notch.
const WHEEL_LINES: isize = 3;

/// Applies one mouse gesture.
pub fn handle(state: &mut State, m: MouseAction) {
    let area = state.pane_area();
    let layout = state.windows.layout(area);
    match m {
        MouseAction::Press {
            x,
            y,
            multi,
            extend,
            at,
        } => {
            if let Some(border) = layout.border_at(x, y) {
                state.drag = Some(Drag::Border(border.clone()));
                return;
            }
            let Some(pane) = layout.pane_at(x, y) else {
                return;
            };
            state.windows.focus_pane(pane);
            state.drag = Some(Drag::Select(pane));
            let clicks = match state.last_click {
                Some((t, lx, ly, n))
                    if (lx, ly) == (x, y) && at.saturating_duration_since(t) <= MULTI_CLICK =>
                {
                    n % 3 + 1
                }
                _ => 1,
            };
            state.last_click = Some((at, x, y, clicks));
            let granularity = match clicks {
                2 => SelectionGranularity::Word,
                3 => SelectionGranularity::Line,
                _ => SelectionGranularity::Point,
            };
            let ty = if extend {
                GestureType::SelectExtend { granularity }
            } else {
                GestureType::Select { granularity, multi }
            };
            gesture_at(state, pane, x, y, ty);
        }
        MouseAction::Drag { x, y } => match state.drag.clone() {
            Some(Drag::Border(border)) => {
                let pos = match border.dir {
                    crate::panes::SplitDir::Horizontal => x,
                    crate::panes::SplitDir::Vertical => y,
                };
                state.windows.drag_border(&border, pos);
            }
            Some(Drag::Select(pane)) => {
                if let Some(rect) = layout.rect_of(pane) {
                    let cx = x.clamp(rect.x, rect.right().saturating_sub(1));
                    // Dragging above or below the pane scrolls it.
                    if y < rect.y {
                        scroll_pane(state, pane, -1);
                    } else if y >= rect.bottom() {
                        scroll_pane(state, pane, 1);
                    }
                    let cy = y.clamp(rect.y, rect.bottom().saturating_sub(1));
                    gesture_at(state, pane, cx, cy, GestureType::Drag);
                }
            }
            None => {}
        },
        MouseAction::Release => state.drag = None,
        MouseAction::Wheel { x, y, down } => {
            if let Some(pane) = layout.pane_at(x, y) {
                scroll_pane(state, pane, if down { WHEEL_LINES } else { -WHEEL_LINES });
            }
        }
    }
}

fn gesture_at(state: &mut State, pane: u64, x: u16, y: u16, ty: GestureType) {
    let layout = state.windows.layout(state.pane_area());
    let (Some(rect), Some(PaneKind::Editor(e))) =
        (layout.rect_of(pane), state.windows.panes.get(&pane))
    else {
        return;
    };
    let Some(data) = state.views.get(&e.view) else {
        return;
    };
    let view = e.view;
    if let Some((line, col)) = screen_to_buffer(&state.config, data, e, rect, x, y) {
        state.editor.edit(view, E::Gesture { line, col, ty });
    }
}
