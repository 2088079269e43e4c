//! The store operations retention needs ([`RetentionStore`]) and an in-memory store
//! implementing them.

use std::collections::BTreeMap;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::subject::RetentionSubject;
use super::{Result, StaleError};

/// What a purge removed for good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReport {
    /// Artifacts removed.
    pub purged: usize,
    /// Bytes released.
    pub bytes: u64,
}

/// The operations the Stale Manager performs on an artifact store.
pub trait RetentionStore {
    /// Every live artifact (not trashed, not archived).
    fn list(&self) -> Result<Vec<RetentionSubject>>;
    /// Moves a live artifact to the trash, from which it can be restored.
    fn move_to_trash(&self, id: &str) -> Result<()>;
    /// Retires a live artifact to the archive (bytes kept, out of the working set).
    fn archive(&self, id: &str) -> Result<()>;
    /// Brings an artifact back from the trash (or the archive).
    fn restore(&self, id: &str) -> Result<()>;
    /// What the trash holds.
    fn trashed(&self) -> Result<Vec<RetentionSubject>>;
    /// Empties the trash for good.
    fn purge(&self) -> Result<PurgeReport>;
}

type Item = (RetentionSubject, Vec<u8>);

#[derive(Debug, Default)]
struct Places {
    live: BTreeMap<String, Item>,
    trash: BTreeMap<String, Item>,
    archive: BTreeMap<String, Item>,
}

/// A store in memory: for tests, demos and callers without a disk store.
///
/// ```
/// use symphony_pit::stale::{MemoryStore, RetentionStore, RetentionSubject};
/// let store = MemoryStore::new();
/// store.insert(RetentionSubject::new("a", "log", 3, 0), b"abc".to_vec());
/// store.move_to_trash("a").unwrap();
/// assert!(store.get("a").is_none());
/// store.restore("a").unwrap();
/// assert_eq!(store.get("a").as_deref(), Some(&b"abc"[..]));
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    places: Mutex<Places>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Adds (or replaces) a live artifact.
    pub fn insert(&self, subject: RetentionSubject, bytes: Vec<u8>) {
        self.places
            .lock()
            .live
            .insert(subject.id.clone(), (subject, bytes));
    }

    /// The bytes of a live artifact.
    pub fn get(&self, id: &str) -> Option<Vec<u8>> {
        self.places.lock().live.get(id).map(|(_, b)| b.clone())
    }

    /// Whether the artifact is in the archive.
    pub fn is_archived(&self, id: &str) -> bool {
        self.places.lock().archive.contains_key(id)
    }

    /// Whether the artifact is in the trash.
    pub fn is_trashed(&self, id: &str) -> bool {
        self.places.lock().trash.contains_key(id)
    }
}

impl RetentionStore for MemoryStore {
    fn list(&self) -> Result<Vec<RetentionSubject>> {
        Ok(self
            .places
            .lock()
            .live
            .values()
            .map(|(s, _)| s.clone())
            .collect())
    }

    fn move_to_trash(&self, id: &str) -> Result<()> {
        let mut p = self.places.lock();
        let item = p
            .live
            .remove(id)
            .ok_or_else(|| StaleError::NotFound { id: id.to_string() })?;
        p.trash.insert(id.to_string(), item);
        Ok(())
    }

    fn archive(&self, id: &str) -> Result<()> {
        let mut p = self.places.lock();
        let item = p
            .live
            .remove(id)
            .ok_or_else(|| StaleError::NotFound { id: id.to_string() })?;
        p.archive.insert(id.to_string(), item);
        Ok(())
    }

    fn restore(&self, id: &str) -> Result<()> {
        let mut p = self.places.lock();
        let item = match p.trash.remove(id) {
            Some(item) => item,
            None => p
                .archive
                .remove(id)
                .ok_or_else(|| StaleError::NotInTrash { id: id.to_string() })?,
        };
        p.live.insert(id.to_string(), item);
        Ok(())
    }

    fn trashed(&self) -> Result<Vec<RetentionSubject>> {
        Ok(self
            .places
            .lock()
            .trash
            .values()
            .map(|(s, _)| s.clone())
            .collect())
    }

    fn purge(&self) -> Result<PurgeReport> {
        let trash = std::mem::take(&mut self.places.lock().trash);
        Ok(PurgeReport {
            purged: trash.len(),
            bytes: trash.values().map(|(s, _)| s.size).sum(),
        })
    }
}
