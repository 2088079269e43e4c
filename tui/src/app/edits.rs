//! Actions that are exactly one xi `edit` method, in one table.

use symphony_protocol::xi::EditNotification as E;

use crate::action::Action;

/// The xi edit an action stands for, when it is a single plain edit.
pub fn simple_edit(action: &Action) -> Option<E> {
    Some(match action {
        Action::MoveUp => E::MoveUp,
        Action::MoveDown => E::MoveDown,
        Action::MoveLeft => E::MoveLeft,
        Action::MoveRight => E::MoveRight,
        Action::MoveWordLeft => E::MoveWordLeft,
        Action::MoveWordRight => E::MoveWordRight,
        Action::MoveLineStart => E::MoveToLeftEndOfLine,
        Action::MoveLineEnd => E::MoveToRightEndOfLine,
        Action::PageUp => E::ScrollPageUp,
        Action::PageDown => E::ScrollPageDown,
        Action::MoveDocumentStart => E::MoveToBeginningOfDocument,
        Action::MoveDocumentEnd => E::MoveToEndOfDocument,
        Action::SelectUp => E::MoveUpAndModifySelection,
        Action::SelectDown => E::MoveDownAndModifySelection,
        Action::SelectLeft => E::MoveLeftAndModifySelection,
        Action::SelectRight => E::MoveRightAndModifySelection,
        Action::SelectWordLeft => E::MoveWordLeftAndModifySelection,
        Action::SelectWordRight => E::MoveWordRightAndModifySelection,
        Action::SelectLineStart => E::MoveToLeftEndOfLineAndModifySelection,
        Action::SelectLineEnd => E::MoveToRightEndOfLineAndModifySelection,
        Action::SelectPageUp => E::PageUpAndModifySelection,
        Action::SelectPageDown => E::PageDownAndModifySelection,
        Action::SelectDocumentStart => E::MoveToBeginningOfDocumentAndModifySelection,
        Action::SelectDocumentEnd => E::MoveToEndOfDocumentAndModifySelection,
        Action::SelectAll => E::SelectAll,
        Action::AddCursorAbove => E::AddSelectionAbove,
        Action::AddCursorBelow => E::AddSelectionBelow,
        Action::SingleCursor => E::CollapseSelections,
        Action::InsertNewline => E::InsertNewline,
        Action::Indent => E::InsertTab,
        Action::Outdent => E::Outdent,
        Action::DeleteBackward => E::DeleteBackward,
        Action::DeleteForward => E::DeleteForward,
        Action::DeleteWordBackward => E::DeleteWordBackward,
        Action::DeleteWordForward => E::DeleteWordForward,
        Action::Undo => E::Undo,
        Action::Redo => E::Redo,
        Action::ToggleComment => E::DebugToggleComment,
        Action::DuplicateLine => E::DuplicateLine,
        Action::Insert(s) => E::Insert { chars: s.clone() },
        Action::PasteText(s) => E::Paste { chars: s.clone() },
        Action::GotoLineNumber(n) => E::GotoLine {
            line: n.saturating_sub(1),
        },
        _ => return None,
    })
}
