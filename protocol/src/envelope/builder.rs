//! [`MessageBuilder`]: fills in ids, time and defaults for a [`Message`].

use std::collections::BTreeMap;
use std::time::Duration;

use uuid::Uuid;

use super::{Endpoint, Message, MessageKind, Priority, ProtocolVersion, now_ms};

/// Builds a [`Message`]; start with [`Message::request`], [`Message::event`],
/// [`Message::reply_to`], ... Defaults: a fresh UUID v4, `created_at` = now, source and
/// target [`Endpoint::any`], [`Priority::Normal`], no TTL, [`ProtocolVersion::CURRENT`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the message"]
pub struct MessageBuilder<T> {
    msg: Message<T>,
}

impl<T> MessageBuilder<T> {
    /// A builder of `kind` around `payload`.
    pub fn new(kind: MessageKind, payload: T) -> Self {
        MessageBuilder {
            msg: Message {
                id: Uuid::new_v4(),
                correlation_id: None,
                kind,
                source: Endpoint::any(),
                target: Endpoint::any(),
                priority: Priority::Normal,
                created_at: now_ms(),
                ttl_ms: None,
                version: ProtocolVersion::CURRENT,
                metadata: BTreeMap::new(),
                payload,
            },
        }
    }

    pub(super) fn replying<U>(to: &Message<U>, kind: MessageKind, payload: T) -> Self {
        let mut b = Self::new(kind, payload);
        b.msg.correlation_id = Some(to.id);
        b.msg.source = to.target.clone();
        b.msg.target = to.source.clone();
        b.msg.priority = to.priority;
        b
    }

    /// Sets the source.
    pub fn from(mut self, source: impl Into<Endpoint>) -> Self {
        self.msg.source = source.into();
        self
    }

    /// Sets the target.
    pub fn to(mut self, target: impl Into<Endpoint>) -> Self {
        self.msg.target = target.into();
        self
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.msg.priority = priority;
        self
    }

    /// Sets the time to live (rounded down to ms).
    pub fn ttl(self, ttl: Duration) -> Self {
        self.ttl_ms(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
    }

    /// Sets the time to live in ms.
    pub fn ttl_ms(mut self, ttl_ms: u64) -> Self {
        self.msg.ttl_ms = Some(ttl_ms);
        self
    }

    /// Sets the correlation id.
    pub fn correlation_id(mut self, id: Uuid) -> Self {
        self.msg.correlation_id = Some(id);
        self
    }

    /// Sets the creation time (ms since the epoch) instead of now.
    pub fn created_at(mut self, ms: u64) -> Self {
        self.msg.created_at = ms;
        self
    }

    /// Sets the id instead of a fresh UUID v4.
    pub fn id(mut self, id: Uuid) -> Self {
        self.msg.id = id;
        self
    }

    /// Sets the protocol version instead of [`ProtocolVersion::CURRENT`].
    pub fn version(mut self, version: ProtocolVersion) -> Self {
        self.msg.version = version;
        self
    }

    /// Adds a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.msg.metadata.insert(key.into(), value.into());
        self
    }

    /// The message.
    pub fn build(self) -> Message<T> {
        self.msg
    }
}
