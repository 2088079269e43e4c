//! `Message<T>`: the envelope the client, the Conductor and extensions exchange.
//!
//! Every message carries a UUID v4 id, an optional correlation id (the id of the
//! message it answers), a [`MessageKind`], source and target [`Endpoint`]s, a
//! [`Priority`], its creation time (ms since the Unix epoch), an optional TTL, the
//! [`ProtocolVersion`] it was written with, a string metadata map and the payload.
//! Build one with [`Message::request`] (or [`Message::event`], [`Message::reply_to`], ...)
//! and encode it with [`JsonCodec`] or [`MsgPackCodec`].
//!
//! ```
//! use symphony_protocol::envelope::{Codec, JsonCodec, Message, MessageKind, MsgPackCodec, Priority};
//! let req = Message::request("open".to_string()).from("tui").to("conductor")
//!     .priority(Priority::High).ttl_ms(5_000).build();
//! let reply = Message::reply_to(&req, 42u32).build();
//! assert_eq!(reply.correlation_id, Some(req.id));
//! assert_eq!(reply.kind, MessageKind::Response);
//! assert_eq!(reply.target, req.source);
//! let bytes = MsgPackCodec.encode(&req).unwrap();
//! assert_eq!(MsgPackCodec.decode::<String>(&bytes).unwrap(), req);
//! let line = JsonCodec.encode(&req).unwrap();
//! assert!(!line.contains(&b'\n'));
//! ```

mod builder;
mod codec;
mod version;

pub use builder::MessageBuilder;
pub use codec::{Codec, EnvelopeError, JsonCodec, MsgPackCodec, Result};
pub use version::ProtocolVersion;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An envelope around a payload `T`. Field names are the wire names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message<T> {
    /// Unique id (UUID v4).
    pub id: Uuid,
    /// The id of the message this one answers (responses, errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// What the message is.
    pub kind: MessageKind,
    /// Who sent it.
    pub source: Endpoint,
    /// Who it is for ([`Endpoint::any`] for broadcast).
    pub target: Endpoint,
    /// Delivery priority.
    pub priority: Priority,
    /// Creation time, ms since the Unix epoch.
    pub created_at: u64,
    /// Time to live in ms after `created_at`; never expires when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    /// The protocol version the sender speaks.
    pub version: ProtocolVersion,
    /// Free-form string metadata (trace ids, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// The payload.
    pub payload: T,
}

impl<T> Message<T> {
    /// A builder for a [`MessageKind::Request`].
    pub fn request(payload: T) -> MessageBuilder<T> {
        MessageBuilder::new(MessageKind::Request, payload)
    }

    /// A builder for a [`MessageKind::Event`].
    pub fn event(payload: T) -> MessageBuilder<T> {
        MessageBuilder::new(MessageKind::Event, payload)
    }

    /// A builder for a [`MessageKind::Heartbeat`].
    pub fn heartbeat(payload: T) -> MessageBuilder<T> {
        MessageBuilder::new(MessageKind::Heartbeat, payload)
    }

    /// A builder for a message of any kind.
    pub fn builder(kind: MessageKind, payload: T) -> MessageBuilder<T> {
        MessageBuilder::new(kind, payload)
    }

    /// A builder for the [`MessageKind::Response`] to `to`: correlation id = `to.id`,
    /// source/target swapped, same priority.
    pub fn reply_to<U>(to: &Message<U>, payload: T) -> MessageBuilder<T> {
        MessageBuilder::replying(to, MessageKind::Response, payload)
    }

    /// Like [`Message::reply_to`] but of kind [`MessageKind::Error`].
    pub fn error_reply_to<U>(to: &Message<U>, payload: T) -> MessageBuilder<T> {
        MessageBuilder::replying(to, MessageKind::Error, payload)
    }

    /// When the message expires (ms since the epoch), if it has a TTL.
    pub fn expires_at(&self) -> Option<u64> {
        self.ttl_ms.map(|ttl| self.created_at.saturating_add(ttl))
    }

    /// Whether the message is expired at `now_ms` (ms since the epoch): true once
    /// `now_ms >= created_at + ttl_ms`; never for a message without TTL.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.expires_at().is_some_and(|at| now_ms >= at)
    }

    /// Fails with [`EnvelopeError::IncompatibleVersion`] unless this message's version is
    /// compatible with [`ProtocolVersion::CURRENT`].
    pub fn ensure_compatible(&self) -> Result<()> {
        if self.version.is_compatible_with(&ProtocolVersion::CURRENT) {
            Ok(())
        } else {
            Err(EnvelopeError::IncompatibleVersion {
                ours: ProtocolVersion::CURRENT,
                theirs: self.version,
            })
        }
    }

    /// The same envelope around another payload.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Message<U> {
        Message {
            id: self.id,
            correlation_id: self.correlation_id,
            kind: self.kind,
            source: self.source,
            target: self.target,
            priority: self.priority,
            created_at: self.created_at,
            ttl_ms: self.ttl_ms,
            version: self.version,
            metadata: self.metadata,
            payload: f(self.payload),
        }
    }
}

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Asks for a response.
    Request,
    /// Answers a request (`correlation_id` set).
    Response,
    /// Something happened; no answer expected.
    Event,
    /// A request failed (`correlation_id` set).
    Error,
    /// Liveness signal.
    Heartbeat,
}

/// Delivery priority, ordered: `Critical > High > Normal > Low > Background`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever nothing else waits.
    Background,
    /// Below normal.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Before normal traffic (user-visible latency).
    High,
    /// Before everything (shutdown, cancellation).
    Critical,
}

/// A named participant (`"tui"`, `"editor"`, `"conductor"`, `"ext:lint"`, ...);
/// written as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Endpoint(pub String);

impl Endpoint {
    /// The name used for "any participant" (broadcast target, unknown source).
    pub const ANY: &'static str = "*";

    /// An endpoint named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Endpoint(name.into())
    }

    /// The broadcast / unspecified endpoint `"*"`.
    pub fn any() -> Self {
        Endpoint(Self::ANY.into())
    }

    /// Whether this is [`Endpoint::any`].
    pub fn is_any(&self) -> bool {
        self.0 == Self::ANY
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::any()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Endpoint {
    fn from(s: &str) -> Self {
        Endpoint::new(s)
    }
}

impl From<String> for Endpoint {
    fn from(s: String) -> Self {
        Endpoint(s)
    }
}

/// Milliseconds since the Unix epoch now (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
