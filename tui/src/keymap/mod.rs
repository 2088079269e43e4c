//! Keymaps as data: key combos (`ctrl-s`, `alt-up`, `%`), the default tables
//! (see [`defaults`]) and the user's overrides from config.toml.

pub mod context;
pub mod defaults;

use std::collections::HashMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::Action;
pub use context::ContextAction;
use context::InputAction;

/// A key with its modifiers, normalized so that a table lookup matches what
/// the terminal sends (Shift is part of a character, `ctrl-7` is `ctrl-/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyCombo {
    /// The key.
    pub code: KeyCodeOrd,
    /// Ctrl, Alt and Shift (Shift only for non-character keys).
    pub mods: u8,
}

/// `KeyCode` restricted to what can be bound, orderable for stable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    /// A character (lowercase letters unless Shift is part of it: `A`).
    Char(char),
    /// Function key.
    F(u8),
    /// A named key.
    Named(NamedKey),
}

/// The named (non-character) keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NamedKey {
    /// Up arrow.
    Up,
    /// Down arrow.
    Down,
    /// Left arrow.
    Left,
    /// Right arrow.
    Right,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Enter.
    Enter,
    /// Escape.
    Esc,
    /// Tab.
    Tab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Insert.
    Insert,
}

const NAMED: &[(&str, NamedKey)] = &[
    ("up", NamedKey::Up),
    ("down", NamedKey::Down),
    ("left", NamedKey::Left),
    ("right", NamedKey::Right),
    ("home", NamedKey::Home),
    ("end", NamedKey::End),
    ("pageup", NamedKey::PageUp),
    ("pagedown", NamedKey::PageDown),
    ("enter", NamedKey::Enter),
    ("esc", NamedKey::Esc),
    ("tab", NamedKey::Tab),
    ("backspace", NamedKey::Backspace),
    ("delete", NamedKey::Delete),
    ("insert", NamedKey::Insert),
];

/// Modifier bits of [`KeyCombo::mods`].
pub mod mods {
    /// Control.
    pub const CTRL: u8 = 1;
    /// Alt (Meta).
    pub const ALT: u8 = 2;
    /// Shift (named keys only).
    pub const SHIFT: u8 = 4;
}

impl KeyCombo {
    /// Parses `ctrl-s`, `alt-shift-up`, `shift-tab`, `%`, `space`, `f5`.
    pub fn parse(s: &str) -> Result<KeyCombo, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut m = 0u8;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix, bit) = if lower.starts_with("ctrl-") && rest.len() > 5 {
                (5, mods::CTRL)
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                (4, mods::ALT)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                (6, mods::SHIFT)
            } else {
                break;
            };
            m |= bit;
            rest = &rest[prefix..];
        }
        let lower = rest.to_ascii_lowercase();
        let code = if let Some((_, k)) = NAMED.iter().find(|(n, _)| *n == lower) {
            KeyCodeOrd::Named(*k)
        } else if lower == "space" {
            KeyCodeOrd::Char(' ')
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            KeyCodeOrd::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCodeOrd::Char(c),
                _ => return Err(format!("unknown key `{s}`")),
            }
        };
        Ok(KeyCombo::new(code, m))
    }

    /// Builds a normalized combo.
    pub fn new(code: KeyCodeOrd, mut m: u8) -> KeyCombo {
        let code = match code {
            KeyCodeOrd::Char(c) => {
                let mut c = c;
                if m & mods::SHIFT != 0 {
                    c = c.to_ascii_uppercase();
                    m &= !mods::SHIFT;
                }
                if m & mods::CTRL != 0 {
                    // Ctrl+letter is case-blind on terminals; Ctrl-7 is what Ctrl-/ sends.
                    c = c.to_ascii_lowercase();
                    if c == '7' || c == '_' {
                        c = '/';
                    }
                }
                KeyCodeOrd::Char(c)
            }
            other => other,
        };
        KeyCombo { code, mods: m }
    }

    /// The combo a terminal key event stands for (`None` for keys that are
    /// never bound: media keys, modifiers alone, ...).
    pub fn from_event(ev: &KeyEvent) -> Option<KeyCombo> {
        let mut m = 0;
        if ev.modifiers.contains(KeyModifiers::CONTROL) {
            m |= mods::CTRL;
        }
        if ev.modifiers.contains(KeyModifiers::ALT) {
            m |= mods::ALT;
        }
        let shift = ev.modifiers.contains(KeyModifiers::SHIFT);
        let named = |k| Some(KeyCodeOrd::Named(k));
        let code = match ev.code {
            KeyCode::Char(c) => {
                // The character already carries Shift.
                return Some(KeyCombo::new(KeyCodeOrd::Char(c), m));
            }
            KeyCode::BackTab => {
                return Some(KeyCombo::new(
                    KeyCodeOrd::Named(NamedKey::Tab),
                    m | mods::SHIFT,
                ));
            }
            KeyCode::F(n) => Some(KeyCodeOrd::F(n)),
            KeyCode::Up => named(NamedKey::Up),
            KeyCode::Down => named(NamedKey::Down),
            KeyCode::Left => named(NamedKey::Left),
            KeyCode::Right => named(NamedKey::Right),
            KeyCode::Home => named(NamedKey::Home),
            KeyCode::End => named(NamedKey::End),
            KeyCode::PageUp => named(NamedKey::PageUp),
            KeyCode::PageDown => named(NamedKey::PageDown),
            KeyCode::Enter => named(NamedKey::Enter),
            KeyCode::Esc => named(NamedKey::Esc),
            KeyCode::Tab => named(NamedKey::Tab),
            KeyCode::Backspace => named(NamedKey::Backspace),
            KeyCode::Delete => named(NamedKey::Delete),
            KeyCode::Insert => named(NamedKey::Insert),
            _ => None,
        }?;
        if shift {
            m |= mods::SHIFT;
        }
        Some(KeyCombo::new(code, m))
    }
}

impl KeyCombo {
    /// How hints show the key: `Enter`, `Esc`, `Tab`, `Alt-A`, `Ctrl-N`, `r`.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods & mods::CTRL != 0 {
            s.push_str("Ctrl-");
        }
        if self.mods & mods::ALT != 0 {
            s.push_str("Alt-");
        }
        if self.mods & mods::SHIFT != 0 {
            s.push_str("Shift-");
        }
        let modified = !s.is_empty();
        match self.code {
            KeyCodeOrd::Char(' ') => s.push_str("Space"),
            KeyCodeOrd::Char(c) if modified => s.push(c.to_ascii_uppercase()),
            KeyCodeOrd::Char(c) => s.push(c),
            KeyCodeOrd::F(n) => s.push_str(&format!("F{n}")),
            KeyCodeOrd::Named(k) => s.push_str(match k {
                NamedKey::Up => "↑",
                NamedKey::Down => "↓",
                NamedKey::Left => "←",
                NamedKey::Right => "→",
                NamedKey::Home => "Home",
                NamedKey::End => "End",
                NamedKey::PageUp => "PgUp",
                NamedKey::PageDown => "PgDn",
                NamedKey::Enter => "Enter",
                NamedKey::Esc => "Esc",
                NamedKey::Tab => "Tab",
                NamedKey::Backspace => "Backspace",
                NamedKey::Delete => "Delete",
                NamedKey::Insert => "Insert",
            }),
        }
        s
    }
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods & mods::CTRL != 0 {
            f.write_str("ctrl-")?;
        }
        if self.mods & mods::ALT != 0 {
            f.write_str("alt-")?;
        }
        if self.mods & mods::SHIFT != 0 {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::Named(k) => {
                let name = NAMED
                    .iter()
                    .find(|(_, n)| *n == k)
                    .map(|(s, _)| *s)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

/// The two tables the client looks keys up in.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    /// Keys while editing (non-modal).
    pub normal: HashMap<KeyCombo, Action>,
    /// Keys after the prefix key (tmux style).
    pub prefix: HashMap<KeyCombo, Action>,
    /// The prefix key itself.
    pub prefix_key: KeyCombo,
    /// Keys inside panes and overlays: context name -> key -> action name
    /// (names checked against the context's [`ContextAction`] enum).
    pub contexts: HashMap<&'static str, HashMap<KeyCombo, &'static str>>,
}

/// A key for a text field: an editing binding, or a character to insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    /// An editing key of the `input` context.
    Edit(InputAction),
    /// A typed character (no Ctrl or Alt).
    Char(char),
}

/// A binding that could not be used, with what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingError {
    /// The key as written.
    pub key: String,
    /// What was wrong.
    pub message: String,
}

impl Keymap {
    /// The default keymap.
    pub fn default_keymap() -> Keymap {
        // The defaults are checked by a test: nothing here can fail.
        let mut map = Keymap {
            normal: HashMap::new(),
            prefix: HashMap::new(),
            prefix_key: KeyCombo::new(KeyCodeOrd::Char('b'), mods::CTRL),
            contexts: HashMap::new(),
        };
        for info in context::contexts() {
            map.contexts.insert(info.name, HashMap::new());
        }
        for (ctx, table) in defaults::CONTEXTS {
            for (key, name) in *table {
                // Checked by a test: every default resolves.
                let _ = map.bind_in(ctx, key, name);
            }
        }
        for (key, name) in defaults::NORMAL {
            if let (Ok(k), Some(a)) = (KeyCombo::parse(key), Action::from_name(name)) {
                map.normal.insert(k, a);
            }
        }
        for (key, name) in defaults::PREFIX {
            if let (Ok(k), Some(a)) = (KeyCombo::parse(key), Action::from_name(name)) {
                map.prefix.insert(k, a);
            }
        }
        map.normal.insert(map.prefix_key, Action::Prefix);
        map
    }

    /// Sets the prefix key (the old one is unbound).
    pub fn set_prefix(&mut self, key: KeyCombo) {
        self.normal.remove(&self.prefix_key);
        self.prefix_key = key;
        self.normal.insert(key, Action::Prefix);
    }

    /// Applies one override: `action` is an action name or `"none"` to unbind.
    pub fn bind(
        &mut self,
        prefix_table: bool,
        key: &str,
        action: &str,
    ) -> Result<(), BindingError> {
        let err = |message: String| BindingError {
            key: key.to_owned(),
            message,
        };
        let combo = KeyCombo::parse(key).map_err(err)?;
        let table = if prefix_table {
            &mut self.prefix
        } else {
            &mut self.normal
        };
        if action == "none" {
            table.remove(&combo);
            return Ok(());
        }
        let a = Action::from_name(action).ok_or_else(|| {
            err(format!(
                "unknown action `{action}` (see the command palette for names)"
            ))
        })?;
        table.insert(combo, a);
        Ok(())
    }

    /// Applies one override in a context (`[keys.<context>]`): `action` is
    /// one of the context's action names, or `"none"` to unbind.
    pub fn bind_in(&mut self, context: &str, key: &str, action: &str) -> Result<(), BindingError> {
        let err = |message: String| BindingError {
            key: key.to_owned(),
            message,
        };
        let combo = KeyCombo::parse(key).map_err(err)?;
        let infos = context::contexts();
        let Some(info) = infos.iter().find(|i| i.name == context) else {
            let names: Vec<&str> = infos.iter().map(|i| i.name).collect();
            return Err(err(format!(
                "unknown key context `{context}` (contexts: {})",
                names.join(", ")
            )));
        };
        let table = self.contexts.entry(info.name).or_default();
        if action == "none" {
            table.remove(&combo);
            return Ok(());
        }
        let Some((name, _)) = info.actions.iter().find(|(n, _)| *n == action) else {
            let names: Vec<&str> = info.actions.iter().map(|(n, _)| *n).collect();
            return Err(err(format!(
                "unknown action `{action}` in [keys.{context}] (actions: {})",
                names.join(", ")
            )));
        };
        table.insert(combo, name);
        Ok(())
    }

    /// What a key does in the context of `A` (`None`: not bound there).
    pub fn get<A: ContextAction>(&self, key: &KeyEvent) -> Option<A> {
        let combo = KeyCombo::from_event(key)?;
        let name = self.contexts.get(A::CONTEXT)?.get(&combo)?;
        A::from_name(name)
    }

    /// A key for a text field: an editing binding, else a typed character
    /// (`None` for other keys and for Ctrl/Alt chords).
    pub fn text(&self, key: &KeyEvent) -> Option<TextKey> {
        if let Some(a) = self.get::<InputAction>(key) {
            return Some(TextKey::Edit(a));
        }
        match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(TextKey::Char(c))
            }
            _ => None,
        }
    }

    /// The keys bound to `action` in its context, shortest first (for hints).
    pub fn keys_in<A: ContextAction>(&self, action: A) -> Vec<String> {
        let name = action.name();
        let mut out: Vec<String> = self
            .contexts
            .get(A::CONTEXT)
            .into_iter()
            .flatten()
            .filter(|(_, n)| **n == name)
            .map(|(k, _)| k.to_string())
            .collect();
        out.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
        out
    }

    /// The key to show for `action` in a hint (`Enter`, `Alt-A`, `r`): the
    /// first default key still bound to it, else the shortest bound one,
    /// `"-"` when it has none (a rebinding shows in the hint).
    pub fn hint<A: ContextAction>(&self, action: A) -> String {
        let name = action.name();
        let Some(table) = self.contexts.get(A::CONTEXT) else {
            return "-".to_owned();
        };
        let defaults = defaults::CONTEXTS
            .iter()
            .find(|(c, _)| *c == A::CONTEXT)
            .map_or(&[][..], |(_, t)| *t);
        let default = defaults
            .iter()
            .filter(|(_, n)| *n == name)
            .filter_map(|(k, _)| KeyCombo::parse(k).ok())
            .find(|k| table.get(k) == Some(&name));
        let mut bound: Vec<&KeyCombo> = table
            .iter()
            .filter(|(_, n)| **n == name)
            .map(|(k, _)| k)
            .collect();
        bound.sort_by_key(|k| (k.to_string().len(), k.to_string()));
        default
            .or_else(|| bound.first().map(|k| **k))
            .map_or_else(|| "-".to_owned(), |k| k.label())
    }

    /// What a key does while editing.
    pub fn lookup(&self, key: &KeyEvent) -> Option<&Action> {
        KeyCombo::from_event(key).and_then(|k| self.normal.get(&k))
    }

    /// What a key does right after the prefix key.
    pub fn lookup_prefix(&self, key: &KeyEvent) -> Option<&Action> {
        KeyCombo::from_event(key).and_then(|k| self.prefix.get(&k))
    }

    /// The keys bound to an action, shortest first, for the palette
    /// (prefix bindings shown as `ctrl-b %`).
    pub fn keys_for(&self, action: &Action) -> Vec<String> {
        let mut out: Vec<String> = self
            .normal
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.to_string())
            .collect();
        let prefix = self.prefix_key.to_string();
        out.extend(
            self.prefix
                .iter()
                .filter(|(_, a)| *a == action)
                .map(|(k, _)| format!("{prefix} {k}")),
        );
        out.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
        out
    }
}

#[cfg(test)]
mod tests;
