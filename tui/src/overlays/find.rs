//! The find bar (Ctrl-F) and its replace field (Ctrl-H, or Tab from the find
//! bar): regex (Alt-R), case (Alt-C) and whole-word (Alt-W) toggles, Alt-A for
//! all (select every match; with a replacement, replace every match); every
//! change re-runs the search in the editor.

use symphony_protocol::xi::{EditNotification as E, SelectionModifier};

use super::input::LineInput;
use super::{Outcome, OverlayInput};
use crate::keymap::context::FindAction;

/// The find (and replace) bar.
#[derive(Debug, Clone, PartialEq)]
pub struct FindBar {
    /// What to find.
    pub find: LineInput,
    /// What to replace it with, when replacing.
    pub replace: Option<LineInput>,
    /// Keys go to the replace field.
    pub on_replace: bool,
    /// Treat the query as a regular expression.
    pub regex: bool,
    /// Match case.
    pub case_sensitive: bool,
    /// Match whole words only.
    pub whole_words: bool,
}

impl FindBar {
    /// A find bar holding `query`; with a replace field when `replace`.
    pub fn new(query: &str, replace: bool) -> FindBar {
        FindBar {
            find: LineInput::with_text(query),
            replace: replace.then(LineInput::default),
            on_replace: false,
            regex: false,
            case_sensitive: false,
            whole_words: false,
        }
    }

    /// The `find` edit for the current query and toggles.
    pub fn find_edit(&self) -> E {
        E::Find {
            chars: self.find.text.clone(),
            case_sensitive: self.case_sensitive,
            regex: self.regex,
            whole_words: self.whole_words,
        }
    }

    /// The edits that start the search when the bar opens.
    pub fn opening_edits(&self) -> Vec<E> {
        vec![E::HighlightFind { visible: true }, self.find_edit()]
    }

    fn research(&self) -> Outcome {
        Outcome::edits(vec![
            self.find_edit(),
            E::FindNext {
                wrap_around: true,
                allow_same: true,
                modify_selection: SelectionModifier::Set,
            },
        ])
    }

    fn next(previous: bool) -> E {
        if previous {
            E::FindPrevious {
                wrap_around: true,
                allow_same: false,
                modify_selection: SelectionModifier::Set,
            }
        } else {
            E::FindNext {
                wrap_around: true,
                allow_same: false,
                modify_selection: SelectionModifier::Set,
            }
        }
    }

    fn replace_edit(&self) -> Option<E> {
        self.replace.as_ref().map(|r| E::Replace {
            chars: r.text.clone(),
            preserve_case: false,
        })
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match key {
            OverlayInput::Find(FindAction::Close) => Outcome {
                close: true,
                consumed: true,
                edits: vec![E::HighlightFind { visible: false }],
                actions: Vec::new(),
            },
            OverlayInput::Find(FindAction::ToggleRegex) => {
                self.regex = !self.regex;
                self.research()
            }
            OverlayInput::Find(FindAction::ToggleCase) => {
                self.case_sensitive = !self.case_sensitive;
                self.research()
            }
            OverlayInput::Find(FindAction::ToggleWholeWords) => {
                self.whole_words = !self.whole_words;
                self.research()
            }
            OverlayInput::Find(FindAction::ReplaceAll) => match self.replace_edit() {
                Some(r) => Outcome::edits(vec![self.find_edit(), r, E::ReplaceAll]),
                None => Outcome::edits(vec![self.find_edit(), E::FindAll]),
            },
            OverlayInput::Find(FindAction::SwitchField) => {
                if self.replace.is_none() {
                    self.replace = Some(LineInput::default());
                    self.on_replace = true;
                } else {
                    self.on_replace = !self.on_replace;
                }
                Outcome::consumed()
            }
            OverlayInput::Find(FindAction::Confirm) if self.on_replace => match self.replace_edit()
            {
                Some(r) => Outcome::edits(vec![r, E::ReplaceNext]),
                None => Outcome::consumed(),
            },
            OverlayInput::Find(FindAction::Confirm | FindAction::NextMatch) => {
                Outcome::edits(vec![Self::next(false)])
            }
            OverlayInput::Find(FindAction::PreviousMatch) => Outcome::edits(vec![Self::next(true)]),
            OverlayInput::Text(t) => {
                let field = match (&mut self.replace, self.on_replace) {
                    (Some(r), true) => r,
                    _ => &mut self.find,
                };
                let before = field.text.clone();
                if !field.handle_text(t) {
                    return Outcome::ignored();
                }
                if !self.on_replace && self.find.text != before {
                    self.research()
                } else {
                    Outcome::consumed()
                }
            }
            _ => Outcome::ignored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlays::Press;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn k(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn typing_searches_and_toggles_search_again() {
        let mut f = FindBar::new("", false);
        let out = f.handle_key(&k(KeyCode::Char('a'), KeyModifiers::NONE));
        assert_eq!(
            out.edits[0],
            E::Find {
                chars: "a".into(),
                case_sensitive: false,
                regex: false,
                whole_words: false
            }
        );
        let out = f.handle_key(&k(KeyCode::Char('r'), KeyModifiers::ALT));
        assert!(matches!(out.edits[0], E::Find { regex: true, .. }));
        let out = f.handle_key(&k(KeyCode::Esc, KeyModifiers::NONE));
        assert!(out.close);
        assert_eq!(out.edits, vec![E::HighlightFind { visible: false }]);
    }

    #[test]
    fn replace_field_replaces_next_and_all() {
        let mut f = FindBar::new("foo", true);
        f.handle_key(&k(KeyCode::Tab, KeyModifiers::NONE));
        f.handle_key(&k(KeyCode::Char('x'), KeyModifiers::NONE));
        let out = f.handle_key(&k(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(
            out.edits,
            vec![
                E::Replace {
                    chars: "x".into(),
                    preserve_case: false
                },
                E::ReplaceNext
            ]
        );
        let out = f.handle_key(&k(KeyCode::Char('a'), KeyModifiers::ALT));
        assert_eq!(out.edits.last(), Some(&E::ReplaceAll));
        assert_eq!(f.find.text, "foo");
    }

    #[test]
    fn tab_opens_the_replace_field_and_alt_a_selects_every_match() {
        let mut f = FindBar::new("foo", false);
        let out = f.handle_key(&k(KeyCode::Char('a'), KeyModifiers::ALT));
        assert_eq!(out.edits.last(), Some(&E::FindAll));
        f.handle_key(&k(KeyCode::Tab, KeyModifiers::NONE));
        assert!(
            f.replace.is_some() && f.on_replace,
            "Tab goes to a new replace field"
        );
        f.handle_key(&k(KeyCode::Char('x'), KeyModifiers::NONE));
        assert_eq!(f.replace.as_ref().map(|r| r.text.as_str()), Some("x"));
        assert_eq!(f.find.text, "foo");
        f.handle_key(&k(KeyCode::Tab, KeyModifiers::NONE));
        assert!(!f.on_replace, "Tab goes back to the query");
    }
}
