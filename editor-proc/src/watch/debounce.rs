//! The debouncing thread: collects raw notify events per watched file and, once a
//! file has been quiet for [`DEBOUNCE`], compares its fingerprint with the last
//! known one and reports a real change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::mpsc::UnboundedSender;

use super::{DEBOUNCE, WatchEvent, WatchEventKind};
use crate::files::Fingerprint;

/// One watched file.
#[derive(Debug)]
pub(crate) struct Watched {
    /// The path the caller used (reported back in events).
    pub original: PathBuf,
    /// What the file looked like last time we knew (`None`: absent).
    pub last_seen: Option<Fingerprint>,
}

/// State shared by the watcher handle and the thread.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// By resolved path (canonical directory + file name).
    pub files: HashMap<PathBuf, Watched>,
}

/// The shared state behind a mutex.
pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs until the raw event channel closes (the watcher was dropped).
pub(crate) fn run(raw: Receiver<PathBuf>, shared: Shared, tx: UnboundedSender<WatchEvent>) {
    let mut pending: HashMap<PathBuf, Instant> = HashMap::new();
    loop {
        let next_due = pending.values().min().map(|t| *t + DEBOUNCE);
        let received = match next_due {
            Some(due) => raw.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => raw.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(path) => {
                if lock(&shared).files.contains_key(&path) {
                    pending.insert(path, Instant::now());
                }
                continue;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        let due: Vec<PathBuf> = pending
            .iter()
            .filter(|(_, t)| now.duration_since(**t) >= DEBOUNCE)
            .map(|(p, _)| p.clone())
            .collect();
        for path in due {
            pending.remove(&path);
            if let Some(event) = evaluate(&shared, &path)
                && tx.send(event).is_err()
            {
                return;
            }
        }
    }
}

/// Whether `path` really changed since last known; updates what is known.
fn evaluate(shared: &Shared, path: &Path) -> Option<WatchEvent> {
    let now = match Fingerprint::of(path) {
        Ok(fp) => fp,
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "cannot stat a watched file");
            return None;
        }
    };
    let mut state = lock(shared);
    let watched = state.files.get_mut(path)?;
    if watched.last_seen == now {
        return None;
    }
    watched.last_seen = now;
    let kind = if now.is_some() {
        WatchEventKind::Changed
    } else {
        WatchEventKind::Removed
    };
    tracing::debug!(path = %path.display(), ?kind, "external change");
    Some(WatchEvent {
        path: watched.original.clone(),
        kind,
    })
}
