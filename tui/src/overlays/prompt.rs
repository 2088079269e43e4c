//! Small overlays: a text prompt (Save As, Go to line), a yes/no question
//! and the pane numbers (tmux `q`).

use std::path::PathBuf;

use super::input::LineInput;
use super::{Outcome, OverlayInput};
use crate::action::Action;
use crate::keymap::TextKey;
use crate::keymap::context::{ChoiceAction, ConfirmAction, PromptAction};

/// What a prompt's answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// A file name to save the buffer as.
    SaveAs,
    /// A line number.
    GotoLine,
}

/// A one-line question.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// What the answer is for.
    pub kind: PromptKind,
    /// The answer being typed.
    pub input: LineInput,
    /// Directory relative names are resolved against.
    pub cwd: PathBuf,
}

impl Prompt {
    /// The label shown before the input.
    pub fn label(&self) -> &'static str {
        match self.kind {
            PromptKind::SaveAs => "Save as: ",
            PromptKind::GotoLine => "Go to line: ",
        }
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Prompt(PromptAction::Cancel) => Outcome::close(),
            OverlayInput::Prompt(PromptAction::Accept) => {
                let text = self.input.text.trim();
                match self.kind {
                    PromptKind::SaveAs if !text.is_empty() => {
                        Outcome::run(vec![Action::SaveTo(self.cwd.join(text))])
                    }
                    PromptKind::GotoLine => match text.parse::<usize>() {
                        Ok(n) if n > 0 => Outcome::run(vec![Action::GotoLineNumber(n)]),
                        _ => Outcome::consumed(),
                    },
                    _ => Outcome::consumed(),
                }
            }
            OverlayInput::Text(TextKey::Char(c))
                if self.kind == PromptKind::GotoLine && !c.is_ascii_digit() =>
            {
                Outcome::consumed()
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => Outcome::consumed(),
            _ => Outcome::ignored(),
        }
    }
}

/// A yes/no question.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// The question, ending with `(y/n)`.
    pub question: String,
    /// What `y` runs.
    pub yes: Vec<Action>,
    /// What `n` or Esc runs.
    pub no: Vec<Action>,
    /// A third answer: its key and what it runs (the quit question's `b`).
    pub other: Option<(char, Vec<Action>)>,
}

impl Confirm {
    /// Handles a key: y/n/Esc answer, anything else is swallowed.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Confirm(ConfirmAction::Yes) => {
                Outcome::run(std::mem::take(&mut self.yes))
            }
            OverlayInput::Confirm(ConfirmAction::No) => Outcome::run(std::mem::take(&mut self.no)),
            OverlayInput::Text(TextKey::Char(c))
                if self.other.as_ref().is_some_and(|(k, _)| *k == c) =>
            {
                Outcome::run(self.other.take().map(|(_, a)| a).unwrap_or_default())
            }
            _ => Outcome::consumed(),
        }
    }
}

/// A question with several answers, each given by its own key; Esc cancels. Other
/// keys are swallowed, so typing that runs on does not answer it.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The question, naming each answer's key.
    pub question: String,
    /// (key, what it runs).
    pub answers: Vec<(char, Vec<Action>)>,
}

impl Choice {
    /// Handles a key: an answer's key runs it, Esc closes, anything else is swallowed.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Choice(ChoiceAction::Cancel) => Outcome::close(),
            // Only typed letters answer (Ctrl-O or Alt-O is not the answer `o`).
            OverlayInput::Text(TextKey::Char(c)) => {
                let c = c.to_ascii_lowercase();
                match self.answers.iter_mut().find(|(k, _)| *k == c) {
                    Some((_, actions)) => Outcome::run(std::mem::take(actions)),
                    None => Outcome::consumed(),
                }
            }
            _ => Outcome::consumed(),
        }
    }
}

/// Handles a key while pane numbers are shown: a digit focuses that pane.
pub fn pane_numbers_key(key: OverlayInput) -> Outcome {
    match key {
        OverlayInput::Text(TextKey::Char(c)) if c.is_ascii_digit() => {
            Outcome::run(vec![Action::FocusPaneNumber(c as usize - '0' as usize)])
        }
        _ => Outcome::close(),
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

    #[test]
    fn goto_line_takes_digits_only() {
        let mut p = Prompt {
            kind: PromptKind::GotoLine,
            input: LineInput::default(),
            cwd: PathBuf::from("/w"),
        };
        for c in "4x2".chars() {
            p.handle_key(&k(KeyCode::Char(c)));
        }
        assert_eq!(p.input.text, "42");
        assert_eq!(
            p.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::GotoLineNumber(42)]
        );
    }

    #[test]
    fn save_as_resolves_relative_names() {
        let mut p = Prompt {
            kind: PromptKind::SaveAs,
            input: LineInput::with_text("a.txt"),
            cwd: PathBuf::from("/w"),
        };
        assert_eq!(
            p.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::SaveTo(PathBuf::from("/w/a.txt"))]
        );
    }

    #[test]
    fn a_choice_takes_only_its_own_keys() {
        let mut c = Choice {
            question: "a.rs changed on disk: [o]verwrite, [r]eload, Esc cancel".into(),
            answers: vec![('o', vec![Action::SaveAs]), ('r', vec![Action::Save])],
        };
        for other in [
            k(KeyCode::Char('y')),
            k(KeyCode::Enter),
            k(KeyCode::Char('n')),
        ] {
            let out = c.handle_key(&other);
            assert!(out.consumed && !out.close && out.actions.is_empty());
        }
        let ctrl_o = KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL);
        assert!(c.handle_key(&ctrl_o).actions.is_empty());
        assert_eq!(
            c.handle_key(&k(KeyCode::Char('R'))).actions,
            vec![Action::Save]
        );
        assert!(c.handle_key(&k(KeyCode::Esc)).close);
    }

    #[test]
    fn confirm_answers() {
        let mut c = Confirm {
            question: "Quit? (y/n)".into(),
            yes: vec![Action::ForceQuit],
            no: vec![],
            other: Some(('b', vec![Action::UnsavedBuffers])),
        };
        assert_eq!(
            c.clone().handle_key(&k(KeyCode::Char('b'))).actions,
            vec![Action::UnsavedBuffers]
        );
        assert!(c.handle_key(&k(KeyCode::Char('q'))).consumed);
        assert_eq!(
            c.handle_key(&k(KeyCode::Char('y'))).actions,
            vec![Action::ForceQuit]
        );
    }
}
