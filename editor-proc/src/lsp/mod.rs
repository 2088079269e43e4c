//! Language intelligence: the editor process's clients of language servers (issue 5).
//!
//! - [`config`]: `[lsp.<language>]` tables of `config.toml`, defaults, roots.
//! - [`process`]: one server process and the threads doing its I/O ([`LspEvent`]s).
//! - [`jsonrpc`]: `Content-Length` framing and message sorting.
//! - [`position`]: byte offsets and UTF-8 columns to/from the server's encoding; URIs.
//! - [`sync`]: `didOpen`, incremental `didChange` from xi-rope deltas, `didSave`, `didClose`.
//! - [`features`]: servers' answers turned into the `symphony.lsp.*` shapes.
//! - [`inline`]: LSP 3.18 inline completion (ghost text from a language server).
//! - [`manager`]: [`Lsp`], the servers, open documents, pending requests and restarts.
//!
//! The core drives all this (`core::lsp`): buffer events become notifications to the
//! servers, `symphony.lsp.*` requests become server requests answered later when the
//! server's answer arrives as an [`LspEvent`] in the serving loop.

pub mod config;
pub mod features;
pub mod inline;
pub mod jsonrpc;
pub mod manager;
pub mod position;
pub mod process;
pub mod sync;

use serde::de::DeserializeOwned;
use serde_json::Value;
use symphony_protocol::xi::XiError;
use symphony_protocol::xi::lsp::{
    self as wire, CompletionParams, FormatParams, GotoParams, RenameParams,
    ResolveCompletionParams, WorkspaceDiagnosticsParams,
};

pub use config::{LspConfig, ServerConfig};
pub use manager::Lsp;
pub use process::{LspEvent, LspEventKind};

/// A `symphony.lsp.*` request from the client, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum LspRequest {
    /// `symphony.lsp.completion`.
    Completion(CompletionParams),
    /// `symphony.lsp.resolve_completion`.
    ResolveCompletion(ResolveCompletionParams),
    /// `symphony.lsp.accept_completion`.
    AcceptCompletion(ResolveCompletionParams),
    /// `symphony.lsp.hover`.
    Hover(CompletionParams),
    /// `symphony.lsp.goto`.
    Goto(GotoParams),
    /// `symphony.lsp.rename`.
    Rename(RenameParams),
    /// `symphony.lsp.code_actions`.
    CodeActions(CompletionParams),
    /// `symphony.lsp.apply_code_action`.
    ApplyCodeAction(ResolveCompletionParams),
    /// `symphony.lsp.format`.
    Format(FormatParams),
    /// `symphony.lsp.workspace_diagnostics`.
    WorkspaceDiagnostics(WorkspaceDiagnosticsParams),
    /// `symphony.lsp.inline_completion`.
    InlineCompletion(CompletionParams),
}

fn parse<T: DeserializeOwned>(method: &str, params: Value) -> Result<T, XiError> {
    serde_json::from_value(params).map_err(|e| XiError::InvalidParams {
        method: method.to_string(),
        reason: e.to_string(),
    })
}

impl LspRequest {
    /// Parses a `symphony.lsp.*` request's params.
    pub fn parse(method: &str, params: Value) -> Result<Self, XiError> {
        let m = method;
        Ok(match method {
            wire::COMPLETION => LspRequest::Completion(parse(m, params)?),
            wire::RESOLVE_COMPLETION => LspRequest::ResolveCompletion(parse(m, params)?),
            wire::ACCEPT_COMPLETION => LspRequest::AcceptCompletion(parse(m, params)?),
            wire::HOVER => LspRequest::Hover(parse(m, params)?),
            wire::GOTO => LspRequest::Goto(parse(m, params)?),
            wire::RENAME => LspRequest::Rename(parse(m, params)?),
            wire::CODE_ACTIONS => LspRequest::CodeActions(parse(m, params)?),
            wire::APPLY_CODE_ACTION => LspRequest::ApplyCodeAction(parse(m, params)?),
            wire::FORMAT => LspRequest::Format(parse(m, params)?),
            wire::WORKSPACE_DIAGNOSTICS => LspRequest::WorkspaceDiagnostics(parse(m, params)?),
            wire::INLINE_COMPLETION => LspRequest::InlineCompletion(parse(m, params)?),
            _ => {
                return Err(XiError::UnknownMethod {
                    method: method.to_string(),
                });
            }
        })
    }

    /// The view the request is about (None for workspace-wide requests).
    pub fn view_id(&self) -> Option<&str> {
        match self {
            LspRequest::Completion(p)
            | LspRequest::Hover(p)
            | LspRequest::CodeActions(p)
            | LspRequest::InlineCompletion(p) => Some(&p.view_id),
            LspRequest::ResolveCompletion(p)
            | LspRequest::AcceptCompletion(p)
            | LspRequest::ApplyCodeAction(p) => Some(&p.view_id),
            LspRequest::Goto(p) => Some(&p.view_id),
            LspRequest::Rename(p) => Some(&p.view_id),
            LspRequest::Format(p) => Some(&p.view_id),
            LspRequest::WorkspaceDiagnostics(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_parse_by_method() {
        let r = LspRequest::parse(wire::GOTO, json!({"view_id": "v", "kind": "references"}));
        assert!(matches!(r, Ok(LspRequest::Goto(_))));
        assert_eq!(r.expect("parses").view_id(), Some("v"));
        assert!(matches!(
            LspRequest::parse(wire::HOVER, json!({})),
            Err(XiError::InvalidParams { .. })
        ));
        assert!(matches!(
            LspRequest::parse("symphony.lsp.nope", json!({})),
            Err(XiError::UnknownMethod { .. })
        ));
    }
}
