//! The Conductor handle: starts runs of AI commands, cancels them, retries nodes, and
//! reports everything as [`crate::events::ConductorEvent`]s.
//!
//! CONTRACT SKELETON (lead): the signatures below are what the terminal client calls;
//! the bodies are being written (workflows helper). Do not change a signature without
//! telling the lead.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::command::{AiCommand, EditorContext};
use crate::events::{ArtifactHit, ConductorEvent, InstrumentStatus, RunId};
use crate::instrument::InstrumentConfig;

/// Why the Conductor could not start or do something.
#[derive(Debug, thiserror::Error)]
pub enum ConductorError {
    /// The artifact store could not be opened.
    #[error("artifact store: {0}")]
    Store(String),
    /// The configuration is invalid (unknown instrument in a workflow, cycle...).
    #[error("configuration: {0}")]
    Config(String),
}

/// Result alias for the Conductor.
pub type Result<T> = std::result::Result<T, ConductorError>;

/// `[[workflows]]` in config.toml (the workflows helper defines the fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowConfig {
    /// Name shown in the palette.
    pub name: String,
}

/// Everything the Conductor needs to start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConductorConfig {
    /// `[[instruments]]`.
    #[serde(default)]
    pub instruments: Vec<InstrumentConfig>,
    /// `[[workflows]]`.
    #[serde(default)]
    pub workflows: Vec<WorkflowConfig>,
    /// The instrument built-in commands use (the first one when unset).
    #[serde(default)]
    pub default_instrument: Option<String>,
    /// Where artifacts live (`$XDG_DATA_HOME/symphony/artifacts` by default; set by the client).
    #[serde(skip)]
    pub store_dir: PathBuf,
}

/// The Conductor. Cheap to clone; every method returns at once (work runs on tokio).
#[derive(Clone)]
pub struct Conductor {
    events: mpsc::UnboundedSender<ConductorEvent>,
}

impl Conductor {
    /// Starts the Conductor inside the current tokio runtime; events arrive on the receiver.
    pub fn start(
        config: ConductorConfig,
    ) -> Result<(Conductor, mpsc::UnboundedReceiver<ConductorEvent>)> {
        let _ = config;
        let (tx, rx) = mpsc::unbounded_channel();
        Ok((Conductor { events: tx }, rx))
    }

    /// Starts a run of `command` over `context`.
    pub fn run(&self, command: AiCommand, context: EditorContext) -> RunId {
        let _ = (command, context);
        let _ = &self.events;
        RunId(0)
    }

    /// Cancels a run (model calls are cancelled for real).
    pub fn cancel(&self, run: RunId) {
        let _ = run;
    }

    /// Retries a failed node of a run (and what depends on it).
    pub fn retry_node(&self, run: RunId, node: &str) {
        let _ = (run, node);
    }

    /// The output of a node (its artifact's text), if it has one.
    pub fn node_output(&self, run: RunId, node: &str) -> Option<String> {
        let _ = (run, node);
        None
    }

    /// Searches the artifact store (tantivy query syntax; `kind:diff`, `tag:x` filters).
    pub fn search_artifacts(&self, query: &str, limit: usize) -> Vec<ArtifactHit> {
        let _ = (query, limit);
        Vec::new()
    }

    /// The text of an artifact.
    pub fn artifact_text(&self, id: &str) -> Option<String> {
        let _ = id;
        None
    }

    /// Pins or unpins an artifact against retention.
    pub fn pin_artifact(&self, id: &str, pinned: bool) {
        let _ = (id, pinned);
    }

    /// Adds a tag to an artifact.
    pub fn tag_artifact(&self, id: &str, tag: &str) {
        let _ = (id, tag);
    }

    /// The pool as the pool pane shows it.
    pub fn pool(&self) -> Vec<InstrumentStatus> {
        Vec::new()
    }

    /// Stored conversations (chat runs), newest first, for reopening.
    pub fn conversations(&self) -> Vec<ArtifactHit> {
        Vec::new()
    }
}
