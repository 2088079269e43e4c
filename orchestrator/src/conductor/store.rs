//! The Conductor's view of the Artifact Store: puts tagged by run / node / command with
//! secrets redacted, searches with `kind:` and `tag:` filters, and stored conversations.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use symphony_pit::artifacts::{ArtifactId, ArtifactStore, Metadata, NewArtifact, SearchQuery};

use super::journal::NODE_OUTPUT_KIND;
use crate::events::{ArtifactHit, RunId};
use crate::instrument::ChatMessage;

/// Tag prefix of a conversation's artifacts (`conversation:<id>`).
pub(crate) const CONVERSATION_TAG: &str = "conversation:";

/// A stored chat: its id and messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Conversation {
    pub id: String,
    pub title: String,
    pub messages: Vec<ChatMessage>,
}

/// What a node stores.
pub(crate) struct Put<'a> {
    pub kind: &'a str,
    pub media_type: &'a str,
    pub run: RunId,
    pub node: &'a str,
    pub command: &'a str,
    pub instrument: Option<&'a str>,
    pub extra_tags: Vec<String>,
}

/// The Conductor's artifact store as runs outside the Conductor use it (Symphony's
/// agent): what they store is tagged by run and node like the Conductor's own runs'
/// artifacts, so the artifacts pane finds it. Cheap to clone.
#[derive(Clone)]
pub struct RunArtifacts(pub(crate) std::sync::Arc<Artifacts>);

impl std::fmt::Debug for RunArtifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunArtifacts")
    }
}

impl RunArtifacts {
    /// Stores `text` of `kind` ("prompt", "response", "tool-call", "tool-result") for
    /// `node` of `run` (command `command`); its hit, `None` when the store refused
    /// (logged). Blocking: call it off the async threads.
    pub fn put(
        &self,
        text: &str,
        kind: &str,
        run: RunId,
        node: &str,
        command: &str,
        instrument: Option<&str>,
    ) -> Option<ArtifactHit> {
        self.0.put(
            text,
            Put {
                kind,
                media_type: "text/plain",
                run,
                node,
                command,
                instrument,
                extra_tags: Vec::new(),
            },
        )
    }

    /// Makes what was stored searchable.
    pub fn commit(&self) {
        self.0.commit()
    }

    /// Full-text search, as [`Conductor::search_artifacts`](super::Conductor::search_artifacts).
    pub fn search(&self, query: &str, limit: usize) -> Vec<ArtifactHit> {
        self.0.search(query, limit)
    }

    /// An artifact's text.
    pub fn text(&self, id: &str) -> Option<String> {
        self.0.text(id)
    }
}

/// The artifact store; what it is given passes through the secrets registry first.
pub(crate) struct Artifacts {
    store: ArtifactStore,
}

impl Artifacts {
    pub fn new(store: ArtifactStore) -> Self {
        Self { store }
    }

    /// Replaces every registered secret (API key values) in `text`.
    pub fn redact(&self, text: &str) -> String {
        crate::backends::secret::redact(text).into_owned()
    }

    /// Stores `text` and returns its hit (`None` when the store refused; logged).
    pub fn put(&self, text: &str, put: Put<'_>) -> Option<ArtifactHit> {
        let text = self.redact(text);
        let mut new = NewArtifact::new(put.kind, put.media_type)
            .workflow(put.command)
            .node(put.node)
            .tag(format!("run:{}", put.run.0))
            .tag(format!("node:{}", put.node))
            .tag(format!("command:{}", put.command))
            .tag(put.kind);
        if let Some(i) = put.instrument {
            new = new.instrument(i);
        }
        for t in put.extra_tags {
            new = new.tag(t);
        }
        match self.store.put_bytes(text.as_bytes(), new) {
            Ok(out) => {
                let meta = self.store.metadata(&out.id)?;
                Some(hit(&meta, snippet(&text)))
            }
            Err(e) => {
                tracing::warn!(error = %e, kind = put.kind, "artifact not stored");
                None
            }
        }
    }

    /// Makes recent puts searchable.
    pub fn commit(&self) {
        if let Err(e) = self.store.commit_index() {
            tracing::warn!(error = %e, "artifact index commit failed");
        }
    }

    /// Full-text search; `kind:x` and `tag:x` words become filters. Node outputs (kept
    /// for retries after a restart) are left out unless `kind:node-output` asks for them.
    pub fn search(&self, query: &str, limit: usize) -> Vec<ArtifactHit> {
        let mut text = Vec::new();
        let limit = limit.max(1);
        // Room for the node outputs left out below.
        let mut q = SearchQuery::text("").limit(limit.saturating_mul(3));
        let mut kind_asked = false;
        for word in query.split_whitespace() {
            if let Some(k) = word.strip_prefix("kind:") {
                kind_asked = true;
                q = q.kind(k.trim_matches('"'));
            } else if let Some(t) = word.strip_prefix("tag:") {
                q = q.tag(t.trim_matches('"'));
            } else {
                text.push(word);
            }
        }
        q.text = text.join(" ");
        match self.store.search(&q) {
            Ok(hits) => hits
                .into_iter()
                .filter_map(|h| {
                    let meta = self.store.metadata(&h.id)?;
                    Some(hit(&meta, h.snippet))
                })
                .filter(|h| kind_asked || h.kind != NODE_OUTPUT_KIND)
                .take(limit)
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, query, "artifact search failed");
                Vec::new()
            }
        }
    }

    /// The text of an artifact.
    pub fn text(&self, id: &str) -> Option<String> {
        let id: ArtifactId = id.parse().ok()?;
        let bytes = self.store.get_bytes(&id).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn pin(&self, id: &str, pinned: bool) {
        if let Ok(id) = id.parse::<ArtifactId>()
            && let Err(e) = self.store.set_pinned(&id, pinned)
        {
            tracing::warn!(error = %e, "pin failed");
        }
    }

    pub fn tag(&self, id: &str, tag: &str) {
        if let Ok(id) = id.parse::<ArtifactId>()
            && let Err(e) = self.store.add_tags(&id, &[tag])
        {
            tracing::warn!(error = %e, "tag failed");
        }
    }

    /// The latest version of every conversation, newest first.
    pub fn conversations(&self) -> Vec<ArtifactHit> {
        let mut latest: HashMap<String, Metadata> = HashMap::new();
        for m in self.store.list() {
            if m.kind != "conversation" {
                continue;
            }
            let Some(cid) = m
                .tags
                .iter()
                .find_map(|t| t.strip_prefix(CONVERSATION_TAG))
                .map(str::to_owned)
            else {
                continue;
            };
            // `list` is sorted oldest first: later versions replace earlier ones.
            latest.insert(cid, m);
        }
        let mut metas: Vec<Metadata> = latest.into_values().collect();
        metas.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(b.id.cmp(&a.id)));
        metas
            .iter()
            .map(|m| {
                let conv = self
                    .text(&m.id.to_hex())
                    .and_then(|t| serde_json::from_str::<Conversation>(&t).ok());
                let mut h = hit(m, String::new());
                if let Some(c) = conv {
                    h.title = c.title.clone();
                    h.snippet = c
                        .messages
                        .last()
                        .map(|m| snippet(&m.content))
                        .unwrap_or_default();
                }
                h
            })
            .collect()
    }

    /// Loads a conversation by its id or by the id of one of its artifacts.
    pub fn conversation(&self, id: &str) -> Option<Conversation> {
        if let Ok(aid) = id.parse::<ArtifactId>()
            && let Some(text) = self.text(&aid.to_hex())
        {
            return serde_json::from_str(&text).ok();
        }
        let name = format!("{CONVERSATION_TAG}{id}");
        let aid = self.store.resolve(&name, None).ok()?;
        serde_json::from_str(&self.text(&aid.to_hex())?).ok()
    }

    /// Stores a new version of a conversation.
    pub fn save_conversation(&self, conv: &Conversation, run: RunId) -> Option<ArtifactHit> {
        let json = serde_json::to_string_pretty(conv).ok()?;
        let hit = self.put(
            &json,
            Put {
                kind: "conversation",
                media_type: "application/json",
                run,
                node: "model",
                command: "chat",
                instrument: None,
                extra_tags: vec![format!("{CONVERSATION_TAG}{}", conv.id)],
            },
        )?;
        if let Ok(aid) = hit.id.parse::<ArtifactId>()
            && let Err(e) = self
                .store
                .add_version(&format!("{CONVERSATION_TAG}{}", conv.id), aid)
        {
            tracing::warn!(error = %e, "conversation version not recorded");
        }
        Some(hit)
    }
}

fn snippet(text: &str) -> String {
    let mut s: String = text.chars().take(200).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

fn hit(m: &Metadata, snippet: String) -> ArtifactHit {
    let run = m
        .tags
        .iter()
        .find_map(|t| t.strip_prefix("run:"))
        .and_then(|n| n.parse().ok())
        .map(RunId);
    let title = match (&m.producer.workflow, &m.producer.node) {
        (Some(w), Some(n)) => format!("{w} · {n} · {}", m.kind),
        (Some(w), None) => format!("{w} · {}", m.kind),
        _ => m.kind.clone(),
    };
    ArtifactHit {
        id: m.id.to_hex(),
        kind: m.kind.clone(),
        title,
        snippet,
        tags: m.tags.clone(),
        pinned: m.pinned,
        run,
    }
}
