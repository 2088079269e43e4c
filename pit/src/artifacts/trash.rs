//! The trash: artifacts moved out of the live store, restorable until purged. The Stale
//! Manager drives these.

use std::fs;

use super::error::{ArtifactError, Result};
use super::id::ArtifactId;
use super::meta::Metadata;
use super::object;
use super::store::{ArtifactStore, load_all, read_meta};

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeStats {
    /// Artifacts deleted for good.
    pub artifacts: usize,
    /// Bytes freed.
    pub bytes: u64,
}

impl ArtifactStore {
    /// Moves a live artifact (object and metadata) to the trash; it leaves searches and
    /// [`ArtifactStore::list`] and can be brought back with [`ArtifactStore::restore`].
    ///
    /// ```
    /// use symphony_pit::artifacts::{ArtifactStore, NewArtifact};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = ArtifactStore::open(dir.path()).unwrap();
    /// let id = store.put_bytes(b"old draft", NewArtifact::new("draft", "text/plain")).unwrap().id;
    /// store.trash(&id).unwrap();
    /// assert!(store.list().is_empty());
    /// assert_eq!(store.list_trash().unwrap().len(), 1);
    /// store.restore(&id).unwrap();
    /// assert_eq!(store.get_bytes(&id).unwrap(), b"old draft");
    /// store.trash(&id).unwrap();
    /// assert_eq!(store.purge_trash().unwrap().artifacts, 1);
    /// assert!(store.restore(&id).is_err());
    /// ```
    pub fn trash(&self, id: &ArtifactId) -> Result<()> {
        let _guard = self.commit_lock.lock();
        if !self.contains(id) {
            return Err(ArtifactError::NotFound(*id));
        }
        self.layout.ensure_shard(id, true)?;
        let (obj, meta) = (self.layout.object(id), self.layout.meta(id));
        let (tobj, tmeta) = (self.layout.trash_object(id), self.layout.trash_meta(id));
        // Metadata first: a crash in between leaves an orphan object, never a live artifact
        // without content.
        fs::rename(&meta, &tmeta).map_err(ArtifactError::io(&meta))?;
        fs::rename(&obj, &tobj).map_err(ArtifactError::io(&obj))?;
        object::fsync_parent(&meta)?;
        object::fsync_parent(&tmeta)?;
        self.cache.write().remove(id);
        self.index.read().remove(id);
        Ok(())
    }

    /// Brings an artifact back from the trash (re-indexed).
    pub fn restore(&self, id: &ArtifactId) -> Result<Metadata> {
        let m = {
            let _guard = self.commit_lock.lock();
            let (tobj, tmeta) = (self.layout.trash_object(id), self.layout.trash_meta(id));
            if !tmeta.exists() {
                return Err(ArtifactError::NotInTrash(*id));
            }
            let m = read_meta(&tmeta)?;
            self.layout.ensure_shard(id, false)?;
            let (obj, meta) = (self.layout.object(id), self.layout.meta(id));
            fs::rename(&tobj, &obj).map_err(ArtifactError::io(&tobj))?;
            fs::rename(&tmeta, &meta).map_err(ArtifactError::io(&tmeta))?;
            object::fsync_parent(&obj)?;
            object::fsync_parent(&tobj)?;
            self.cache.write().insert(*id, m.clone());
            m
        };
        self.index_one(&m)?;
        Ok(m)
    }

    /// Metadata of everything in the trash.
    pub fn list_trash(&self) -> Result<Vec<Metadata>> {
        let mut v: Vec<Metadata> = load_all(&self.layout.trash)?.into_values().collect();
        v.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    /// Deletes everything in the trash for good.
    pub fn purge_trash(&self) -> Result<PurgeStats> {
        let _guard = self.commit_lock.lock();
        let mut stats = PurgeStats::default();
        for m in load_all(&self.layout.trash)?.into_values() {
            let (tobj, tmeta) = (
                self.layout.trash_object(&m.id),
                self.layout.trash_meta(&m.id),
            );
            match fs::remove_file(&tobj) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ArtifactError::Io {
                        path: tobj,
                        source: e,
                    });
                }
            }
            fs::remove_file(&tmeta).map_err(ArtifactError::io(&tmeta))?;
            stats.artifacts += 1;
            stats.bytes += m.size;
        }
        Ok(stats)
    }
}
