//! [`MotifClient`]: asks a running motif extension for its view.

use std::time::Duration;

use crossterm::event::KeyEvent;
use symphony_extensions::ExtensionHandle;
use symphony_extensions::view::View;

use super::{MotifRequest, key_name};

/// A started motif extension.
#[derive(Debug, Clone)]
pub struct MotifClient {
    handle: ExtensionHandle,
}

impl MotifClient {
    /// A client of a started motif.
    pub fn new(handle: ExtensionHandle) -> Self {
        MotifClient { handle }
    }

    /// The extension behind it.
    pub fn handle(&self) -> &ExtensionHandle {
        &self.handle
    }

    /// Waits until the motif runs (at most `timeout`).
    pub async fn ready(&self, timeout: Duration) -> Result<(), String> {
        self.handle.wait_active(timeout).await
    }

    /// Sends `request` and reads the view it answers.
    pub async fn send(&self, request: MotifRequest) -> Result<View, String> {
        let (method, params) = request;
        let v = self
            .handle
            .request(method, params)
            .await
            .map_err(|e| e.to_string())?;
        serde_json::from_value(v).map_err(|e| format!("{}: bad view: {e}", self.handle.id()))
    }

    /// The motif's current view.
    pub async fn render(&self) -> Result<View, String> {
        self.send(("render", serde_json::json!({}))).await
    }

    /// Sends a key (see [`key_name`]); the view it answers.
    pub async fn key(&self, key: &KeyEvent) -> Result<View, String> {
        let name = key_name(key).ok_or("key without a name")?;
        self.send(("key", serde_json::json!({ "key": name }))).await
    }
}
