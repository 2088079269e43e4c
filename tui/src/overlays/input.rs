//! A one-line text input used by prompts, pickers and the find bar.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_width::UnicodeWidthStr;

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

    /// Handles an editing key; returns true when the text or cursor changed
    /// or the key was an editing key.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.len(),
            KeyCode::Char(c) if !ctrl && !alt => {
                let mut buf = [0; 4];
                self.insert(c.encode_utf8(&mut buf));
            }
            KeyCode::Backspace => {
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                    self.text.remove(self.cursor);
                }
            }
            KeyCode::Delete => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            KeyCode::Left => {
                if let Some(c) = self.text[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                }
            }
            KeyCode::Right => {
                if let Some(c) = self.text[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                }
            }
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.len(),
            _ => return false,
        }
        true
    }

    /// Display column of the cursor.
    pub fn cursor_col(&self) -> usize {
        self.text[..self.cursor].width()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_and_deleting() {
        let mut i = LineInput::default();
        for c in "héllo".chars() {
            i.handle_key(&k(KeyCode::Char(c)));
        }
        i.handle_key(&k(KeyCode::Left));
        i.handle_key(&k(KeyCode::Backspace));
        assert_eq!(i.text, "hélo");
        assert_eq!(i.cursor_col(), 3);
        i.handle_key(&k(KeyCode::Home));
        i.handle_key(&k(KeyCode::Delete));
        assert_eq!(i.text, "élo");
        assert!(!i.handle_key(&k(KeyCode::Enter)));
    }
}
