//! Motif panes: a motif extension sends a small declarative
//! [`View`](symphony_extensions::view::View) (styled lines, lists, gauges, sparklines,
//! key hints) that the client draws ([`draw`]); while its pane has the focus, keys
//! go to the extension as `key {key}` requests and the view it answers replaces the
//! old one ([`MotifPane::key_request`], [`MotifClient`]).
//!
//! [`services`]: the host services (buffers, clipboard, notifications) the client
//! serves to every extension, permission-checked by the host before they arrive.
//! [`runtime`]: the extension manager of a session, the motif panes' clients, the
//! permission prompt ([`crate::grant`]) and the catalog of instrument and operator
//! extensions handed to the Conductor.
//! [`trust`]: workspace trust (a workspace's own extensions are inert until trusted).

mod client;
pub mod draw;
mod keys;
pub mod runtime;
pub mod services;
pub mod trust;

pub use client::MotifClient;
pub use draw::draw;
pub use keys::key_name;
pub use runtime::{
    ExtensionKey, MotifEvent, MotifState, RescanFrom, Rescanned, apply, apply_rescan,
    conductor_setup, discover_in, draw_prompt, fingerprint, on_event, pane_closed, read_rescan,
    rescan, rescan_from, route_key, start, start_conductor, start_with,
};

use symphony_extensions::view::View;

/// The state of one motif pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MotifPane {
    /// The extension's id.
    pub ext_id: String,
    /// The last view it sent (empty until the first `render` answer).
    pub view: View,
    /// Why the last request failed (shown instead of stale content's hints).
    pub error: Option<String>,
    /// A request is on its way (shown in the title).
    pub waiting: bool,
}

/// A request for the motif: `(method, params)`.
pub type MotifRequest = (&'static str, serde_json::Value);

impl MotifPane {
    /// A pane for extension `ext_id`, waiting for its first view.
    pub fn new(ext_id: impl Into<String>) -> Self {
        MotifPane {
            ext_id: ext_id.into(),
            waiting: true,
            ..Default::default()
        }
    }

    /// The request that asks for the first view.
    pub fn render_request(&self) -> MotifRequest {
        ("render", serde_json::json!({}))
    }

    /// What a key pressed while the pane has the focus sends: `key {key}` with the
    /// key's name (`r`, `enter`, `ctrl-r`, `up`...); `None` for keys without a name.
    /// Marks the pane as waiting.
    pub fn key_request(&mut self, name: &str) -> MotifRequest {
        self.waiting = true;
        ("key", serde_json::json!({ "key": name }))
    }

    /// Applies the motif's answer (a view, or why there is none).
    pub fn apply(&mut self, answer: Result<View, String>) {
        self.waiting = false;
        match answer {
            Ok(v) => {
                self.view = v;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The title shown in the pane's first line.
    pub fn title(&self) -> String {
        let base = if self.view.title.is_empty() {
            self.ext_id.as_str()
        } else {
            self.view.title.as_str()
        };
        if self.waiting {
            format!("{base} …")
        } else {
            base.to_string()
        }
    }
}
