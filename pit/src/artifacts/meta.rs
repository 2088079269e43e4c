//! Artifact metadata (kind, media type, producer, parents, tags, quality, pin) and what a
//! caller gives when storing an artifact.

use serde::{Deserialize, Serialize};

use super::id::ArtifactId;
use super::quality::QualitySignals;

/// Who produced an artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Producer {
    /// Workflow name.
    pub workflow: Option<String>,
    /// Node id inside the workflow.
    pub node: Option<String>,
    /// Instrument (model backend).
    pub instrument: Option<String>,
}

/// Everything the store knows about an artifact, kept as JSON beside its object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Content hash.
    pub id: ArtifactId,
    /// What it is ("prompt", "response", "diff", "context", …).
    pub kind: String,
    /// Media type ("text/plain", "application/json", …).
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Producer.
    #[serde(default)]
    pub producer: Producer,
    /// Hash of the prompt it answers, if any.
    #[serde(default)]
    pub prompt_hash: Option<String>,
    /// Artifacts it was derived from.
    #[serde(default)]
    pub parents: Vec<ArtifactId>,
    /// Free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Quality score in 0..=1 (see [`QualitySignals::score`]).
    pub quality: f32,
    /// Signals behind the score.
    #[serde(default)]
    pub signals: QualitySignals,
    /// Pinned artifacts are kept by retention policies.
    #[serde(default)]
    pub pinned: bool,
    /// How many times the same bytes were put (1 = stored once, never deduplicated).
    #[serde(default = "one")]
    pub puts: u64,
}

fn one() -> u64 {
    1
}

impl Metadata {
    /// True for media types whose content is indexed and diffable as text.
    pub fn is_text(&self) -> bool {
        is_text_media(&self.media_type)
    }
}

pub(crate) fn is_text_media(m: &str) -> bool {
    m.starts_with("text/")
        || matches!(
            m,
            "application/json" | "application/toml" | "application/x-diff" | "application/xml"
        )
}

/// What the caller says about an artifact being stored.
///
/// ```
/// use symphony_pit::artifacts::NewArtifact;
/// let n = NewArtifact::new("response", "text/plain").tag("rust").workflow("explain").node("answer");
/// assert_eq!(n.tags, ["rust"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct NewArtifact {
    /// Kind.
    pub kind: String,
    /// Media type.
    pub media_type: String,
    /// Producer.
    pub producer: Producer,
    /// Prompt hash.
    pub prompt_hash: Option<String>,
    /// Parents.
    pub parents: Vec<ArtifactId>,
    /// Tags.
    pub tags: Vec<String>,
    /// Pinned.
    pub pinned: bool,
    /// Creation time override (ms since the epoch); now when `None`.
    pub created_ms: Option<i64>,
}

impl NewArtifact {
    /// An artifact of `kind` with `media_type`.
    pub fn new(kind: impl Into<String>, media_type: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            media_type: media_type.into(),
            ..Self::default()
        }
    }

    /// Adds a tag.
    pub fn tag(mut self, t: impl Into<String>) -> Self {
        self.tags.push(t.into());
        self
    }

    /// Sets the producing workflow.
    pub fn workflow(mut self, w: impl Into<String>) -> Self {
        self.producer.workflow = Some(w.into());
        self
    }

    /// Sets the producing node.
    pub fn node(mut self, n: impl Into<String>) -> Self {
        self.producer.node = Some(n.into());
        self
    }

    /// Sets the producing instrument.
    pub fn instrument(mut self, i: impl Into<String>) -> Self {
        self.producer.instrument = Some(i.into());
        self
    }

    /// Sets the prompt hash.
    pub fn prompt_hash(mut self, h: impl Into<String>) -> Self {
        self.prompt_hash = Some(h.into());
        self
    }

    /// Adds a parent.
    pub fn parent(mut self, p: ArtifactId) -> Self {
        self.parents.push(p);
        self
    }

    /// Pins it.
    pub fn pinned(mut self, p: bool) -> Self {
        self.pinned = p;
        self
    }

    /// Sets the creation time (ms since the epoch).
    pub fn created_ms(mut self, t: i64) -> Self {
        self.created_ms = Some(t);
        self
    }

    pub(crate) fn into_metadata(self, id: ArtifactId, size: u64, now_ms: i64) -> Metadata {
        let signals = QualitySignals::default();
        Metadata {
            id,
            kind: self.kind,
            media_type: self.media_type,
            size,
            created_ms: self.created_ms.unwrap_or(now_ms),
            producer: self.producer,
            prompt_hash: self.prompt_hash,
            parents: self.parents,
            tags: self.tags,
            quality: signals.score(),
            signals,
            pinned: self.pinned,
            puts: 1,
        }
    }
}
