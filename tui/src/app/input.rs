//! Terminal events become actions here, and only here.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::State;
use crate::action::{Action, MouseAction};

/// The actions a terminal event stands for (often one, sometimes none).
pub fn event_to_actions(state: &State, event: Event) -> Vec<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => vec![key_action(state, key)],
        Event::Paste(text) => vec![paste_action(state, text)],
        Event::Mouse(m) if state.config.mouse => {
            mouse_action(m).map(Action::Mouse).into_iter().collect()
        }
        Event::Resize(w, h) => vec![Action::TerminalResized(w, h)],
        _ => Vec::new(),
    }
}

fn paste_action(state: &State, text: String) -> Action {
    // Terminals send line breaks as \r in bracketed paste.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if state.overlays.is_empty() {
        Action::PasteText(text)
    } else {
        Action::PasteIntoOverlay(text)
    }
}

fn key_action(state: &State, key: KeyEvent) -> Action {
    let keymap = &state.config.keymap;
    if let Some(top) = state.overlays.last() {
        return Action::OverlayKey {
            input: top.resolve(keymap, &key),
            fallback: keymap.lookup(&key).cloned().map(Box::new),
        };
    }
    if state.prefix_pending {
        return keymap
            .lookup_prefix(&key)
            .cloned()
            .unwrap_or(Action::CancelPrefix);
    }
    if let Some(a) = crate::motif::route_key(state, &key) {
        return a;
    }
    if let Some(a) = crate::conductor::keys::route_key(state, &key) {
        return a;
    }
    if let Some(a) = crate::lsp::intercept_key(state, &key) {
        return a;
    }
    if let Some(a) = keymap.lookup(&key) {
        return a.clone();
    }
    match key.code {
        // Plain characters; unbound Ctrl/Alt chords do nothing.
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Action::Insert(c.to_string())
        }
        _ => Action::Noop,
    }
}

fn mouse_action(m: MouseEvent) -> Option<MouseAction> {
    let (x, y) = (m.column, m.row);
    Some(match m.kind {
        MouseEventKind::Down(MouseButton::Left) => MouseAction::Press {
            x,
            y,
            multi: m.modifiers.contains(KeyModifiers::ALT),
            extend: m.modifiers.contains(KeyModifiers::SHIFT),
            at: std::time::Instant::now(),
        },
        MouseEventKind::Drag(MouseButton::Left) => MouseAction::Drag { x, y },
        MouseEventKind::Up(_) => MouseAction::Release,
        MouseEventKind::ScrollDown => MouseAction::Wheel { x, y, down: true },
        MouseEventKind::ScrollUp => MouseAction::Wheel { x, y, down: false },
        _ => return None,
    })
}
