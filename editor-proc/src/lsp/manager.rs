//! [`Lsp`]: the language servers (one per command and workspace root), the documents open
//! in them, the requests waiting for an answer, restarts with backoff after a crash, and
//! `shutdown`/`exit` when the editor quits. What the client must be told is queued in
//! [`Lsp::outbox`] for the core to send.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use symphony_protocol::xi::lsp::{self as wire, EditSummary, ServerState, StatusParams};
use tokio::sync::mpsc::UnboundedSender;

use super::config::{LspConfig, ServerConfig, find_marked_root, find_program, find_root};
use super::jsonrpc;
use super::position::{Encoding, path_to_uri};
use super::process::{LspEvent, LspEventKind, ServerProcess, send_later};

/// Crashes within [`CRASH_WINDOW`] after which a server is not restarted again.
pub const MAX_RESTARTS: usize = 4;
/// The window in which crashes count towards [`MAX_RESTARTS`].
pub const CRASH_WINDOW: Duration = Duration::from_secs(120);
/// The first restart delay; it doubles with each crash in the window.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// How long a server may take to answer `initialize` before it is killed (and restarted).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(45);
/// How long quitting waits for servers to exit after `shutdown`/`exit`.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

/// One configured server instance.
pub struct Server {
    /// The language it was started for (the first one).
    pub language: String,
    /// How it is run.
    pub cfg: ServerConfig,
    /// Its workspace root.
    pub root: PathBuf,
    /// What the client was last told.
    pub state: ServerState,
    /// The process, while one runs.
    pub process: Option<ServerProcess>,
    /// Counts starts; events of older starts are ignored.
    pub generation: u64,
    /// Next request id.
    pub next_id: u64,
    /// The id of the pending `initialize`.
    pub init_id: Option<u64>,
    /// Its capabilities (from `initialize`).
    pub caps: Value,
    /// The negotiated position encoding.
    pub encoding: Encoding,
    /// Initialized: messages go out at once instead of waiting in `queue`.
    pub ready: bool,
    /// Messages waiting for the end of `initialize`.
    pub queue: Vec<Value>,
    /// Recent crash times.
    pub crashes: Vec<Instant>,
    /// Why it is not running (for `-32803` answers).
    pub why: Option<String>,
    /// Killed for not answering `initialize` in time.
    pub hung: bool,
}

impl Server {
    /// Whether the server advertises `capability` (present and not `false`).
    pub fn supports(&self, capability: &str) -> bool {
        match self.caps.get(capability) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(_) => true,
        }
    }

    /// A display name.
    pub fn name(&self) -> String {
        self.cfg.server_name()
    }
}

/// A document open in a server.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Index of its server.
    pub server: usize,
    /// Its URI.
    pub uri: String,
    /// Its path.
    pub path: PathBuf,
    /// The language (config key).
    pub language: String,
    /// The LSP `languageId`.
    pub language_id: String,
    /// Current version (bumped on every change).
    pub version: i64,
}

/// What an awaited server answer is for.
#[derive(Debug, Clone)]
pub enum PendingKind {
    /// `textDocument/completion`; where the word being completed starts.
    Completion {
        /// Line of the cursor.
        line: usize,
        /// Byte column of the word start.
        start_col: usize,
    },
    /// `completionItem/resolve` of item `index`.
    ResolveCompletion {
        /// Index in the view's last completion.
        index: usize,
    },
    /// `textDocument/hover`.
    Hover,
    /// A goto request.
    Goto,
    /// `textDocument/rename`.
    Rename,
    /// `textDocument/codeAction`.
    CodeActions,
    /// `codeAction/resolve` before applying.
    ResolveCodeAction,
    /// `workspace/executeCommand` of a code action; `base` edits were applied before.
    ExecuteCommand {
        /// Edits already applied from the action's own `edit`.
        base: EditSummary,
    },
    /// Formatting; `then_save` the view to this path afterwards (format on save).
    Format {
        /// Save afterwards.
        then_save: Option<PathBuf>,
    },
    /// `textDocument/signatureHelp` after a trigger character.
    SignatureHelp,
    /// `textDocument/inlineCompletion` at byte offset `caret`.
    InlineCompletion {
        /// The caret's byte offset when it was asked.
        caret: usize,
    },
}

/// A request sent to a server, waiting for its answer.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// The client's request id to answer (None: internal).
    pub client_id: Option<u64>,
    /// The buffer it is about.
    pub bid: u64,
    /// The view it is about.
    pub view: String,
    /// The document version when asked (a different one later means stale).
    pub version: i64,
    /// What it is.
    pub kind: PendingKind,
}

/// The last completion of a view.
#[derive(Debug, Clone)]
pub struct CompletionState {
    /// The server asked.
    pub server: usize,
    /// The raw items.
    pub items: Vec<Value>,
    /// Cursor line.
    pub line: usize,
    /// Byte column of the word start.
    pub start_col: usize,
}

/// Every language server of the editor process.
pub struct Lsp {
    /// Configuration.
    pub config: LspConfig,
    events: UnboundedSender<LspEvent>,
    /// Servers by index (never removed, so indexes stay valid).
    pub servers: Vec<Server>,
    /// Open documents by buffer id.
    pub docs: HashMap<u64, Doc>,
    /// Requests awaiting answers, by (server, id).
    pub pending: HashMap<(usize, u64), PendingRequest>,
    /// The latest raw diagnostics per URI: (server, diagnostics).
    pub diagnostics: BTreeMap<String, (usize, Vec<Value>)>,
    /// Last completion per view.
    pub completions: HashMap<String, CompletionState>,
    /// Last code actions per view: (server, raw actions).
    pub actions: HashMap<String, (usize, Vec<Value>)>,
    /// Edits applied through `workspace/applyEdit` since the last `executeCommand`.
    pub command_edits: EditSummary,
    /// Alerts of applied workspace edits (a failed step, files moved to the trash), sent
    /// after the answer reporting the edit so that the client shows them last.
    pub edit_alerts: Vec<String>,
    /// Client notifications (`{method, params}`) to send.
    pub outbox: Vec<Value>,
    next_timer: u64,
}

impl Lsp {
    /// A manager with no servers running yet; server threads report on `events`.
    pub fn new(config: LspConfig, events: UnboundedSender<LspEvent>) -> Self {
        Lsp {
            config,
            events,
            servers: Vec::new(),
            docs: HashMap::new(),
            pending: HashMap::new(),
            diagnostics: BTreeMap::new(),
            completions: HashMap::new(),
            actions: HashMap::new(),
            command_edits: EditSummary::default(),
            edit_alerts: Vec::new(),
            outbox: Vec::new(),
            next_timer: 0,
        }
    }

    /// The manager with the user's configuration, or None when `SYMPHONY_LSP=off` (tests of
    /// plain xi behaviour, or users who want no language servers).
    pub fn from_env(events: UnboundedSender<LspEvent>) -> Option<Self> {
        if std::env::var("SYMPHONY_LSP").is_ok_and(|v| v == "off" || v == "0") {
            tracing::info!("lsp: language servers are off (SYMPHONY_LSP)");
            return None;
        }
        Some(Self::new(LspConfig::load(), events))
    }

    /// Queues a `symphony.lsp.status` for the client.
    pub fn status(&mut self, idx: usize, state: ServerState, message: Option<String>) {
        let Some(s) = self.servers.get_mut(idx) else {
            return;
        };
        s.state = state;
        let completion_triggers = if state == ServerState::Running {
            s.caps
                .pointer("/completionProvider/triggerCharacters")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let p = StatusParams {
            language: s.language.clone(),
            server: s.name(),
            state,
            message,
            completion_triggers,
        };
        let params = serde_json::to_value(&p).unwrap_or(Value::Null);
        self.outbox
            .push(json!({"method": wire::STATUS, "params": params}));
    }

    /// The server for a file of `language` at `path`, started if needed; Err says why
    /// there is none.
    pub fn server_for(&mut self, language: &str, path: &Path) -> Result<usize, String> {
        let Some(cfg) = self.config.languages.get(language).cloned() else {
            return Err("none configured".into());
        };
        if !cfg.enabled {
            return Err(format!("{} is disabled in config.toml", cfg.server_name()));
        }
        if cfg.require_root_marker && find_marked_root(path, &cfg.root_markers).is_none() {
            return Err(format!(
                "{} needs one of {} above the file",
                cfg.server_name(),
                cfg.root_markers.join(", ")
            ));
        }
        let root = find_root(path, &cfg.root_markers);
        if let Some(i) = self
            .servers
            .iter()
            .position(|s| s.cfg.command == cfg.command && s.cfg.args == cfg.args && s.root == root)
        {
            return match &self.servers[i].why {
                Some(why) => Err(why.clone()),
                None => Ok(i),
            };
        }
        // a program that is not installed is reported once, not once per workspace
        if let Some(s) = self
            .servers
            .iter()
            .find(|s| s.cfg.command == cfg.command && s.state == ServerState::NotInstalled)
        {
            return Err(s.why.clone().unwrap_or_default());
        }
        let idx = self.servers.len();
        self.servers.push(Server {
            language: language.to_string(),
            cfg,
            root,
            state: ServerState::Stopped,
            process: None,
            generation: 0,
            next_id: 1,
            init_id: None,
            caps: Value::Null,
            encoding: Encoding::Utf16,
            ready: false,
            queue: Vec::new(),
            crashes: Vec::new(),
            why: None,
            hung: false,
        });
        self.start(idx);
        match &self.servers[idx].why {
            Some(why) => Err(why.clone()),
            None => Ok(idx),
        }
    }

    /// Starts (or restarts) server `idx` and sends `initialize`.
    pub fn start(&mut self, idx: usize) {
        let events = self.events.clone();
        let Some(s) = self.servers.get_mut(idx) else {
            return;
        };
        let Some(program) = find_program(&s.cfg.command, &self.config.search_path) else {
            let name = s.name();
            let why = format!(
                "{name} is not installed (command `{}` not found on PATH{}); set [lsp.{}] command, or [lsp] path = [\"<folder>\"], in config.toml",
                s.cfg.command,
                if self.config.search_path.is_empty() {
                    ""
                } else {
                    " or in [lsp] path"
                },
                s.language
            );
            s.why = Some(why.clone());
            self.status(idx, ServerState::NotInstalled, Some(why));
            return;
        };
        s.generation += 1;
        s.ready = false;
        s.queue.clear();
        s.caps = Value::Null;
        // Until it answers `initialize`, requests are built in the default encoding.
        s.encoding = Encoding::default();
        match ServerProcess::spawn(&program, &s.cfg.args, &s.root, events, idx, s.generation) {
            Ok(p) => {
                tracing::info!(
                    "lsp: started {} (pid {}) in {}",
                    program.display(),
                    p.pid(),
                    s.root.display()
                );
                let id = s.next_id;
                s.next_id += 1;
                s.init_id = Some(id);
                p.send(jsonrpc::request(id, "initialize", initialize_params(s)));
                s.process = Some(p);
                s.why = None;
                s.hung = false;
                let generation = s.generation;
                send_later(
                    &self.events,
                    INIT_TIMEOUT,
                    idx,
                    generation,
                    LspEventKind::InitTimeout,
                );
                self.status(idx, ServerState::Starting, None);
            }
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    format!("{} is not installed ({e})", s.name())
                } else {
                    format!("{} could not start: {e}", s.name())
                };
                let state = if e.kind() == std::io::ErrorKind::NotFound {
                    ServerState::NotInstalled
                } else {
                    ServerState::Failed
                };
                s.why = Some(why.clone());
                self.status(idx, state, Some(why));
            }
        }
    }

    /// The answer to `initialize` arrived: capabilities, encoding, `initialized`. The caller
    /// then opens the documents and calls [`Lsp::flush_queue`].
    pub fn initialized(&mut self, idx: usize, result: Result<Value, Value>) {
        let Some(s) = self.servers.get_mut(idx) else {
            return;
        };
        s.init_id = None;
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                let why = format!("{} failed to initialize: {e}", s.name());
                s.why = Some(why.clone());
                if let Some(p) = s.process.take() {
                    p.kill();
                }
                self.status(idx, ServerState::Failed, Some(why));
                return;
            }
        };
        s.caps = result.get("capabilities").cloned().unwrap_or(Value::Null);
        s.encoding = s
            .caps
            .get("positionEncoding")
            .or_else(|| result.get("offsetEncoding"))
            .and_then(Value::as_str)
            .and_then(Encoding::from_lsp)
            .unwrap_or_default();
        s.ready = true;
        let mut out = vec![jsonrpc::notification("initialized", json!({}))];
        if let Some(settings) = &s.cfg.settings {
            out.push(jsonrpc::notification(
                "workspace/didChangeConfiguration",
                json!({"settings": settings}),
            ));
        }
        if let Some(p) = &s.process {
            for m in out {
                p.send(m);
            }
        }
        tracing::info!("lsp: {} ready, {:?} positions", s.name(), s.encoding);
        self.status(idx, ServerState::Running, None);
    }

    /// Sends the messages queued while server `idx` was starting (after the documents were
    /// opened in it).
    pub fn flush_queue(&mut self, idx: usize) {
        let Some(s) = self.servers.get_mut(idx) else {
            return;
        };
        let queued = std::mem::take(&mut s.queue);
        if let Some(p) = &s.process {
            for m in queued {
                p.send(m);
            }
        }
    }

    /// Sends a message to server `idx` at once, initialized or not (answers to its requests).
    pub fn send_now(&mut self, idx: usize, msg: Value) {
        if let Some(p) = self.servers.get(idx).and_then(|s| s.process.as_ref()) {
            p.send(msg);
        }
    }

    /// Whether server `idx` is initialized.
    pub fn is_ready(&self, idx: usize) -> bool {
        self.servers
            .get(idx)
            .is_some_and(|s| s.ready && s.process.is_some())
    }

    /// Sends (or queues until initialized) a message to server `idx`.
    pub fn send(&mut self, idx: usize, msg: Value) {
        let Some(s) = self.servers.get_mut(idx) else {
            return;
        };
        match (&s.process, s.ready) {
            (Some(p), true) => p.send(msg),
            (Some(_), false) => s.queue.push(msg),
            (None, _) => {}
        }
    }

    /// Sends request `method` to server `idx`, remembering `pending`; returns its id.
    pub fn request(
        &mut self,
        idx: usize,
        method: &str,
        params: Value,
        pending: PendingRequest,
    ) -> Option<u64> {
        let s = self.servers.get_mut(idx)?;
        s.process.as_ref()?;
        let id = s.next_id;
        s.next_id += 1;
        self.pending.insert((idx, id), pending);
        self.send(idx, jsonrpc::request(id, method, params));
        Some(id)
    }

    /// Server `idx`'s process ended. Returns the requests that will never be answered.
    /// Unless quitting, schedules a restart with backoff, or gives up after too many crashes.
    pub fn exited(&mut self, idx: usize, code: Option<i32>) -> Vec<PendingRequest> {
        let lost: Vec<(usize, u64)> = self
            .pending
            .keys()
            .filter(|(s, _)| *s == idx)
            .copied()
            .collect();
        let lost = lost
            .into_iter()
            .filter_map(|k| self.pending.remove(&k))
            .collect();
        let events = self.events.clone();
        let Some(s) = self.servers.get_mut(idx) else {
            return lost;
        };
        s.process = None;
        s.ready = false;
        s.init_id = None;
        if matches!(s.state, ServerState::Stopped | ServerState::Failed) {
            return lost;
        }
        let how = match code {
            _ if s.hung => format!(
                "did not answer `initialize` within {} s",
                INIT_TIMEOUT.as_secs()
            ),
            Some(c) => format!("exited with code {c}"),
            None => "was killed".to_string(),
        };
        let now = Instant::now();
        s.crashes.retain(|t| now.duration_since(*t) < CRASH_WINDOW);
        s.crashes.push(now);
        let n = s.crashes.len();
        let name = s.name();
        if n > MAX_RESTARTS {
            let why = format!(
                "{name} {how}; it crashed {n} times in {} s: not restarting it",
                CRASH_WINDOW.as_secs()
            );
            s.why = Some(why.clone());
            self.status(idx, ServerState::Failed, Some(why));
            return lost;
        }
        let delay = FIRST_BACKOFF * 2u32.pow((n - 1) as u32);
        let generation = s.generation;
        tracing::warn!("lsp: {name} {how}; restarting in {delay:?}");
        send_later(&events, delay, idx, generation, LspEventKind::RestartDue);
        self.status(
            idx,
            ServerState::Restarting,
            Some(format!(
                "{name} {how}; restarting in {} ms (attempt {n} of {MAX_RESTARTS})",
                delay.as_millis()
            )),
        );
        lost
    }

    /// The `initialize` time of server `idx` ran out: kill it if it has not answered (its
    /// exit then restarts it, or gives up).
    pub fn init_timeout(&mut self, idx: usize) {
        if let Some(s) = self.servers.get_mut(idx)
            && !s.ready
            && let Some(p) = &s.process
        {
            tracing::warn!("lsp: {} did not answer initialize; killing it", s.name());
            s.hung = true;
            p.kill();
        }
    }

    /// A fresh timer id; [`LspEventKind::Timer`] with it arrives after `delay`.
    pub fn timer(&mut self, idx: usize, delay: Duration) -> u64 {
        self.next_timer += 1;
        let generation = self.servers.get(idx).map(|s| s.generation).unwrap_or(0);
        send_later(
            &self.events,
            delay,
            idx,
            generation,
            LspEventKind::Timer(self.next_timer),
        );
        self.next_timer
    }

    /// Sends `shutdown` and `exit` to every running server and waits (bounded) for them.
    pub fn shutdown_all(&mut self) {
        let running: Vec<usize> = (0..self.servers.len())
            .filter(|&i| self.servers[i].process.is_some())
            .collect();
        for &i in &running {
            let s = &mut self.servers[i];
            s.state = ServerState::Stopped;
            let id = s.next_id;
            s.next_id += 1;
            if let Some(p) = &s.process {
                if s.ready {
                    p.send(jsonrpc::request(id, "shutdown", Value::Null));
                }
                p.send(jsonrpc::notification("exit", Value::Null));
            }
        }
        let until = Instant::now() + SHUTDOWN_WAIT;
        for &i in &running {
            if let Some(p) = &self.servers[i].process {
                p.wait_or_kill(until.saturating_duration_since(Instant::now()));
            }
        }
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        self.shutdown_all();
    }
}

/// The `initialize` params: the capabilities this client implements.
fn initialize_params(s: &Server) -> Value {
    let root_uri = path_to_uri(&s.root);
    let name = s
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "/".into());
    let links = json!({"dynamicRegistration": false, "linkSupport": true});
    json!({
        "processId": std::process::id(),
        "clientInfo": {"name": "symphony", "version": env!("CARGO_PKG_VERSION")},
        "rootUri": root_uri,
        "rootPath": s.root.to_string_lossy(),
        "workspaceFolders": [{"uri": root_uri, "name": name}],
        "initializationOptions": s.cfg.initialization_options.clone().unwrap_or(Value::Null),
        "capabilities": {
            "general": {"positionEncodings": ["utf-8", "utf-16"]},
            "offsetEncoding": ["utf-8", "utf-16"],
            "workspace": {
                "applyEdit": true,
                "workspaceEdit": {"documentChanges": true,
                    "resourceOperations": ["create", "rename", "delete"],
                    "failureHandling": "abort"},
                "configuration": true,
                "workspaceFolders": true,
                "didChangeConfiguration": {"dynamicRegistration": false},
                "executeCommand": {"dynamicRegistration": false},
            },
            "textDocument": {
                "synchronization": {"dynamicRegistration": false, "didSave": true,
                    "willSave": false, "willSaveWaitUntil": false},
                "publishDiagnostics": {"relatedInformation": false, "versionSupport": false},
                "completion": {
                    "dynamicRegistration": false,
                    "completionItem": {
                        "snippetSupport": true,
                        "documentationFormat": ["markdown", "plaintext"],
                        "resolveSupport": {"properties": ["documentation", "detail",
                            "additionalTextEdits"]},
                        "insertReplaceSupport": false,
                    },
                    "contextSupport": false,
                },
                "hover": {"dynamicRegistration": false, "contentFormat": ["markdown", "plaintext"]},
                "signatureHelp": {"dynamicRegistration": false, "signatureInformation": {
                    "documentationFormat": ["markdown", "plaintext"],
                    "parameterInformation": {"labelOffsetSupport": true},
                    "activeParameterSupport": true,
                }},
                "definition": links,
                "declaration": links,
                "typeDefinition": links,
                "implementation": links,
                "references": {"dynamicRegistration": false},
                "rename": {"dynamicRegistration": false, "prepareSupport": false},
                "codeAction": {
                    "dynamicRegistration": false,
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                        "", "quickfix", "refactor", "refactor.extract", "refactor.inline",
                        "refactor.rewrite", "source", "source.organizeImports"]}},
                    "resolveSupport": {"properties": ["edit"]},
                    "dataSupport": true,
                },
                "formatting": {"dynamicRegistration": false},
                "rangeFormatting": {"dynamicRegistration": false},
                "inlineCompletion": {"dynamicRegistration": false},
            },
            "window": {"workDoneProgress": false, "showMessage": {}},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(toml: &str) -> Lsp {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        Lsp::new(LspConfig::from_toml(toml).expect("config"), tx)
    }

    #[test]
    fn a_missing_program_is_reported_once_across_workspaces() {
        let mut lsp = manager("[lsp.python]\ncommand = \"symphony-test-no-such-program\"\n");
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        let e1 = lsp.server_for("python", &a.path().join("x.py"));
        assert!(e1.is_err_and(|w| w.contains("not installed")));
        let e2 = lsp.server_for("python", &b.path().join("y.py"));
        assert!(e2.is_err());
        assert_eq!(lsp.outbox.len(), 1, "{:?}", lsp.outbox);
        assert_eq!(lsp.outbox[0]["params"]["state"], "not_installed");
        assert_eq!(
            lsp.server_for("cobol", &a.path().join("z.cob")),
            Err("none configured".into())
        );
    }

    #[test]
    fn rust_analyzer_starts_only_inside_a_cargo_workspace() {
        let mut lsp = manager("");
        let dir = tempfile::tempdir().expect("tempdir");
        let r = lsp.server_for("rust", &dir.path().join("main.rs"));
        assert!(r.is_err_and(|w| w.contains("Cargo.toml")));
        assert!(lsp.servers.is_empty() && lsp.outbox.is_empty());
    }
}
