//! The host services the client gives extensions: editor buffers, the clipboard and
//! notifications, served from the client's state and its editor session.
//!
//! The extension host checks every request against the extension's grant first (a
//! refusal is an error reply `permission_denied`, counted and logged there); what
//! passes arrives here. [`ClientServices`] hands `host.read_buffer`,
//! `host.edit_buffer` (alias `host.edit`), `host.clipboard_get`,
//! `host.clipboard_set` and `host.notify` to the client's loop as [`HostCall`]s, which
//! the loop answers with [`answer`] on its [`State`]; files and the rest go to
//! [`DefaultServices`].
//!
//! Params: `buffer` (a view number, or a file path; the focused view when absent).
//! `host.read_buffer` answers `{buffer, path, text, complete, selections}` (`complete`
//! false when the client has not received every line; selections as `[line, col,
//! line, col]`); `host.edit_buffer {text}` inserts `text` at the view's carets
//! (replacing selections); `host.clipboard_set {text}`; `host.notify {message,
//! level}` (`error` shows it as an error).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use symphony_extensions::host::{DefaultServices, HostServices, ServiceFuture};
use symphony_protocol::xi::EditNotification;
use tokio::sync::{mpsc, oneshot};

use crate::app::State;

/// Methods the client's loop answers.
const CLIENT_METHODS: &[&str] = &[
    "host.read_buffer",
    "host.edit_buffer",
    "host.edit",
    "host.clipboard_get",
    "host.clipboard_set",
    "host.notify",
];

/// A permission-checked request of an extension, for the client's loop.
#[derive(Debug)]
pub struct HostCall {
    /// The extension asking.
    pub ext_id: String,
    /// The method (`host.read_buffer`...).
    pub method: String,
    /// Its params.
    pub params: Value,
    reply: oneshot::Sender<Result<Value, String>>,
}

impl HostCall {
    /// Sends the answer back to the extension.
    pub fn reply(self, answer: Result<Value, String>) {
        let _ = self.reply.send(answer);
    }
}

/// Host services backed by the client: see the module doc.
#[derive(Debug, Clone)]
pub struct ClientServices {
    tx: mpsc::UnboundedSender<HostCall>,
    files: DefaultServices,
}

impl ClientServices {
    /// Services for the workspace at `root`; the loop receives the calls it must
    /// answer (with [`answer`]) on the receiver.
    pub fn new(root: impl Into<PathBuf>) -> (Self, mpsc::UnboundedReceiver<HostCall>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let files = DefaultServices::new(root.into());
        (ClientServices { tx, files }, rx)
    }
}

impl HostServices for ClientServices {
    fn call(&self, ext_id: &str, method: &str, params: &Value) -> Result<Value, String> {
        if CLIENT_METHODS.contains(&method) {
            return Err(format!("{method} is answered asynchronously"));
        }
        self.files.call(ext_id, method, params)
    }

    fn call_async(&self, ext_id: &str, method: &str, params: Value) -> ServiceFuture {
        if !CLIENT_METHODS.contains(&method) {
            let answer = self.files.call(ext_id, method, &params);
            return Box::pin(std::future::ready(answer));
        }
        let (reply, rx) = oneshot::channel();
        let call = HostCall {
            ext_id: ext_id.to_string(),
            method: method.to_string(),
            params,
            reply,
        };
        let sent = self.tx.send(call).is_ok();
        Box::pin(async move {
            if !sent {
                return Err("the editor client is gone".to_string());
            }
            rx.await
                .unwrap_or_else(|_| Err("the editor client is gone".to_string()))
        })
    }
}

/// Answers `call` from the client's state (reading the views' line caches, sending
/// edits through the editor port).
pub fn answer(state: &mut State, call: HostCall) {
    let result = serve(state, &call.ext_id, &call.method, &call.params);
    if let Err(e) = &result {
        tracing::info!(ext = %call.ext_id, method = %call.method, error = %e, "extension request failed");
    }
    call.reply(result);
}

fn serve(state: &mut State, ext_id: &str, method: &str, params: &Value) -> Result<Value, String> {
    let text = || params.get("text").and_then(Value::as_str);
    match method {
        "host.read_buffer" => {
            let view = view_of(state, params)?;
            let data = state.views.get(&view).ok_or("no such buffer")?;
            let mut out = String::new();
            let mut complete = true;
            for i in 0..data.cache.len() {
                match data.cache.get(i) {
                    Some(line) => out.push_str(&line.text),
                    None => complete = false,
                }
                if i + 1 < data.cache.len() {
                    out.push('\n');
                }
            }
            Ok(json!({
                "buffer": view,
                "path": data.path,
                "text": out,
                "complete": complete,
                "selections": data.cache.selections(),
            }))
        }
        "host.edit_buffer" | "host.edit" => {
            let view = view_of(state, params)?;
            let chars = text().ok_or("missing `text`")?.to_string();
            state.editor.edit(view, EditNotification::Insert { chars });
            Ok(json!({ "buffer": view }))
        }
        "host.clipboard_get" => Ok(state.clipboard.clone().map_or(Value::Null, Value::String)),
        "host.clipboard_set" => {
            state.clipboard = Some(text().ok_or("missing `text`")?.to_string());
            Ok(Value::Null)
        }
        "host.notify" => {
            let msg = params
                .get("message")
                .and_then(Value::as_str)
                .ok_or("missing `message`")?;
            let shown = format!("{ext_id}: {msg}");
            if params.get("level").and_then(Value::as_str) == Some("error") {
                state.error(shown);
            } else {
                state.say(shown);
            }
            Ok(Value::Null)
        }
        other => Err(format!("{other} is not served by the client")),
    }
}

/// The view a request names: `buffer` as a view number or a path; else the focused
/// view.
fn view_of(state: &State, params: &Value) -> Result<u64, String> {
    match params.get("buffer") {
        None | Some(Value::Null) => state
            .focused_view()
            .ok_or_else(|| "no buffer has the focus".into()),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|v| state.views.contains_key(v))
            .ok_or_else(|| format!("no buffer {n}")),
        Some(Value::String(p)) => {
            let want = Path::new(p);
            let mut ids: Vec<u64> = state
                .views
                .iter()
                .filter(|(_, d)| {
                    d.path
                        .as_deref()
                        .is_some_and(|q| q == want || q.ends_with(want))
                })
                .map(|(id, _)| *id)
                .collect();
            ids.sort_unstable();
            ids.first().copied().ok_or_else(|| format!("no buffer {p}"))
        }
        Some(other) => Err(format!("bad buffer {other}")),
    }
}
