//! The [`FileWatcher`] handle: which files are watched, through which directories.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::debounce::{self, Shared, Watched, lock};
use super::{Result, WatchError, WatchEvent};
use crate::files::Fingerprint;

/// Watches files for changes made by other programs; events arrive on the
/// channel given to [`FileWatcher::new`].
pub struct FileWatcher {
    watcher: RecommendedWatcher,
    shared: Shared,
    /// How many watched files live in each watched directory.
    dirs: HashMap<PathBuf, usize>,
}

impl std::fmt::Debug for FileWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatcher")
            .field("dirs", &self.dirs)
            .finish_non_exhaustive()
    }
}

impl FileWatcher {
    /// Starts the OS watcher and the debouncing thread.
    pub fn new(tx: UnboundedSender<WatchEvent>) -> Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(debounce::State::default()));
        let (raw_tx, raw_rx) = std::sync::mpsc::channel::<PathBuf>();
        let watcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
                Ok(event) => {
                    if matches!(event.kind, EventKind::Access(_)) {
                        return;
                    }
                    for path in event.paths {
                        let _ = raw_tx.send(path);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "file watcher error"),
            })
            .map_err(|source| WatchError::Notify {
                path: PathBuf::new(),
                source,
            })?;
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("file-watch".into())
            .spawn(move || debounce::run(raw_rx, thread_shared, tx))
            .map_err(WatchError::Thread)?;
        Ok(FileWatcher {
            watcher,
            shared,
            dirs: HashMap::new(),
        })
    }

    /// Starts watching `path` (which may not exist yet: its creation is reported).
    pub fn watch(&mut self, path: &Path) -> Result<()> {
        let (dir, key) = resolve(path)?;
        if lock(&self.shared).files.contains_key(&key) {
            return Ok(());
        }
        if !self.dirs.contains_key(&dir) {
            self.watcher
                .watch(&dir, RecursiveMode::NonRecursive)
                .map_err(|source| WatchError::Notify {
                    path: dir.clone(),
                    source,
                })?;
        }
        *self.dirs.entry(dir).or_insert(0) += 1;
        let last_seen = Fingerprint::of(&key).ok().flatten();
        lock(&self.shared).files.insert(
            key,
            Watched {
                original: path.to_path_buf(),
                last_seen,
            },
        );
        Ok(())
    }

    /// Stops watching `path`.
    pub fn unwatch(&mut self, path: &Path) {
        let Ok((dir, key)) = resolve(path) else {
            return;
        };
        if lock(&self.shared).files.remove(&key).is_none() {
            return;
        }
        if let Some(count) = self.dirs.get_mut(&dir) {
            *count -= 1;
            if *count == 0 {
                self.dirs.remove(&dir);
                if let Err(e) = self.watcher.unwatch(&dir) {
                    tracing::debug!(dir = %dir.display(), error = %e, "unwatch failed");
                }
            }
        }
    }

    /// Records that the editor itself just wrote `path` with fingerprint `fp`:
    /// the events of that write are not reported.
    pub fn note_own_write(&self, path: &Path, fp: &Fingerprint) {
        let Ok((_, key)) = resolve(path) else {
            return;
        };
        if let Some(w) = lock(&self.shared).files.get_mut(&key) {
            w.last_seen = Some(*fp);
        }
    }
}

/// The canonical parent directory of `path` and the path events will name.
fn resolve(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let io = |source| WatchError::Io {
        path: path.to_path_buf(),
        source,
    };
    let absolute = std::path::absolute(path).map_err(io)?;
    let name = absolute.file_name().ok_or_else(|| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file path",
        ))
    })?;
    let parent = absolute.parent().unwrap_or(Path::new("/"));
    let dir = std::fs::canonicalize(parent).map_err(io)?;
    let key = dir.join(name);
    Ok((dir, key))
}
