//! The only place where the client's half of the editor protocol is JSON: the calls
//! features make ([`Request`]) and the session's own messages ([`Out`]) become lines
//! for the editor, built from the typed `symphony_protocol::xi` values; lines from the
//! editor become [`RpcMessage`]s and typed notifications, and replies become the typed
//! [`Reply`] of the request they answer ([`parse_reply`]).

use serde::Serialize;
use serde_json::{Map, Value};
use symphony_protocol::xi::lsp::{self, GotoKind};
use symphony_protocol::xi::review::{self, ApplyParams, RebaseParams, ReviewRequest};
use symphony_protocol::xi::{
    ClientNotification, CoreNotification, CoreRequest, EditCommand, EditNotification, EditRequest,
    GestureType, RecoverAction, RpcError, RpcMessage, SelectionGranularity, symphony,
};

mod reply;

pub use reply::{Reply, ReplyError, ReplyKind, parse_reply};

/// A request about one view that a feature makes; the session adds the view's
/// `view_id` and the answer comes back as `SessionEvent::Reply`.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `symphony.lsp.completion` at the primary caret.
    Completion,
    /// `symphony.lsp.resolve_completion` of an item of the last completion.
    ResolveCompletion {
        /// Index into the last completion's items.
        index: usize,
    },
    /// `symphony.lsp.accept_completion`.
    AcceptCompletion {
        /// Index into the last completion's items.
        index: usize,
    },
    /// `symphony.lsp.hover` at the primary caret.
    Hover,
    /// `symphony.lsp.goto`.
    Goto(GotoKind),
    /// `symphony.lsp.rename` of the symbol at the caret.
    Rename {
        /// The new name.
        new_name: String,
    },
    /// `symphony.lsp.code_actions` at the caret.
    CodeActions,
    /// `symphony.lsp.apply_code_action` of the last list.
    ApplyCodeAction {
        /// Index into the last code actions.
        index: usize,
    },
    /// `symphony.lsp.format`.
    Format {
        /// Only the selection.
        selection_only: bool,
    },
    /// `symphony.lsp.workspace_diagnostics`.
    WorkspaceDiagnostics,
    /// `symphony.review.snapshot`.
    Snapshot,
    /// `symphony.review.rebase` (its `view_id` is set by the session).
    Rebase(RebaseParams),
    /// `symphony.review.apply` (its `view_id` is set by the session).
    Apply(ApplyParams),
    /// `symphony.disk_diff`: the diff from the file on disk to the buffer.
    DiskDiff,
    /// `debug_get_contents`: the whole text (tests and tools).
    DebugGetContents,
    /// `symphony.lsp.inline_completion` at the primary caret (ghost text).
    InlineCompletion,
}

/// Which feature a [`Request`] belongs to: its answer is routed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A language-server request (`lsp::on_reply`).
    Lsp,
    /// A review request (`review::on_reply`).
    Review,
    /// The diff against the disk (shown in a new buffer).
    DiskDiff,
    /// A tool's or test's question (`debug_get_contents`).
    Debug,
    /// Inline completion from a language server (`completion::on_reply`).
    Ghost,
}

impl Request {
    /// The method name on the wire.
    pub fn method(&self) -> &'static str {
        match self {
            Request::Completion => lsp::COMPLETION,
            Request::ResolveCompletion { .. } => lsp::RESOLVE_COMPLETION,
            Request::AcceptCompletion { .. } => lsp::ACCEPT_COMPLETION,
            Request::Hover => lsp::HOVER,
            Request::Goto(_) => lsp::GOTO,
            Request::Rename { .. } => lsp::RENAME,
            Request::CodeActions => lsp::CODE_ACTIONS,
            Request::ApplyCodeAction { .. } => lsp::APPLY_CODE_ACTION,
            Request::Format { .. } => lsp::FORMAT,
            Request::WorkspaceDiagnostics => lsp::WORKSPACE_DIAGNOSTICS,
            Request::Snapshot => review::SNAPSHOT,
            Request::Rebase(_) => review::REBASE,
            Request::Apply(_) => review::APPLY,
            Request::DiskDiff => symphony::DISK_DIFF,
            Request::DebugGetContents => "debug_get_contents",
            Request::InlineCompletion => lsp::INLINE_COMPLETION,
        }
    }

    /// The request named `method` with `params` (without or with any `view_id`: the
    /// session sets it), for callers that speak by name.
    pub fn parse(method: &str, params: Value) -> Result<Request, String> {
        let mut params = match params {
            Value::Null => Map::new(),
            Value::Object(o) => o,
            other => return Err(format!("{method}: params must be an object, not {other}")),
        };
        params.insert("view_id".into(), Value::String(String::new()));
        let p = Value::Object(params);
        fn get<T: serde::de::DeserializeOwned>(method: &str, p: Value) -> Result<T, String> {
            serde_json::from_value(p).map_err(|e| format!("{method}: {e}"))
        }
        Ok(match method {
            lsp::COMPLETION => Request::Completion,
            lsp::INLINE_COMPLETION => Request::InlineCompletion,
            lsp::HOVER => Request::Hover,
            lsp::CODE_ACTIONS => Request::CodeActions,
            lsp::WORKSPACE_DIAGNOSTICS => Request::WorkspaceDiagnostics,
            lsp::RESOLVE_COMPLETION => Request::ResolveCompletion {
                index: get::<lsp::ResolveCompletionParams>(method, p)?.index,
            },
            lsp::ACCEPT_COMPLETION => Request::AcceptCompletion {
                index: get::<lsp::ResolveCompletionParams>(method, p)?.index,
            },
            lsp::APPLY_CODE_ACTION => Request::ApplyCodeAction {
                index: get::<lsp::ResolveCompletionParams>(method, p)?.index,
            },
            lsp::GOTO => Request::Goto(get::<lsp::GotoParams>(method, p)?.kind),
            lsp::RENAME => Request::Rename {
                new_name: get::<lsp::RenameParams>(method, p)?.new_name,
            },
            lsp::FORMAT => Request::Format {
                selection_only: get::<lsp::FormatParams>(method, p)?.selection_only,
            },
            review::SNAPSHOT => Request::Snapshot,
            review::REBASE => Request::Rebase(get(method, p)?),
            review::APPLY => Request::Apply(get(method, p)?),
            symphony::DISK_DIFF => Request::DiskDiff,
            "debug_get_contents" => Request::DebugGetContents,
            _ => return Err(format!("the client does not make {method} requests")),
        })
    }

    /// The feature whose answer this is.
    pub fn kind(&self) -> RequestKind {
        self.reply_kind().feature()
    }

    /// What this request is answered with ([`parse_reply`] types the answer).
    pub fn reply_kind(&self) -> ReplyKind {
        match self {
            Request::Completion => ReplyKind::Completion,
            Request::ResolveCompletion { .. } => ReplyKind::ResolveCompletion,
            Request::AcceptCompletion { .. } => ReplyKind::AcceptCompletion,
            Request::Hover => ReplyKind::Hover,
            Request::Goto(_) => ReplyKind::Goto,
            Request::Rename { .. } => ReplyKind::Rename,
            Request::CodeActions => ReplyKind::CodeActions,
            Request::ApplyCodeAction { .. } => ReplyKind::ApplyCodeAction,
            Request::Format { .. } => ReplyKind::Format,
            Request::WorkspaceDiagnostics => ReplyKind::WorkspaceDiagnostics,
            Request::Snapshot | Request::Rebase(_) | Request::Apply(_) => ReplyKind::Review,
            Request::DiskDiff => ReplyKind::DiskDiff,
            Request::DebugGetContents => ReplyKind::Debug,
            Request::InlineCompletion => ReplyKind::Ghost,
        }
    }

    /// Whether the editor's buffer holds text afterwards that no edit of the client made.
    pub fn changes_text(&self) -> bool {
        matches!(
            self,
            Request::AcceptCompletion { .. }
                | Request::Rename { .. }
                | Request::ApplyCodeAction { .. }
                | Request::Format { .. }
                | Request::Rebase(_)
                | Request::Apply(_)
        )
    }

    /// The params for the view `view_id` (the core's id).
    pub fn params(&self, view_id: &str) -> Value {
        let view_id = view_id.to_owned();
        match self {
            Request::Completion
            | Request::Hover
            | Request::CodeActions
            | Request::InlineCompletion => to_value(lsp::CompletionParams { view_id }),
            Request::ResolveCompletion { index }
            | Request::AcceptCompletion { index }
            | Request::ApplyCodeAction { index } => to_value(lsp::ResolveCompletionParams {
                view_id,
                index: *index,
            }),
            Request::Goto(kind) => to_value(lsp::GotoParams {
                view_id,
                kind: *kind,
            }),
            Request::Rename { new_name } => to_value(lsp::RenameParams {
                view_id,
                new_name: new_name.clone(),
            }),
            Request::Format { selection_only } => to_value(lsp::FormatParams {
                view_id,
                selection_only: *selection_only,
            }),
            Request::WorkspaceDiagnostics => {
                with_view_id(to_value(lsp::WorkspaceDiagnosticsParams {}), view_id)
            }
            Request::Snapshot => to_value(review::SnapshotParams { view_id }),
            Request::Rebase(p) => review_params(ReviewRequest::Rebase(RebaseParams {
                view_id,
                ..p.clone()
            })),
            Request::Apply(p) => review_params(ReviewRequest::Apply(ApplyParams {
                view_id,
                ..p.clone()
            })),
            Request::DiskDiff => core_params(CoreRequest::SymphonyDiskDiff { view_id }),
            Request::DebugGetContents => core_params(CoreRequest::DebugGetContents { view_id }),
        }
    }

    /// The params without the `view_id` (what a recording port shows).
    pub fn params_without_view(&self) -> Value {
        let mut v = self.params("");
        if let Some(o) = v.as_object_mut() {
            o.remove("view_id");
        }
        v
    }

    /// The request line with `id` for the view `view_id`.
    pub(super) fn to_line(&self, id: u64, view_id: &str) -> String {
        request_line(id, self.method(), self.params(view_id))
    }
}

fn core_params(r: CoreRequest) -> Value {
    match r.to_value(0) {
        Value::Object(mut o) => o.remove("params").unwrap_or(Value::Null),
        other => other,
    }
}

fn review_params(r: ReviewRequest) -> Value {
    match r.to_value(0) {
        Value::Object(mut o) => o.remove("params").unwrap_or(Value::Null),
        other => other,
    }
}

fn with_view_id(mut v: Value, view_id: String) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("view_id".into(), Value::String(view_id));
    }
    v
}

fn to_value(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| {
        tracing::error!("cannot encode a request: {e}");
        Value::Null
    })
}

fn request_line(id: u64, method: &str, params: Value) -> String {
    RpcMessage::Request {
        id,
        method: method.to_owned(),
        params,
    }
    .to_value()
    .to_string()
}

/// The session's own messages to the editor.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Out<'a> {
    /// `client_started`.
    ClientStarted,
    /// `set_theme`.
    SetTheme(&'a str),
    /// An `edit` notification of the core's view, with the sequence number to
    /// acknowledge once the editor agreed to (`symphony.capabilities`).
    Edit(&'a str, &'a EditNotification, Option<u64>),
    /// `save`.
    Save {
        view_id: &'a str,
        path: &'a std::path::Path,
        force: bool,
    },
    /// `symphony.reload`.
    Reload(&'a str),
    /// `set_language`.
    SetLanguage(&'a str, &'a str),
    /// `symphony.recover` for `view_id`; `into`: the view that gets the text or diff.
    Recover {
        view_id: &'a str,
        action: RecoverAction,
        into: Option<&'a str>,
    },
    /// `close_view`.
    CloseView(&'a str),
}

impl Out<'_> {
    /// The notification line.
    pub(super) fn to_line(&self) -> String {
        let n = match *self {
            Out::ClientStarted => CoreNotification::ClientStarted {
                config_dir: None,
                client_extras_dir: None,
            },
            Out::SetTheme(name) => CoreNotification::SetTheme {
                theme_name: name.to_owned(),
            },
            Out::Edit(view_id, cmd, seq) => CoreNotification::Edit(EditCommand {
                view_id: view_id.to_owned(),
                cmd: cmd.clone(),
                seq,
            }),
            Out::Save {
                view_id,
                path,
                force,
            } => CoreNotification::Save {
                view_id: view_id.to_owned(),
                file_path: path.to_string_lossy().into_owned(),
                force,
            },
            Out::Reload(view_id) => CoreNotification::SymphonyReload {
                view_id: view_id.to_owned(),
            },
            Out::SetLanguage(view_id, language) => CoreNotification::SetLanguage {
                view_id: view_id.to_owned(),
                language_id: language.to_owned(),
            },
            Out::Recover {
                view_id,
                action,
                into,
            } => CoreNotification::SymphonyRecover {
                view_id: view_id.to_owned(),
                accept: action == RecoverAction::Replace,
                action: Some(action),
                into_view_id: into.map(str::to_owned),
            },
            Out::CloseView(view_id) => CoreNotification::CloseView {
                view_id: view_id.to_owned(),
            },
        };
        n.to_line()
    }
}

/// The session's own requests to the editor.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum OutRequest<'a> {
    /// `new_view` of a file (or an empty buffer).
    NewView(Option<&'a std::path::Path>),
    /// `get_config` of a view: its answer proves everything sent before was processed.
    GetConfig(&'a str),
    /// `edit` `copy` or `cut` of a view.
    CopyCut(&'a str, bool),
    /// `symphony.capabilities`: the edit acknowledgement.
    Capabilities,
}

impl OutRequest<'_> {
    /// The request line with `id`.
    pub(super) fn to_line(&self, id: u64) -> String {
        let r = match *self {
            OutRequest::NewView(path) => CoreRequest::NewView {
                file_path: path.map(|p| p.to_string_lossy().into_owned()),
            },
            OutRequest::GetConfig(view_id) => CoreRequest::GetConfig {
                view_id: view_id.to_owned(),
            },
            OutRequest::CopyCut(view_id, cut) => CoreRequest::Edit(EditCommand {
                view_id: view_id.to_owned(),
                cmd: if cut {
                    EditRequest::Cut
                } else {
                    EditRequest::Copy
                },
                seq: None,
            }),
            OutRequest::Capabilities => {
                CoreRequest::SymphonyCapabilities(symphony::Capabilities { edit_ack: true })
            }
        };
        r.to_line(id)
    }
}

/// The edits that put the carets back at `selections` (`[line, col, line, col]`).
pub(super) fn select(selections: &[[usize; 4]]) -> Vec<EditNotification> {
    let mut edits = Vec::new();
    for (i, &[l0, c0, l1, c1]) in selections.iter().enumerate() {
        edits.push(EditNotification::Gesture {
            line: l0,
            col: c0,
            ty: GestureType::Select {
                granularity: SelectionGranularity::Point,
                multi: i > 0,
            },
        });
        if (l0, c0) != (l1, c1) {
            edits.push(EditNotification::Gesture {
                line: l1,
                col: c1,
                ty: GestureType::SelectExtend {
                    granularity: SelectionGranularity::Point,
                },
            });
        }
    }
    edits
}

/// An edit as the client journal stores it: `{"method","params"}` (params always there).
pub(super) fn edit_value(cmd: &EditNotification) -> Value {
    let mut v = to_value(cmd);
    if let Some(obj) = v.as_object_mut() {
        obj.entry("params")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    v
}

/// `cut` as the client journal stores it.
pub(super) fn cut_value() -> Value {
    let mut o = Map::new();
    o.insert("method".into(), Value::String("cut".into()));
    o.insert("params".into(), Value::Object(Map::new()));
    Value::Object(o)
}

/// Whether a journaled edit is a `cut`.
pub(super) fn is_cut(v: &Value) -> bool {
    v.get("method").and_then(Value::as_str) == Some("cut")
}

/// A journaled edit back as a typed one (unit methods accept any empty params).
pub(super) fn parse_edit(v: &Value) -> Option<EditNotification> {
    let mut obj = v.as_object()?.clone();
    obj.insert("view_id".into(), Value::String(String::new()));
    match serde_json::from_value::<EditCommand<EditNotification>>(Value::Object(obj)) {
        Ok(c) => Some(c.cmd),
        Err(e) => {
            tracing::warn!("unreadable edit in a client journal: {e}");
            None
        }
    }
}

/// The answer to the editor's request `id` (`measure_width`, else an error).
pub(super) fn answer_line(id: u64, method: &str, params: &Value) -> String {
    let msg = if method == "measure_width" {
        RpcMessage::response(id, measure_width(params))
    } else {
        RpcMessage::error_response(
            id,
            RpcError {
                code: RpcError::METHOD_NOT_FOUND,
                message: format!("unknown method {method}"),
                data: None,
            },
        )
    };
    msg.to_value().to_string()
}

/// Answers xi-core's `measure_width` request: display widths of strings.
fn measure_width(params: &Value) -> Value {
    use symphony_protocol::xi::WidthRequest;
    use unicode_width::UnicodeWidthStr;
    let groups: Vec<WidthRequest> = serde_json::from_value(params.clone()).unwrap_or_default();
    Value::Array(
        groups
            .iter()
            .map(|g| {
                Value::Array(
                    g.strings
                        .iter()
                        .map(|s| Value::from(UnicodeWidthStr::width(s.as_str())))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// A notification from the editor, typed.
pub(super) fn parse_notification(
    method: &str,
    params: Value,
) -> Result<ClientNotification, String> {
    symphony_protocol::xi::parse_client_notification(method, params).map_err(|e| e.to_string())
}

/// The core view id a notification names, if any.
pub(super) fn view_id_of(params: &Value) -> Option<&str> {
    params.get("view_id").and_then(Value::as_str)
}

/// The granted capabilities in the answer to `symphony.capabilities` (none on an error:
/// an upstream xi-core does not know the method).
pub(super) fn granted(result: Result<Value, RpcError>) -> symphony::Capabilities {
    result
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The text a `copy`/`cut` answered (`None`: nothing was selected).
pub(super) fn copied_text(result: Result<Value, RpcError>) -> Option<String> {
    match result {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// The view id `new_view` answered.
pub(super) fn new_view_id(result: Result<Value, RpcError>) -> Result<String, String> {
    match result {
        Ok(Value::String(core)) => Ok(core),
        Ok(other) => Err(format!("unexpected new_view result {other}")),
        Err(e) => Err(e.message),
    }
}

#[cfg(test)]
mod tests;
