//! A one-line text input used by prompts, pickers and the find bar.

use crossterm::event::KeyEvent;
use unicode_width::UnicodeWidthStr;

use crate::keymap::context::InputAction;
use crate::keymap::{Keymap, TextKey};

/// Editable single-line text with a cursor (byte offset).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineInput {
    /// The text.
    pub text: String,
    /// Cursor, a byte offset on a char boundary.
    pub cursor: usize,
}

impl LineInput {
    /// An input holding `text` with the cursor at its end.
    pub fn with_text(text: &str) -> Self {
        LineInput {
            text: text.to_owned(),
            cursor: text.len(),
        }
    }

    /// Inserts text at the cursor.
    pub fn insert(&mut self, s: &str) {
        let s: String = s.chars().filter(|c| !c.is_control()).collect();
        self.text.insert_str(self.cursor, &s);
        self.cursor += s.len();
    }

    /// Applies a text key; returns true when it was one (always, today).
    pub fn handle_text(&mut self, key: TextKey) -> bool {
        match key {
            TextKey::Char(c) => {
                let mut buf = [0; 4];
                self.insert(c.encode_utf8(&mut buf));
            }
            TextKey::Edit(a) => self.edit(a),
        }
        true
    }

    /// Applies an editing action.
    pub fn edit(&mut self, action: InputAction) {
        match action {
            InputAction::DeleteToStart => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
            }
            InputAction::MoveStart => self.cursor = 0,
            InputAction::MoveEnd => self.cursor = self.text.len(),
            InputAction::DeleteBackward => {
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                    self.text.remove(self.cursor);
                }
            }
            InputAction::DeleteForward => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            InputAction::MoveLeft => {
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                }
            }
            InputAction::MoveRight => {
                if let Some(c) = self.text[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                }
            }
        }
    }

    /// Looks `key` up in `keymap` and applies it when it is a text key;
    /// true when it was.
    pub fn handle_key(&mut self, keymap: &Keymap, key: &KeyEvent) -> bool {
        keymap.text(key).is_some_and(|t| self.handle_text(t))
    }

    /// Display column of the cursor.
    pub fn cursor_col(&self) -> usize {
        self.text[..self.cursor].width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_and_deleting() {
        let map = Keymap::default_keymap();
        let mut i = LineInput::default();
        for c in "héllo".chars() {
            i.handle_key(&map, &k(KeyCode::Char(c)));
        }
        i.handle_key(&map, &k(KeyCode::Left));
        i.handle_key(&map, &k(KeyCode::Backspace));
        assert_eq!(i.text, "hélo");
        assert_eq!(i.cursor_col(), 3);
        i.handle_key(&map, &k(KeyCode::Home));
        i.handle_key(&map, &k(KeyCode::Delete));
        assert_eq!(i.text, "élo");
        assert!(!i.handle_key(&map, &k(KeyCode::Enter)));
    }

    #[test]
    fn a_rebound_editing_key_edits_and_the_old_one_types() {
        let mut map = Keymap::default_keymap();
        map.bind_in("input", "ctrl-w", "delete_to_start").unwrap();
        map.bind_in("input", "ctrl-u", "none").unwrap();
        let mut i = LineInput::with_text("abc");
        assert!(i.handle_key(
            &map,
            &KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)
        ));
        assert_eq!(i.text, "");
        i.insert("x");
        assert!(!i.handle_key(
            &map,
            &KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)
        ));
        assert_eq!(i.text, "x");
    }
}
