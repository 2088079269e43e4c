//! Concurrency slots of one pool entry: a lock-free fast path, a priority-ordered wait
//! queue with direct hand-off, and the guard that gives a slot back when dropped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::arbitration::Priority;

/// `used` holds this while an entry is being evicted: no slot can be taken.
const CLOSED: u32 = u32::MAX;

/// Why a wait for a slot ended without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitError {
    /// The timeout passed.
    Timeout,
    /// The entry stopped taking calls and the queue was emptied.
    Closed,
}

#[derive(Default)]
struct Queue {
    next_seq: u64,
    /// Keyed by (priority rank, arrival): `pop_first` is the most urgent, oldest waiter.
    waiters: BTreeMap<(u8, u64), oneshot::Sender<SlotGuard>>,
}

/// The slots of one entry.
pub(crate) struct Slots {
    used: AtomicU32,
    limit: u32,
    /// Mirror of `queue.waiters.len()`, readable without the lock.
    waiting: AtomicUsize,
    queue: Mutex<Queue>,
    /// Pool-wide use counter, for LRU order.
    clock: Arc<AtomicU64>,
    last_used: AtomicU64,
}

impl Slots {
    pub(crate) fn new(limit: u32, clock: Arc<AtomicU64>) -> Arc<Slots> {
        Arc::new(Slots {
            used: AtomicU32::new(0),
            limit: limit.clamp(1, CLOSED - 1),
            waiting: AtomicUsize::new(0),
            queue: Mutex::new(Queue::default()),
            clock,
            last_used: AtomicU64::new(0),
        })
    }

    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    /// Slots held right now (0 while closed).
    pub(crate) fn used(&self) -> u32 {
        match self.used.load(Ordering::SeqCst) {
            CLOSED => 0,
            n => n,
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Pool clock value at the last acquisition (0 = never).
    pub(crate) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    fn try_reserve(&self) -> bool {
        let mut n = self.used.load(Ordering::SeqCst);
        loop {
            if n >= self.limit {
                return false;
            }
            match self
                .used
                .compare_exchange_weak(n, n + 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return true,
                Err(actual) => n = actual,
            }
        }
    }

    fn touch(&self) {
        let t = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        self.last_used.store(t, Ordering::Relaxed);
    }

    /// The fast path: a free slot and nobody queued. Allocates nothing.
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Option<SlotGuard> {
        if self.waiting.load(Ordering::SeqCst) != 0 || !self.try_reserve() {
            return None;
        }
        self.touch();
        Some(SlotGuard {
            slots: Arc::clone(self),
        })
    }

    /// Takes a slot, waiting in priority order (then arrival) up to `timeout`.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        priority: Priority,
        timeout: Duration,
    ) -> Result<SlotGuard, WaitError> {
        if let Some(guard) = self.try_acquire() {
            return Ok(guard);
        }
        let (tx, rx) = oneshot::channel();
        let (key, spare) = {
            let mut q = self.queue.lock();
            let key = (priority.rank(), q.next_seq);
            q.next_seq += 1;
            q.waiters.insert(key, tx);
            self.waiting.fetch_add(1, Ordering::SeqCst);
            (key, self.dispatch_locked(&mut q))
        };
        drop(spare);
        let registration = Registration { slots: self, key };
        let outcome = tokio::time::timeout(timeout, rx).await;
        drop(registration);
        match outcome {
            Ok(Ok(guard)) => {
                self.touch();
                Ok(guard)
            }
            Ok(Err(_)) => Err(WaitError::Closed),
            Err(_) => Err(WaitError::Timeout),
        }
    }

    /// Hands free slots to waiters, most urgent first. Returns a guard nobody could
    /// take, to be dropped once the lock is released.
    fn dispatch_locked(self: &Arc<Self>, q: &mut Queue) -> Option<SlotGuard> {
        let mut spare: Option<SlotGuard> = None;
        while !q.waiters.is_empty() {
            let guard = match spare.take() {
                Some(g) => g,
                None if self.try_reserve() => SlotGuard {
                    slots: Arc::clone(self),
                },
                None => break,
            };
            let Some((_, tx)) = q.waiters.pop_first() else {
                spare = Some(guard);
                break;
            };
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            if let Err(back) = tx.send(guard) {
                // That waiter gave up; offer the slot to the next one.
                spare = Some(back);
            }
        }
        spare
    }

    fn release(self: &Arc<Self>) {
        self.used.fetch_sub(1, Ordering::SeqCst);
        if self.waiting.load(Ordering::SeqCst) != 0 {
            let spare = {
                let mut q = self.queue.lock();
                self.dispatch_locked(&mut q)
            };
            drop(spare);
        }
    }

    /// Closes the slots if none is held and nobody waits (for eviction).
    pub(crate) fn try_close(&self) -> bool {
        let q = self.queue.lock();
        q.waiters.is_empty()
            && self
                .used
                .compare_exchange(0, CLOSED, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
    }

    /// Reopens slots closed by [`Slots::try_close`].
    pub(crate) fn reopen(&self) {
        let _ = self
            .used
            .compare_exchange(CLOSED, 0, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Wakes every waiter with [`WaitError::Closed`].
    pub(crate) fn fail_waiters(&self) {
        let waiters = {
            let mut q = self.queue.lock();
            self.waiting.store(0, Ordering::SeqCst);
            std::mem::take(&mut q.waiters)
        };
        drop(waiters);
    }
}

/// Removes a waiter from the queue when its wait ends (timeout or cancellation).
struct Registration<'a> {
    slots: &'a Arc<Slots>,
    key: (u8, u64),
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut q = self.slots.queue.lock();
        if q.waiters.remove(&self.key).is_some() {
            self.slots.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A held concurrency slot. Dropping it gives the slot back (straight to the most
/// urgent waiter, if any).
#[must_use = "the slot is released as soon as the guard is dropped"]
pub struct SlotGuard {
    slots: Arc<Slots>,
}

impl std::fmt::Debug for SlotGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotGuard")
            .field("used", &self.slots.used())
            .field("limit", &self.slots.limit)
            .finish()
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.slots.release();
    }
}
