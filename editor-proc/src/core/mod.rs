//! The core: buffers and views, the request/notification handlers and the output queue.
//! `Core::handle_line` is the in-process API: one protocol line in, protocol lines out.

mod disk;
mod edit;
mod files;
mod journal_glue;
mod lsp;
pub mod review;
mod services;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_protocol::xi::{ClientNotification, RpcError, RpcMessage, ThemeSettings};
use xi_rope::Rope;

use crate::buffer::Buffer;
use crate::command::{Notification, Request};
use crate::config::{self, ConfigStore, Domain};
use crate::highlight::LineStyles;
use crate::recorder::Recorder;
use crate::rpc::convert;
use crate::view::View;
use crate::view_update;

pub use files::FileState;
use files::Pending;
pub use services::{ServiceEvents, Services};

/// Default theme names reported until highlighting provides its own list.
const FALLBACK_THEMES: &[&str] = &[
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.dark",
    "base16-ocean.light",
];

/// One open buffer.
pub struct BufferState {
    /// Text and undo.
    pub buffer: Buffer,
    /// File state (path, line ending, journal).
    pub file: FileState,
    /// Language name.
    pub language: String,
    /// Views showing it.
    pub views: Vec<String>,
    /// Revision counter (bumped on every change).
    pub rev: u64,
    /// Syntax styles of highlighted lines.
    pub styles: LineStyles,
    /// Highlight results older than this revision are stale (language/theme changed).
    pub highlight_epoch: u64,
}

/// All editor state.
pub struct Core {
    buffers: HashMap<u64, BufferState>,
    views: BTreeMap<String, View>,
    next_view: u64,
    next_buffer: u64,
    config: ConfigStore,
    theme: String,
    kill_ring: String,
    recorder: Recorder,
    force_group: bool,
    out: Vec<String>,
    services: Services,
    pending: Vec<Pending>,
}

impl Default for Core {
    fn default() -> Self {
        Self::new()
    }
}

impl Core {
    /// A core with no buffers and no background services (no highlighting, watching or journal).
    pub fn new() -> Self {
        Self::with_services(Services::default())
    }

    /// Applies the `[editing]` settings of the user's `config.toml` (see
    /// [`ConfigStore::apply_user_file`]); a problem with the file is logged.
    pub fn load_user_config(&mut self, path: &Path) {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                if let Err(e) = self.config.apply_user_file(&text) {
                    tracing::warn!("ignoring [editing] of {}: {e}", path.display());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot read {}: {e}", path.display()),
        }
    }

    /// A core using `services`.
    pub fn with_services(services: Services) -> Self {
        Core {
            buffers: HashMap::new(),
            views: BTreeMap::new(),
            next_view: 1,
            next_buffer: 1,
            config: ConfigStore::default(),
            theme: "InspiredGitHub".into(),
            kill_ring: String::new(),
            recorder: Recorder::default(),
            force_group: false,
            out: Vec::new(),
            services,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, v: Value) {
        match serde_json::to_string(&v) {
            Ok(s) => self.out.push(s),
            Err(e) => tracing::error!("cannot serialize message: {e}"),
        }
    }

    /// Queues the error response `{"id", "error": {"code", "message", "data": null}}`.
    fn send_error(&mut self, id: u64, code: i64, message: String) {
        let error = RpcError {
            code,
            message,
            data: Some(Value::Null),
        };
        self.send(RpcMessage::error_response(id, error).to_value());
    }

    /// Queues a typed core -> front end notification.
    fn notify(&mut self, n: ClientNotification) {
        self.send(n.to_value());
    }

    fn send_all(&mut self, lines: Vec<String>) {
        self.out.extend(lines);
    }

    /// Handles one protocol line completely; appends the lines to write to `out`.
    pub fn handle_line(&mut self, line: &str, out: &mut Vec<String>) {
        self.handle_line_deferred(line, out);
        self.run_pending(out);
    }

    /// Handles one protocol line but leaves slow follow-up work (loading the rest of a big
    /// file) for `run_pending`, so that what is ready can be written first.
    pub fn handle_line_deferred(&mut self, line: &str, out: &mut Vec<String>) {
        let line = line.trim();
        if !line.is_empty() {
            match serde_json::from_str::<Value>(line) {
                Ok(v) => {
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.handle_value(v)
                    }));
                    if r.is_err() {
                        tracing::error!("internal error while handling: {:.200}", line);
                    }
                }
                Err(e) => tracing::warn!("ignoring malformed line ({e}): {:.200}", line),
            }
        }
        self.flush(out);
    }

    /// True when `run_pending` has work.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Runs the follow-up work left by `handle_line_deferred`.
    pub fn run_pending(&mut self, out: &mut Vec<String>) {
        while let Some(p) = self.pending.pop() {
            match p {
                Pending::FinishOpen {
                    bid,
                    view_id,
                    path,
                    prefix,
                } => {
                    self.finish_open(bid, view_id, &path, prefix);
                    self.lsp_open(bid);
                }
            }
        }
        self.flush(out);
    }

    /// True while a view's search is still running (see [`Self::run_search_step`]).
    pub fn is_searching(&self) -> bool {
        self.views.values().any(crate::view::View::is_searching)
    }

    /// Searches one slice (a few milliseconds) of a running search and sends
    /// what changed: the serve loop calls it only when no input is waiting, so a
    /// search never delays a keystroke and a new query replaces the old one.
    pub fn run_search_step(&mut self, out: &mut Vec<String>) {
        let Some(view_id) = self
            .views
            .iter()
            .find(|(_, v)| v.is_searching())
            .map(|(id, _)| id.clone())
        else {
            return;
        };
        let Some(text) = self.text_of(&view_id).cloned() else {
            return;
        };
        let changed = self
            .views
            .get_mut(&view_id)
            .is_some_and(|view| view.search_step(&text));
        if changed {
            self.render_view(&view_id);
        }
        self.flush(out);
    }

    /// Moves queued messages into `out` as serialized lines.
    pub fn flush(&mut self, out: &mut Vec<String>) {
        out.append(&mut self.out);
    }

    fn handle_value(&mut self, v: Value) {
        match RpcMessage::from_value(v) {
            Ok(RpcMessage::Request { id, method, params }) => {
                match convert::request(&method, params) {
                    Ok(req) => self.handle_request(id, req),
                    Err(e) => {
                        self.send(RpcMessage::error_response(id, e.to_rpc_error()).to_value())
                    }
                }
            }
            Ok(RpcMessage::Notification { method, params }) => {
                match convert::notification(&method, params) {
                    Ok(n) => self.handle_notification(n),
                    Err(e) => tracing::warn!("ignoring notification: {e}"),
                }
            }
            Ok(RpcMessage::Response { id, .. }) => tracing::debug!("ignoring response {id}"),
            Err(e) => tracing::warn!("ignoring line: {e}"),
        }
    }

    fn handle_request(&mut self, id: u64, req: Request) {
        match req {
            Request::NewView(path) => self.new_view(id, path),
            Request::GetConfig(view) => {
                let r = self.view_config(&view).map(Value::Object);
                self.respond(id, r);
            }
            Request::DebugGetContents(view) => {
                let r = self
                    .buffer_of(&view)
                    .map(|b| Value::String(String::from(b.buffer.text())));
                self.respond(id, r);
            }
            Request::DiskDiff(view) => {
                let r = self.disk_diff(&view).map(|diff| {
                    serde_json::to_value(symphony_protocol::xi::symphony::DiskDiffResult { diff })
                        .unwrap_or(Value::Null)
                });
                self.respond(id, r);
            }
            Request::Capabilities(asked) => {
                // Everything a client can ask for here is supported.
                let granted = symphony_protocol::xi::symphony::Capabilities {
                    edit_ack: asked.edit_ack,
                };
                self.respond(id, serde_json::to_value(granted).ok());
            }
            Request::CopyCut { view, cut } => {
                let r = self.copy_cut(&view, cut);
                self.respond(id, r);
            }
            Request::Review(r) => self.review_request(id, r),
            Request::Lsp(r) => self.lsp_request(id, r),
        }
    }

    fn respond(&mut self, id: u64, r: Option<Value>) {
        match r {
            Some(v) => self.send(RpcMessage::response(id, v).to_value()),
            None => self.send_error(id, RpcError::INVALID_PARAMS, "no such view".into()),
        }
    }

    fn buffer_of(&self, view: &str) -> Option<&BufferState> {
        self.views
            .get(view)
            .and_then(|v| self.buffers.get(&v.buffer))
    }

    fn view_config(&self, view: &str) -> Option<config::Table> {
        let v = self.views.get(view)?;
        let b = self.buffers.get(&v.buffer)?;
        Some(self.config.effective(v.buffer, &b.language))
    }

    fn handle_notification(&mut self, n: Notification) {
        match n {
            Notification::ClientStarted => {
                self.notify(ClientNotification::AvailableLanguages {
                    languages: self.languages(),
                });
                self.notify(ClientNotification::AvailableThemes {
                    themes: self.themes(),
                });
            }
            Notification::SetTheme(name) => self.set_theme(&name),
            Notification::CloseView(view) => self.close_view(&view),
            Notification::Save { view, path, force } => {
                if force {
                    self.force_next_save(&view);
                }
                if !self.lsp_format_before_save(&view, &path) {
                    self.save(&view, &path);
                    self.lsp_saved(&view, &path);
                }
            }
            Notification::ModifyUserConfig { domain, changes } => {
                self.modify_config(&domain, &changes)
            }
            Notification::SetLanguage { view, language } => self.set_language(&view, &language),
            Notification::Edit { view, cmd, seq } => {
                if let Some(seq) = seq {
                    self.owe_ack(&view, seq);
                }
                self.edit(&view, cmd);
                if let Some(seq) = seq {
                    self.pay_ack(&view, seq);
                }
            }
            Notification::Plugin => {
                tracing::info!("plugin command ignored: no plugins in symphony-editor")
            }
            Notification::Recover { view, action, into } => {
                self.recover(&view, action, into.as_deref())
            }
            Notification::Reload(view) => self.reload_view(&view),
        }
    }

    /// The edit `seq` of `view` is being processed: the view's next `update` says so.
    fn owe_ack(&mut self, view: &str, seq: u64) {
        if let Some(v) = self.views.get_mut(view) {
            v.ack = Some(seq);
        }
    }

    /// After the edit `seq`: when no `update` carried its acknowledgement (the view is
    /// gone), it goes alone as `symphony.ack`.
    fn pay_ack(&mut self, view: &str, seq: u64) {
        let owed = match self.views.get_mut(view) {
            Some(v) => v.ack.take().is_some(),
            None => true,
        };
        if owed {
            self.notify(ClientNotification::SymphonyAck(
                symphony_protocol::xi::symphony::Ack { seq },
            ));
        }
    }

    fn languages(&self) -> Vec<String> {
        self.services
            .highlighting
            .as_ref()
            .map(|h| h.languages())
            .unwrap_or_default()
    }

    fn themes(&self) -> Vec<String> {
        match self.services.highlighting.as_ref() {
            Some(h) => {
                let mut t = h.themes();
                t.sort();
                t
            }
            None => FALLBACK_THEMES.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn set_theme(&mut self, name: &str) {
        if !self.themes().iter().any(|t| t == name) {
            tracing::warn!("unknown theme {name:?}");
            return;
        }
        self.theme = name.to_string();
        self.notify(ClientNotification::ThemeChanged {
            name: name.to_string(),
            theme: self.theme_settings(name),
        });
        let ids: Vec<u64> = self.buffers.keys().copied().collect();
        for bid in ids {
            self.request_highlight(bid, None);
        }
    }

    /// The theme's settings; every field `null` without highlighting (as upstream's default).
    fn theme_settings(&self, name: &str) -> ThemeSettings {
        self.services
            .highlighting
            .as_ref()
            .and_then(|h| h.theme_settings(name))
            .unwrap_or_default()
    }

    fn language_for(&self, path: Option<&Path>, text: &Rope) -> String {
        match self.services.highlighting.as_ref() {
            Some(h) => {
                let end = text
                    .at_or_prev_codepoint_boundary(text.len().min(1024))
                    .unwrap_or(0);
                let head = text.slice_to_cow(0..end);
                let first = head.lines().next().unwrap_or("");
                h.language_for(path, first)
            }
            None => "Plain Text".into(),
        }
    }

    fn new_view(&mut self, id: u64, path: Option<PathBuf>) {
        let existing = path.as_ref().and_then(|p| {
            self.buffers
                .iter()
                .find(|(_, b)| b.file.path.as_deref() == Some(p.as_path()))
                .map(|(k, _)| *k)
        });
        let (buffer_id, recovery) = match existing {
            Some(b) => (b, None),
            None => {
                if let Some(p) = path.as_deref() {
                    match files::read_prefix_with_patience(p) {
                        Ok(Some(prefix)) => {
                            self.new_view_progressive(id, p, prefix);
                            return;
                        }
                        Ok(None) => {}
                        Err(msg) => {
                            self.notify(ClientNotification::Alert { msg: msg.clone() });
                            self.send_error(id, -32000, msg);
                            return;
                        }
                    }
                }
                match self.open_buffer(path.as_deref()) {
                    Ok(r) => r,
                    Err(msg) => {
                        self.notify(ClientNotification::Alert { msg: msg.clone() });
                        self.send_error(id, -32000, msg);
                        return;
                    }
                }
            }
        };
        let Some(view_id) = self.attach_view(id, buffer_id) else {
            return;
        };
        if let Some(r) = recovery {
            self.notify(r.into_notification(view_id));
        }
        if existing.is_none() {
            self.request_highlight(buffer_id, None);
            self.lsp_open(buffer_id);
        }
    }

    /// Makes a view on `buffer_id`: the response, then available_plugins, config_changed,
    /// language_changed, update and scroll_to, as upstream.
    fn attach_view(&mut self, id: u64, buffer_id: u64) -> Option<String> {
        let view_id = format!("view-id-{}", self.next_view);
        self.next_view += 1;
        let b = self.buffers.get_mut(&buffer_id)?;
        b.views.push(view_id.clone());
        let view = View::new(view_id.clone(), buffer_id, b.buffer.text());
        let language = b.language.clone();
        self.views.insert(view_id.clone(), view);
        self.send(RpcMessage::response(id, Value::String(view_id.clone())).to_value());
        self.notify(ClientNotification::AvailablePlugins {
            view_id: view_id.clone(),
            plugins: Vec::new(),
        });
        let cfg = self.config.effective(buffer_id, &language);
        self.notify(ClientNotification::ConfigChanged {
            view_id: view_id.clone(),
            changes: cfg,
        });
        self.notify(ClientNotification::LanguageChanged {
            view_id: view_id.clone(),
            language_id: language.to_string(),
        });
        self.render_view(&view_id);
        Some(view_id)
    }

    /// Renders one view (update + scroll_to when owed).
    fn render_view(&mut self, view_id: &str) {
        let Some(view) = self.views.get_mut(view_id) else {
            return;
        };
        let Some(b) = self.buffers.get(&view.buffer) else {
            return;
        };
        let msgs = view_update::render(view, b.buffer.text(), b.buffer.is_pristine(), &b.styles);
        self.send_all(msgs);
    }

    fn close_view(&mut self, view_id: &str) {
        let Some(view) = self.views.remove(view_id) else {
            return;
        };
        let bid = view.buffer;
        let empty = match self.buffers.get_mut(&bid) {
            Some(b) => {
                b.views.retain(|v| v != view_id);
                b.views.is_empty()
            }
            None => false,
        };
        if empty {
            self.lsp_close(bid);
            if let Some(b) = self.buffers.remove(&bid) {
                if let Some(h) = self.services.highlighter.as_ref() {
                    h.forget(bid);
                }
                if let (Some(w), Some(p)) = (self.services.watcher.as_mut(), b.file.path.as_deref())
                {
                    w.unwatch(p);
                }
                b.file.close();
            }
            self.config.forget(bid);
        }
    }

    fn modify_config(&mut self, domain: &Domain, changes: &config::Table) {
        let target = match domain {
            Domain::UserOverride(v) => self.views.get(v).map(|v| v.buffer),
            _ => None,
        };
        let before: Vec<(String, config::Table)> = self
            .views
            .iter()
            .filter_map(|(id, v)| {
                let b = self.buffers.get(&v.buffer)?;
                Some((id.clone(), self.config.effective(v.buffer, &b.language)))
            })
            .collect();
        self.config.modify(domain, target, changes);
        for (view_id, old) in before {
            let Some(new) = self.view_config(&view_id) else {
                continue;
            };
            let d = config::diff(&old, &new);
            if d.is_empty() {
                continue;
            }
            self.notify(ClientNotification::ConfigChanged {
                view_id: view_id.clone(),
                changes: d,
            });
            self.render_view(&view_id);
        }
    }

    fn set_language(&mut self, view_id: &str, language: &str) {
        let Some(bid) = self.views.get(view_id).map(|v| v.buffer) else {
            return;
        };
        let Some(b) = self.buffers.get_mut(&bid) else {
            return;
        };
        b.language = language.to_string();
        b.styles.clear();
        let views = b.views.clone();
        self.request_highlight(bid, None);
        self.lsp_language_changed(bid);
        for v in views {
            if let (Some(view), Some(b)) = (self.views.get_mut(&v), self.buffers.get(&bid)) {
                view.set_dirty(b.buffer.text());
            }
            self.notify(ClientNotification::LanguageChanged {
                view_id: v.clone(),
                language_id: language.to_string(),
            });
            self.render_view(&v);
        }
    }

    /// Number of open views (for tests and diagnostics).
    pub fn view_count(&self) -> usize {
        self.views.len()
    }

    /// The text of a view's buffer.
    pub fn text_of(&self, view: &str) -> Option<&Rope> {
        self.buffer_of(view).map(|b| b.buffer.text())
    }
}
