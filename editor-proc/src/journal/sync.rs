//! Background fsync of journal files, so recording an edit never waits for the disk.
//!
//! `write(2)` alone already survives SIGKILL (the data is in the page cache);
//! fsync only protects against power loss, so it is batched on one shared thread:
//! a journal asks at most once per [`SYNC_INTERVAL`], and the thread syncs it
//! [`SYNC_INTERVAL`] after the request, so every record written in between is
//! on disk within about two intervals, even if typing stops.

use std::fs::File;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Minimum time between two fsync requests of the same journal.
pub(crate) const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Asks the shared syncer thread to fsync `file` in about [`SYNC_INTERVAL`].
///
/// The thread holds the file weakly: a journal dropped meanwhile is closed at once (its
/// lock released, so recovery sees its owner gone) and synced by its owner instead.
pub(crate) fn sync_soon(file: &Arc<File>) {
    static SYNCER: OnceLock<Mutex<Option<Sender<Weak<File>>>>> = OnceLock::new();
    let cell = SYNCER.get_or_init(|| Mutex::new(spawn()));
    let Ok(guard) = cell.lock() else {
        return;
    };
    match guard.as_ref() {
        Some(tx) => {
            if tx.send(Arc::downgrade(file)).is_err() {
                // The thread is gone: sync here instead.
                let _ = file.sync_data();
            }
        }
        None => {
            let _ = file.sync_data();
        }
    }
}

fn spawn() -> Option<Sender<Weak<File>>> {
    let (tx, rx) = channel::<Weak<File>>();
    let spawned = std::thread::Builder::new()
        .name("journal-fsync".into())
        .spawn(move || run(&rx));
    match spawned {
        Ok(_) => Some(tx),
        Err(e) => {
            tracing::warn!(error = %e, "could not start the journal fsync thread; syncing inline");
            None
        }
    }
}

/// Waits for a request, gathers the others that arrive within the interval,
/// then syncs each file once.
fn run(rx: &Receiver<Weak<File>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        let due = Instant::now() + SYNC_INTERVAL;
        loop {
            match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(f) => {
                    if !batch.iter().any(|b| Weak::ptr_eq(b, &f)) {
                        batch.push(f);
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        for file in batch.iter().filter_map(Weak::upgrade) {
            if let Err(e) = file.sync_data() {
                tracing::warn!(error = %e, "journal fsync failed");
            }
        }
    }
}
