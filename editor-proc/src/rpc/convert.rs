//! The one place where wire methods become internal commands. Every name here is an
//! upstream xi-core method name; anything else is an error naming the method.

use std::path::PathBuf;

use serde_json::Value;

use crate::command::{EditCmd, Gesture, Notification, Request};
use crate::config::{Domain, Table};
use crate::movement::Movement as M;
use crate::view::{FindQuery, Granularity, SelectionModifier};

/// Why a line could not be turned into a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The method name is not known.
    #[error("unknown variant `{0}`, expected one of {1}")]
    UnknownMethod(String, &'static str),
    /// The params do not fit the method.
    #[error("invalid params for `{method}`: {reason}")]
    BadParams {
        /// Method.
        method: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for conversions.
pub type Result<T> = std::result::Result<T, ConvertError>;

const REQUESTS: &str = "`edit`, `new_view`, `get_config`, `debug_get_contents`";
const NOTIFICATIONS: &str = "`edit`, `client_started`, `set_theme`, `close_view`, `save`, `modify_user_config`, `set_language`, `plugin`, `symphony.recover`";

fn bad(method: &str, reason: impl Into<String>) -> ConvertError {
    ConvertError::BadParams {
        method: method.to_string(),
        reason: reason.into(),
    }
}

fn get_str(p: &Value, key: &str, method: &str) -> Result<String> {
    p.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad(method, format!("missing string `{key}`")))
}

fn get_usize(p: &Value, key: &str, method: &str) -> Result<usize> {
    p.get(key)
        .and_then(Value::as_i64)
        .map(|n| n.max(0) as usize)
        .ok_or_else(|| bad(method, format!("missing integer `{key}`")))
}

fn get_bool(p: &Value, key: &str, default: bool) -> bool {
    p.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn pair(p: &Value, method: &str) -> Result<(usize, usize)> {
    let a = p
        .as_array()
        .ok_or_else(|| bad(method, "expected [first, last]"))?;
    let n = |i: usize| a.get(i).and_then(Value::as_i64).map(|n| n.max(0) as usize);
    match (n(0), n(1)) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(bad(method, "expected [first, last]")),
    }
}

/// Parses a front-end notification.
pub fn notification(method: &str, params: &Value) -> Result<Notification> {
    let p = params;
    Ok(match method {
        "client_started" => Notification::ClientStarted,
        "set_theme" => Notification::SetTheme(get_str(p, "theme_name", method)?),
        "close_view" => Notification::CloseView(get_str(p, "view_id", method)?),
        "save" => Notification::Save {
            view: get_str(p, "view_id", method)?,
            path: PathBuf::from(get_str(p, "file_path", method)?),
        },
        "set_language" => Notification::SetLanguage {
            view: get_str(p, "view_id", method)?,
            language: get_str(p, "language_id", method)?,
        },
        "modify_user_config" => {
            let changes: Table = p
                .get("changes")
                .and_then(Value::as_object)
                .cloned()
                .ok_or_else(|| bad(method, "missing object `changes`"))?;
            let d = p
                .get("domain")
                .ok_or_else(|| bad(method, "missing `domain`"))?;
            let domain = match d {
                Value::String(s) if s == "general" => Domain::General,
                Value::Object(o) => {
                    if let Some(v) = o.get("user_override").and_then(Value::as_str) {
                        Domain::UserOverride(v.to_string())
                    } else if let Some(l) = o.get("syntax").and_then(Value::as_str) {
                        Domain::Syntax(l.to_string())
                    } else {
                        return Err(bad(method, "unknown domain"));
                    }
                }
                _ => return Err(bad(method, "unknown domain")),
            };
            Notification::ModifyUserConfig { domain, changes }
        }
        "edit" => {
            let view = get_str(p, "view_id", method)?;
            let inner = get_str(p, "method", method)?;
            let ip = p.get("params").cloned().unwrap_or(Value::Null);
            Notification::Edit {
                view,
                cmd: edit(&inner, &ip)?,
            }
        }
        "plugin" => Notification::Plugin,
        "symphony.recover" => Notification::Recover {
            view: get_str(p, "view_id", method)?,
            accept: p
                .get("accept")
                .and_then(Value::as_bool)
                .ok_or_else(|| bad(method, "missing `accept`"))?,
        },
        other => {
            return Err(ConvertError::UnknownMethod(
                other.to_string(),
                NOTIFICATIONS,
            ));
        }
    })
}

/// Parses a front-end request.
pub fn request(method: &str, params: &Value) -> Result<Request> {
    let p = params;
    Ok(match method {
        "new_view" => Request::NewView(
            p.get("file_path")
                .and_then(Value::as_str)
                .map(PathBuf::from),
        ),
        "get_config" => Request::GetConfig(get_str(p, "view_id", method)?),
        "debug_get_contents" => Request::DebugGetContents(get_str(p, "view_id", method)?),
        "edit" => {
            let view = get_str(p, "view_id", method)?;
            match get_str(p, "method", method)?.as_str() {
                "copy" => Request::CopyCut { view, cut: false },
                "cut" => Request::CopyCut { view, cut: true },
                other => {
                    return Err(ConvertError::UnknownMethod(
                        other.to_string(),
                        "`cut`, `copy`",
                    ));
                }
            }
        }
        other => return Err(ConvertError::UnknownMethod(other.to_string(), REQUESTS)),
    })
}

fn granularity(v: Option<&Value>) -> Granularity {
    match v.and_then(Value::as_str) {
        Some("word") => Granularity::Word,
        Some("line") => Granularity::Line,
        _ => Granularity::Point,
    }
}

fn gesture(ty: &Value, method: &str) -> Result<Gesture> {
    let sel = |g, multi| Gesture::Select {
        granularity: g,
        multi,
    };
    Ok(match ty {
        Value::String(s) => match s.as_str() {
            "drag" => Gesture::Drag,
            "point_select" => sel(Granularity::Point, false),
            "toggle_sel" => sel(Granularity::Point, true),
            "range_select" => Gesture::SelectExtend {
                granularity: Granularity::Point,
            },
            "line_select" => sel(Granularity::Line, false),
            "word_select" => sel(Granularity::Word, false),
            "multi_line_select" => sel(Granularity::Line, true),
            "multi_word_select" => sel(Granularity::Word, true),
            other => return Err(bad(method, format!("unknown gesture `{other}`"))),
        },
        Value::Object(o) => {
            if let Some(s) = o.get("select") {
                sel(
                    granularity(s.get("granularity")),
                    get_bool(s, "multi", false),
                )
            } else if let Some(s) = o.get("select_extend") {
                Gesture::SelectExtend {
                    granularity: granularity(s.get("granularity")),
                }
            } else {
                return Err(bad(method, "unknown gesture"));
            }
        }
        _ => return Err(bad(method, "unknown gesture")),
    })
}

fn mouse(p: &Value, method: &str) -> Result<(usize, usize, u64, u64)> {
    if let Some(a) = p.as_array() {
        let n = |i: usize| a.get(i).and_then(Value::as_u64);
        return Ok((
            n(0).ok_or_else(|| bad(method, "line"))? as usize,
            n(1).ok_or_else(|| bad(method, "column"))? as usize,
            n(2).unwrap_or(0),
            n(3).unwrap_or(1),
        ));
    }
    Ok((
        get_usize(p, "line", method)?,
        get_usize(p, "column", method)?,
        p.get("flags").and_then(Value::as_u64).unwrap_or(0),
        p.get("click_count").and_then(Value::as_u64).unwrap_or(1),
    ))
}

fn query(q: &Value, method: &str) -> Result<FindQuery> {
    Ok(FindQuery {
        id: q.get("id").and_then(Value::as_u64).map(|i| i as usize),
        chars: get_str(q, "chars", method)?,
        case_sensitive: get_bool(q, "case_sensitive", false),
        regex: get_bool(q, "regex", false),
        whole_words: get_bool(q, "whole_words", false),
    })
}

fn find_next(p: &Value, reverse: bool) -> EditCmd {
    let modifier = match p.get("modify_selection").and_then(Value::as_str) {
        Some("none") => SelectionModifier::None,
        Some("add") => SelectionModifier::Add,
        Some("add_removing_current") => SelectionModifier::AddRemovingCurrent,
        _ => SelectionModifier::Set,
    };
    EditCmd::FindNext {
        reverse,
        wrap: get_bool(p, "wrap_around", false),
        modifier,
    }
}

/// Parses an inner `edit` method with its params.
pub fn edit(method: &str, p: &Value) -> Result<EditCmd> {
    use EditCmd as E;
    let name = |p: &Value| {
        p.get("recording_name")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(match method {
        "insert" => E::Insert(get_str(p, "chars", method)?),
        "paste" => E::Paste(get_str(p, "chars", method)?),
        "delete_backward" => E::DeleteBackward,
        "delete_forward" => E::Delete {
            movement: M::Right,
            kill: false,
        },
        "delete_word_forward" => E::Delete {
            movement: M::RightWord,
            kill: false,
        },
        "delete_word_backward" => E::Delete {
            movement: M::LeftWord,
            kill: false,
        },
        "delete_to_end_of_paragraph" => E::Delete {
            movement: M::EndOfParagraphKill,
            kill: true,
        },
        "delete_to_beginning_of_line" => E::Delete {
            movement: M::LeftOfLine,
            kill: false,
        },
        "insert_newline" => E::InsertNewline,
        "insert_tab" => E::InsertTab,
        "move_up" => E::Move(M::Up),
        "move_down" => E::Move(M::Down),
        "move_left" | "move_backward" => E::Move(M::Left),
        "move_right" | "move_forward" => E::Move(M::Right),
        "move_word_left" => E::Move(M::LeftWord),
        "move_word_right" => E::Move(M::RightWord),
        "move_to_beginning_of_paragraph" => E::Move(M::StartOfParagraph),
        "move_to_end_of_paragraph" => E::Move(M::EndOfParagraph),
        "move_to_left_end_of_line" => E::Move(M::LeftOfLine),
        "move_to_right_end_of_line" => E::Move(M::RightOfLine),
        "move_to_beginning_of_document" => E::Move(M::StartOfDocument),
        "move_to_end_of_document" => E::Move(M::EndOfDocument),
        "move_up_and_modify_selection" => E::ModifySelection(M::Up),
        "move_down_and_modify_selection" => E::ModifySelection(M::Down),
        "move_left_and_modify_selection" => E::ModifySelection(M::Left),
        "move_right_and_modify_selection" => E::ModifySelection(M::Right),
        "move_word_left_and_modify_selection" => E::ModifySelection(M::LeftWord),
        "move_word_right_and_modify_selection" => E::ModifySelection(M::RightWord),
        "move_to_beginning_of_paragraph_and_modify_selection" => {
            E::ModifySelection(M::StartOfParagraph)
        }
        "move_to_end_of_paragraph_and_modify_selection" => E::ModifySelection(M::EndOfParagraph),
        "move_to_left_end_of_line_and_modify_selection" => E::ModifySelection(M::LeftOfLine),
        "move_to_right_end_of_line_and_modify_selection" => E::ModifySelection(M::RightOfLine),
        "move_to_beginning_of_document_and_modify_selection" => {
            E::ModifySelection(M::StartOfDocument)
        }
        "move_to_end_of_document_and_modify_selection" => E::ModifySelection(M::EndOfDocument),
        "scroll_page_up" => E::Move(M::UpPage),
        "page_up_and_modify_selection" => E::ModifySelection(M::UpPage),
        "scroll_page_down" => E::Move(M::DownPage),
        "page_down_and_modify_selection" => E::ModifySelection(M::DownPage),
        "select_all" => E::SelectAll,
        "add_selection_above" => E::AddSelectionAbove,
        "add_selection_below" => E::AddSelectionBelow,
        "scroll" => {
            let (a, b) = pair(p, method)?;
            E::Scroll(a, b)
        }
        "request_lines" => {
            let (a, b) = pair(p, method)?;
            E::RequestLines(a, b)
        }
        "resize" => E::Resize,
        "goto_line" => E::GotoLine(get_usize(p, "line", method)?),
        "yank" => E::Yank,
        "transpose" => E::Transpose,
        "click" => {
            let (line, col, flags, count) = mouse(p, method)?;
            let ty = if flags & 2 != 0 {
                Gesture::SelectExtend {
                    granularity: Granularity::Point,
                }
            } else {
                let g = match count {
                    2 => Granularity::Word,
                    3 => Granularity::Line,
                    _ => Granularity::Point,
                };
                Gesture::Select {
                    granularity: g,
                    multi: false,
                }
            };
            E::Gesture { line, col, ty }
        }
        "drag" => {
            let (line, col, _, _) = mouse(p, method)?;
            E::Gesture {
                line,
                col,
                ty: Gesture::Drag,
            }
        }
        "gesture" => E::Gesture {
            line: get_usize(p, "line", method)?,
            col: get_usize(p, "col", method)?,
            ty: gesture(p.get("ty").unwrap_or(&Value::Null), method)?,
        },
        "undo" => E::Undo,
        "redo" => E::Redo,
        "find" => E::Find(query(p, method)?),
        "multi_find" => E::MultiFind(
            p.get("queries")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(method, "missing `queries`"))?
                .iter()
                .map(|q| query(q, method))
                .collect::<Result<_>>()?,
        ),
        "find_next" => find_next(p, false),
        "find_previous" => find_next(p, true),
        "find_all" => E::FindAll,
        "highlight_find" => E::HighlightFind(get_bool(p, "visible", true)),
        "selection_for_find" => E::SelectionForFind(get_bool(p, "case_sensitive", false)),
        "replace" => E::Replace {
            chars: get_str(p, "chars", method)?,
            preserve_case: get_bool(p, "preserve_case", false),
        },
        "replace_next" => E::ReplaceNext,
        "replace_all" => E::ReplaceAll,
        "selection_for_replace" => E::SelectionForReplace,
        "selection_into_lines" => E::SelectionIntoLines,
        "duplicate_line" => E::DuplicateLine,
        "increase_number" => E::IncreaseNumber,
        "decrease_number" => E::DecreaseNumber,
        "toggle_recording" => E::ToggleRecording(name(p)),
        "play_recording" => {
            E::PlayRecording(name(p).ok_or_else(|| bad(method, "missing `recording_name`"))?)
        }
        "clear_recording" => {
            E::ClearRecording(name(p).ok_or_else(|| bad(method, "missing `recording_name`"))?)
        }
        "collapse_selections" => E::CollapseSelections,
        "uppercase" => E::Uppercase,
        "lowercase" => E::Lowercase,
        "capitalize" => E::Capitalize,
        "reindent" => E::Reindent,
        "indent" => E::Indent,
        "outdent" => E::Outdent,
        "debug_toggle_comment" => E::ToggleComment,
        "request_hover" | "debug_rewrap" | "debug_wrap_width" | "debug_print_spans" => {
            E::Ignored(method.to_string())
        }
        other => {
            return Err(ConvertError::UnknownMethod(
                other.to_string(),
                "the edit methods of XI_PROTOCOL.md",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_names_map() {
        assert_eq!(
            edit("insert", &json!({"chars": "a"})),
            Ok(EditCmd::Insert("a".into()))
        );
        assert_eq!(edit("scroll", &json!([0, 20])), Ok(EditCmd::Scroll(0, 20)));
        assert_eq!(
            edit(
                "gesture",
                &json!({"line": 0, "col": 1, "ty": {"select": {"granularity": "word", "multi": true}}})
            ),
            Ok(EditCmd::Gesture {
                line: 0,
                col: 1,
                ty: Gesture::Select {
                    granularity: Granularity::Word,
                    multi: true
                }
            })
        );
        assert!(edit("nope", &json!({})).is_err());
        let e = request("no_such_request", &json!({})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown variant `no_such_request`, expected one of `edit`, `new_view`, `get_config`, `debug_get_contents`"
        );
    }
}
