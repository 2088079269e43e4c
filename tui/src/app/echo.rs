//! Local echo at the state level: which keystrokes the client may draw before
//! the core answers (a plain character typed, or a backspace, with one caret
//! and no selection, in sight and without scrolling), and the caret that goes
//! with them. The line work itself is `LineCache::predict_edit`.

use unicode_width::UnicodeWidthChar;

use super::State;
use crate::action::Action;
use crate::panes::PaneKind;
use crate::ui::editor_view::text_rect;
use crate::ui::text::{byte_to_col, wrap_rows};

/// A character the core inserts exactly as typed, one cell wide.
fn echoable(c: char) -> bool {
    c == ' ' || c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control() && c.width() == Some(1))
}

/// Draws `action` ahead of the core when it is safe; returns whether it did.
/// The edit is still sent as usual: the core's `update` replaces the guess.
pub fn predict(state: &mut State, action: &Action) -> bool {
    if !matches!(action, Action::Insert(_) | Action::DeleteBackward) {
        // Anything else may move the caret or edit: wait for the answers.
        if !matches!(action, Action::Noop | Action::TerminalResized(..))
            && let Some(view) = state.focused_view()
            && let Some(d) = state.views.get_mut(&view)
        {
            d.cache.hold_predictions();
        }
        return false;
    }
    if !state.config.local_echo || !state.overlays.is_empty() {
        return false;
    }
    let focus = state.windows.focus();
    let Some(PaneKind::Editor(pane)) = state.windows.panes.get(&focus) else {
        return false;
    };
    let pane = pane.clone();
    let Some(rect) = state.windows.layout(state.pane_area()).rect_of(focus) else {
        return false;
    };
    let Some(data) = state.views.get(&pane.view) else {
        return false;
    };
    if data.open_error.is_some() {
        return false;
    }
    let (line, col) = data.caret;
    let Some(cached) = data.cache.get(line) else {
        return false;
    };
    let text = &cached.text;
    let (deleted, inserted) = match action {
        Action::Insert(s) => {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if echoable(c) => (0, s.as_str()),
                _ => return false,
            }
        }
        Action::DeleteBackward => {
            let Some(before) = text.get(..col) else {
                return false;
            };
            // The core deletes an indent step when only spaces precede the
            // caret, and whole graphemes: guess only plain characters.
            let Some(c) = before.chars().next_back() else {
                return false;
            };
            if !echoable(c) || !c.is_ascii() || before.bytes().all(|b| b == b' ') {
                return false;
            }
            (c.len_utf8(), "")
        }
        _ => return false,
    };
    // The caret must stay in sight without scrolling, on one row.
    let area = text_rect(&state.config, data, rect);
    let tab = state.config.tab_size;
    let width = usize::from(area.width);
    if line < pane.top || line >= pane.top + usize::from(area.height) || width == 0 {
        return false;
    }
    let Some(start) = col.checked_sub(deleted) else {
        return false;
    };
    if !text.is_char_boundary(start) || !text.is_char_boundary(col) {
        return false;
    }
    let mut after = String::with_capacity(text.len() + inserted.len());
    after.push_str(&text[..start]);
    after.push_str(inserted);
    after.push_str(&text[col..]);
    let caret = start + inserted.len();
    let caret_col = byte_to_col(&after, caret, tab);
    let fits = if state.config.soft_wrap {
        wrap_rows(&after, width, tab) == 1 && wrap_rows(text, width, tab) == 1 && caret_col < width
    } else {
        caret_col >= pane.left && caret_col - pane.left < width
    };
    if !fits {
        return false;
    }
    let Some(data) = state.views.get_mut(&pane.view) else {
        return false;
    };
    if !data.cache.predict_edit(line, col, deleted, inserted) {
        return false;
    }
    data.caret = (line, caret);
    true
}

/// The caret to show for `view`: the predicted one while keystrokes are
/// pending, else what the core said.
pub fn caret_for(state: &State, view: u64, said: (usize, usize)) -> (usize, usize) {
    state
        .views
        .get(&view)
        .and_then(|d| d.cache.predicted_caret())
        .unwrap_or(said)
}
