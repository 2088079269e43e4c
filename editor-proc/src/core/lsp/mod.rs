//! The core's side of language intelligence (`core::lsp`, a child of the core, so it
//! reaches buffers and views; the servers themselves are `crate::lsp`): buffer events
//! become server notifications (open, change, save, close), server messages become
//! client messages (diagnostics, status, signature help, answers to requests), and
//! server restarts reopen documents.
//! `requests` handles the `symphony.lsp.*` requests, `answers` the servers' answers to
//! them, `edits` applies servers' edits and `resource_ops` their file operations
//! (create, rename, delete).

mod answers;
mod edits;
mod requests;
mod resource_ops;

use std::path::Path;

use serde_json::{Value, json};
use symphony_protocol::xi::lsp::{self as wire, DiagnosticsParams, SignatureHelpParams};
use xi_rope::{Rope, RopeDelta};

use super::Core;
use crate::lsp::features;
use crate::lsp::jsonrpc::{self, Incoming};
use crate::lsp::manager::{Doc, PendingKind, PendingRequest};
use crate::lsp::position::{self, Encoding, path_to_uri};
use crate::lsp::process::{LspEvent, LspEventKind};
use crate::lsp::sync;

impl Core {
    /// Sends what the language-server manager queued for the client.
    fn lsp_flush(&mut self) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let queued: Vec<Value> = lsp.outbox.drain(..).collect();
        for m in queued {
            self.send(m);
        }
    }

    /// A buffer got its text and file: open it in its language's server (starting it).
    pub(super) fn lsp_open(&mut self, bid: u64) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        if lsp.docs.contains_key(&bid) {
            return;
        }
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let Some(path) = b.file.path.clone() else {
            return;
        };
        let Some(language) = lsp.config.language_of(Some(&path), &b.language) else {
            return;
        };
        let idx = match lsp.server_for(&language, &path) {
            Ok(i) => i,
            Err(why) => {
                tracing::info!("lsp: no server for {}: {why}", path.display());
                self.lsp_flush();
                return;
            }
        };
        let language_id = lsp
            .config
            .languages
            .get(&language)
            .and_then(|c| c.language_id.clone())
            .unwrap_or_else(|| language.clone());
        let uri = path_to_uri(&path);
        if lsp.is_ready(idx) {
            lsp.send(idx, sync::did_open(&uri, &language_id, 1, b.buffer.text()));
        }
        lsp.docs.insert(
            bid,
            Doc {
                server: idx,
                uri,
                path,
                language,
                language_id,
                version: 1,
            },
        );
        self.lsp_flush();
        self.lsp_send_diagnostics(bid);
    }

    /// Whether `open` + `close` is one of buffer `bid`'s auto-closing pairs.
    fn auto_closed(&self, bid: u64, open: char, close: char) -> bool {
        self.buffers.get(&bid).is_some_and(|b| {
            self.config
                .edit_settings(bid, &b.language)
                .auto_close_pairs
                .contains(&(open, close))
        })
    }

    /// A `)` was typed over the closer already there (no text change): signature help
    /// closes as when it is typed.
    pub(super) fn lsp_typed_over(&mut self, view_id: &str, typed: &str) {
        if typed != ")" {
            return;
        }
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let served = self
            .services
            .lsp
            .as_ref()
            .is_some_and(|lsp| lsp.docs.contains_key(&bid));
        if served {
            let close = SignatureHelpParams::close(view_id.to_string());
            self.send(json!({"method": wire::SIGNATURE_HELP, "params": close}));
        }
    }

    /// Buffer `bid`'s text changed by `delta` (from `old`): an incremental `didChange`, and
    /// signature help after its trigger characters.
    pub(super) fn lsp_changed(&mut self, bid: u64, old: &Rope, delta: &RopeDelta) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let Some(doc) = lsp.docs.get_mut(&bid) else {
            return;
        };
        doc.version += 1;
        let (idx, version, uri) = (doc.server, doc.version, doc.uri.clone());
        if !lsp.is_ready(idx) {
            // opened with the then-current text once the server is ready
            return;
        }
        let enc = lsp.servers[idx].encoding;
        lsp.send(idx, sync::did_change(&uri, version, old, delta, enc));
        // answers to earlier requests about this buffer are stale now: let the server drop them
        let stale: Vec<u64> = lsp
            .pending
            .iter()
            .filter(|((s, _), p)| {
                // a command's own edits (workspace/applyEdit) must not cancel it
                *s == idx
                    && p.bid == bid
                    && p.client_id.is_some()
                    && !matches!(p.kind, PendingKind::ExecuteCommand { .. })
            })
            .map(|((_, id), _)| *id)
            .collect();
        for id in stale {
            lsp.send(
                idx,
                jsonrpc::notification("$/cancelRequest", json!({"id": id})),
            );
        }
        let reps = sync::replacements(delta);
        let [rep] = reps.as_slice() else {
            return;
        };
        if rep.start != rep.end {
            return;
        }
        // one typed character, or an opener typed with its auto-closed closer (`()`)
        let typed: String = {
            let mut cs = rep.text.chars();
            match (cs.next(), cs.next(), cs.next()) {
                (Some(c), None, _) => c.to_string(),
                (Some(open), Some(close), None) if self.auto_closed(bid, open, close) => {
                    open.to_string()
                }
                _ => return,
            }
        };
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let caps = &lsp.servers[idx].caps;
        let Some(sh) = caps.get("signatureHelpProvider").filter(|v| v.is_object()) else {
            return;
        };
        let mut triggers: Vec<&str> = ["triggerCharacters", "retriggerCharacters"]
            .iter()
            .filter_map(|k| sh.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if triggers.is_empty() {
            triggers = vec!["(", ","];
        }
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let Some(view) = b.views.first().cloned() else {
            return;
        };
        if typed == ")" {
            let close = SignatureHelpParams::close(view);
            self.send(json!({"method": wire::SIGNATURE_HELP, "params": close}));
            return;
        }
        if !triggers.contains(&typed.as_str()) {
            return;
        }
        let at = rep.start + typed.len();
        let params = json!({
            "textDocument": {"uri": uri},
            "position": position::lsp_position(b.buffer.text(), at, enc),
        });
        let pending = PendingRequest {
            client_id: None,
            bid,
            view,
            version,
            kind: PendingKind::SignatureHelp,
        };
        if let Some(lsp) = self.services.lsp.as_mut() {
            lsp.request(idx, "textDocument/signatureHelp", params, pending);
        }
    }

    /// The view's buffer was saved to `path`: `didSave` (or reopen under the new name).
    pub(super) fn lsp_saved(&mut self, view_id: &str, path: &Path) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        match lsp.docs.get(&bid) {
            Some(doc) if doc.path == path => {
                let idx = doc.server;
                let uri = doc.uri.clone();
                let include = lsp.servers[idx]
                    .caps
                    .pointer("/textDocumentSync/save/includeText")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if lsp.is_ready(idx) {
                    let text = self.buffers.get(&bid).map(|b| b.buffer.text());
                    lsp.send(idx, sync::did_save(&uri, text.filter(|_| include)));
                }
            }
            _ => {
                // a new name (or a first save): the language may differ too
                self.lsp_close(bid);
                self.lsp_open(bid);
            }
        }
    }

    /// Buffer `bid` is closing (or changing language): `didClose`.
    pub(super) fn lsp_close(&mut self, bid: u64) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let Some(doc) = lsp.docs.remove(&bid) else {
            return;
        };
        if lsp.is_ready(doc.server) {
            lsp.send(doc.server, sync::did_close(&doc.uri));
        }
        if let Some(b) = self.buffers.get(&bid) {
            for v in &b.views {
                lsp.completions.remove(v);
                lsp.actions.remove(v);
            }
        }
        // and the state of views closed already
        lsp.completions.retain(|v, _| self.views.contains_key(v));
        lsp.actions.retain(|v, _| self.views.contains_key(v));
    }

    /// The buffer's language changed: reopen it in the right server.
    pub(super) fn lsp_language_changed(&mut self, bid: u64) {
        self.lsp_close(bid);
        self.lsp_open(bid);
    }

    /// Something arrived from a language server's threads.
    pub fn on_lsp(&mut self, ev: LspEvent, out: &mut Vec<String>) {
        let idx = ev.server;
        let current = self
            .services
            .lsp
            .as_ref()
            .and_then(|l| l.servers.get(idx))
            .is_some_and(|s| s.generation == ev.generation);
        match ev.kind {
            LspEventKind::Timer(_) => self.lsp_timer(),
            _ if !current => tracing::debug!("lsp: dropping an event of an old server instance"),
            LspEventKind::Message(v) => self.lsp_message(idx, v),
            LspEventKind::Exited(code) => {
                let lost = match self.services.lsp.as_mut() {
                    Some(l) => l.exited(idx, code),
                    None => Vec::new(),
                };
                for p in lost {
                    self.lsp_lost(idx, p);
                }
            }
            LspEventKind::InitTimeout => {
                if let Some(l) = self.services.lsp.as_mut() {
                    l.init_timeout(idx);
                }
            }
            LspEventKind::RestartDue => {
                if let Some(l) = self.services.lsp.as_mut()
                    && l.servers[idx].state == wire::ServerState::Restarting
                {
                    l.start(idx);
                }
            }
        }
        self.lsp_flush();
        self.flush(out);
    }

    /// A request that will never be answered (the server died).
    fn lsp_lost(&mut self, idx: usize, p: PendingRequest) {
        if let PendingKind::Format {
            then_save: Some(path),
        } = &p.kind
        {
            self.save(&p.view, path);
            self.lsp_saved(&p.view, path);
        }
        if let Some(id) = p.client_id {
            let (lang, name) = self.lsp_server_names(idx);
            self.send_error(
                id,
                wire::NO_SERVER_CODE,
                format!("no language server for {lang}: {name} exited"),
            );
        }
    }

    fn lsp_server_names(&self, idx: usize) -> (String, String) {
        self.services
            .lsp
            .as_ref()
            .and_then(|l| l.servers.get(idx))
            .map(|s| (s.language.clone(), s.name()))
            .unwrap_or_default()
    }

    /// A format-on-save timer ran out: save what still waits for its formatting.
    fn lsp_timer(&mut self) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let overdue: Vec<(usize, u64)> = lsp
            .pending
            .iter()
            .filter(|(_, p)| matches!(p.kind, PendingKind::Format { then_save: Some(_) }))
            .map(|(k, _)| *k)
            .collect();
        let waiting: Vec<PendingRequest> = overdue
            .into_iter()
            .filter_map(|k| lsp.pending.remove(&k))
            .collect();
        for p in waiting {
            if let PendingKind::Format {
                then_save: Some(path),
            } = &p.kind
            {
                tracing::warn!("lsp: formatting before save took too long; saving as is");
                self.save(&p.view, path);
                self.lsp_saved(&p.view, path);
            }
        }
    }

    fn lsp_message(&mut self, idx: usize, v: Value) {
        let Some(msg) = Incoming::from_value(v) else {
            tracing::warn!("lsp: skipping a message that is not JSON-RPC");
            return;
        };
        match msg {
            Incoming::Response { id, result } => {
                let Some(lsp) = self.services.lsp.as_mut() else {
                    return;
                };
                if lsp.servers[idx].init_id == Some(id) {
                    lsp.initialized(idx, result);
                    if lsp.is_ready(idx) {
                        self.lsp_reopen(idx);
                        self.lsp_reencode_queue(idx);
                    }
                    if let Some(lsp) = self.services.lsp.as_mut() {
                        lsp.flush_queue(idx);
                    }
                } else if let Some(p) = lsp.pending.remove(&(idx, id)) {
                    self.lsp_answer(idx, p, result);
                    self.lsp_flush_edit_alerts();
                } else {
                    tracing::debug!("lsp: answer {id} to nothing pending");
                }
            }
            Incoming::Notification { method, params } => match method.as_str() {
                "textDocument/publishDiagnostics" => self.lsp_publish(idx, params),
                "window/showMessage" | "window/logMessage" => {
                    let text = params.get("message").and_then(Value::as_str).unwrap_or("");
                    tracing::info!("lsp: {}: {text:.500}", self.lsp_server_names(idx).1);
                }
                _ => tracing::debug!("lsp: ignoring notification {method}"),
            },
            Incoming::Request { id, method, params } => {
                let reply = self.lsp_server_request(idx, id, &method, params);
                let in_command = match self.services.lsp.as_mut() {
                    Some(lsp) => {
                        lsp.send_now(idx, reply);
                        lsp.pending
                            .values()
                            .any(|p| matches!(p.kind, PendingKind::ExecuteCommand { .. }))
                    }
                    None => false,
                };
                // a command's edits are told after its answer; a server's own edits now
                if !in_command {
                    self.lsp_flush_edit_alerts();
                }
            }
        }
    }

    /// Server `idx` (re)started: open its documents with their current text.
    fn lsp_reopen(&mut self, idx: usize) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let docs: Vec<(u64, Doc)> = lsp
            .docs
            .iter()
            .filter(|(_, d)| d.server == idx)
            .map(|(b, d)| (*b, d.clone()))
            .collect();
        for (bid, d) in docs {
            if let Some(b) = self.buffers.get(&bid) {
                lsp.send(
                    idx,
                    sync::did_open(&d.uri, &d.language_id, d.version, b.buffer.text()),
                );
            }
        }
    }

    /// Requests queued while server `idx` was starting were built with columns in the
    /// default encoding (UTF-16): rewrites them into the one it chose (UTF-8 for clangd).
    fn lsp_reencode_queue(&mut self, idx: usize) {
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        let Some(server) = lsp.servers.get_mut(idx) else {
            return;
        };
        let to = server.encoding;
        if to == Encoding::default() {
            return;
        }
        let mut queue = std::mem::take(&mut server.queue);
        for msg in &mut queue {
            let Some(uri) = msg
                .pointer("/params/textDocument/uri")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let bid = lsp.docs.iter().find(|(_, d)| d.uri == uri).map(|(b, _)| *b);
            let Some(b) = bid.and_then(|bid| self.buffers.get(&bid)) else {
                continue;
            };
            if let Some(params) = msg.get_mut("params") {
                position::reencode_positions(params, b.buffer.text(), Encoding::default(), to);
            }
        }
        lsp.servers[idx].queue = queue;
    }

    /// A request from the server; returns the answer to send.
    fn lsp_server_request(&mut self, idx: usize, id: Value, method: &str, params: Value) -> Value {
        match method {
            "workspace/configuration" => {
                let settings = self
                    .services
                    .lsp
                    .as_ref()
                    .and_then(|l| l.servers[idx].cfg.settings.clone())
                    .unwrap_or(Value::Null);
                let items = params
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let answers: Vec<Value> = items
                    .iter()
                    .map(|it| match it.get("section").and_then(Value::as_str) {
                        Some(sec) => {
                            let ptr = format!("/{}", sec.replace('.', "/"));
                            settings.pointer(&ptr).cloned().unwrap_or(Value::Null)
                        }
                        None => settings.clone(),
                    })
                    .collect();
                jsonrpc::response(id, Value::Array(answers))
            }
            "workspace/applyEdit" => {
                let edit = params.get("edit").cloned().unwrap_or(Value::Null);
                let (s, failed) = self.lsp_apply_workspace_edit_ex(idx, &edit);
                if let Some(l) = self.services.lsp.as_mut() {
                    l.command_edits = edits::add_summaries(l.command_edits, s);
                }
                match failed {
                    None => jsonrpc::response(id, json!({"applied": true})),
                    Some((step, why)) => jsonrpc::response(
                        id,
                        json!({"applied": false, "failureReason": why, "failedChange": step}),
                    ),
                }
            }
            "workspace/workspaceFolders" => {
                let root = self
                    .services
                    .lsp
                    .as_ref()
                    .map(|l| l.servers[idx].root.clone())
                    .unwrap_or_default();
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                jsonrpc::response(id, json!([{"uri": path_to_uri(&root), "name": name}]))
            }
            "client/registerCapability"
            | "client/unregisterCapability"
            | "window/workDoneProgress/create"
            | "window/showMessageRequest"
            | "workspace/diagnostic/refresh"
            | "workspace/semanticTokens/refresh"
            | "workspace/inlayHint/refresh"
            | "workspace/codeLens/refresh" => jsonrpc::response(id, Value::Null),
            _ => {
                tracing::debug!("lsp: server asked {method}, which this client does not do");
                jsonrpc::error_response(id, -32601, "method not found")
            }
        }
    }

    /// `textDocument/publishDiagnostics`: remember them and send them to the file's views.
    fn lsp_publish(&mut self, idx: usize, params: Value) {
        let Some(uri) = params.get("uri").and_then(Value::as_str) else {
            return;
        };
        let raw = params
            .get("diagnostics")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(lsp) = self.services.lsp.as_mut() else {
            return;
        };
        lsp.diagnostics.insert(uri.to_string(), (idx, raw));
        let bids: Vec<u64> = lsp
            .docs
            .iter()
            .filter(|(_, d)| d.uri == uri)
            .map(|(b, _)| *b)
            .collect();
        for bid in bids {
            self.lsp_send_diagnostics(bid);
        }
    }

    /// Sends the known diagnostics of buffer `bid` to its views.
    fn lsp_send_diagnostics(&mut self, bid: u64) {
        let Some(lsp) = self.services.lsp.as_ref() else {
            return;
        };
        let Some(doc) = lsp.docs.get(&bid) else {
            return;
        };
        let Some((idx, raw)) = lsp.diagnostics.get(&doc.uri) else {
            return;
        };
        let Some(b) = self.buffers.get(&bid) else {
            return;
        };
        let enc = lsp.servers[*idx].encoding;
        let text = b.buffer.text();
        let diagnostics: Vec<_> = raw
            .iter()
            .filter_map(|d| features::diagnostic(d, enc, &mut |l| position::line_text(text, l)))
            .collect();
        let views = b.views.clone();
        for view_id in views {
            let p = DiagnosticsParams {
                view_id,
                diagnostics: diagnostics.clone(),
            };
            self.send(json!({"method": wire::DIAGNOSTICS, "params": p}));
        }
    }
}
