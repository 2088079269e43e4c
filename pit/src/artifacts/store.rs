//! The [`ArtifactStore`]: put, get, metadata, signals, search and the metadata cache.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use tokio::io::AsyncRead;

use super::error::{ArtifactError, Result};
use super::id::ArtifactId;
use super::index::{INDEXED_TEXT_LIMIT, SearchHit, SearchIndex, SearchQuery};
use super::meta::{Metadata, NewArtifact, is_text_media};
use super::object::{self, Layout, Staged, VerifyingReader};
use super::quality::Signal;

/// What a put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOutcome {
    /// The artifact's id.
    pub id: ArtifactId,
    /// Its size in bytes.
    pub size: u64,
    /// True when the same bytes were already stored (nothing new written).
    pub deduplicated: bool,
}

/// Totals of the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Live artifacts.
    pub artifacts: usize,
    /// Bytes of live objects on disk.
    pub bytes_stored: u64,
    /// Puts that found their bytes already stored.
    pub dedup_hits: u64,
    /// Bytes not written thanks to deduplication.
    pub bytes_saved: u64,
}

/// A content-addressed, verified, searchable artifact store rooted in one directory.
///
/// Layout: `objects/ab/cdef…` (content) with `objects/ab/cdef….json` (metadata) beside it,
/// `trash/` (same layout), `names/` (version histories), `index/` (tantivy, rebuildable),
/// `tmp/` (temp files of writes in progress).
///
/// ```
/// use symphony_pit::artifacts::{ArtifactStore, NewArtifact, SearchQuery};
/// let dir = tempfile::tempdir().unwrap();
/// let store = ArtifactStore::open(dir.path()).unwrap();
/// let put = store.put_bytes(b"fn main() { println!(\"hi\") }", NewArtifact::new("code", "text/x-rust").tag("rust")).unwrap();
/// assert_eq!(store.get_bytes(&put.id).unwrap(), b"fn main() { println!(\"hi\") }");
/// assert!(store.put_bytes(b"fn main() { println!(\"hi\") }", NewArtifact::new("code", "text/x-rust")).unwrap().deduplicated);
/// let hits = store.search(&SearchQuery::text("println").tag("rust")).unwrap();
/// assert_eq!(hits[0].id, put.id);
/// ```
pub struct ArtifactStore {
    pub(crate) layout: Layout,
    pub(crate) cache: RwLock<HashMap<ArtifactId, Metadata>>,
    pub(crate) index: RwLock<SearchIndex>,
    /// Serializes the commit step of puts and moves to and from the trash.
    pub(crate) commit_lock: Mutex<()>,
}

impl std::fmt::Debug for ArtifactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtifactStore")
            .field("root", &self.layout.root)
            .finish()
    }
}

impl Drop for ArtifactStore {
    /// Commits pending index changes so the next open does not need a rebuild.
    fn drop(&mut self) {
        if let Err(e) = self.commit_index() {
            tracing::warn!(error = %e, "artifact index not committed on close");
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn read_meta(path: &Path) -> Result<Metadata> {
    let raw = fs::read(path).map_err(ArtifactError::io(path))?;
    serde_json::from_slice(&raw).map_err(|e| ArtifactError::BadMetadata {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn meta_json(m: &Metadata) -> Vec<u8> {
    // Serializing plain data to a Vec cannot fail.
    serde_json::to_vec_pretty(m).unwrap_or_default()
}

/// Loads every `*.json` metadata file under `base/xx/`.
pub(crate) fn load_all(base: &Path) -> Result<HashMap<ArtifactId, Metadata>> {
    let mut out = HashMap::new();
    let Ok(shards) = fs::read_dir(base) else {
        return Ok(out);
    };
    for shard in shards.flatten() {
        let Ok(files) = fs::read_dir(shard.path()) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "json") {
                match read_meta(&p) {
                    Ok(m) => {
                        out.insert(m.id, m);
                    }
                    Err(e) => tracing::warn!(error = %e, "skipping unreadable metadata"),
                }
            }
        }
    }
    Ok(out)
}

impl ArtifactStore {
    /// Opens (or creates) the store in `root`; the search index is rebuilt from the objects
    /// when it is missing, unreadable or out of step with the metadata.
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        let layout = Layout::new(root.as_ref());
        layout.create()?;
        if let Ok(rd) = fs::read_dir(&layout.tmp) {
            for e in rd.flatten() {
                let _ = fs::remove_file(e.path());
            }
        }
        let cache = load_all(&layout.objects)?;
        let (index, rebuild) = match SearchIndex::open(&layout.index) {
            Some(ix) if ix.num_docs() == cache.len() as u64 => (ix, false),
            _ => (SearchIndex::create(&layout.index)?, true),
        };
        let store = Self {
            layout,
            cache: RwLock::new(cache),
            index: RwLock::new(index),
            commit_lock: Mutex::new(()),
        };
        if rebuild {
            tracing::info!(root = %store.layout.root.display(), "rebuilding the artifact index");
            store.fill_index()?;
        }
        Ok(store)
    }

    /// Root directory.
    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    /// Stores the bytes read from `src` (streamed: never held whole in memory).
    pub fn put(&self, src: impl Read, new: NewArtifact) -> Result<PutOutcome> {
        let keep = if is_text_media(&new.media_type) {
            INDEXED_TEXT_LIMIT
        } else {
            0
        };
        let staged = object::stage(&self.layout, src, keep)?;
        self.commit_put(staged, new)
    }

    /// Stores a byte slice.
    pub fn put_bytes(&self, bytes: &[u8], new: NewArtifact) -> Result<PutOutcome> {
        self.put(bytes, new)
    }

    /// Stores the bytes read from an async source (streamed).
    pub async fn put_async(
        &self,
        src: impl AsyncRead + Unpin,
        new: NewArtifact,
    ) -> Result<PutOutcome> {
        let keep = if is_text_media(&new.media_type) {
            INDEXED_TEXT_LIMIT
        } else {
            0
        };
        let staged = object::stage_async(&self.layout, src, keep).await?;
        self.commit_put(staged, new)
    }

    fn commit_put(&self, staged: Staged, new: NewArtifact) -> Result<PutOutcome> {
        let Staged {
            tmp,
            id,
            size,
            head,
        } = staged;
        let _guard = self.commit_lock.lock();
        let existing = self.cache.read().get(&id).cloned();
        if let Some(mut m) = existing {
            let _ = fs::remove_file(&tmp);
            m.puts += 1;
            let mut tags_changed = false;
            for t in new.tags {
                if !m.tags.contains(&t) {
                    m.tags.push(t);
                    tags_changed = true;
                }
            }
            object::atomic_write(&self.layout, &self.layout.meta(&id), &meta_json(&m))?;
            if tags_changed {
                self.index
                    .read()
                    .upsert(&m, None, &String::from_utf8_lossy(&head))?;
            }
            self.cache.write().insert(id, m);
            return Ok(PutOutcome {
                id,
                size,
                deduplicated: true,
            });
        }
        let meta = new.into_metadata(id, size, now_ms());
        let meta_tmp = object::write_temp(&self.layout, &meta_json(&meta))?;
        self.layout.ensure_shard(&id, false)?;
        let obj = self.layout.object(&id);
        fs::rename(&tmp, &obj).map_err(ArtifactError::io(&obj))?;
        let mp = self.layout.meta(&id);
        fs::rename(&meta_tmp, &mp).map_err(ArtifactError::io(&mp))?;
        object::fsync_parent(&obj)?;
        if meta.is_text() {
            self.index
                .read()
                .upsert(&meta, None, &String::from_utf8_lossy(&head))?;
        } else {
            self.index.read().upsert(&meta, None, "")?;
        }
        self.cache.write().insert(id, meta);
        Ok(PutOutcome {
            id,
            size,
            deduplicated: false,
        })
    }

    /// Opens a live artifact for streaming; the content is verified as it is read.
    pub fn open_reader(&self, id: &ArtifactId) -> Result<VerifyingReader> {
        let size = self
            .cache
            .read()
            .get(id)
            .map(|m| m.size)
            .ok_or(ArtifactError::NotFound(*id))?;
        VerifyingReader::open(&self.layout.object(id), *id, size)
    }

    /// The whole content, verified before it is returned (for small artifacts).
    pub fn get_bytes(&self, id: &ArtifactId) -> Result<Vec<u8>> {
        self.open_reader(id)?.read_all()
    }

    /// Reads the whole object to check it; `Err(Corrupted)` if it does not match its id.
    pub fn verify(&self, id: &ArtifactId) -> Result<()> {
        self.open_reader(id)?
            .copy_to(&mut std::io::sink())
            .map(|_| ())
    }

    /// Metadata of a live artifact.
    pub fn metadata(&self, id: &ArtifactId) -> Option<Metadata> {
        self.cache.read().get(id).cloned()
    }

    /// True when `id` is a live artifact.
    pub fn contains(&self, id: &ArtifactId) -> bool {
        self.cache.read().contains_key(id)
    }

    /// Metadata of every live artifact (not the trash), sorted by creation time then id.
    pub fn list(&self) -> Vec<Metadata> {
        let mut v: Vec<Metadata> = self.cache.read().values().cloned().collect();
        v.sort_by(|a, b| a.created_ms.cmp(&b.created_ms).then(a.id.cmp(&b.id)));
        v
    }

    /// Totals, including bytes saved by deduplication.
    pub fn stats(&self) -> StoreStats {
        let cache = self.cache.read();
        let mut s = StoreStats {
            artifacts: cache.len(),
            ..StoreStats::default()
        };
        for m in cache.values() {
            s.bytes_stored += m.size;
            s.dedup_hits += m.puts.saturating_sub(1);
            s.bytes_saved += m.puts.saturating_sub(1) * m.size;
        }
        s
    }

    /// Applies `f` to the metadata of `id` and writes it back atomically.
    pub(crate) fn update_meta(
        &self,
        id: &ArtifactId,
        f: impl FnOnce(&mut Metadata),
    ) -> Result<Metadata> {
        let _guard = self.commit_lock.lock();
        let mut m = self.metadata(id).ok_or(ArtifactError::NotFound(*id))?;
        f(&mut m);
        object::atomic_write(&self.layout, &self.layout.meta(id), &meta_json(&m))?;
        self.cache.write().insert(*id, m.clone());
        Ok(m)
    }

    /// Records a quality signal and returns the new score.
    pub fn record_signal(&self, id: &ArtifactId, s: Signal) -> Result<f32> {
        let m = self.update_meta(id, |m| {
            m.signals.record(s);
            m.quality = m.signals.score();
        })?;
        Ok(m.quality)
    }

    /// Pins or unpins an artifact.
    pub fn set_pinned(&self, id: &ArtifactId, pinned: bool) -> Result<()> {
        self.update_meta(id, |m| m.pinned = pinned).map(|_| ())
    }

    /// Adds tags (kept once each) and re-indexes the artifact.
    pub fn add_tags(&self, id: &ArtifactId, tags: &[&str]) -> Result<()> {
        let m = self.update_meta(id, |m| {
            for t in tags {
                if !m.tags.iter().any(|x| x == t) {
                    m.tags.push((*t).to_owned());
                }
            }
        })?;
        self.index_one(&m)
    }

    /// Ranked search over content and metadata with filters.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        self.index.read().search(q)
    }

    /// Makes recent puts visible to searches now (a search does it too when needed).
    pub fn commit_index(&self) -> Result<()> {
        self.index.read().commit()
    }

    /// Throws the index away and rebuilds it from the objects and their metadata.
    pub fn rebuild_index(&self) -> Result<()> {
        {
            let mut ix = self.index.write();
            // Drop the old writer (and its lock) before deleting the directory.
            *ix = SearchIndex::create(&self.layout.tmp.join("index-swap"))?;
            *ix = SearchIndex::create(&self.layout.index)?;
        }
        let _ = fs::remove_dir_all(self.layout.tmp.join("index-swap"));
        self.fill_index()
    }

    fn fill_index(&self) -> Result<()> {
        let metas: Vec<Metadata> = self.cache.read().values().cloned().collect();
        for m in &metas {
            if let Err(e) = self.index_one(m) {
                tracing::warn!(id = %m.id, error = %e, "not indexed");
            }
        }
        self.commit_index()
    }

    /// (Re)indexes one artifact, reading (and verifying) its text content.
    pub(crate) fn index_one(&self, m: &Metadata) -> Result<()> {
        let text = if m.is_text() {
            let mut r = VerifyingReader::open(&self.layout.object(&m.id), m.id, m.size)?;
            let mut head = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = r
                    .read(&mut buf)
                    .map_err(|e| match VerifyingReader::corruption(&e) {
                        Some(ArtifactError::Corrupted { id, reason }) => ArtifactError::Corrupted {
                            id: *id,
                            reason: reason.clone(),
                        },
                        _ => ArtifactError::Source(e),
                    })?;
                if n == 0 {
                    break;
                }
                let take = (INDEXED_TEXT_LIMIT - head.len().min(INDEXED_TEXT_LIMIT)).min(n);
                head.extend_from_slice(&buf[..take]);
            }
            String::from_utf8_lossy(&head).into_owned()
        } else {
            String::new()
        };
        self.index.read().upsert(m, None, &text)
    }
}
