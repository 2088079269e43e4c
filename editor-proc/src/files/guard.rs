//! Loading with patience: the file is read on a thread of its own, and the editor gives
//! up on it when the reading stalls (a hung network mount, a dead FUSE server), so that
//! one path never stops the editor from serving the others.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use super::{FileError, LoadedFile, Result};

/// How long reading a file may make no progress (no chunk read) before it is given up.
pub const LOAD_PATIENCE: Duration = Duration::from_secs(10);

/// What the loading thread reports.
pub(super) enum Progress {
    /// Another chunk was read.
    Chunk,
    /// The end.
    Done(Result<Option<LoadedFile>>),
}

/// [`super::load`] on a thread of its own, given up with [`FileError::Stalled`] when it
/// makes no progress for `patience` (the thread is left to finish or hang alone).
pub fn load_with_patience(path: &Path, patience: Duration) -> Result<Option<LoadedFile>> {
    let (tx, rx) = mpsc::channel();
    let owned = path.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("file-load".into())
        .spawn(move || {
            let chunk_tx = tx.clone();
            let r = super::load::load_reporting(&owned, &mut || {
                let _ = chunk_tx.send(Progress::Chunk);
            });
            let _ = tx.send(Progress::Done(r));
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no thread for loading; loading on the main one");
        return super::load(path);
    }
    loop {
        match rx.recv_timeout(patience) {
            Ok(Progress::Chunk) => {}
            Ok(Progress::Done(r)) => return r,
            Err(RecvTimeoutError::Timeout) => {
                tracing::warn!(path = %path.display(), "loading stalled; given up");
                return Err(FileError::Stalled {
                    path: path.to_path_buf(),
                    secs: patience.as_secs(),
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(FileError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other("the loading thread stopped"),
                });
            }
        }
    }
}

/// Runs `f` on a thread of its own; None when it takes longer than `patience`.
pub fn with_patience<T: Send + 'static>(
    patience: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("file-probe".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(patience).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_step_is_given_up_and_a_quick_one_answers() {
        let slow = with_patience(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(5));
            1
        });
        assert_eq!(slow, None);
        assert_eq!(with_patience(Duration::from_secs(30), || 2), Some(2));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, "text\n").unwrap();
        let loaded = load_with_patience(&p, Duration::from_secs(30))
            .unwrap()
            .unwrap();
        assert_eq!(String::from(&loaded.text), "text\n");
    }
}
