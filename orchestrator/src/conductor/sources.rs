//! The texts runs read, stored once: `<store_dir>/conductor/sources/ab/cdef…`, named by
//! the BLAKE3 hash of their bytes (the Artifact Store's [`ArtifactId`]), so ten runs on
//! the same unchanged file share one copy and a run's manifest names its text by id.
//!
//! Writes are crash-safe (a temp file renamed into place); a text stored again has its
//! modification time refreshed, and reads are verified against the id. [`Sources::collect`]
//! deletes the texts no kept journal refers to (the journals' pruning calls it on start);
//! a manifest names its text with a [`SourceRef`] and reads it back with
//! [`Manifest::context`];
//! a text younger than [`GRACE`] is always kept, so a run of another Symphony process that
//! has stored its text but not yet written its manifest keeps it.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use symphony_pit::artifacts::{ArtifactId, private};

use super::journal::Manifest;
use crate::command::EditorContext;

/// Texts modified this recently are never collected.
pub(crate) const GRACE: Duration = Duration::from_secs(15 * 60);

/// Why a stored text cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    /// The file is not there (deleted by hand, or collected).
    #[error("{} no longer exists", .0.display())]
    Missing(PathBuf),
    /// Its bytes do not hash to its id.
    #[error("{} changed on disk (its content no longer matches its id)", .0.display())]
    Corrupt(PathBuf),
    /// The id is not 64 hex digits.
    #[error("bad text id `{0}`")]
    BadId(String),
    /// Another I/O error.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        source: io::Error,
    },
}

/// The directory of stored texts.
#[derive(Debug, Clone)]
pub(crate) struct Sources {
    dir: PathBuf,
}

impl Sources {
    /// Texts under `dir` (created on the first put).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, hex: &str) -> PathBuf {
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// Stores `text` (once: an existing copy only has its time refreshed) and returns its id.
    pub fn put(&self, text: &str) -> io::Result<String> {
        let hex = ArtifactId::of(text.as_bytes()).to_hex();
        let path = self.path(&hex);
        if let Ok(f) = File::options().append(true).open(&path) {
            // Refreshed, so a collection running now in another process keeps it.
            if let Err(e) = f.set_modified(SystemTime::now()) {
                tracing::debug!(error = %e, path = %path.display(), "source time not refreshed");
            }
            return Ok(hex);
        }
        let shard = path.parent().unwrap_or(&self.dir);
        private::create_dir_all(shard)?;
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let written = private::create_file(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_data()
        });
        match written.and_then(|()| fs::rename(&tmp, &path)) {
            Ok(()) => Ok(hex),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// The text stored under `hex`, verified.
    pub fn get(&self, hex: &str) -> Result<String, SourceError> {
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SourceError::BadId(hex.to_owned()));
        }
        let path = self.path(hex);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(SourceError::Missing(path));
            }
            Err(source) => return Err(SourceError::Io { path, source }),
        };
        if ArtifactId::of(&bytes).to_hex() != hex {
            return Err(SourceError::Corrupt(path));
        }
        String::from_utf8(bytes).map_err(|_| SourceError::Corrupt(path))
    }

    /// Deletes every stored text not in `keep` and older than [`GRACE`] (and temp files
    /// left by a crash); returns how many texts were deleted.
    pub fn collect(&self, keep: &HashSet<String>) -> usize {
        let Ok(shards) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let now = SystemTime::now();
        let old = |p: &Path| {
            fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= GRACE)
        };
        let mut deleted = 0;
        for shard in shards.flatten() {
            let shard_path = shard.path();
            let shard_name = shard.file_name().to_string_lossy().into_owned();
            if shard_path.is_file() {
                if shard_name.starts_with(".tmp-") && old(&shard_path) {
                    let _ = fs::remove_file(&shard_path);
                }
                continue;
            }
            let Ok(files) = fs::read_dir(&shard_path) else {
                continue;
            };
            for f in files.flatten() {
                let p = f.path();
                let hex = format!("{shard_name}{}", f.file_name().to_string_lossy());
                if keep.contains(&hex) || !old(&p) {
                    continue;
                }
                match fs::remove_file(&p) {
                    Ok(()) => deleted += 1,
                    Err(e) => {
                        tracing::warn!(error = %e, path = %p.display(), "unused run text not removed")
                    }
                }
            }
            // Only removed when empty.
            let _ = fs::remove_dir(&shard_path);
        }
        if deleted > 0 {
            tracing::info!(deleted, dir = %self.dir.display(), "run texts no journal refers to removed");
        }
        deleted
    }
}

/// The text a run read, in the content-addressed `sources/` store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SourceRef {
    /// The id (BLAKE3 hex) of the file's text.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The selection's text is the file's `start..end` (not kept in the manifest).
    #[serde(default)]
    pub selection_in_file: bool,
}

/// Why the text a run read cannot be had.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SourceGone(pub String);

impl Manifest {
    /// The manifest as written: the file text stored in `sources` and named by id (the
    /// selection too, when it is a part of the file). If the text cannot be stored, it
    /// stays inline (logged).
    pub(super) fn externalized(&self, sources: &Sources) -> Manifest {
        let mut disk = self.clone();
        if self.source.is_some() || self.context.file_text.is_empty() {
            return disk;
        }
        let id = match sources.put(&self.context.file_text) {
            Ok(id) => id,
            Err(e) => {
                tracing::warn!(error = %e, dir = %sources.dir().display(), "run text not stored apart; kept in the journal");
                return disk;
            }
        };
        let selection_in_file =
            self.context.selection.as_ref().is_some_and(|s| {
                self.context.file_text.get(s.start..s.end) == Some(s.text.as_str())
            });
        if selection_in_file && let Some(s) = &mut disk.context.selection {
            s.text.clear();
        }
        disk.source = Some(SourceRef {
            file: id,
            bytes: self.context.file_text.len() as u64,
            selection_in_file,
        });
        disk.context.file_text.clear();
        disk
    }

    /// The editor context the run read, its texts read back from `sources`.
    pub fn context(&self, sources: &Sources) -> Result<EditorContext, SourceGone> {
        let mut ctx = self.context.clone();
        let Some(src) = &self.source else {
            return Ok(ctx);
        };
        ctx.file_text = sources.get(&src.file).map_err(|e| self.gone(e))?;
        if src.selection_in_file
            && let Some(s) = &mut ctx.selection
        {
            s.text = ctx
                .file_text
                .get(s.start..s.end)
                .unwrap_or_default()
                .to_owned();
        }
        Ok(ctx)
    }

    /// The text the run read: its selection, else the whole file.
    pub fn read_text(&self, sources: &Sources) -> Result<String, SourceGone> {
        let inline = self.context.selection.as_ref().map(|s| s.text.clone());
        match (&self.source, inline) {
            (Some(src), Some(_)) if src.selection_in_file => {
                let ctx = self.context(sources)?;
                Ok(ctx.selection.map(|s| s.text).unwrap_or_default())
            }
            (_, Some(text)) => Ok(text),
            (Some(_), None) => Ok(self.context(sources)?.file_text),
            (None, None) => Ok(self.context.file_text.clone()),
        }
    }

    fn gone(&self, e: SourceError) -> SourceGone {
        let what = self
            .context
            .path
            .as_ref()
            .map_or_else(|| "the buffer".to_owned(), |p| p.display().to_string());
        let bytes = self.source.as_ref().map_or(0, |s| s.bytes);
        SourceGone(format!(
            "the text run {} read ({what}, {bytes} bytes) is gone: {e}",
            self.run.0
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path) {
        let f = File::options().append(true).open(path).expect("open");
        f.set_modified(SystemTime::now() - GRACE - Duration::from_secs(60))
            .expect("set mtime");
    }

    #[test]
    fn a_text_is_stored_once_read_back_verified_and_collected_when_unreferenced_and_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Sources::new(dir.path().join("sources"));
        let a = s.put("fn main() {}\n").expect("put");
        assert_eq!(s.put("fn main() {}\n").expect("again"), a);
        let b = s.put("other").expect("put b");
        let files = |s: &Sources| {
            fs::read_dir(s.dir())
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.path().is_dir())
                        .map(|e| fs::read_dir(e.path()).map_or(0, |r| r.count()))
                        .sum::<usize>()
                })
                .unwrap_or(0)
        };
        assert_eq!(files(&s), 2);
        assert_eq!(s.get(&a).expect("get"), "fn main() {}\n");
        // Young texts stay even when nobody refers to them.
        assert_eq!(s.collect(&HashSet::new()), 0);
        age(&s.path(&a));
        age(&s.path(&b));
        assert_eq!(s.collect(&HashSet::from([a.clone()])), 1);
        assert!(matches!(s.get(&b), Err(SourceError::Missing(_))));
        assert_eq!(s.get(&a).expect("kept"), "fn main() {}\n");
        fs::write(s.path(&a), "tampered").expect("tamper");
        assert!(matches!(s.get(&a), Err(SourceError::Corrupt(_))));
        assert!(matches!(s.get("zz"), Err(SourceError::BadId(_))));
    }
}
