//! Answers of language servers to the `symphony.lsp.*` requests: dropped as stale (`-32800`)
//! when the buffer changed since the request, else converted to the client's shapes (and,
//! for rename, code actions and formatting, applied).

use std::collections::HashMap;

use serde_json::{Value, json};
use symphony_protocol::xi::lsp::{
    self as wire, CodeActionsResult, CompletionResult, FormatResult, GotoResult, HoverResult,
    Location,
};

use super::Core;
use super::requests::resolved;
use crate::lsp::features;
use crate::lsp::manager::{CompletionState, PendingKind, PendingRequest};
use crate::lsp::position::{self, uri_to_path};

impl Core {
    /// A server answered request `p`.
    pub(super) fn lsp_answer(
        &mut self,
        idx: usize,
        p: PendingRequest,
        result: Result<Value, Value>,
    ) {
        let current = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.docs.get(&p.bid))
            .map(|d| d.version);
        let stale = current != Some(p.version)
            && !matches!(
                p.kind,
                PendingKind::SignatureHelp | PendingKind::ExecuteCommand { .. }
            );
        let save_after = match &p.kind {
            PendingKind::Format { then_save } => then_save.clone(),
            _ => None,
        };
        let result = match result {
            Ok(r) if !stale => r,
            other => {
                if let Err(e) = &other {
                    tracing::debug!("lsp: server answered an error: {e}");
                }
                if let Some(path) = save_after {
                    self.save(&p.view, &path);
                    self.lsp_saved(&p.view, &path);
                }
                if let Some(id) = p.client_id {
                    let (code, msg) = match &other {
                        Err(e) => {
                            let code = e.get("code").and_then(Value::as_i64).unwrap_or(-32603);
                            let msg = e
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("language server error")
                                .to_string();
                            if code == wire::STALE_CODE || code == -32801 {
                                (wire::STALE_CODE, "stale".to_string())
                            } else {
                                (code, msg)
                            }
                        }
                        Ok(_) => (wire::STALE_CODE, "stale".to_string()),
                    };
                    self.send_error(id, code, msg);
                }
                return;
            }
        };
        let view = p.view.clone();
        let enc = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.servers.get(idx))
            .map(|s| s.encoding)
            .unwrap_or_default();
        match p.kind {
            PendingKind::Completion { line, start_col } => {
                let items = features::completion_items(&result);
                let out = CompletionResult {
                    items: items.iter().map(features::completion_item).collect(),
                    start_col,
                };
                if let Some(l) = self.services.lsp.as_mut() {
                    l.completions.insert(
                        view,
                        CompletionState {
                            server: idx,
                            items,
                            line,
                            start_col,
                        },
                    );
                }
                self.lsp_reply(p.client_id, out);
            }
            PendingKind::ResolveCompletion { index } => {
                let out = resolved(&result);
                if let Some(item) = self
                    .services
                    .lsp
                    .as_mut()
                    .and_then(|l| l.completions.get_mut(&view))
                    .and_then(|c| c.items.get_mut(index))
                {
                    *item = result;
                }
                self.lsp_reply(p.client_id, out);
            }
            PendingKind::Hover => {
                let out = features::hover_text(&result).map(|contents| HoverResult { contents });
                self.lsp_reply(p.client_id, out);
            }
            PendingKind::Goto => {
                let mut cache = HashMap::new();
                let locations = features::locations(&result)
                    .into_iter()
                    .filter_map(|(uri, range)| {
                        let path = uri_to_path(&uri)?;
                        let (line, ch) = position::parse_position(range.get("start")?)?;
                        let lt = self.lsp_line_of(&path, line, &mut cache);
                        Some(Location {
                            path: path.to_string_lossy().into_owned(),
                            line,
                            col: position::byte_col(&lt, ch, enc),
                            preview: lt.trim().to_string(),
                        })
                    })
                    .collect();
                self.lsp_reply(p.client_id, GotoResult { locations });
            }
            PendingKind::Rename => {
                let s = self.lsp_apply_workspace_edit(idx, &result);
                self.lsp_reply(p.client_id, s);
            }
            PendingKind::CodeActions => {
                let raw = result.as_array().cloned().unwrap_or_default();
                let out = CodeActionsResult {
                    actions: raw.iter().map(features::code_action).collect(),
                };
                if let Some(l) = self.services.lsp.as_mut() {
                    l.actions.insert(view, (idx, raw));
                }
                self.lsp_reply(p.client_id, out);
            }
            PendingKind::ResolveCodeAction => {
                let Some(t) = self.lsp_target(&view).ok() else {
                    return;
                };
                self.lsp_run_code_action(p.client_id, &view, &t, idx, &result);
            }
            PendingKind::ExecuteCommand { base } => {
                let extra = self
                    .services
                    .lsp
                    .as_mut()
                    .map(|l| std::mem::take(&mut l.command_edits))
                    .unwrap_or_default();
                let out = super::edits::add_summaries(base, extra);
                self.lsp_reply(p.client_id, out);
            }
            PendingKind::Format { then_save } => {
                let edits: Vec<(Value, String)> = result
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| {
                        Some((
                            e.get("range")?.clone(),
                            e.get("newText")?.as_str()?.to_string(),
                        ))
                    })
                    .collect();
                let n = self.lsp_apply_text_edits(p.bid, &edits, enc);
                if let Some(path) = then_save {
                    self.save(&view, &path);
                    self.lsp_saved(&view, &path);
                }
                self.lsp_reply(p.client_id, FormatResult { edits: n });
            }
            PendingKind::SignatureHelp => {
                let out = features::signature_help(&view, &result)
                    .unwrap_or_else(|| wire::SignatureHelpParams::close(view.clone()));
                self.send(json!({"method": wire::SIGNATURE_HELP, "params": out}));
            }
            PendingKind::InlineCompletion { caret } => {
                let text = self
                    .buffers
                    .get(&p.bid)
                    .map(|b| b.buffer.text().clone())
                    .unwrap_or_default();
                let items = crate::lsp::inline::texts(&result, &text, caret, enc);
                self.lsp_reply(p.client_id, wire::InlineCompletionResult { items });
            }
        }
    }

    fn lsp_reply(&mut self, id: Option<u64>, v: impl serde::Serialize) {
        if let Some(id) = id {
            self.lsp_ok(id, v);
        }
    }
}
