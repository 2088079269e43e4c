//! Overlays are a stack (palette, pickers, prompts, popups): the top one sees
//! each key first and says whether it consumed it, wants to close, or wants
//! actions run / edits sent to the focused view.

pub mod buffers;
pub mod find;
pub mod input;
pub mod lsp;
pub mod pickers;
pub mod project_search;
pub mod prompt;
pub mod recovery;

use crossterm::event::KeyEvent;
use symphony_protocol::xi::EditNotification;

use crate::action::Action;
use crate::keymap::context::{
    ChoiceAction, ConfirmAction, FindAction, PickerAction, PromptAction, RecoveryAction,
};
use crate::keymap::{Keymap, TextKey};

pub use find::FindBar;
pub use pickers::{FilePicker, Palette};
pub use prompt::{Choice, Confirm, Prompt, PromptKind};
pub use recovery::RecoveryChoice;

/// One overlay.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The command palette.
    Palette(Palette),
    /// The fuzzy file picker.
    FilePicker(FilePicker),
    /// The open buffers.
    Buffers(buffers::BufferPicker),
    /// The project search.
    ProjectSearch(project_search::ProjectSearch),
    /// The find / replace bar.
    Find(FindBar),
    /// A text prompt.
    Prompt(Prompt),
    /// A yes/no question.
    Confirm(Confirm),
    /// A question with several answers (a save conflict).
    Choice(Choice),
    /// The crash-recovery question (answered deliberately, never by typing).
    Recovery(RecoveryChoice),
    /// Pane numbers shown over the panes.
    PaneNumbers,
    /// A language picker (locations, code actions, diagnostics) or the rename prompt.
    Lsp(lsp::LspOverlay),
    /// An AI picker (user workflows, a pick step's candidates) with a preview.
    Ai(crate::conductor::picker::AiPicker),
}

impl Overlay {
    /// How many rows at the bottom of the panes this overlay covers (the find
    /// bar, prompts and questions are drawn there; boxes float and count 0).
    pub fn bottom_rows(&self) -> u16 {
        match self {
            Overlay::Find(f) if f.replace.is_some() => 2,
            Overlay::Find(_) | Overlay::Prompt(_) | Overlay::Confirm(_) => 1,
            _ => 0,
        }
    }
}

/// What an overlay did with a key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// The key was used (false: try the keymap).
    pub consumed: bool,
    /// Close this overlay.
    pub close: bool,
    /// Actions to run (after closing, when closing).
    pub actions: Vec<Action>,
    /// Edits for the focused view.
    pub edits: Vec<EditNotification>,
}

impl Outcome {
    /// Used, nothing else.
    pub fn consumed() -> Self {
        Outcome {
            consumed: true,
            ..Default::default()
        }
    }
    /// Not used: let the keymap have it.
    pub fn ignored() -> Self {
        Outcome::default()
    }
    /// Close the overlay.
    pub fn close() -> Self {
        Outcome {
            consumed: true,
            close: true,
            ..Default::default()
        }
    }
    /// Close the overlay and run these.
    pub fn run(actions: Vec<Action>) -> Self {
        Outcome {
            consumed: true,
            close: true,
            actions,
            edits: Vec::new(),
        }
    }
    /// Stay open and send these edits.
    pub fn edits(edits: Vec<EditNotification>) -> Self {
        Outcome {
            consumed: true,
            close: false,
            actions: Vec::new(),
            edits,
        }
    }
}

/// A key for the top overlay, already looked up in the overlay's contexts
/// (raw keys never reach the overlays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayInput {
    /// A picker key.
    Picker(PickerAction),
    /// A find-bar key.
    Find(FindAction),
    /// A prompt key.
    Prompt(PromptAction),
    /// A yes/no key.
    Confirm(ConfirmAction),
    /// A key of a lettered question.
    Choice(ChoiceAction),
    /// A recovery-box key.
    Recovery(RecoveryAction),
    /// Text: an editing key or a typed character.
    Text(TextKey),
    /// A key none of the overlay's contexts binds.
    Unbound,
}

impl Overlay {
    /// Looks a key up in this overlay's contexts, its own first, then the
    /// text field's (when it has one).
    pub fn resolve(&self, keymap: &Keymap, key: &KeyEvent) -> OverlayInput {
        let own = match self {
            Overlay::Palette(_)
            | Overlay::FilePicker(_)
            | Overlay::Buffers(_)
            | Overlay::ProjectSearch(_)
            | Overlay::Lsp(lsp::LspOverlay::Picker(_))
            | Overlay::Ai(_) => keymap.get(key).map(OverlayInput::Picker),
            Overlay::Find(_) => keymap.get(key).map(OverlayInput::Find),
            Overlay::Prompt(_) | Overlay::Lsp(lsp::LspOverlay::Rename(_)) => {
                keymap.get(key).map(OverlayInput::Prompt)
            }
            Overlay::Confirm(_) => keymap.get(key).map(OverlayInput::Confirm),
            Overlay::Choice(_) => keymap.get(key).map(OverlayInput::Choice),
            // Typing never answers the recovery question.
            Overlay::Recovery(_) => {
                return keymap
                    .get(key)
                    .map_or(OverlayInput::Unbound, OverlayInput::Recovery);
            }
            Overlay::PaneNumbers => None,
        };
        own.or_else(|| keymap.text(key).map(OverlayInput::Text))
            .unwrap_or(OverlayInput::Unbound)
    }

    /// Offers a key (looked up by [`Overlay::resolve`]) to this overlay.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        match self {
            Overlay::Palette(p) => p.handle(key),
            Overlay::FilePicker(p) => p.handle(key),
            Overlay::Buffers(p) => p.handle(key),
            Overlay::ProjectSearch(p) => p.handle(key),
            Overlay::Find(f) => f.handle(key),
            Overlay::Prompt(p) => p.handle(key),
            Overlay::Confirm(c) => c.handle(key),
            Overlay::Choice(c) => c.handle(key),
            Overlay::Recovery(r) => r.handle(key),
            Overlay::PaneNumbers => prompt::pane_numbers_key(key),
            Overlay::Lsp(l) => l.handle(key),
            Overlay::Ai(p) => p.handle(key),
        }
    }

    /// Offers pasted text; true when the overlay took it.
    pub fn paste(&mut self, text: &str) -> bool {
        let input = match self {
            Overlay::Palette(p) => &mut p.input,
            Overlay::FilePicker(p) => &mut p.input,
            Overlay::Buffers(p) => &mut p.input,
            Overlay::ProjectSearch(p) => &mut p.input,
            Overlay::Find(f) => match (&mut f.replace, f.on_replace) {
                (Some(r), true) => r,
                _ => &mut f.find,
            },
            Overlay::Prompt(p) => &mut p.input,
            Overlay::Confirm(_)
            | Overlay::Choice(_)
            | Overlay::Recovery(_)
            | Overlay::PaneNumbers => return true,
            Overlay::Lsp(l) => {
                l.paste(text);
                return true;
            }
            Overlay::Ai(p) => {
                p.paste(text);
                return true;
            }
        };
        input.insert(text.lines().next().unwrap_or(""));
        true
    }
}

/// Test helper: a key looked up in the default keymap, as the overlay would
/// get it on the stack, and offered to it.
#[cfg(test)]
pub(crate) trait Press: Sized + Clone {
    /// The overlay holding `self`.
    fn wrap(self) -> Overlay;
    /// `self` back out of the overlay.
    fn unwrap(o: Overlay) -> Option<Self>;
    /// Offers `key`.
    fn handle_key(&mut self, key: &KeyEvent) -> Outcome {
        let mut o = self.clone().wrap();
        let input = o.resolve(&Keymap::default_keymap(), key);
        let out = o.handle(input);
        if let Some(s) = Self::unwrap(o) {
            *self = s;
        }
        out
    }
}

#[cfg(test)]
macro_rules! press_for {
    ($($ty:ty => $wrap:path, $pat:pat => $back:expr;)*) => {
        $(impl Press for $ty {
            fn wrap(self) -> Overlay {
                $wrap(self)
            }
            fn unwrap(o: Overlay) -> Option<Self> {
                match o {
                    $pat => Some($back),
                    _ => None,
                }
            }
        })*
    };
}

#[cfg(test)]
press_for! {
    Palette => Overlay::Palette, Overlay::Palette(p) => p;
    FilePicker => Overlay::FilePicker, Overlay::FilePicker(p) => p;
    buffers::BufferPicker => Overlay::Buffers, Overlay::Buffers(p) => p;
    project_search::ProjectSearch => Overlay::ProjectSearch, Overlay::ProjectSearch(p) => p;
    FindBar => Overlay::Find, Overlay::Find(p) => p;
    Prompt => Overlay::Prompt, Overlay::Prompt(p) => p;
    Confirm => Overlay::Confirm, Overlay::Confirm(p) => p;
    Choice => Overlay::Choice, Overlay::Choice(p) => p;
    RecoveryChoice => Overlay::Recovery, Overlay::Recovery(p) => p;
    crate::conductor::picker::AiPicker => Overlay::Ai, Overlay::Ai(p) => p;
}

#[cfg(test)]
impl Press for lsp::LspPicker {
    fn wrap(self) -> Overlay {
        Overlay::Lsp(lsp::LspOverlay::Picker(self))
    }
    fn unwrap(o: Overlay) -> Option<Self> {
        match o {
            Overlay::Lsp(lsp::LspOverlay::Picker(p)) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
impl Press for lsp::RenamePrompt {
    fn wrap(self) -> Overlay {
        Overlay::Lsp(lsp::LspOverlay::Rename(self))
    }
    fn unwrap(o: Overlay) -> Option<Self> {
        match o {
            Overlay::Lsp(lsp::LspOverlay::Rename(p)) => Some(p),
            _ => None,
        }
    }
}
