//! Internal commands: what the wire methods mean inside the core (see `rpc::convert`).

use std::path::PathBuf;

use crate::config::{Domain, Table};
use crate::movement::Movement;
use crate::view::{FindQuery, Granularity, SelectionModifier};

/// Gesture kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gesture {
    /// Click: select a unit, `multi` adds (or toggles) a region.
    Select {
        /// Unit to select.
        granularity: Granularity,
        /// Add to the selection.
        multi: bool,
    },
    /// Shift-click.
    SelectExtend {
        /// Unit to extend by.
        granularity: Granularity,
    },
    /// Drag after a select.
    Drag,
}

/// An inner `edit` method.
#[derive(Debug, Clone, PartialEq)]
pub enum EditCmd {
    /// Move carets.
    Move(Movement),
    /// Extend selections.
    ModifySelection(Movement),
    /// Select the whole text.
    SelectAll,
    /// Visible lines `[first, last)`.
    Scroll(usize, usize),
    /// Window size (lines become visible through `scroll`).
    Resize,
    /// Caret to a line.
    GotoLine(usize),
    /// Send lines `[first, last)`.
    RequestLines(usize, usize),
    /// Caret on the line above each.
    AddSelectionAbove,
    /// Caret on the line below each.
    AddSelectionBelow,
    /// Mouse.
    Gesture {
        /// Line.
        line: usize,
        /// Byte column.
        col: usize,
        /// Kind.
        ty: Gesture,
    },
    /// One caret.
    CollapseSelections,
    /// Split selections into one per line.
    SelectionIntoLines,
    /// Type text.
    Insert(String),
    /// Paste text.
    Paste(String),
    /// Backspace.
    DeleteBackward,
    /// Delete by a movement; `kill` keeps the text for `yank`.
    Delete {
        /// Extent.
        movement: Movement,
        /// Save to the kill ring.
        kill: bool,
    },
    /// Newline.
    InsertNewline,
    /// Tab.
    InsertTab,
    /// Insert the kill ring.
    Yank,
    /// Swap characters.
    Transpose,
    /// Undo.
    Undo,
    /// Redo.
    Redo,
    /// Upper-case selections.
    Uppercase,
    /// Lower-case selections.
    Lowercase,
    /// Capitalize words.
    Capitalize,
    /// Indent lines.
    Indent,
    /// Outdent lines.
    Outdent,
    /// Re-indent the touched lines from the line above and brackets (`edit_ops::reindent`).
    Reindent,
    /// Duplicate lines.
    DuplicateLine,
    /// Number + 1.
    IncreaseNumber,
    /// Number - 1.
    DecreaseNumber,
    /// Start/stop recording.
    ToggleRecording(Option<String>),
    /// Replay a recording.
    PlayRecording(String),
    /// Drop a recording.
    ClearRecording(String),
    /// Set the find query (updates the first query).
    Find(FindQuery),
    /// Set several queries.
    MultiFind(Vec<FindQuery>),
    /// Next/previous match.
    FindNext {
        /// Backwards.
        reverse: bool,
        /// Wrap at the end.
        wrap: bool,
        /// How to change the selection.
        modifier: SelectionModifier,
    },
    /// Select all matches.
    FindAll,
    /// Show/hide match highlights.
    HighlightFind(bool),
    /// Query from the selection.
    SelectionForFind(bool),
    /// Set the replacement.
    Replace {
        /// Replacement.
        chars: String,
        /// Preserve case (accepted, not applied: as upstream).
        preserve_case: bool,
    },
    /// Replace the next match.
    ReplaceNext,
    /// Replace every match.
    ReplaceAll,
    /// Replacement from the selection.
    SelectionForReplace,
    /// Toggle `//`-style comments.
    ToggleComment,
    /// Accepted and ignored (hover, debug wrap, spans).
    Ignored(String),
}

impl EditCmd {
    /// Commands that are not recorded (they control recording or are viewport only).
    pub fn is_special(&self) -> bool {
        matches!(
            self,
            EditCmd::ToggleRecording(_)
                | EditCmd::PlayRecording(_)
                | EditCmd::ClearRecording(_)
                | EditCmd::RequestLines(..)
                | EditCmd::Resize
                | EditCmd::Reindent
                | EditCmd::ToggleComment
                | EditCmd::Ignored(_)
        )
    }
}

/// A front-end notification.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// Start-up.
    ClientStarted,
    /// Choose a theme.
    SetTheme(String),
    /// Close a view.
    CloseView(String),
    /// Save a view's buffer to a path.
    Save {
        /// View.
        view: String,
        /// Destination.
        path: PathBuf,
        /// Write even when the file changed on disk or exists already.
        force: bool,
    },
    /// Change settings.
    ModifyUserConfig {
        /// Where.
        domain: Domain,
        /// What.
        changes: Table,
    },
    /// Change a view's language.
    SetLanguage {
        /// View.
        view: String,
        /// Language name.
        language: String,
    },
    /// An edit.
    Edit {
        /// View.
        view: String,
        /// Command.
        cmd: EditCmd,
        /// The client's sequence number, to acknowledge (`symphony_seq`).
        seq: Option<u64>,
    },
    /// Plugin commands (no plugins here: logged).
    Plugin,
    /// `symphony.recover`.
    Recover {
        /// View.
        view: String,
        /// What to do with the offered journal.
        action: symphony_protocol::xi::RecoverAction,
        /// The view that gets the recovered text or the diff (new buffer, diff).
        into: Option<String>,
    },
    /// `symphony.reload`: the buffer from disk again.
    Reload(String),
}

/// A front-end request (answered with a result).
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Open a view.
    NewView(Option<PathBuf>),
    /// The view's settings.
    GetConfig(String),
    /// The whole text.
    DebugGetContents(String),
    /// `symphony.disk_diff`: the diff from the file on disk to the buffer.
    DiskDiff(String),
    /// `symphony.capabilities`: what the client can use (answered with what is granted).
    Capabilities(symphony_protocol::xi::symphony::Capabilities),
    /// `copy` (cut = false) or `cut`.
    CopyCut {
        /// View.
        view: String,
        /// Delete the selection too.
        cut: bool,
    },
    /// `symphony.review.*` (see `core::review`).
    Review(symphony_protocol::xi::review::ReviewRequest),
    /// `symphony.lsp.*` (see `crate::lsp`), answered when the language server answers.
    Lsp(crate::lsp::LspRequest),
}
