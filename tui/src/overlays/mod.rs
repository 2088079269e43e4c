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

impl Overlay {
    /// Offers a key to this overlay.
    pub fn handle_key(&mut self, key: &KeyEvent) -> Outcome {
        match self {
            Overlay::Palette(p) => p.handle_key(key),
            Overlay::FilePicker(p) => p.handle_key(key),
            Overlay::Buffers(p) => p.handle_key(key),
            Overlay::ProjectSearch(p) => p.handle_key(key),
            Overlay::Find(f) => f.handle_key(key),
            Overlay::Prompt(p) => p.handle_key(key),
            Overlay::Confirm(c) => c.handle_key(key),
            Overlay::Choice(c) => c.handle_key(key),
            Overlay::Recovery(r) => r.handle_key(key),
            Overlay::PaneNumbers => prompt::pane_numbers_key(key),
            Overlay::Lsp(l) => l.handle_key(key),
            Overlay::Ai(p) => p.handle_key(key),
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
