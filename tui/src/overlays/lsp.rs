//! The language overlays: a fuzzy picker whose rows each run an action
//! (locations, code actions, diagnostics) and the rename prompt.

use crate::keymap::context::{PickerAction, PromptAction};
use symphony_protocol::xi::lsp::Severity;

use super::input::LineInput;
use super::pickers::{fuzzy_filter, move_selection};
use super::{Outcome, OverlayInput};
use crate::action::Action;
use crate::lsp::LspAction;

/// One row of an [`LspPicker`].
#[derive(Debug, Clone, PartialEq)]
pub struct PickerRow {
    /// Colours the row's first letter (diagnostics).
    pub severity: Option<Severity>,
    /// The main text (filtered on).
    pub label: String,
    /// Dimmer text on the right (a path, a kind).
    pub detail: String,
    /// What Enter on this row runs.
    pub action: Action,
}

/// A fuzzy list of rows, each running its action when picked.
#[derive(Debug, Clone, PartialEq)]
pub struct LspPicker {
    /// The box's title.
    pub title: String,
    /// Typed filter.
    pub input: LineInput,
    /// Every row.
    pub rows: Vec<PickerRow>,
    /// Indices of matching rows, best first.
    pub filtered: Vec<usize>,
    /// Index into `filtered`.
    pub selected: usize,
}

impl LspPicker {
    /// A picker over `rows`, all shown.
    pub fn new(title: impl Into<String>, rows: Vec<PickerRow>) -> Self {
        LspPicker {
            title: title.into(),
            input: LineInput::default(),
            filtered: (0..rows.len()).collect(),
            rows,
            selected: 0,
        }
    }

    /// Recomputes the matches after the input changed.
    pub fn refilter(&mut self) {
        let haystack: Vec<String> = self
            .rows
            .iter()
            .map(|r| format!("{} {}", r.label, r.detail))
            .collect();
        self.filtered = fuzzy_filter(&self.input.text, &haystack, false);
        self.selected = 0;
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Picker(PickerAction::Close) => Outcome::close(),
            OverlayInput::Picker(PickerAction::Accept) => match self.filtered.get(self.selected) {
                Some(&i) => Outcome::run(vec![self.rows[i].action.clone()]),
                None => Outcome::close(),
            },
            _ if move_selection(&mut self.selected, self.filtered.len(), key) => {
                Outcome::consumed()
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => {
                self.refilter();
                Outcome::consumed()
            }
            _ => Outcome::ignored(),
        }
    }
}

/// The rename prompt: the new name for the symbol at the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct RenamePrompt {
    /// The name being typed (starts as the current one).
    pub input: LineInput,
}

impl RenamePrompt {
    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Prompt(PromptAction::Cancel) => Outcome::close(),
            OverlayInput::Prompt(PromptAction::Accept) => {
                let name = self.input.text.trim();
                if name.is_empty() {
                    Outcome::consumed()
                } else {
                    Outcome::run(vec![Action::Lsp(LspAction::RenameTo(name.to_owned()))])
                }
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => Outcome::consumed(),
            _ => Outcome::ignored(),
        }
    }
}

/// A language overlay.
#[derive(Debug, Clone, PartialEq)]
pub enum LspOverlay {
    /// Pick a location, a code action or a diagnostic.
    Picker(LspPicker),
    /// Type a new name.
    Rename(RenamePrompt),
}

impl LspOverlay {
    /// Offers a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match self {
            LspOverlay::Picker(p) => p.handle(key),
            LspOverlay::Rename(r) => r.handle(key),
        }
    }

    /// Offers pasted text (its first line goes into the input).
    pub fn paste(&mut self, text: &str) {
        let line = text.lines().next().unwrap_or("");
        match self {
            LspOverlay::Picker(p) => {
                p.input.insert(line);
                p.refilter();
            }
            LspOverlay::Rename(r) => r.input.insert(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlays::Press;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn row(label: &str, n: usize) -> PickerRow {
        PickerRow {
            severity: None,
            label: label.into(),
            detail: String::new(),
            action: Action::GotoLineNumber(n),
        }
    }

    #[test]
    fn picker_filters_and_runs_the_row_action() {
        let mut p = LspPicker::new("Refs", vec![row("alpha", 1), row("beta", 2)]);
        p.handle_key(&k(KeyCode::Down));
        assert_eq!(
            p.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::GotoLineNumber(2)]
        );
        p.handle_key(&k(KeyCode::Char('a')));
        p.handle_key(&k(KeyCode::Char('l')));
        assert_eq!(p.filtered, vec![0]);
        assert!(p.handle_key(&k(KeyCode::Esc)).close);
    }

    #[test]
    fn rename_prompt_sends_the_trimmed_name() {
        let mut r = RenamePrompt {
            input: LineInput::with_text("old"),
        };
        r.handle_key(&k(KeyCode::Backspace));
        r.handle_key(&k(KeyCode::Char('x')));
        assert_eq!(
            r.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::Lsp(LspAction::RenameTo("olx".into()))]
        );
    }
}
