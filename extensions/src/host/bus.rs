//! Pub/sub of extension events by dotted topic with wildcards: `*` matches one
//! segment, `**` any number (zero or more) of segments: `buffer.*` matches
//! `buffer.changed`, `**` matches everything.

use std::sync::{RwLock, Weak};

use serde_json::Value;
use symphony_protocol::envelope::{Message, Priority};
use tokio::sync::mpsc;

use super::{Shared, wire};

/// An event published by an extension (or the host).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Who sent it (`ext:<id>`, or `host`).
    pub source: String,
    /// Its topic, e.g. `instrument.token`.
    pub topic: String,
    /// Its data.
    pub data: Value,
    /// Its priority.
    pub priority: Priority,
    /// Time to live in ms (for delivery to extensions); `None` never expires.
    pub ttl_ms: Option<u64>,
}

/// Whether `topic` matches `pattern` (see the module doc).
pub fn topic_matches(pattern: &str, topic: &str) -> bool {
    fn go(p: &[&str], t: &[&str]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(&"**"), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(&"*"), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    if pattern == topic {
        return true;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let t: Vec<&str> = topic.split('.').collect();
    go(&p, &t)
}

/// The subscribers of one host.
#[derive(Default)]
pub struct Bus {
    subs: RwLock<Vec<(String, mpsc::UnboundedSender<Event>)>>,
    /// Extensions subscribed through `host.subscribe`: (pattern, extension).
    exts: RwLock<Vec<(String, Weak<Shared>)>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").finish_non_exhaustive()
    }
}

impl Bus {
    /// A bus without subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Receives every later event whose topic matches `pattern`.
    pub fn subscribe(&self, pattern: &str) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut subs) = self.subs.write() {
            subs.push((pattern.to_string(), tx));
        }
        rx
    }

    /// Subscribes an extension: matching events (except its own) are sent to it.
    pub(crate) fn subscribe_extension(&self, pattern: &str, ext: Weak<Shared>) {
        if let Ok(mut exts) = self.exts.write() {
            exts.push((pattern.to_string(), ext));
        }
    }

    /// Forgets every subscription of `ext` (its process is gone; a restarted one
    /// subscribes again).
    pub(crate) fn unsubscribe_extension(&self, ext: &std::sync::Arc<Shared>) {
        let me = std::sync::Arc::downgrade(ext);
        if let Ok(mut exts) = self.exts.write() {
            exts.retain(|(_, e)| !Weak::ptr_eq(e, &me));
        }
    }

    /// Delivers `event` to every matching subscriber (channels and extensions other
    /// than its source); returns how many got it. Subscribers that are gone are
    /// forgotten.
    pub fn publish(&self, event: Event) -> usize {
        let mut delivered = self.publish_to_extensions(&event);
        let mut closed = false;
        if let Ok(subs) = self.subs.read() {
            for (pattern, tx) in subs.iter() {
                if topic_matches(pattern, &event.topic) {
                    if tx.send(event.clone()).is_ok() {
                        delivered += 1;
                    } else {
                        closed = true;
                    }
                }
            }
        }
        if closed && let Ok(mut subs) = self.subs.write() {
            subs.retain(|(_, tx)| !tx.is_closed());
        }
        delivered
    }

    fn publish_to_extensions(&self, event: &Event) -> usize {
        let mut delivered = 0;
        let mut gone = false;
        if let Ok(exts) = self.exts.read() {
            for (pattern, ext) in exts.iter() {
                if !topic_matches(pattern, &event.topic) {
                    continue;
                }
                let Some(ext) = ext.upgrade() else {
                    gone = true;
                    continue;
                };
                if ext.endpoint == event.source {
                    continue;
                }
                let mut b = Message::event(wire::event(&event.topic, event.data.clone()))
                    .from(event.source.as_str())
                    .to(ext.endpoint.as_str())
                    .priority(event.priority);
                if let Some(ttl) = event.ttl_ms {
                    b = b.ttl_ms(ttl);
                }
                if ext.send(b.build()).is_ok() {
                    delivered += 1;
                }
            }
        }
        if gone && let Ok(mut exts) = self.exts.write() {
            exts.retain(|(_, e)| e.strong_count() > 0);
        }
        delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_segments() {
        assert!(topic_matches("buffer.*", "buffer.changed"));
        assert!(!topic_matches("buffer.*", "buffer.changed.more"));
        assert!(!topic_matches("buffer.*", "buffer"));
        assert!(topic_matches("buffer.**", "buffer.a.b"));
        assert!(topic_matches("**", "anything.at.all"));
        assert!(topic_matches("*.token", "instrument.token"));
        assert!(!topic_matches("view.*", "buffer.changed"));
    }

    #[tokio::test]
    async fn only_matching_subscribers_receive() {
        let bus = Bus::new();
        let mut a = bus.subscribe("buffer.*");
        let mut b = bus.subscribe("view.*");
        let ev = Event {
            source: "host".into(),
            topic: "buffer.saved".into(),
            data: Value::Null,
            priority: Priority::Normal,
            ttl_ms: None,
        };
        assert_eq!(bus.publish(ev.clone()), 1);
        assert_eq!(a.recv().await, Some(ev));
        assert!(b.try_recv().is_err());
    }
}
