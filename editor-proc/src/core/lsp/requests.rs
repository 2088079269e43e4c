//! `symphony.lsp.*` requests: asked of the buffer's server at the view's primary cursor and
//! answered when the server answers (`-32800` when the buffer changed meanwhile, `-32803`
//! when no server serves the buffer), and the conversion of each answer.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use symphony_protocol::xi::RpcMessage;
use symphony_protocol::xi::lsp::{
    self as wire, EditSummary, FileDiagnostics, GotoKind, ResolveCompletionResult,
    WorkspaceDiagnosticsResult,
};
use xi_rope::{DeltaBuilder, Interval, Rope};

use super::Core;
use crate::buffer::EditKind;
use crate::lsp::LspRequest;
use crate::lsp::features;
use crate::lsp::inline;
use crate::lsp::manager::{PendingKind, PendingRequest};
use crate::lsp::position::{self, Encoding, uri_to_path};
use crate::selection::{InsertDrift, SelRegion};

/// How long a save waits for format-on-save before saving unformatted.
const FORMAT_ON_SAVE_WAIT: Duration = Duration::from_secs(3);

/// What a request needs to know about its view's document.
#[derive(Clone)]
pub(super) struct Target {
    bid: u64,
    server: usize,
    uri: String,
    version: i64,
    enc: Encoding,
    /// Byte offset of the primary caret.
    caret: usize,
    /// The primary selection's range.
    sel: (usize, usize),
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Core {
    pub(super) fn lsp_ok(&mut self, id: u64, v: impl serde::Serialize) {
        let v = serde_json::to_value(v).unwrap_or(Value::Null);
        self.send(RpcMessage::response(id, v).to_value());
    }

    /// The document behind `view_id`, or the error to answer.
    pub(super) fn lsp_target(&mut self, view_id: &str) -> Result<Target, (i64, String)> {
        let no_view = || {
            (
                symphony_protocol::xi::RpcError::INVALID_PARAMS,
                "no such view".to_string(),
            )
        };
        let view = self.views.get(view_id).ok_or_else(no_view)?;
        let bid = view.buffer;
        let b = self.buffers.get(&bid).ok_or_else(no_view)?;
        let region = view
            .selection
            .last()
            .copied()
            .unwrap_or(SelRegion::caret(0));
        let sel = (region.min(), region.max());
        let caret = region.end;
        let syntax = b.language.clone();
        let Some(lsp) = self.services.lsp.as_mut() else {
            return Err((
                wire::NO_SERVER_CODE,
                format!("no language server for {syntax}: language servers are off"),
            ));
        };
        let Some(doc) = lsp.docs.get(&bid) else {
            let path = b.file.path.clone();
            let lang = lsp.config.language_of(path.as_deref(), &syntax);
            let why = match (&lang, &path) {
                (None, _) => "none configured".to_string(),
                (Some(_), None) => "the buffer has no file yet".to_string(),
                (Some(l), Some(p)) => match lsp.server_for(l, p) {
                    Err(why) => why,
                    Ok(_) => "the server is starting".to_string(),
                },
            };
            let lang = lang.unwrap_or(syntax);
            return Err((
                wire::NO_SERVER_CODE,
                format!("no language server for {lang}: {why}"),
            ));
        };
        let s = &lsp.servers[doc.server];
        if let Some(why) = &s.why {
            return Err((
                wire::NO_SERVER_CODE,
                format!("no language server for {}: {why}", doc.language),
            ));
        }
        if s.process.is_none() {
            return Err((
                wire::NO_SERVER_CODE,
                format!(
                    "no language server for {}: {} is restarting",
                    doc.language,
                    s.name()
                ),
            ));
        }
        Ok(Target {
            bid,
            server: doc.server,
            uri: doc.uri.clone(),
            version: doc.version,
            enc: s.encoding,
            caret,
            sel,
        })
    }

    fn lsp_text(&self, bid: u64) -> Rope {
        self.buffers
            .get(&bid)
            .map(|b| b.buffer.text().clone())
            .unwrap_or_default()
    }

    fn lsp_supports(&self, server: usize, cap: &str) -> bool {
        self.services
            .lsp
            .as_ref()
            .and_then(|l| l.servers.get(server))
            // not initialized yet: the request waits, and the server says if it cannot
            .is_some_and(|s| !s.ready || s.supports(cap))
    }

    /// Sends `method` for the target, answering client request `id` later.
    fn lsp_ask(
        &mut self,
        id: Option<u64>,
        view: &str,
        t: &Target,
        method: &str,
        params: Value,
        kind: PendingKind,
    ) {
        let pending = PendingRequest {
            client_id: id,
            bid: t.bid,
            view: view.to_string(),
            version: t.version,
            kind,
        };
        let sent = self
            .services
            .lsp
            .as_mut()
            .and_then(|l| l.request(t.server, method, params, pending));
        if sent.is_none()
            && let Some(id) = id
        {
            self.send_error(
                id,
                wire::NO_SERVER_CODE,
                "no language server: it is not running".into(),
            );
        }
    }

    fn lsp_pos_params(&self, t: &Target, text: &Rope) -> Value {
        json!({
            "textDocument": {"uri": t.uri},
            "position": position::lsp_position(text, t.caret, t.enc),
        })
    }

    /// Handles a `symphony.lsp.*` request (answered now or when the server answers).
    pub(in crate::core) fn lsp_request(&mut self, id: u64, req: LspRequest) {
        if let LspRequest::WorkspaceDiagnostics(_) = req {
            let r = self.lsp_workspace_diagnostics();
            self.lsp_ok(id, r);
            return;
        }
        let view = req.view_id().unwrap_or_default().to_string();
        let t = match self.lsp_target(&view) {
            Ok(t) => t,
            Err((code, msg)) => {
                self.send_error(id, code, msg);
                self.lsp_flush();
                return;
            }
        };
        let text = self.lsp_text(t.bid);
        let pos = self.lsp_pos_params(&t, &text);
        let id = Some(id);
        match req {
            LspRequest::Completion(_) => {
                let line = text.line_of_offset(t.caret);
                let ls = text.offset_of_line(line);
                let before = text.slice_to_cow(ls..t.caret);
                let start_col = before
                    .char_indices()
                    .rev()
                    .take_while(|(_, c)| is_word(*c))
                    .last()
                    .map(|(i, _)| i)
                    .unwrap_or(before.len());
                let mut params = pos;
                params["context"] = json!({"triggerKind": 1});
                let kind = PendingKind::Completion { line, start_col };
                self.lsp_ask(id, &view, &t, "textDocument/completion", params, kind);
            }
            LspRequest::ResolveCompletion(p) => {
                let item = self.lsp_completion_item(&view, p.index);
                match item {
                    None => self.lsp_bad_index(id),
                    Some(raw) => {
                        let can = self
                            .services
                            .lsp
                            .as_ref()
                            .and_then(|l| l.servers.get(t.server))
                            .and_then(|s| s.caps.pointer("/completionProvider/resolveProvider"))
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                        if can {
                            let kind = PendingKind::ResolveCompletion { index: p.index };
                            self.lsp_ask(id, &view, &t, "completionItem/resolve", raw, kind);
                        } else if let Some(id) = id {
                            self.lsp_ok(id, resolved(&raw));
                        }
                    }
                }
            }
            LspRequest::AcceptCompletion(p) => {
                let ok = self.lsp_accept_completion(&view, &t, p.index);
                match (ok, id) {
                    (true, Some(id)) => self.lsp_ok(id, json!({})),
                    _ => self.lsp_bad_index(id),
                }
            }
            LspRequest::Hover(_) => {
                self.lsp_ask(id, &view, &t, "textDocument/hover", pos, PendingKind::Hover);
            }
            LspRequest::Goto(p) => {
                let (method, cap) = match p.kind {
                    GotoKind::Definition => ("textDocument/definition", "definitionProvider"),
                    GotoKind::Declaration => ("textDocument/declaration", "declarationProvider"),
                    GotoKind::TypeDefinition => {
                        ("textDocument/typeDefinition", "typeDefinitionProvider")
                    }
                    GotoKind::Implementation => {
                        ("textDocument/implementation", "implementationProvider")
                    }
                    GotoKind::References => ("textDocument/references", "referencesProvider"),
                };
                if !self.lsp_supports(t.server, cap) {
                    self.lsp_unsupported(id, t.server, method);
                    return;
                }
                let mut params = pos;
                if p.kind == GotoKind::References {
                    params["context"] = json!({"includeDeclaration": true});
                }
                self.lsp_ask(id, &view, &t, method, params, PendingKind::Goto);
            }
            LspRequest::Rename(p) => {
                if !self.lsp_supports(t.server, "renameProvider") {
                    self.lsp_unsupported(id, t.server, "rename");
                    return;
                }
                let mut params = pos;
                params["newName"] = Value::String(p.new_name);
                self.lsp_ask(
                    id,
                    &view,
                    &t,
                    "textDocument/rename",
                    params,
                    PendingKind::Rename,
                );
            }
            LspRequest::CodeActions(_) => {
                if !self.lsp_supports(t.server, "codeActionProvider") {
                    self.lsp_unsupported(id, t.server, "code actions");
                    return;
                }
                let params = self.lsp_code_action_params(&t, &text);
                self.lsp_ask(
                    id,
                    &view,
                    &t,
                    "textDocument/codeAction",
                    params,
                    PendingKind::CodeActions,
                );
            }
            LspRequest::ApplyCodeAction(p) => self.lsp_apply_code_action(id, &view, &t, p.index),
            LspRequest::Format(p) => self.lsp_format(id, &view, &t, &text, p.selection_only, None),
            LspRequest::WorkspaceDiagnostics(_) => {}
            LspRequest::InlineCompletion(_) => {
                if !self.lsp_supports(t.server, inline::CAPABILITY) {
                    self.lsp_unsupported(id, t.server, "inline completion");
                    return;
                }
                let kind = PendingKind::InlineCompletion { caret: t.caret };
                self.lsp_ask(id, &view, &t, inline::METHOD, inline::params(pos), kind);
            }
        }
        self.lsp_flush();
    }

    fn lsp_bad_index(&mut self, id: Option<u64>) {
        if let Some(id) = id {
            self.send_error(
                id,
                symphony_protocol::xi::RpcError::INVALID_PARAMS,
                "no such item (ask again)".into(),
            );
        }
    }

    fn lsp_unsupported(&mut self, id: Option<u64>, server: usize, what: &str) {
        let (lang, name) = self.lsp_server_names(server);
        if let Some(id) = id {
            self.send_error(
                id,
                wire::NO_SERVER_CODE,
                format!("no language server for {lang}: {name} does not do {what}"),
            );
        }
    }

    fn lsp_completion_item(&self, view: &str, index: usize) -> Option<Value> {
        self.services
            .lsp
            .as_ref()?
            .completions
            .get(view)?
            .items
            .get(index)
            .cloned()
    }

    /// Inserts completion item `index` in place of the word being completed, with its
    /// additional edits, as one undo group; the caret goes to `$0` or after the text.
    fn lsp_accept_completion(&mut self, view: &str, t: &Target, index: usize) -> bool {
        let Some(state) = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.completions.get(view))
            .cloned()
        else {
            return false;
        };
        let Some(raw) = state.items.get(index) else {
            return false;
        };
        let text = self.lsp_text(t.bid);
        let (mut insert, range) = features::completion_text(raw);
        let mut cursor_in = None;
        if raw.get("insertTextFormat").and_then(Value::as_u64) == Some(2) {
            (insert, cursor_in) = features::expand_snippet(&insert);
        }
        let word_start = if state.line < text.measure::<xi_rope::LinesMetric>() + 1 {
            text.offset_of_line(state.line) + state.start_col
        } else {
            t.caret
        };
        let start = range
            .and_then(|r| position::offset_of(&text, r.get("start")?, t.enc))
            .unwrap_or(word_start)
            .min(t.caret);
        let end = t.caret;
        let extra: Vec<(usize, usize, String)> = raw
            .get("additionalTextEdits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let (s, en) = position::range_offsets(&text, e.get("range")?, t.enc)?;
                Some((s, en, e.get("newText")?.as_str()?.to_string()))
            })
            .filter(|(s, en, _)| *en <= start || *s >= end)
            .collect();
        let mut reps = extra.clone();
        reps.push((start, end, insert.clone()));
        reps.sort_by_key(|(s, e, _)| (*s, *e));
        let mut b = DeltaBuilder::new(text.len());
        let mut last = 0;
        for (s, e, r) in &reps {
            if *s < last {
                continue;
            }
            b.replace(Interval::new(*s, *e), Rope::from(r.as_str()));
            last = *e;
        }
        let shift: isize = extra
            .iter()
            .filter(|(_, e, _)| *e <= start)
            .map(|(s, e, r)| r.len() as isize - (e - s) as isize)
            .sum();
        let caret = (start as isize + shift) as usize + cursor_in.unwrap_or(insert.len());
        if let Some(buf) = self.buffers.get_mut(&t.bid) {
            buf.buffer.break_group();
        }
        self.apply(view, b.build(), EditKind::Other, InsertDrift::Default);
        let new_text = self.lsp_text(t.bid);
        if let Some(buf) = self.buffers.get_mut(&t.bid) {
            buf.buffer.break_group();
        }
        if let Some(v) = self.views.get_mut(view) {
            v.set_selection(&new_text, SelRegion::caret(caret.min(new_text.len())));
        }
        let views = self
            .buffers
            .get(&t.bid)
            .map(|b| b.views.clone())
            .unwrap_or_default();
        for v in views {
            self.render_view(&v);
        }
        true
    }

    fn lsp_code_action_params(&self, t: &Target, text: &Rope) -> Value {
        let first_line = text.line_of_offset(t.sel.0);
        let last_line = text.line_of_offset(t.sel.1);
        let diags: Vec<Value> = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.diagnostics.get(&t.uri))
            .map(|(_, d)| {
                d.iter()
                    .filter(|d| {
                        let l0 = d.pointer("/range/start/line").and_then(Value::as_u64);
                        let l1 = d.pointer("/range/end/line").and_then(Value::as_u64);
                        matches!((l0, l1), (Some(a), Some(b))
                            if (a as usize) <= last_line && (b as usize) >= first_line)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "textDocument": {"uri": t.uri},
            "range": {
                "start": position::lsp_position(text, t.sel.0, t.enc),
                "end": position::lsp_position(text, t.sel.1, t.enc),
            },
            "context": {"diagnostics": diags, "triggerKind": 1},
        })
    }

    fn lsp_apply_code_action(&mut self, id: Option<u64>, view: &str, t: &Target, index: usize) {
        let action = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.actions.get(view))
            .and_then(|(s, a)| Some((*s, a.get(index)?.clone())));
        let Some((server, raw)) = action else {
            self.lsp_bad_index(id);
            return;
        };
        let has_edit = raw.get("edit").is_some();
        let command = raw.get("command").cloned();
        if !has_edit
            && command.is_none()
            && self
                .services
                .lsp
                .as_ref()
                .and_then(|l| l.servers.get(server))
                .and_then(|s| s.caps.pointer("/codeActionProvider/resolveProvider"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        {
            let t = Target {
                server,
                ..t.clone()
            };
            self.lsp_ask(
                id,
                view,
                &t,
                "codeAction/resolve",
                raw,
                PendingKind::ResolveCodeAction,
            );
            return;
        }
        self.lsp_run_code_action(id, view, t, server, &raw);
    }

    /// Applies a (resolved) code action's edit, then runs its command if it has one.
    pub(super) fn lsp_run_code_action(
        &mut self,
        id: Option<u64>,
        view: &str,
        t: &Target,
        server: usize,
        raw: &Value,
    ) {
        let base = match raw.get("edit") {
            Some(e) => self.lsp_apply_workspace_edit(server, e),
            None => EditSummary::default(),
        };
        // a bare Command has a string `command`; a CodeAction may hold a Command object
        let command = match raw.get("command") {
            Some(Value::String(_)) => Some(raw.clone()),
            Some(c @ Value::Object(_)) => Some(c.clone()),
            _ => None,
        };
        match command {
            Some(c) => {
                if let Some(l) = self.services.lsp.as_mut() {
                    l.command_edits = EditSummary::default();
                }
                let params = json!({
                    "command": c.get("command").cloned().unwrap_or(Value::Null),
                    "arguments": c.get("arguments").cloned().unwrap_or(json!([])),
                });
                let t = Target {
                    server,
                    version: self
                        .services
                        .lsp
                        .as_ref()
                        .and_then(|l| l.docs.get(&t.bid))
                        .map(|d| d.version)
                        .unwrap_or(t.version),
                    ..t.clone()
                };
                let kind = PendingKind::ExecuteCommand { base };
                self.lsp_ask(id, view, &t, "workspace/executeCommand", params, kind);
            }
            None => {
                if let Some(id) = id {
                    self.lsp_ok(id, base);
                }
                self.lsp_flush_edit_alerts();
            }
        }
    }

    /// Asks for formatting of the document or the selection's lines; `then_save` saves after.
    fn lsp_format(
        &mut self,
        id: Option<u64>,
        view: &str,
        t: &Target,
        text: &Rope,
        selection_only: bool,
        then_save: Option<&Path>,
    ) {
        let (method, cap) = if selection_only {
            (
                "textDocument/rangeFormatting",
                "documentRangeFormattingProvider",
            )
        } else {
            ("textDocument/formatting", "documentFormattingProvider")
        };
        if !self.lsp_supports(t.server, cap) {
            self.lsp_unsupported(id, t.server, method);
            return;
        }
        let settings = self
            .buffers
            .get(&t.bid)
            .map(|b| self.config.edit_settings(t.bid, &b.language))
            .unwrap_or_default();
        let mut params = json!({
            "textDocument": {"uri": t.uri},
            "options": {"tabSize": settings.tab_size, "insertSpaces": settings.translate_tabs_to_spaces},
        });
        if selection_only {
            let l0 = text.line_of_offset(t.sel.0);
            let l1 = text.line_of_offset(t.sel.1);
            let end = if l1 + 1 < text.measure::<xi_rope::LinesMetric>() + 1 {
                text.offset_of_line(l1 + 1)
            } else {
                text.len()
            };
            params["range"] = json!({
                "start": position::lsp_position(text, text.offset_of_line(l0), t.enc),
                "end": position::lsp_position(text, end, t.enc),
            });
        }
        let kind = PendingKind::Format {
            then_save: then_save.map(Path::to_path_buf),
        };
        self.lsp_ask(id, view, t, method, params, kind);
    }

    /// Before saving: with `format_on_save`, formats first and saves when the edits are in
    /// (or after a few seconds). Returns true when the save was deferred that way.
    pub(in crate::core) fn lsp_format_before_save(&mut self, view: &str, path: &Path) -> bool {
        let Some(bid) = self.views.get(view).map(|v| v.buffer) else {
            return false;
        };
        let wanted = self.services.lsp.as_ref().is_some_and(|l| {
            l.docs
                .get(&bid)
                .and_then(|d| l.config.languages.get(&d.language))
                .is_some_and(|c| c.format_on_save)
        });
        if !wanted {
            return false;
        }
        let Ok(t) = self.lsp_target(view) else {
            return false;
        };
        if !self.lsp_supports(t.server, "documentFormattingProvider") {
            return false;
        }
        let text = self.lsp_text(t.bid);
        self.lsp_format(None, view, &t, &text, false, Some(path));
        if let Some(l) = self.services.lsp.as_mut() {
            l.timer(t.server, FORMAT_ON_SAVE_WAIT);
        }
        true
    }

    fn lsp_workspace_diagnostics(&self) -> WorkspaceDiagnosticsResult {
        let Some(lsp) = self.services.lsp.as_ref() else {
            return WorkspaceDiagnosticsResult::default();
        };
        let mut cache = HashMap::new();
        let mut files = Vec::new();
        for (uri, (idx, raw)) in &lsp.diagnostics {
            if raw.is_empty() {
                continue;
            }
            let Some(path) = uri_to_path(uri) else {
                continue;
            };
            let enc = lsp.servers[*idx].encoding;
            let diagnostics = raw
                .iter()
                .filter_map(|d| {
                    features::diagnostic(d, enc, &mut |l| self.lsp_line_of(&path, l, &mut cache))
                })
                .collect();
            files.push(FileDiagnostics {
                path: path.to_string_lossy().into_owned(),
                diagnostics,
            });
        }
        WorkspaceDiagnosticsResult { files }
    }
}

/// The resolve answer from an item.
pub(super) fn resolved(item: &Value) -> ResolveCompletionResult {
    ResolveCompletionResult {
        documentation: item.get("documentation").and_then(features::markup_text),
        detail: item
            .get("detail")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}
