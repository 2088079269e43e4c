//! [`RetentionStore`] for the Artifact Store: retention subjects from its metadata,
//! deletion through its restorable trash, archiving as an `archived` tag.

use crate::artifacts::{ArtifactError, ArtifactId, ArtifactStore, Metadata};

use super::store::{PurgeReport, RetentionStore};
use super::subject::RetentionSubject;
use super::{Result, StaleError};

/// The tag that marks an archived artifact. Archived artifacts stay readable in the
/// store but leave retention's working set ([`RetentionStore::list`] skips them).
pub const ARCHIVED_TAG: &str = "archived";

impl From<&Metadata> for RetentionSubject {
    fn from(m: &Metadata) -> Self {
        RetentionSubject {
            id: m.id.to_hex(),
            kind: m.kind.clone(),
            size: m.size,
            created: u64::try_from(m.created_ms.max(0) / 1000).unwrap_or(0),
            quality: Some(f64::from(m.quality)),
            tags: m.tags.clone(),
            pinned: m.pinned,
        }
    }
}

fn parse(id: &str) -> Result<ArtifactId> {
    id.parse()
        .map_err(|_| StaleError::NotFound { id: id.to_string() })
}

fn map_err(e: ArtifactError) -> StaleError {
    match e {
        ArtifactError::NotFound(id) => StaleError::NotFound { id: id.to_hex() },
        ArtifactError::NotInTrash(id) => StaleError::NotInTrash { id: id.to_hex() },
        other => StaleError::store(other),
    }
}

/// ```
/// use symphony_pit::artifacts::{ArtifactStore, NewArtifact};
/// use symphony_pit::stale::{Action, LiveRefs, Policy, Rule, StaleManager};
/// let dir = tempfile::tempdir().unwrap();
/// let store = ArtifactStore::open(dir.path()).unwrap();
/// let id = store.put_bytes(b"old", NewArtifact::new("draft", "text/plain").created_ms(0)).unwrap().id;
/// let manager = StaleManager::new(Policy::new(vec![Rule::MaxAge { max_age_secs: 60, action: Action::Delete }]));
/// let plan = manager.plan(&store, &LiveRefs::new(), 3600).unwrap();
/// manager.apply(&plan, &store, &LiveRefs::new()).unwrap();
/// assert!(store.list().is_empty());
/// manager.restore(&store, &id.to_hex()).unwrap();
/// assert_eq!(store.get_bytes(&id).unwrap(), b"old");
/// ```
impl RetentionStore for ArtifactStore {
    fn list(&self) -> Result<Vec<RetentionSubject>> {
        Ok(ArtifactStore::list(self)
            .iter()
            .filter(|m| !m.tags.iter().any(|t| t == ARCHIVED_TAG))
            .map(RetentionSubject::from)
            .collect())
    }

    fn move_to_trash(&self, id: &str) -> Result<()> {
        ArtifactStore::trash(self, &parse(id)?).map_err(map_err)
    }

    fn archive(&self, id: &str) -> Result<()> {
        self.add_tags(&parse(id)?, &[ARCHIVED_TAG]).map_err(map_err)
    }

    fn restore(&self, id: &str) -> Result<()> {
        ArtifactStore::restore(self, &parse(id)?)
            .map(|_| ())
            .map_err(map_err)
    }

    fn trashed(&self) -> Result<Vec<RetentionSubject>> {
        Ok(ArtifactStore::list_trash(self)
            .map_err(map_err)?
            .iter()
            .map(RetentionSubject::from)
            .collect())
    }

    fn purge(&self) -> Result<PurgeReport> {
        let stats = self.purge_trash().map_err(map_err)?;
        Ok(PurgeReport {
            purged: stats.artifacts,
            bytes: stats.bytes,
        })
    }
}
