//! The highlighting worker thread and its job queue.
//!
//! Jobs wait in a per-buffer slot: a new job for a buffer whose previous job has
//! not started yet replaces it (their line edits are merged), so a burst of
//! keystrokes costs one re-highlight. A job that is running checks every few
//! dozen lines whether a newer job for its buffer arrived and, if so, stops
//! (keeping the states computed so far) to let it run.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::cache::BufferCache;
use super::{HighlightJob, HighlightResult, Highlighting, StyleRegistry};

/// What waits for the worker.
#[derive(Default)]
struct Queue {
    /// The newest job of each buffer that has one waiting.
    pending: HashMap<u64, HighlightJob>,
    /// Buffers in the order their waiting job arrived.
    order: VecDeque<u64>,
    /// Buffers to drop from the cache.
    forget: Vec<u64>,
    shutdown: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Handle to the highlighting thread. Dropping it stops the thread.
pub struct HighlightService {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for HighlightService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HighlightService").finish_non_exhaustive()
    }
}

impl HighlightService {
    /// Starts the worker; results arrive on the returned channel. If the thread
    /// cannot be started, jobs are dropped (and logged): the editor works
    /// without colours.
    pub fn spawn(h: Arc<Highlighting>) -> (Self, UnboundedReceiver<HighlightResult>) {
        let (tx, rx) = unbounded_channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("highlight".into())
            .spawn(move || worker(&worker_shared, &h, &tx));
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, "could not start the highlighting thread");
                None
            }
        };
        (HighlightService { shared, thread }, rx)
    }

    /// Queues `job`, replacing a job of the same buffer that has not started.
    pub fn request(&self, job: HighlightJob) {
        let mut q = self.shared.lock();
        let buffer = job.buffer;
        match q.pending.remove(&buffer) {
            Some(older) => {
                let edit = match (older.edit, job.edit) {
                    (Some(a), Some(b)) => Some(a.then(b)),
                    _ => None,
                };
                q.pending.insert(buffer, HighlightJob { edit, ..job });
            }
            None => {
                q.pending.insert(buffer, job);
                q.order.push_back(buffer);
            }
        }
        drop(q);
        self.shared.wake.notify_one();
    }

    /// Drops everything about `buffer` (its view was closed).
    pub fn forget(&self, buffer: u64) {
        let mut q = self.shared.lock();
        q.pending.remove(&buffer);
        q.order.retain(|b| *b != buffer);
        q.forget.push(buffer);
        drop(q);
        self.shared.wake.notify_one();
    }
}

impl Drop for HighlightService {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the highlighting thread panicked");
        }
    }
}

/// The worker loop: take the oldest waiting job, run it, repeat.
fn worker(shared: &Shared, h: &Highlighting, tx: &UnboundedSender<HighlightResult>) {
    let mut caches: HashMap<u64, BufferCache> = HashMap::new();
    let mut registry = StyleRegistry::new();
    loop {
        let job = {
            let mut q = shared.lock();
            loop {
                for b in q.forget.drain(..) {
                    caches.remove(&b);
                }
                if q.shutdown {
                    return;
                }
                if let Some(buffer) = q.order.pop_front()
                    && let Some(job) = q.pending.remove(&buffer)
                {
                    break job;
                }
                q = shared.wake.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let buffer = job.buffer;
        let interrupted = || {
            let q = shared.lock();
            q.shutdown || q.pending.contains_key(&buffer) || q.forget.contains(&buffer)
        };
        let stats = caches.entry(buffer).or_default().run(
            h,
            &mut registry,
            &job,
            &mut |result| {
                // The receiver is gone only while the core shuts down.
                let _ = tx.send(result);
            },
            &interrupted,
        );
        tracing::trace!(buffer, rev = job.rev, ?stats, "highlight job done");
    }
}
