//! Named artifacts: an immutable, append-only version history per name, and a line diff
//! between two text versions.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use similar::TextDiff;

use super::error::{ArtifactError, Result};
use super::id::ArtifactId;
use super::object;
use super::store::{ArtifactStore, now_ms};

/// One version of a named artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedVersion {
    /// 1 for the first version, then 2, 3, …
    pub version: u32,
    /// The artifact holding that version.
    pub id: ArtifactId,
    /// When the version was recorded (ms since the epoch).
    pub created_ms: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct History {
    name: String,
    versions: Vec<NamedVersion>,
}

impl ArtifactStore {
    fn name_path(&self, name: &str) -> PathBuf {
        self.layout
            .names
            .join(format!("{}.json", blake3::hash(name.as_bytes()).to_hex()))
    }

    fn history(&self, name: &str) -> Result<History> {
        let p = self.name_path(name);
        match fs::read(&p) {
            Ok(raw) => serde_json::from_slice(&raw).map_err(|e| ArtifactError::BadMetadata {
                path: p,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(History {
                name: name.to_owned(),
                versions: Vec::new(),
            }),
            Err(e) => Err(ArtifactError::Io { path: p, source: e }),
        }
    }

    /// Records `id` as the next version of `name` and returns its version number. Earlier
    /// versions never change.
    ///
    /// ```
    /// use symphony_pit::artifacts::{ArtifactStore, NewArtifact};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = ArtifactStore::open(dir.path()).unwrap();
    /// let a = store.put_bytes(b"one\ntwo\n", NewArtifact::new("note", "text/plain")).unwrap().id;
    /// let b = store.put_bytes(b"one\nthree\n", NewArtifact::new("note", "text/plain")).unwrap().id;
    /// assert_eq!(store.add_version("notes.md", a).unwrap(), 1);
    /// assert_eq!(store.add_version("notes.md", b).unwrap(), 2);
    /// let diff = store.diff_versions("notes.md", 1, 2).unwrap();
    /// assert!(diff.contains("-two") && diff.contains("+three"), "{diff}");
    /// ```
    pub fn add_version(&self, name: &str, id: ArtifactId) -> Result<u32> {
        if !self.contains(&id) {
            return Err(ArtifactError::NotFound(id));
        }
        let _guard = self.commit_lock.lock();
        let mut h = self.history(name)?;
        let version = h.versions.last().map_or(1, |v| v.version + 1);
        h.versions.push(NamedVersion {
            version,
            id,
            created_ms: now_ms(),
        });
        let bytes = serde_json::to_vec_pretty(&h).unwrap_or_default();
        object::atomic_write(&self.layout, &self.name_path(name), &bytes)?;
        Ok(version)
    }

    /// Every version of `name`, oldest first (empty if the name is unknown).
    pub fn versions(&self, name: &str) -> Result<Vec<NamedVersion>> {
        Ok(self.history(name)?.versions)
    }

    /// The artifact of `name` at `version` (`None` = the latest).
    pub fn resolve(&self, name: &str, version: Option<u32>) -> Result<ArtifactId> {
        let h = self.history(name)?;
        let v = match version {
            None => h.versions.last(),
            Some(n) => h.versions.iter().find(|v| v.version == n),
        };
        v.map(|v| v.id).ok_or_else(|| ArtifactError::NoSuchVersion {
            name: name.to_owned(),
            version,
        })
    }

    /// Unified line diff between two versions of `name`.
    pub fn diff_versions(&self, name: &str, from: u32, to: u32) -> Result<String> {
        let a = self.resolve(name, Some(from))?;
        let b = self.resolve(name, Some(to))?;
        self.diff_text(&a, &b, &format!("{name}@v{from}"), &format!("{name}@v{to}"))
    }

    /// Unified line diff between two text artifacts.
    pub fn diff_text(
        &self,
        a: &ArtifactId,
        b: &ArtifactId,
        a_label: &str,
        b_label: &str,
    ) -> Result<String> {
        let old = String::from_utf8(self.get_bytes(a)?).map_err(|_| ArtifactError::NotText(*a))?;
        let new = String::from_utf8(self.get_bytes(b)?).map_err(|_| ArtifactError::NotText(*b))?;
        let diff = TextDiff::from_lines(&old, &new);
        Ok(diff
            .unified_diff()
            .context_radius(3)
            .header(a_label, b_label)
            .to_string())
    }
}
