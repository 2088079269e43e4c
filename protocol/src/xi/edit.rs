//! The inner methods of the `edit` notification and request, named exactly as upstream's
//! `EditNotification` / `EditRequest` (xi-core-lib `rpc.rs`).

use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ViewId;

/// An `edit` command: the view it targets plus the inner method and params.
///
/// On the wire the view id sits next to the inner `method`/`params`:
/// `{"view_id":"view-id-1","method":"insert","params":{"chars":"A"}}`.
/// Unit methods accept params `{}`, `[]` or none, and are written with `"params":{}`.
///
/// ```
/// use symphony_protocol::xi::{EditCommand, EditNotification};
/// use serde_json::json;
/// let cmd = EditCommand { view_id: "view-id-1".into(), cmd: EditNotification::Undo, seq: None };
/// assert_eq!(serde_json::to_value(&cmd).unwrap(),
///            json!({"view_id": "view-id-1", "method": "undo", "params": {}}));
/// let back: EditCommand<EditNotification> =
///     serde_json::from_value(json!({"view_id": "view-id-1", "method": "undo", "params": []})).unwrap();
/// assert_eq!(back, cmd);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EditCommand<T> {
    /// The view the command applies to.
    pub view_id: ViewId,
    /// The inner method with its params.
    pub cmd: T,
    /// Symphony: the client's sequence number of this edit, sent as `"symphony_seq"` only
    /// once the core said it acknowledges edits (`symphony.capabilities`); the core then
    /// names it in the `symphony_ack` of the view's next `update`.
    pub seq: Option<u64>,
}

impl<T: Serialize> Serialize for EditCommand<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.cmd).map_err(ser::Error::custom)?;
        let Some(obj) = v.as_object_mut() else {
            return Err(ser::Error::custom("edit command is not an object"));
        };
        obj.insert("view_id".into(), Value::String(self.view_id.clone()));
        obj.entry("params")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(seq) = self.seq {
            obj.insert(super::symphony::EDIT_SEQ.into(), Value::from(seq));
        }
        v.serialize(serializer)
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for EditCommand<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        let Value::Object(mut obj) = v else {
            return Err(de::Error::custom("edit params must be an object"));
        };
        let view_id = match obj.remove("view_id") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(de::Error::custom("view_id must be a string")),
            None => return Err(de::Error::missing_field("view_id")),
        };
        let seq = match obj.remove(super::symphony::EDIT_SEQ) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| de::Error::custom("symphony_seq must be a number"))?,
            ),
        };
        let empty = match obj.get("params") {
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Null) => true,
            Some(_) => {
                return Err(de::Error::custom(
                    "'params', if present, must be object or array",
                ));
            }
            None => false,
        };
        let first = serde_json::from_value::<T>(Value::Object(obj.clone()));
        let cmd = match first {
            Ok(cmd) => cmd,
            Err(e) if !empty => return Err(de::Error::custom(e)),
            Err(e) => {
                // Empty params: a unit method wants none, a struct method with defaults `{}`.
                obj.remove("params");
                match serde_json::from_value::<T>(Value::Object(obj.clone())) {
                    Ok(cmd) => cmd,
                    Err(_) => {
                        obj.insert("params".into(), Value::Object(Default::default()));
                        serde_json::from_value::<T>(Value::Object(obj))
                            .map_err(|_| de::Error::custom(e))?
                    }
                }
            }
        };
        Ok(EditCommand { view_id, cmd, seq })
    }
}

/// A range of lines `[first, last)`, written as a two-element array `[first, last]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRange(pub usize, pub usize);

/// A view size in pixels (or cells): `{"width":w,"height":h}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
}

/// A mouse event of the older `click`/`drag` methods: `[line, col, flags, click_count?]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MouseAction {
    /// 0-based line.
    pub line: u64,
    /// 0-based column (UTF-8 bytes).
    pub column: u64,
    /// Modifier flags (bit 1 shift, bit 2 control, bit 3 alt... as the front end sends them).
    pub flags: u64,
    /// Click count (1, 2, 3), when sent.
    pub click_count: Option<u64>,
}

impl Serialize for MouseAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.click_count {
            Some(c) => [self.line, self.column, self.flags, c].serialize(serializer),
            None => [self.line, self.column, self.flags].serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for MouseAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v: Vec<u64> = Vec::deserialize(deserializer)?;
        match v.as_slice() {
            [line, column, flags] => Ok(MouseAction {
                line: *line,
                column: *column,
                flags: *flags,
                click_count: None,
            }),
            [line, column, flags, c] => Ok(MouseAction {
                line: *line,
                column: *column,
                flags: *flags,
                click_count: Some(*c),
            }),
            _ => Err(de::Error::invalid_length(v.len(), &"3 or 4 numbers")),
        }
    }
}

/// A position for `request_hover`: `{"line","column"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// 0-based line.
    pub line: usize,
    /// 0-based column (UTF-8 bytes).
    pub column: usize,
}

/// The smallest unit a gesture selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionGranularity {
    /// Any point or character range.
    Point,
    /// Whole words.
    Word,
    /// Whole lines.
    Line,
}

/// The `ty` of a `gesture`: `{"select":{...}}`, `{"select_extend":{...}}`, `"drag"`, or
/// one of upstream's deprecated unit forms (`"point_select"`, `"toggle_sel"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GestureType {
    /// Start a selection; `multi` adds a caret/selection instead of replacing.
    Select {
        /// Unit of selection.
        granularity: SelectionGranularity,
        /// Add to the existing selections.
        multi: bool,
    },
    /// Extend the last selection to the gesture point.
    SelectExtend {
        /// Unit of selection.
        granularity: SelectionGranularity,
    },
    /// Drag: extend the selection being made.
    Drag,
    /// Deprecated: place a caret.
    PointSelect,
    /// Deprecated: toggle a caret at the point.
    ToggleSel,
    /// Deprecated: extend the selection to the point.
    RangeSelect,
    /// Deprecated: select the line.
    LineSelect,
    /// Deprecated: select the word.
    WordSelect,
    /// Deprecated: add the line to the selections.
    MultiLineSelect,
    /// Deprecated: add the word to the selections.
    MultiWordSelect,
}

/// How a find operation changes the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionModifier {
    /// Leave the selection unchanged.
    None,
    /// Replace the selection by the match (upstream default).
    #[default]
    Set,
    /// Add the match to the selections.
    Add,
    /// Add the match, removing the current selection.
    AddRemovingCurrent,
}

/// One query of `multi_find`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindQuery {
    /// Query id (to update an existing query), or `null` for a new one.
    pub id: Option<usize>,
    /// The text or regex searched.
    pub chars: String,
    /// Match case.
    pub case_sensitive: bool,
    /// `chars` is a regex.
    #[serde(default)]
    pub regex: bool,
    /// Match whole words only.
    #[serde(default)]
    pub whole_words: bool,
}

/// Every inner `edit` notification method, with upstream's exact names and params.
///
/// ```
/// use symphony_protocol::xi::{EditNotification, LineRange};
/// use serde_json::json;
/// assert_eq!(serde_json::to_value(EditNotification::Scroll(LineRange(0, 20))).unwrap(),
///            json!({"method": "scroll", "params": [0, 20]}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum EditNotification {
    /// Insert text at every caret (replacing selections).
    Insert {
        /// The text.
        chars: String,
    },
    /// Paste text (one line per caret when the counts match).
    Paste {
        /// The text.
        chars: String,
    },
    /// Delete the selection or the grapheme after the caret.
    DeleteForward,
    /// Delete the selection or the grapheme before the caret.
    DeleteBackward,
    /// Delete to the end of the word.
    DeleteWordForward,
    /// Delete to the start of the word.
    DeleteWordBackward,
    /// Delete to the end of the paragraph (kill).
    DeleteToEndOfParagraph,
    /// Delete to the beginning of the line.
    DeleteToBeginningOfLine,
    /// Insert a newline (with auto-indent).
    InsertNewline,
    /// Insert a tab or spaces.
    InsertTab,
    /// Move up.
    MoveUp,
    /// Move up extending the selection.
    MoveUpAndModifySelection,
    /// Move down.
    MoveDown,
    /// Move down extending the selection.
    MoveDownAndModifySelection,
    /// Move left.
    MoveLeft,
    /// Synonym of `move_left`.
    MoveBackward,
    /// Move left extending the selection.
    MoveLeftAndModifySelection,
    /// Move right.
    MoveRight,
    /// Synonym of `move_right`.
    MoveForward,
    /// Move right extending the selection.
    MoveRightAndModifySelection,
    /// Move one word left.
    MoveWordLeft,
    /// Move one word left extending the selection.
    MoveWordLeftAndModifySelection,
    /// Move one word right.
    MoveWordRight,
    /// Move one word right extending the selection.
    MoveWordRightAndModifySelection,
    /// Move to the beginning of the paragraph.
    MoveToBeginningOfParagraph,
    /// Same, extending the selection.
    MoveToBeginningOfParagraphAndModifySelection,
    /// Move to the end of the paragraph.
    MoveToEndOfParagraph,
    /// Same, extending the selection.
    MoveToEndOfParagraphAndModifySelection,
    /// Move to the left end of the line.
    MoveToLeftEndOfLine,
    /// Same, extending the selection.
    MoveToLeftEndOfLineAndModifySelection,
    /// Move to the right end of the line.
    MoveToRightEndOfLine,
    /// Same, extending the selection.
    MoveToRightEndOfLineAndModifySelection,
    /// Move to the beginning of the document.
    MoveToBeginningOfDocument,
    /// Same, extending the selection.
    MoveToBeginningOfDocumentAndModifySelection,
    /// Move to the end of the document.
    MoveToEndOfDocument,
    /// Same, extending the selection.
    MoveToEndOfDocumentAndModifySelection,
    /// Scroll one page up, moving the caret.
    ScrollPageUp,
    /// Page up extending the selection.
    PageUpAndModifySelection,
    /// Scroll one page down, moving the caret.
    ScrollPageDown,
    /// Page down extending the selection.
    PageDownAndModifySelection,
    /// Select the whole buffer.
    SelectAll,
    /// Add a caret on the line above each caret.
    AddSelectionAbove,
    /// Add a caret on the line below each caret.
    AddSelectionBelow,
    /// The visible lines `[first, last)`.
    Scroll(LineRange),
    /// The view size.
    Resize(Size),
    /// Move the caret to a 0-based line.
    GotoLine {
        /// 0-based line.
        line: usize,
    },
    /// Ask for the lines `[first, last)` to be sent.
    RequestLines(LineRange),
    /// Insert the kill ring.
    Yank,
    /// Swap the graphemes around the caret.
    Transpose,
    /// Older click form `[line, col, flags, count]`.
    Click(MouseAction),
    /// Older drag form `[line, col, flags]`.
    Drag(MouseAction),
    /// A mouse/touch gesture at `(line, col)`.
    Gesture {
        /// 0-based line.
        line: usize,
        /// 0-based column (UTF-8 bytes).
        col: usize,
        /// The kind of gesture.
        ty: GestureType,
    },
    /// Undo the last undo group.
    Undo,
    /// Redo.
    Redo,
    /// Set the find query.
    Find {
        /// Text or regex.
        chars: String,
        /// Match case.
        case_sensitive: bool,
        /// `chars` is a regex.
        #[serde(default)]
        regex: bool,
        /// Whole words only.
        #[serde(default)]
        whole_words: bool,
    },
    /// Set several find queries.
    MultiFind {
        /// The queries.
        queries: Vec<FindQuery>,
    },
    /// Select the next match.
    FindNext {
        /// Wrap at the end of the buffer.
        #[serde(default)]
        wrap_around: bool,
        /// A match at the caret counts.
        #[serde(default)]
        allow_same: bool,
        /// How the selection changes.
        #[serde(default)]
        modify_selection: SelectionModifier,
    },
    /// Select the previous match.
    FindPrevious {
        /// Wrap at the start of the buffer.
        #[serde(default)]
        wrap_around: bool,
        /// A match at the caret counts.
        #[serde(default)]
        allow_same: bool,
        /// How the selection changes.
        #[serde(default)]
        modify_selection: SelectionModifier,
    },
    /// Select every match.
    FindAll,
    /// Debug: rewrap.
    DebugRewrap,
    /// Debug: wrap at width.
    DebugWrapWidth,
    /// Debug: print the style spans of the selection.
    DebugPrintSpans,
    /// Debug: toggle line comments.
    DebugToggleComment,
    /// Uppercase the selections.
    Uppercase,
    /// Lowercase the selections.
    Lowercase,
    /// Capitalize the selections.
    Capitalize,
    /// Reindent the selected lines.
    Reindent,
    /// Indent the selected lines.
    Indent,
    /// Outdent the selected lines.
    Outdent,
    /// Show or hide find highlights.
    HighlightFind {
        /// Visible.
        visible: bool,
    },
    /// Use the selection as the find query.
    SelectionForFind {
        /// Match case.
        #[serde(default)]
        case_sensitive: bool,
    },
    /// Set the replacement text.
    Replace {
        /// Replacement.
        chars: String,
        /// Keep the case of the match.
        #[serde(default)]
        preserve_case: bool,
    },
    /// Replace the next match.
    ReplaceNext,
    /// Replace every match.
    ReplaceAll,
    /// Use the selection as the replacement.
    SelectionForReplace,
    /// Ask for hover information.
    RequestHover {
        /// Front-end chosen id echoed in `show_hover`.
        request_id: usize,
        /// Where; the caret when `null`.
        position: Option<Position>,
    },
    /// Split each selection into one selection per line.
    SelectionIntoLines,
    /// Duplicate the caret lines.
    DuplicateLine,
    /// Increase the number at the caret.
    IncreaseNumber,
    /// Decrease the number at the caret.
    DecreaseNumber,
    /// Start or stop recording edits.
    ToggleRecording {
        /// Recording name (`null` = default).
        recording_name: Option<String>,
    },
    /// Replay a recording.
    PlayRecording {
        /// Recording name.
        recording_name: String,
    },
    /// Clear a recording.
    ClearRecording {
        /// Recording name.
        recording_name: String,
    },
    /// Collapse all selections into the last caret.
    CollapseSelections,
}

/// The inner `edit` request methods; both answer the text or `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum EditRequest {
    /// Cut the selections, answering their text.
    Cut,
    /// Copy the selections, answering their text.
    Copy,
}

/// Every inner `edit` notification method name, in declaration order.
pub const EDIT_NOTIFICATION_METHODS: &[&str] = &[
    "insert",
    "paste",
    "delete_forward",
    "delete_backward",
    "delete_word_forward",
    "delete_word_backward",
    "delete_to_end_of_paragraph",
    "delete_to_beginning_of_line",
    "insert_newline",
    "insert_tab",
    "move_up",
    "move_up_and_modify_selection",
    "move_down",
    "move_down_and_modify_selection",
    "move_left",
    "move_backward",
    "move_left_and_modify_selection",
    "move_right",
    "move_forward",
    "move_right_and_modify_selection",
    "move_word_left",
    "move_word_left_and_modify_selection",
    "move_word_right",
    "move_word_right_and_modify_selection",
    "move_to_beginning_of_paragraph",
    "move_to_beginning_of_paragraph_and_modify_selection",
    "move_to_end_of_paragraph",
    "move_to_end_of_paragraph_and_modify_selection",
    "move_to_left_end_of_line",
    "move_to_left_end_of_line_and_modify_selection",
    "move_to_right_end_of_line",
    "move_to_right_end_of_line_and_modify_selection",
    "move_to_beginning_of_document",
    "move_to_beginning_of_document_and_modify_selection",
    "move_to_end_of_document",
    "move_to_end_of_document_and_modify_selection",
    "scroll_page_up",
    "page_up_and_modify_selection",
    "scroll_page_down",
    "page_down_and_modify_selection",
    "select_all",
    "add_selection_above",
    "add_selection_below",
    "scroll",
    "resize",
    "goto_line",
    "request_lines",
    "yank",
    "transpose",
    "click",
    "drag",
    "gesture",
    "undo",
    "redo",
    "find",
    "multi_find",
    "find_next",
    "find_previous",
    "find_all",
    "debug_rewrap",
    "debug_wrap_width",
    "debug_print_spans",
    "debug_toggle_comment",
    "uppercase",
    "lowercase",
    "capitalize",
    "reindent",
    "indent",
    "outdent",
    "highlight_find",
    "selection_for_find",
    "replace",
    "replace_next",
    "replace_all",
    "selection_for_replace",
    "request_hover",
    "selection_into_lines",
    "duplicate_line",
    "increase_number",
    "decrease_number",
    "toggle_recording",
    "play_recording",
    "clear_recording",
    "collapse_selections",
];

/// Every inner `edit` request method name.
pub const EDIT_REQUEST_METHODS: &[&str] = &["cut", "copy"];
