//! What retention rules look at: an artifact's retention-relevant facts, and the set
//! of artifacts referenced by live sessions and workflows.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The facts about one artifact that retention depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionSubject {
    /// The artifact's id (for the Artifact Store: its BLAKE3 hex digest).
    pub id: String,
    /// Its kind (prompt, completion, diff, log...).
    pub kind: String,
    /// Bytes it occupies.
    pub size: u64,
    /// Creation time, seconds since the Unix epoch.
    pub created: u64,
    /// Quality score in 0..=1, if one was computed.
    pub quality: Option<f64>,
    /// Tags given by the user or a workflow.
    pub tags: Vec<String>,
    /// Pinned by the user.
    pub pinned: bool,
}

impl RetentionSubject {
    /// An untagged, unpinned, unscored subject.
    pub fn new(id: impl Into<String>, kind: impl Into<String>, size: u64, created: u64) -> Self {
        RetentionSubject {
            id: id.into(),
            kind: kind.into(),
            size,
            created,
            quality: None,
            tags: Vec::new(),
            pinned: false,
        }
    }

    /// Sets the quality score.
    pub fn quality(mut self, q: f64) -> Self {
        self.quality = Some(q);
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Pins it.
    pub fn pinned(mut self) -> Self {
        self.pinned = true;
        self
    }
}

/// Something alive that holds an artifact.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// An editor session (open buffers, chat history).
    Session(String),
    /// A workflow run (inputs, checkpoints).
    Workflow(String),
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Session(s) => write!(f, "session {s}"),
            Holder::Workflow(w) => write!(f, "workflow {w}"),
        }
    }
}

/// Artifacts referenced by live sessions and workflows. Referenced artifacts are
/// never removed, whatever the policy says.
///
/// ```
/// use symphony_pit::stale::{Holder, LiveRefs};
/// let mut refs = LiveRefs::new();
/// refs.add("abc", Holder::Workflow("run-7".into()));
/// assert!(refs.is_referenced("abc"));
/// refs.release(&Holder::Workflow("run-7".into()));
/// assert!(!refs.is_referenced("abc"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LiveRefs {
    holders: HashMap<String, Vec<Holder>>,
}

impl LiveRefs {
    /// Nothing referenced.
    pub fn new() -> LiveRefs {
        LiveRefs::default()
    }

    /// Records that `holder` references `id`.
    pub fn add(&mut self, id: impl Into<String>, holder: Holder) {
        let list = self.holders.entry(id.into()).or_default();
        if !list.contains(&holder) {
            list.push(holder);
        }
    }

    /// Forgets every reference held by `holder` (the session closed, the run ended).
    pub fn release(&mut self, holder: &Holder) {
        self.holders.retain(|_, hs| {
            hs.retain(|h| h != holder);
            !hs.is_empty()
        });
    }

    /// Whether anything alive references `id`.
    pub fn is_referenced(&self, id: &str) -> bool {
        self.holders.contains_key(id)
    }

    /// Who references `id`.
    pub fn holders(&self, id: &str) -> &[Holder] {
        self.holders.get(id).map(Vec::as_slice).unwrap_or(&[])
    }
}
