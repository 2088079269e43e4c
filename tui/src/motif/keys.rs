//! Key names as motifs receive them: `r`, `R`, `enter`, `ctrl-r`, `alt-x`, `up`, `f5`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The name of `key` for a motif, `None` for keys it never gets (modifiers alone,
/// media keys...).
pub fn key_name(key: &KeyEvent) -> Option<String> {
    let base = match key.code {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "backtab".into(),
        KeyCode::Backspace => "backspace".into(),
        KeyCode::Delete => "delete".into(),
        KeyCode::Insert => "insert".into(),
        KeyCode::Up => "up".into(),
        KeyCode::Down => "down".into(),
        KeyCode::Left => "left".into(),
        KeyCode::Right => "right".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        KeyCode::PageUp => "pageup".into(),
        KeyCode::PageDown => "pagedown".into(),
        KeyCode::F(n) => format!("f{n}"),
        _ => return None,
    };
    let mut name = String::new();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        name.push_str("ctrl-");
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        name.push_str("alt-");
    }
    // Shift is already in an upper-case letter; name it for the others.
    if key.modifiers.contains(KeyModifiers::SHIFT) && !matches!(key.code, KeyCode::Char(_)) {
        name.push_str("shift-");
    }
    name.push_str(&base);
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode, m: KeyModifiers) -> Option<String> {
        key_name(&KeyEvent::new(code, m))
    }

    #[test]
    fn keys_are_named_like_the_keymap_names_them() {
        assert_eq!(
            k(KeyCode::Char('r'), KeyModifiers::NONE).as_deref(),
            Some("r")
        );
        assert_eq!(
            k(KeyCode::Char('R'), KeyModifiers::SHIFT).as_deref(),
            Some("R")
        );
        assert_eq!(
            k(KeyCode::Char('r'), KeyModifiers::CONTROL).as_deref(),
            Some("ctrl-r")
        );
        assert_eq!(
            k(KeyCode::Enter, KeyModifiers::NONE).as_deref(),
            Some("enter")
        );
        assert_eq!(
            k(KeyCode::Up, KeyModifiers::SHIFT).as_deref(),
            Some("shift-up")
        );
        assert_eq!(k(KeyCode::F(5), KeyModifiers::NONE).as_deref(), Some("f5"));
        assert_eq!(k(KeyCode::Null, KeyModifiers::NONE), None);
    }
}
