//! The crash-recovery question: unsaved edits of a file were found in a journal. It
//! needs a deliberate answer: typing never answers it (letters, digits, Enter with
//! nothing chosen are swallowed), a choice is made with the arrow keys and Enter, and Esc
//! only puts the question off (the journal stays and is offered again next time).
//! Refusing moves the journal to the trash; nothing here deletes it.

use super::{Outcome, OverlayInput};
use crate::action::Action;
use crate::keymap::context::RecoveryAction;
use crate::session::RecoverAction;

/// The question for one journal of one view.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryChoice {
    /// The view offered the journal.
    pub view: u64,
    /// The file's name.
    pub name: String,
    /// The file changed on disk since the journal was made.
    pub changed_on_disk: bool,
    /// The recovered text may not be exactly what was typed.
    pub inexact: bool,
    /// More journals of the file wait after this one.
    pub more: usize,
    /// The highlighted choice (None until an arrow key is pressed).
    pub selected: Option<usize>,
}

impl RecoveryChoice {
    /// The answers offered, in order, with their labels.
    pub fn choices(&self) -> Vec<(RecoverAction, &'static str)> {
        let replace = if self.changed_on_disk {
            "Replace the buffer with the recovered text (drops the changes on disk from it)"
        } else {
            "Recover: put the unsaved edits back into the buffer"
        };
        let mut v = vec![
            (
                RecoverAction::NewBuffer,
                "Open the recovered text in a new buffer, to compare",
            ),
            (RecoverAction::Diff, "Show a diff: file -> recovered text"),
            (RecoverAction::Replace, replace),
            (RecoverAction::Later, "Decide later (keep the journal)"),
            (
                RecoverAction::Trash,
                "Discard: move the journal to the trash",
            ),
        ];
        if !self.changed_on_disk {
            // The usual case: recovering in place comes first.
            v.swap(0, 2);
            v.swap(1, 2);
        }
        v
    }

    /// The question's first line.
    pub fn title(&self) -> String {
        let mut t = format!("Unsaved edits of {} were found (crash journal).", self.name);
        if self.changed_on_disk {
            t.push_str(" The file changed on disk since.");
        }
        if self.inexact {
            t.push_str(" The journal had to be replayed onto the changed file: check it.");
        }
        if self.more > 0 {
            t.push_str(&format!(" ({} more after this one.)", self.more));
        }
        t
    }

    /// The hint line.
    pub fn hint(&self) -> &'static str {
        "Up/Down choose, Enter confirms, Esc decides later. Typing does not answer."
    }

    /// Handles a key: arrows choose, Enter confirms a chosen answer, Esc puts it off;
    /// every other key is swallowed.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        let n = self.choices().len();
        match key {
            OverlayInput::Recovery(RecoveryAction::Next) => {
                self.selected = Some(self.selected.map_or(0, |s| (s + 1) % n));
                Outcome::consumed()
            }
            OverlayInput::Recovery(RecoveryAction::Previous) => {
                self.selected = Some(self.selected.map_or(n - 1, |s| (s + n - 1) % n));
                Outcome::consumed()
            }
            OverlayInput::Recovery(RecoveryAction::Accept) => match self
                .selected
                .and_then(|s| self.choices().get(s).copied())
            {
                Some((action, _)) => Outcome::run(vec![Action::AnswerRecovery(self.view, action)]),
                None => Outcome::consumed(),
            },
            OverlayInput::Recovery(RecoveryAction::Later) => {
                Outcome::run(vec![Action::AnswerRecovery(
                    self.view,
                    RecoverAction::Later,
                )])
            }
            _ => Outcome::consumed(),
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

    fn question(changed: bool) -> RecoveryChoice {
        RecoveryChoice {
            view: 7,
            name: "notes.txt".into(),
            changed_on_disk: changed,
            inexact: false,
            more: 0,
            selected: None,
        }
    }

    #[test]
    fn typing_never_answers_the_recovery_question() {
        let mut q = question(false);
        for c in "no thanks y n\n".chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            let out = q.handle_key(&k(code));
            assert!(out.consumed && !out.close, "{c:?} answered");
            assert!(out.actions.is_empty());
        }
    }

    #[test]
    fn esc_puts_the_question_off_and_never_discards() {
        let mut q = question(false);
        assert_eq!(
            q.handle_key(&k(KeyCode::Esc)).actions,
            vec![Action::AnswerRecovery(7, RecoverAction::Later)]
        );
    }

    #[test]
    fn arrows_and_enter_choose() {
        let mut q = question(false);
        q.handle_key(&k(KeyCode::Down));
        assert_eq!(
            q.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::AnswerRecovery(7, RecoverAction::Replace)]
        );
        let mut q = question(false);
        q.handle_key(&k(KeyCode::Up));
        assert_eq!(
            q.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::AnswerRecovery(7, RecoverAction::Trash)],
            "discarding is the last choice, reached on purpose"
        );
    }

    #[test]
    fn a_file_changed_on_disk_offers_a_new_buffer_first() {
        let mut q = question(true);
        assert!(q.title().contains("changed on disk"));
        q.handle_key(&k(KeyCode::Down));
        assert_eq!(
            q.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::AnswerRecovery(7, RecoverAction::NewBuffer)]
        );
    }
}
