//! Replies typed by the request they answer: each [`Request`](super::Request) has a
//! [`ReplyKind`], and [`parse_reply`] turns the editor's JSON answer into that kind's
//! typed [`Reply`] (from `symphony_protocol::xi`), so features receive typed results
//! and a malformed answer is reported in one place.

use serde::de::DeserializeOwned;
use serde_json::Value;
use symphony_protocol::xi::lsp::{
    CodeActionsResult, CompletionResult, EditSummary, FormatResult, GotoResult, HoverResult,
    ResolveCompletionResult, WorkspaceDiagnosticsResult,
};
use symphony_protocol::xi::symphony::DiskDiffResult;

use super::RequestKind;

/// What a request is answered with (one per [`Request`](super::Request) variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// `symphony.lsp.completion`.
    Completion,
    /// `symphony.lsp.resolve_completion`.
    ResolveCompletion,
    /// `symphony.lsp.accept_completion`.
    AcceptCompletion,
    /// `symphony.lsp.hover`.
    Hover,
    /// `symphony.lsp.goto`.
    Goto,
    /// `symphony.lsp.rename`.
    Rename,
    /// `symphony.lsp.code_actions`.
    CodeActions,
    /// `symphony.lsp.apply_code_action`.
    ApplyCodeAction,
    /// `symphony.lsp.format`.
    Format,
    /// `symphony.lsp.workspace_diagnostics`.
    WorkspaceDiagnostics,
    /// `symphony.review.*` (snapshot, rebase, apply).
    Review,
    /// `symphony.disk_diff`.
    DiskDiff,
    /// `debug_get_contents`.
    Debug,
    /// `symphony.lsp.inline_completion` (ghost text from the language server).
    Ghost,
}

impl ReplyKind {
    /// The feature the reply is routed to.
    pub fn feature(self) -> RequestKind {
        match self {
            ReplyKind::Review => RequestKind::Review,
            ReplyKind::DiskDiff => RequestKind::DiskDiff,
            ReplyKind::Debug => RequestKind::Debug,
            ReplyKind::Ghost => RequestKind::Ghost,
            _ => RequestKind::Lsp,
        }
    }

    /// The name a malformed answer is reported under ("The editor's {name} answer
    /// was malformed").
    pub fn name(self) -> &'static str {
        match self {
            ReplyKind::Completion => "completion",
            ReplyKind::ResolveCompletion => "completion details",
            ReplyKind::AcceptCompletion => "accept completion",
            ReplyKind::Hover => "hover",
            ReplyKind::Goto => "goto",
            ReplyKind::Rename => "rename",
            ReplyKind::CodeActions => "code actions",
            ReplyKind::ApplyCodeAction => "code action",
            ReplyKind::Format => "format",
            ReplyKind::WorkspaceDiagnostics => "workspace diagnostics",
            ReplyKind::Review => "review",
            ReplyKind::DiskDiff => "disk diff",
            ReplyKind::Debug => "debug",
            ReplyKind::Ghost => "inline completion",
        }
    }
}

/// A reply's body, typed by the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The completion items.
    Completion(CompletionResult),
    /// One item's details.
    ResolveCompletion(ResolveCompletionResult),
    /// The completion was put in (the answer carries nothing).
    AcceptCompletion,
    /// The hover text (`None`: nothing to show).
    Hover(Option<HoverResult>),
    /// Where to go.
    Goto(GotoResult),
    /// What a rename changed.
    Rename(EditSummary),
    /// The code actions at the caret.
    CodeActions(CodeActionsResult),
    /// What a code action changed.
    ApplyCodeAction(EditSummary),
    /// How many edits formatting made.
    Format(FormatResult),
    /// Every open document's diagnostics.
    WorkspaceDiagnostics(WorkspaceDiagnosticsResult),
    /// A review answer, still JSON: the review reads it as `xi::review::{Snapshot,
    /// Rebased, Applied}`.
    Review(Value),
    /// The diff from the disk to the buffer.
    DiskDiff(DiskDiffResult),
    /// A tool's or test's answer, as it came.
    Debug(Value),
    /// The language server's inline completions.
    Ghost(symphony_protocol::xi::lsp::InlineCompletionResult),
}

/// Why a request has no [`Reply`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The editor answered with an error (its message; `stale` for an answer to an
    /// older state).
    #[error("{0}")]
    Refused(String),
    /// The answer was not the shape its request is answered with.
    #[error("malformed {what} answer: {why}")]
    Malformed {
        /// The request ([`ReplyKind::name`]).
        what: &'static str,
        /// What the parser said.
        why: String,
    },
}

/// The typed reply to a request of `kind` that the editor answered with `result`.
pub fn parse_reply(kind: ReplyKind, result: Result<Value, String>) -> Result<Reply, ReplyError> {
    let value = result.map_err(ReplyError::Refused)?;
    fn typed<T: DeserializeOwned>(kind: ReplyKind, v: Value) -> Result<T, ReplyError> {
        serde_json::from_value(v).map_err(|e| ReplyError::Malformed {
            what: kind.name(),
            why: e.to_string(),
        })
    }
    Ok(match kind {
        ReplyKind::Completion => Reply::Completion(typed(kind, value)?),
        ReplyKind::ResolveCompletion => Reply::ResolveCompletion(typed(kind, value)?),
        ReplyKind::AcceptCompletion => Reply::AcceptCompletion,
        ReplyKind::Hover => Reply::Hover(typed(kind, value)?),
        ReplyKind::Goto => Reply::Goto(typed(kind, value)?),
        ReplyKind::Rename => Reply::Rename(typed(kind, value)?),
        ReplyKind::CodeActions => Reply::CodeActions(typed(kind, value)?),
        ReplyKind::ApplyCodeAction => Reply::ApplyCodeAction(typed(kind, value)?),
        ReplyKind::Format => Reply::Format(typed(kind, value)?),
        ReplyKind::WorkspaceDiagnostics => Reply::WorkspaceDiagnostics(typed(kind, value)?),
        ReplyKind::Review => Reply::Review(value),
        ReplyKind::DiskDiff => Reply::DiskDiff(typed(kind, value)?),
        ReplyKind::Debug => Reply::Debug(value),
        ReplyKind::Ghost => Reply::Ghost(typed(kind, value)?),
    })
}
