//! [`OperatorRunner`]: runs one workflow node on an operator extension.
//!
//! The node's inputs (upstream node id -> its text) become the request params
//! `{inputs: {id: text}, text: <the inputs joined by blank lines, in id order>}`
//! merged with the node's own params (the node's params win); the method is one of
//! the extension's capabilities. The reply is the node's output: its `text` field
//! when the reply has one, else the reply itself (a string as is, anything else as
//! pretty JSON).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use symphony_extensions::{ExtensionHandle, HostError, Manifest};
use symphony_protocol::envelope::Priority;

use super::process::{Launcher, Process};

/// Why an operator node failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OperatorError {
    /// The extension does not declare this method among its capabilities.
    #[error("extension {extension} has no capability {method:?} (it offers: {offered})")]
    UnknownCapability {
        /// The extension.
        extension: String,
        /// The method asked for.
        method: String,
        /// What it offers, comma separated.
        offered: String,
    },
    /// No extension with this id is running (not installed, disabled or not granted).
    #[error("operator extension {0} is not available")]
    Unavailable(String),
    /// The extension answered with an error (`permission_denied`...).
    #[error("{extension}: {code}: {message}")]
    Remote {
        /// The extension.
        extension: String,
        /// Its error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The host could not get an answer (not running, timed out, exited).
    #[error("{0}")]
    Host(String),
}

/// What an operator node produced.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorOutput {
    /// The reply as the extension sent it.
    pub value: Value,
    /// The text the node passes downstream (see the module doc).
    pub text: String,
}

/// Runs nodes on one operator extension.
#[derive(Debug, Clone)]
pub struct OperatorRunner {
    process: Arc<Process>,
    timeout: Duration,
}

impl OperatorRunner {
    /// A runner for a started operator extension; each node may take 60 s.
    pub fn new(handle: ExtensionHandle) -> Self {
        Self::of(Process::started(handle, None))
    }

    /// A runner for an operator extension that `launcher` starts when a node first
    /// needs it.
    pub fn lazy(manifest: Manifest, launcher: Arc<dyn Launcher>) -> Self {
        Self::of(Process::lazy(manifest, launcher))
    }

    /// A started operator extension that `launcher` starts again should it be
    /// unloaded.
    pub fn started(handle: ExtensionHandle, launcher: Arc<dyn Launcher>) -> Self {
        Self::of(Process::started(handle, Some(launcher)))
    }

    fn of(process: Process) -> Self {
        OperatorRunner {
            process: Arc::new(process),
            timeout: Duration::from_secs(60),
        }
    }

    /// The longest one node may take (the extension is restarted past it).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The extension's id.
    pub fn id(&self) -> &str {
        self.process.id()
    }

    /// The methods it offers (its manifest's capabilities).
    pub fn capabilities(&self) -> &[String] {
        &self.process.manifest().capabilities
    }

    /// The extension behind it, once started.
    pub fn handle(&self) -> Option<ExtensionHandle> {
        self.process.handle()
    }

    /// Whether its process runs now.
    pub fn is_running(&self) -> bool {
        self.process.is_active()
    }

    pub(crate) fn process(&self) -> &Arc<Process> {
        &self.process
    }

    /// Runs `method` (the first capability when `None`) with the node's `inputs` and
    /// `params`.
    pub async fn run(
        &self,
        method: Option<&str>,
        inputs: &BTreeMap<String, String>,
        params: &Value,
    ) -> super::Result<OperatorOutput> {
        let caps = self.capabilities();
        let method = match method {
            Some(m) => m,
            None => caps.first().map(String::as_str).unwrap_or_default(),
        };
        if !caps.iter().any(|c| c == method) {
            return Err(OperatorError::UnknownCapability {
                extension: self.id().to_string(),
                method: method.to_string(),
                offered: caps.join(", "),
            });
        }
        let mut p = Map::new();
        let joined: Vec<&str> = inputs.values().map(String::as_str).collect();
        p.insert("text".into(), Value::String(joined.join("\n\n")));
        p.insert(
            "inputs".into(),
            Value::Object(
                inputs
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        if let Value::Object(own) = params {
            p.extend(own.clone());
        }
        let handle = self.process.ensure().await.map_err(OperatorError::Host)?;
        let reply = handle
            .request_with(method, Value::Object(p), Priority::Normal, self.timeout)
            .await
            .map_err(|e| match e {
                HostError::Remote { code, message } => OperatorError::Remote {
                    extension: self.id().to_string(),
                    code,
                    message,
                },
                other => OperatorError::Host(other.to_string()),
            })?;
        let text = match &reply {
            Value::String(s) => s.clone(),
            v => match v.get("text").and_then(Value::as_str) {
                Some(t) => t.to_string(),
                None => serde_json::to_string_pretty(v).unwrap_or_default(),
            },
        };
        Ok(OperatorOutput { value: reply, text })
    }
}
