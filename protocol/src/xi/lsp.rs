//! Symphony's `symphony.lsp.*` additions: what the editor process's language-server clients
//! report to the terminal client (diagnostics, completions, hover, locations, edits) and what
//! the client asks of them. Documented in `docs/protocol.md`.
//!
//! Positions are `line` (0-based) and `col` (a UTF-8 byte offset within the line), as in xi's
//! own messages; the editor process converts to and from the server's negotiated encoding.
//!
//! Each method has a name constant and typed params (and, for requests, a typed result).
//! Requests fail with [`STALE_CODE`] when the buffer changed since they were asked, and with
//! [`NO_SERVER_CODE`] when no language server serves the buffer.
//!
//! ```
//! use symphony_protocol::xi::lsp::{CompletionParams, COMPLETION};
//! let p: CompletionParams = serde_json::from_value(serde_json::json!({"view_id": "view-id-1"})).unwrap();
//! assert_eq!(p.view_id, "view-id-1");
//! assert_eq!(COMPLETION, "symphony.lsp.completion");
//! ```

use serde::{Deserialize, Serialize};

use super::ViewId;

/// core -> client: the full current diagnostics of a view's buffer ([`DiagnosticsParams`]).
pub const DIAGNOSTICS: &str = "symphony.lsp.diagnostics";
/// core -> client: a language server's state changed ([`StatusParams`]).
pub const STATUS: &str = "symphony.lsp.status";
/// core -> client: signature help while typing arguments ([`SignatureHelpParams`]).
pub const SIGNATURE_HELP: &str = "symphony.lsp.signature_help";

/// client -> core request: completion at the primary cursor ([`CompletionParams`] ->
/// [`CompletionResult`]).
pub const COMPLETION: &str = "symphony.lsp.completion";
/// client -> core request: documentation of one completion item ([`ResolveCompletionParams`]
/// -> [`ResolveCompletionResult`]).
pub const RESOLVE_COMPLETION: &str = "symphony.lsp.resolve_completion";
/// client -> core request: insert a completion item ([`AcceptCompletionParams`] ->
/// [`EmptyResult`]).
pub const ACCEPT_COMPLETION: &str = "symphony.lsp.accept_completion";
/// client -> core request: hover at the primary cursor ([`HoverParams`] ->
/// `Option<`[`HoverResult`]`>`).
pub const HOVER: &str = "symphony.lsp.hover";
/// client -> core request: go to a definition, declaration... ([`GotoParams`] ->
/// [`GotoResult`]).
pub const GOTO: &str = "symphony.lsp.goto";
/// client -> core request: rename the symbol at the cursor across the workspace
/// ([`RenameParams`] -> [`EditSummary`]).
pub const RENAME: &str = "symphony.lsp.rename";
/// client -> core request: code actions at the cursor ([`CodeActionsParams`] ->
/// [`CodeActionsResult`]).
pub const CODE_ACTIONS: &str = "symphony.lsp.code_actions";
/// client -> core request: apply one of the last code actions ([`ApplyCodeActionParams`] ->
/// [`EditSummary`]).
pub const APPLY_CODE_ACTION: &str = "symphony.lsp.apply_code_action";
/// client -> core request: format the document or the selection ([`FormatParams`] ->
/// [`FormatResult`]).
pub const FORMAT: &str = "symphony.lsp.format";
/// client -> core request: every diagnostic known for the workspace
/// ([`WorkspaceDiagnosticsParams`] -> [`WorkspaceDiagnosticsResult`]).
pub const WORKSPACE_DIAGNOSTICS: &str = "symphony.lsp.workspace_diagnostics";

/// client -> core request: LSP 3.18 inline completion at the primary cursor, from a
/// server that offers `inlineCompletionProvider` ([`CompletionParams`] ->
/// [`InlineCompletionResult`]).
pub const INLINE_COMPLETION: &str = "symphony.lsp.inline_completion";

/// Error code of a request whose answer went stale (the buffer changed since it was asked).
pub const STALE_CODE: i64 = -32800;
/// Error code of a request for a buffer no language server serves.
pub const NO_SERVER_CODE: i64 = -32803;

/// Whether `method` is one of the `symphony.lsp.*` methods.
pub fn is_lsp_method(method: &str) -> bool {
    method.starts_with("symphony.lsp.")
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// An error.
    Error,
    /// A warning.
    Warning,
    /// Information.
    Information,
    /// A hint.
    Hint,
}

/// One diagnostic, in UTF-8 byte columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// 0-based start line.
    pub line: usize,
    /// Start column (UTF-8 bytes).
    pub col: usize,
    /// 0-based end line.
    pub end_line: usize,
    /// End column (UTF-8 bytes, exclusive).
    pub end_col: usize,
    /// How serious it is.
    pub severity: Severity,
    /// The message.
    pub message: String,
    /// Which tool produced it (e.g. `"pyflakes"`).
    pub source: Option<String>,
    /// The tool's code for it, as a string.
    pub code: Option<String>,
}

/// Params of [`DIAGNOSTICS`]: the full current set for that view's buffer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticsParams {
    /// The view.
    pub view_id: ViewId,
    /// All current diagnostics (empty: none).
    pub diagnostics: Vec<Diagnostic>,
}

/// A language server's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// Spawned, initializing.
    Starting,
    /// Initialized and serving.
    Running,
    /// Crashed; restarting after a backoff.
    Restarting,
    /// Crashed too often, or failed to initialize; given up.
    Failed,
    /// The configured command does not exist.
    NotInstalled,
    /// Shut down.
    Stopped,
}

/// Params of [`STATUS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusParams {
    /// The language (e.g. `"python"`).
    pub language: String,
    /// The server's command (e.g. `"pylsp"`).
    pub server: String,
    /// Its state.
    pub state: ServerState,
    /// A human-readable explanation, for problems.
    pub message: Option<String>,
    /// With `"running"`: the characters after which the server offers completions
    /// (its `completionProvider.triggerCharacters`); left out when it names none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub completion_triggers: Vec<String>,
}

/// Params of [`SIGNATURE_HELP`]; `label: ""` (and the rest empty) closes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SignatureHelpParams {
    /// The view.
    pub view_id: ViewId,
    /// The signature, e.g. `"f(a, b)"`; empty to close.
    pub label: String,
    /// Index of the active parameter in `parameters`.
    #[serde(default)]
    pub active_parameter: Option<usize>,
    /// Byte ranges `[start, end]` of each parameter within `label`.
    #[serde(default)]
    pub parameters: Vec<[usize; 2]>,
    /// The signature's documentation.
    #[serde(default)]
    pub documentation: Option<String>,
}

impl SignatureHelpParams {
    /// The notification that closes signature help for `view_id`.
    pub fn close(view_id: ViewId) -> Self {
        SignatureHelpParams {
            view_id,
            ..Default::default()
        }
    }

    /// Whether this closes signature help.
    pub fn is_close(&self) -> bool {
        self.label.is_empty()
    }
}

/// Params of [`COMPLETION`] (and of [`HOVER`], [`CODE_ACTIONS`]): a view, at its primary cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionParams {
    /// The view.
    pub view_id: ViewId,
}

/// Params of [`HOVER`].
pub type HoverParams = CompletionParams;
/// Params of [`CODE_ACTIONS`].
pub type CodeActionsParams = CompletionParams;

/// One completion item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionItem {
    /// What the popup shows.
    pub label: String,
    /// The LSP kind name (`"Function"`, `"Module"`...), `"Text"` when the server gave none.
    pub kind: String,
    /// Extra detail (e.g. a type).
    pub detail: Option<String>,
    /// Text to filter on as the user types.
    pub filter_text: String,
    /// Text to sort on.
    pub sort_text: String,
    /// Whether accepting it inserts a snippet.
    pub is_snippet: bool,
}

/// Result of [`COMPLETION`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionResult {
    /// Items in the server's order.
    pub items: Vec<CompletionItem>,
    /// Where the word being completed starts on the cursor's line (UTF-8 bytes).
    pub start_col: usize,
}

/// Result of [`INLINE_COMPLETION`]: each of the server's items as the text it adds at
/// the cursor (an item whose range starts before the cursor has the text already
/// there taken off; items that would change text before the cursor are left out).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InlineCompletionResult {
    /// The texts, the server's first item first.
    pub items: Vec<String>,
}

/// Params of [`RESOLVE_COMPLETION`] and [`ACCEPT_COMPLETION`]: an index into the last
/// [`CompletionResult::items`] of the view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveCompletionParams {
    /// The view.
    pub view_id: ViewId,
    /// Index into the last completion's items.
    pub index: usize,
}

/// Params of [`ACCEPT_COMPLETION`].
pub type AcceptCompletionParams = ResolveCompletionParams;
/// Params of [`APPLY_CODE_ACTION`]: an index into the last [`CodeActionsResult::actions`].
pub type ApplyCodeActionParams = ResolveCompletionParams;

/// Result of [`RESOLVE_COMPLETION`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveCompletionResult {
    /// The item's documentation (markdown or plain).
    pub documentation: Option<String>,
    /// The item's detail.
    pub detail: Option<String>,
}

/// The `{}` result of requests that return nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmptyResult {}

/// Result of [`HOVER`] (the request answers `null` when there is nothing to show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoverResult {
    /// What to show (markdown or plain text).
    pub contents: String,
}

/// What [`GOTO`] looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GotoKind {
    /// `textDocument/definition`.
    Definition,
    /// `textDocument/declaration`.
    Declaration,
    /// `textDocument/typeDefinition`.
    TypeDefinition,
    /// `textDocument/implementation`.
    Implementation,
    /// `textDocument/references`.
    References,
}

/// Params of [`GOTO`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GotoParams {
    /// The view.
    pub view_id: ViewId,
    /// What to look for.
    pub kind: GotoKind,
}

/// One place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Absolute path of the file.
    pub path: String,
    /// 0-based line.
    pub line: usize,
    /// Column (UTF-8 bytes).
    pub col: usize,
    /// The text of that line (trimmed), for a picker.
    pub preview: String,
}

/// Result of [`GOTO`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GotoResult {
    /// Where to go (empty: nothing found).
    pub locations: Vec<Location>,
}

/// Params of [`RENAME`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameParams {
    /// The view (the symbol at its primary cursor is renamed).
    pub view_id: ViewId,
    /// The new name.
    pub new_name: String,
}

/// Result of [`RENAME`] and [`APPLY_CODE_ACTION`]: what a workspace edit changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EditSummary {
    /// Files (open buffers or files on disk) changed.
    pub files_changed: usize,
    /// Text edits applied in all.
    pub edits: usize,
    /// Files (or directories) created by the edit's file operations.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_created: usize,
    /// Files (or directories) renamed or moved.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_renamed: usize,
    /// Files (or directories) deleted (moved to the editor's trash).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_deleted: usize,
}

/// Whether a count is zero (such counts are left out of the wire).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One code action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeAction {
    /// What the picker shows.
    pub title: String,
    /// Its LSP kind (e.g. `"quickfix"`).
    pub kind: Option<String>,
}

/// Result of [`CODE_ACTIONS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeActionsResult {
    /// The actions, in the server's order.
    pub actions: Vec<CodeAction>,
}

/// Params of [`FORMAT`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatParams {
    /// The view.
    pub view_id: ViewId,
    /// Format only the primary selection's lines.
    #[serde(default)]
    pub selection_only: bool,
}

/// Result of [`FORMAT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FormatResult {
    /// Text edits applied (one undo group).
    pub edits: usize,
}

/// Params of [`WORKSPACE_DIAGNOSTICS`] (none).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkspaceDiagnosticsParams {}

/// The diagnostics of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiagnostics {
    /// Absolute path of the file.
    pub path: String,
    /// Its diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

/// Result of [`WORKSPACE_DIAGNOSTICS`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkspaceDiagnosticsResult {
    /// Files with at least one diagnostic.
    pub files: Vec<FileDiagnostics>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
        v: serde_json::Value,
    ) -> T {
        let t: T = serde_json::from_value(v.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&t).expect("serializes"), v);
        t
    }

    #[test]
    fn notifications_round_trip_in_the_contract_shape() {
        let d: DiagnosticsParams = round_trip(json!({"view_id": "view-id-1", "diagnostics": [
            {"line": 1, "col": 4, "end_line": 1, "end_col": 7, "severity": "error",
             "message": "undefined name 'foo'", "source": "pyflakes", "code": null}]}));
        assert_eq!(d.diagnostics[0].severity, Severity::Error);
        let s: StatusParams = round_trip(json!({"language": "python", "server": "pylsp",
            "state": "not_installed", "message": "pylsp: not found"}));
        assert_eq!(s.state, ServerState::NotInstalled);
        let sh: SignatureHelpParams = round_trip(json!({"view_id": "v", "label": "f(a, b)",
            "active_parameter": 1, "parameters": [[2, 3], [5, 6]], "documentation": null}));
        assert!(!sh.is_close());
        let closed: SignatureHelpParams =
            serde_json::from_value(json!({"view_id": "v", "label": ""})).expect("parses");
        assert_eq!(closed, SignatureHelpParams::close("v".into()));
    }

    #[test]
    fn requests_and_results_round_trip_in_the_contract_shape() {
        let _: CompletionParams = round_trip(json!({"view_id": "v"}));
        let c: CompletionResult = round_trip(json!({"items": [{"label": "path", "kind": "Module",
            "detail": null, "filter_text": "path", "sort_text": "apath", "is_snippet": false}],
            "start_col": 3}));
        assert_eq!(c.items[0].label, "path");
        let _: ResolveCompletionParams = round_trip(json!({"view_id": "v", "index": 2}));
        let _: ResolveCompletionResult =
            round_trip(json!({"documentation": "doc", "detail": null}));
        let _: EmptyResult = round_trip(json!({}));
        let _: Option<HoverResult> = round_trip(json!(null));
        let _: HoverResult = round_trip(json!({"contents": "**f**"}));
        let g: GotoParams = round_trip(json!({"view_id": "v", "kind": "type_definition"}));
        assert_eq!(g.kind, GotoKind::TypeDefinition);
        let _: GotoResult = round_trip(json!({"locations": [{"path": "/a.py", "line": 0,
            "col": 4, "preview": "def f():"}]}));
        let _: RenameParams = round_trip(json!({"view_id": "v", "new_name": "g"}));
        let _: EditSummary = round_trip(json!({"files_changed": 2, "edits": 3}));
        let _: CodeActionsResult =
            round_trip(json!({"actions": [{"title": "Fix", "kind": "quickfix"}]}));
        let _: FormatParams = round_trip(json!({"view_id": "v", "selection_only": true}));
        let _: FormatResult = round_trip(json!({"edits": 1}));
        let _: WorkspaceDiagnosticsParams = round_trip(json!({}));
        let _: WorkspaceDiagnosticsResult =
            round_trip(json!({"files": [{"path": "/a.py", "diagnostics": []}]}));
        assert!(is_lsp_method(FORMAT));
    }
}
