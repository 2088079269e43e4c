//! The one place where wire messages become internal commands: the protocol crate's typed
//! enums ([`CoreNotification`], [`CoreRequest`], [`EditNotification`], ...) parse each line,
//! and one `From` per wire type turns them into [`Notification`], [`Request`] and [`EditCmd`].

use std::path::PathBuf;

use serde_json::{Map, Value};
use symphony_protocol::xi::{
    self, ConfigDomain, CoreNotification, CoreRequest, EditCommand, EditNotification, EditRequest,
    GestureType, MouseAction, RecoverAction, SelectionGranularity, XiError,
};

use crate::command::{EditCmd, Gesture, Notification, Request};
use crate::config::Domain;
use crate::movement::Movement as M;
use crate::view::{FindQuery, Granularity, SelectionModifier};

/// Result alias for conversions: the error is the protocol crate's [`XiError`], which names
/// the method and gives the `-32600` answer through [`XiError::to_rpc_error`].
pub type Result<T> = std::result::Result<T, XiError>;

/// Absent params (`null`) mean "no params": the typed enums want an object.
fn params_or_empty(params: Value) -> Value {
    if params.is_null() {
        Value::Object(Map::new())
    } else {
        params
    }
}

/// Parses a front-end notification and converts it to an internal command.
pub fn notification(method: &str, params: Value) -> Result<Notification> {
    let params = params_or_empty(params);
    match xi::parse_core_notification(method, params.clone()) {
        Ok(n) => Ok(n.into()),
        Err(e) => legacy_mouse(method, &params).ok_or(e),
    }
}

/// Parses a front-end request (the id is the caller's) and converts it to an internal command.
pub fn request(method: &str, params: Value) -> Result<Request> {
    if xi::review::is_review_method(method) {
        return xi::review::parse_review_request(method, params_or_empty(params))
            .map(Request::Review);
    }
    if xi::lsp::is_lsp_method(method) {
        return crate::lsp::LspRequest::parse(method, params_or_empty(params)).map(Request::Lsp);
    }
    xi::parse_core_request(method, params_or_empty(params)).map(Request::from)
}

/// `click`/`drag` in shapes the protocol's [`MouseAction`] (`[line, col, flags, count?]`)
/// does not express but this core accepted before the move to the typed enums: the
/// object form `{"line","column","flags"?,"click_count"?}` and the two-element array
/// `[line, col]`. Kept here, not in `protocol/`, so the wire types stay upstream's.
fn legacy_mouse(method: &str, p: &Value) -> Option<Notification> {
    if method != "edit" {
        return None;
    }
    let inner = p.get("method")?.as_str()?;
    if inner != "click" && inner != "drag" {
        return None;
    }
    let view = p.get("view_id")?.as_str()?.to_string();
    let ip = p.get("params")?;
    let action = if let Some(a) = ip.as_array() {
        let n = |i: usize| a.get(i).and_then(Value::as_u64);
        MouseAction {
            line: n(0)?,
            column: n(1)?,
            flags: n(2).unwrap_or(0),
            click_count: n(3),
        }
    } else {
        let n = |k: &str| ip.get(k).and_then(Value::as_u64);
        MouseAction {
            line: n("line")?,
            column: n("column")?,
            flags: n("flags").unwrap_or(0),
            click_count: n("click_count"),
        }
    };
    let cmd = if inner == "click" {
        EditNotification::Click(action)
    } else {
        EditNotification::Drag(action)
    };
    Some(Notification::Edit {
        view,
        cmd: cmd.into(),
        seq: p.get(xi::symphony::EDIT_SEQ).and_then(Value::as_u64),
    })
}

impl From<CoreNotification> for Notification {
    fn from(n: CoreNotification) -> Self {
        match n {
            CoreNotification::ClientStarted { .. } => Notification::ClientStarted,
            CoreNotification::SetTheme { theme_name } => Notification::SetTheme(theme_name),
            CoreNotification::CloseView { view_id } => Notification::CloseView(view_id),
            CoreNotification::Save {
                view_id,
                file_path,
                force,
            } => Notification::Save {
                view: view_id,
                path: PathBuf::from(file_path),
                force,
            },
            CoreNotification::ModifyUserConfig { domain, changes } => {
                Notification::ModifyUserConfig {
                    domain: domain.into(),
                    changes,
                }
            }
            CoreNotification::SetLanguage {
                view_id,
                language_id,
            } => Notification::SetLanguage {
                view: view_id,
                language: language_id,
            },
            CoreNotification::Edit(EditCommand { view_id, cmd, seq }) => Notification::Edit {
                view: view_id,
                cmd: cmd.into(),
                seq,
            },
            CoreNotification::Plugin(_) => Notification::Plugin,
            CoreNotification::SymphonyRecover {
                view_id,
                accept,
                action,
                into_view_id,
            } => Notification::Recover {
                view: view_id,
                // The plain yes/no of older clients: no is the trash, never a deletion.
                action: action.unwrap_or(if accept {
                    RecoverAction::Replace
                } else {
                    RecoverAction::Trash
                }),
                into: into_view_id,
            },
            CoreNotification::SymphonyReload { view_id } => Notification::Reload(view_id),
        }
    }
}

impl From<CoreRequest> for Request {
    fn from(r: CoreRequest) -> Self {
        match r {
            CoreRequest::NewView { file_path } => Request::NewView(file_path.map(PathBuf::from)),
            CoreRequest::GetConfig { view_id } => Request::GetConfig(view_id),
            CoreRequest::DebugGetContents { view_id } => Request::DebugGetContents(view_id),
            CoreRequest::SymphonyDiskDiff { view_id } => Request::DiskDiff(view_id),
            CoreRequest::SymphonyCapabilities(c) => Request::Capabilities(c),
            CoreRequest::Edit(EditCommand { view_id, cmd, .. }) => Request::CopyCut {
                view: view_id,
                cut: cmd == EditRequest::Cut,
            },
        }
    }
}

impl From<ConfigDomain> for Domain {
    fn from(d: ConfigDomain) -> Self {
        match d {
            ConfigDomain::General => Domain::General,
            // Upstream maps both `syntax` and `language` to the language's layer.
            ConfigDomain::Syntax(l) | ConfigDomain::Language(l) => Domain::Syntax(l),
            ConfigDomain::UserOverride(v) => Domain::UserOverride(v),
        }
    }
}

impl From<SelectionGranularity> for Granularity {
    fn from(g: SelectionGranularity) -> Self {
        match g {
            SelectionGranularity::Point => Granularity::Point,
            SelectionGranularity::Word => Granularity::Word,
            SelectionGranularity::Line => Granularity::Line,
        }
    }
}

impl From<GestureType> for Gesture {
    fn from(ty: GestureType) -> Self {
        let sel = |granularity, multi| Gesture::Select { granularity, multi };
        match ty {
            GestureType::Select { granularity, multi } => sel(granularity.into(), multi),
            GestureType::SelectExtend { granularity } => Gesture::SelectExtend {
                granularity: granularity.into(),
            },
            GestureType::Drag => Gesture::Drag,
            GestureType::PointSelect => sel(Granularity::Point, false),
            GestureType::ToggleSel => sel(Granularity::Point, true),
            GestureType::RangeSelect => Gesture::SelectExtend {
                granularity: Granularity::Point,
            },
            GestureType::LineSelect => sel(Granularity::Line, false),
            GestureType::WordSelect => sel(Granularity::Word, false),
            GestureType::MultiLineSelect => sel(Granularity::Line, true),
            GestureType::MultiWordSelect => sel(Granularity::Word, true),
        }
    }
}

impl From<xi::SelectionModifier> for SelectionModifier {
    fn from(m: xi::SelectionModifier) -> Self {
        match m {
            xi::SelectionModifier::None => SelectionModifier::None,
            xi::SelectionModifier::Set => SelectionModifier::Set,
            xi::SelectionModifier::Add => SelectionModifier::Add,
            xi::SelectionModifier::AddRemovingCurrent => SelectionModifier::AddRemovingCurrent,
        }
    }
}

impl From<xi::FindQuery> for FindQuery {
    fn from(q: xi::FindQuery) -> Self {
        FindQuery {
            id: q.id,
            chars: q.chars,
            case_sensitive: q.case_sensitive,
            regex: q.regex,
            whole_words: q.whole_words,
        }
    }
}

/// `click`: shift (flag bit 2) extends, 2 clicks select a word, 3 a line.
fn click(a: MouseAction) -> EditCmd {
    let ty = if a.flags & 2 != 0 {
        Gesture::SelectExtend {
            granularity: Granularity::Point,
        }
    } else {
        let granularity = match a.click_count.unwrap_or(1) {
            2 => Granularity::Word,
            3 => Granularity::Line,
            _ => Granularity::Point,
        };
        Gesture::Select {
            granularity,
            multi: false,
        }
    };
    EditCmd::Gesture {
        line: a.line as usize,
        col: a.column as usize,
        ty,
    }
}

fn delete(movement: M) -> EditCmd {
    EditCmd::Delete {
        movement,
        kill: false,
    }
}

impl From<EditNotification> for EditCmd {
    fn from(n: EditNotification) -> Self {
        use EditCmd as E;
        use EditNotification as N;
        match n {
            N::Insert { chars } => E::Insert(chars),
            N::Paste { chars } => E::Paste(chars),
            N::DeleteBackward => E::DeleteBackward,
            N::DeleteForward => delete(M::Right),
            N::DeleteWordForward => delete(M::RightWord),
            N::DeleteWordBackward => delete(M::LeftWord),
            N::DeleteToEndOfParagraph => E::Delete {
                movement: M::EndOfParagraphKill,
                kill: true,
            },
            N::DeleteToBeginningOfLine => delete(M::LeftOfLine),
            N::InsertNewline => E::InsertNewline,
            N::InsertTab => E::InsertTab,
            N::MoveUp => E::Move(M::Up),
            N::MoveDown => E::Move(M::Down),
            N::MoveLeft | N::MoveBackward => E::Move(M::Left),
            N::MoveRight | N::MoveForward => E::Move(M::Right),
            N::MoveWordLeft => E::Move(M::LeftWord),
            N::MoveWordRight => E::Move(M::RightWord),
            N::MoveToBeginningOfParagraph => E::Move(M::StartOfParagraph),
            N::MoveToEndOfParagraph => E::Move(M::EndOfParagraph),
            N::MoveToLeftEndOfLine => E::Move(M::LeftOfLine),
            N::MoveToRightEndOfLine => E::Move(M::RightOfLine),
            N::MoveToBeginningOfDocument => E::Move(M::StartOfDocument),
            N::MoveToEndOfDocument => E::Move(M::EndOfDocument),
            N::MoveUpAndModifySelection => E::ModifySelection(M::Up),
            N::MoveDownAndModifySelection => E::ModifySelection(M::Down),
            N::MoveLeftAndModifySelection => E::ModifySelection(M::Left),
            N::MoveRightAndModifySelection => E::ModifySelection(M::Right),
            N::MoveWordLeftAndModifySelection => E::ModifySelection(M::LeftWord),
            N::MoveWordRightAndModifySelection => E::ModifySelection(M::RightWord),
            N::MoveToBeginningOfParagraphAndModifySelection => {
                E::ModifySelection(M::StartOfParagraph)
            }
            N::MoveToEndOfParagraphAndModifySelection => E::ModifySelection(M::EndOfParagraph),
            N::MoveToLeftEndOfLineAndModifySelection => E::ModifySelection(M::LeftOfLine),
            N::MoveToRightEndOfLineAndModifySelection => E::ModifySelection(M::RightOfLine),
            N::MoveToBeginningOfDocumentAndModifySelection => {
                E::ModifySelection(M::StartOfDocument)
            }
            N::MoveToEndOfDocumentAndModifySelection => E::ModifySelection(M::EndOfDocument),
            N::ScrollPageUp => E::Move(M::UpPage),
            N::PageUpAndModifySelection => E::ModifySelection(M::UpPage),
            N::ScrollPageDown => E::Move(M::DownPage),
            N::PageDownAndModifySelection => E::ModifySelection(M::DownPage),
            N::SelectAll => E::SelectAll,
            N::AddSelectionAbove => E::AddSelectionAbove,
            N::AddSelectionBelow => E::AddSelectionBelow,
            N::Scroll(r) => E::Scroll(r.0, r.1),
            N::RequestLines(r) => E::RequestLines(r.0, r.1),
            N::Resize(_) => E::Resize,
            N::GotoLine { line } => E::GotoLine(line),
            N::Yank => E::Yank,
            N::Transpose => E::Transpose,
            N::Click(a) => click(a),
            N::Drag(a) => E::Gesture {
                line: a.line as usize,
                col: a.column as usize,
                ty: Gesture::Drag,
            },
            N::Gesture { line, col, ty } => E::Gesture {
                line,
                col,
                ty: ty.into(),
            },
            N::Undo => E::Undo,
            N::Redo => E::Redo,
            N::Find {
                chars,
                case_sensitive,
                regex,
                whole_words,
            } => E::Find(FindQuery {
                id: None,
                chars,
                case_sensitive,
                regex,
                whole_words,
            }),
            N::MultiFind { queries } => E::MultiFind(queries.into_iter().map(Into::into).collect()),
            N::FindNext {
                wrap_around,
                modify_selection,
                ..
            } => E::FindNext {
                reverse: false,
                wrap: wrap_around,
                modifier: modify_selection.into(),
            },
            N::FindPrevious {
                wrap_around,
                modify_selection,
                ..
            } => E::FindNext {
                reverse: true,
                wrap: wrap_around,
                modifier: modify_selection.into(),
            },
            N::FindAll => E::FindAll,
            N::HighlightFind { visible } => E::HighlightFind(visible),
            N::SelectionForFind { case_sensitive } => E::SelectionForFind(case_sensitive),
            N::Replace {
                chars,
                preserve_case,
            } => E::Replace {
                chars,
                preserve_case,
            },
            N::ReplaceNext => E::ReplaceNext,
            N::ReplaceAll => E::ReplaceAll,
            N::SelectionForReplace => E::SelectionForReplace,
            N::SelectionIntoLines => E::SelectionIntoLines,
            N::DuplicateLine => E::DuplicateLine,
            N::IncreaseNumber => E::IncreaseNumber,
            N::DecreaseNumber => E::DecreaseNumber,
            N::ToggleRecording { recording_name } => E::ToggleRecording(recording_name),
            N::PlayRecording { recording_name } => E::PlayRecording(recording_name),
            N::ClearRecording { recording_name } => E::ClearRecording(recording_name),
            N::CollapseSelections => E::CollapseSelections,
            N::Uppercase => E::Uppercase,
            N::Lowercase => E::Lowercase,
            N::Capitalize => E::Capitalize,
            N::Reindent => E::Reindent,
            N::Indent => E::Indent,
            N::Outdent => E::Outdent,
            N::DebugToggleComment => E::ToggleComment,
            N::RequestHover { .. } => E::Ignored("request_hover".into()),
            N::DebugRewrap => E::Ignored("debug_rewrap".into()),
            N::DebugWrapWidth => E::Ignored("debug_wrap_width".into()),
            N::DebugPrintSpans => E::Ignored("debug_print_spans".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edit(method: &str, params: Value) -> Result<EditCmd> {
        let p = json!({"view_id": "view-id-1", "method": method, "params": params});
        match notification("edit", p)? {
            Notification::Edit { cmd, .. } => Ok(cmd),
            other => panic!("not an edit: {other:?}"),
        }
    }

    #[test]
    fn wire_names_map() {
        assert_eq!(
            edit("insert", json!({"chars": "a"})),
            Ok(EditCmd::Insert("a".into()))
        );
        assert_eq!(edit("scroll", json!([0, 20])), Ok(EditCmd::Scroll(0, 20)));
        assert_eq!(edit("undo", json!([])), Ok(EditCmd::Undo));
        assert_eq!(
            edit(
                "gesture",
                json!({"line": 0, "col": 1, "ty": {"select": {"granularity": "word", "multi": true}}})
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
        assert_eq!(
            edit("gesture", json!({"line": 2, "col": 3, "ty": "toggle_sel"})),
            Ok(EditCmd::Gesture {
                line: 2,
                col: 3,
                ty: Gesture::Select {
                    granularity: Granularity::Point,
                    multi: true
                }
            })
        );
        assert!(edit("nope", json!({})).is_err());
        assert_eq!(
            request(
                "edit",
                json!({"view_id": "view-id-1", "method": "cut", "params": {}})
            ),
            Ok(Request::CopyCut {
                view: "view-id-1".into(),
                cut: true
            })
        );
        assert_eq!(
            notification("client_started", Value::Null),
            Ok(Notification::ClientStarted)
        );
    }

    #[test]
    fn unknown_request_answers_invalid_request() {
        let e = request("no_such_request", json!({})).unwrap_err();
        let err = e.to_rpc_error();
        assert_eq!(err.code, -32600);
        assert_eq!(err.message, "Invalid request");
        assert!(request("edit", json!({"view_id": "v", "method": "paste"})).is_err());
    }

    #[test]
    fn click_maps_shift_and_click_count_and_keeps_the_legacy_shapes() {
        let word = EditCmd::Gesture {
            line: 1,
            col: 2,
            ty: Gesture::Select {
                granularity: Granularity::Word,
                multi: false,
            },
        };
        assert_eq!(edit("click", json!([1, 2, 0, 2])), Ok(word.clone()));
        assert_eq!(
            edit("click", json!({"line": 1, "column": 2, "click_count": 2})),
            Ok(word)
        );
        assert_eq!(
            edit("click", json!([1, 2, 2])),
            Ok(EditCmd::Gesture {
                line: 1,
                col: 2,
                ty: Gesture::SelectExtend {
                    granularity: Granularity::Point
                }
            })
        );
        assert_eq!(
            edit("drag", json!([4, 5])),
            Ok(EditCmd::Gesture {
                line: 4,
                col: 5,
                ty: Gesture::Drag
            })
        );
    }

    #[test]
    fn config_domains_map() {
        for (wire, domain) in [
            (json!("general"), Domain::General),
            (json!({"syntax": "Rust"}), Domain::Syntax("Rust".into())),
            (json!({"language": "Rust"}), Domain::Syntax("Rust".into())),
            (
                json!({"user_override": "view-id-1"}),
                Domain::UserOverride("view-id-1".into()),
            ),
        ] {
            let n = notification(
                "modify_user_config",
                json!({"domain": wire, "changes": {"tab_size": 2}}),
            );
            match n {
                Ok(Notification::ModifyUserConfig { domain: d, .. }) => assert_eq!(d, domain),
                other => panic!("{other:?}"),
            }
        }
    }
}
