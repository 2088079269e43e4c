//! One pool entry (an instrument): its configuration, lifecycle state, slots, health
//! window, history and last error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;

use super::health::{CallSample, HealthFigures, HealthStatus, HealthThresholds, HealthWindow};
use super::lifecycle::{History, State, Transition, TransitionReason};
use super::slots::{SlotGuard, Slots, WaitError};
use super::{PoolError, Result};
use crate::arbitration::Priority;

/// How an instrument is set up in the pool.
///
/// ```
/// use symphony_pit::pool::InstrumentConfig;
/// let c = InstrumentConfig::new("local-7b").slots(2).memory_bytes(4 << 30).fallback("remote");
/// assert_eq!(c.slots, 2);
/// assert_eq!(c.fallback.as_deref(), Some("remote"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentConfig {
    /// Unique name.
    pub name: String,
    /// Calls that may run at once (at least 1).
    pub slots: u32,
    /// Memory a loaded local model occupies; 0 for remote backends (no LRU).
    pub memory_bytes: u64,
    /// Instrument to use instead while this one is Failed or Unhealthy.
    pub fallback: Option<String>,
    /// Where Degraded and Unhealthy begin.
    pub thresholds: HealthThresholds,
    /// Calls in the health window.
    pub health_window: usize,
    /// Transitions kept in the history.
    pub history_len: usize,
}

impl InstrumentConfig {
    /// One slot, no memory footprint, no fallback, default thresholds, a window of
    /// 100 calls and 64 transitions of history.
    pub fn new(name: impl Into<String>) -> InstrumentConfig {
        InstrumentConfig {
            name: name.into(),
            slots: 1,
            memory_bytes: 0,
            fallback: None,
            thresholds: HealthThresholds::default(),
            health_window: 100,
            history_len: 64,
        }
    }

    /// Sets the number of slots.
    pub fn slots(mut self, slots: u32) -> Self {
        self.slots = slots;
        self
    }

    /// Sets the memory footprint.
    pub fn memory_bytes(mut self, bytes: u64) -> Self {
        self.memory_bytes = bytes;
        self
    }

    /// Sets the fallback instrument.
    pub fn fallback(mut self, name: impl Into<String>) -> Self {
        self.fallback = Some(name.into());
        self
    }

    /// Sets the health thresholds.
    pub fn thresholds(mut self, thresholds: HealthThresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// Sets the size of the health window.
    pub fn health_window(mut self, calls: usize) -> Self {
        self.health_window = calls;
        self
    }
}

struct Meta {
    history: History,
    entered: Instant,
    last_error: Option<String>,
    health: HealthWindow,
    /// (use counter seen, when) for idle detection.
    idle_mark: Option<(u64, Instant)>,
}

pub(crate) struct EntryInner {
    config: InstrumentConfig,
    state: AtomicU8,
    health: AtomicU8,
    slots: Arc<Slots>,
    meta: Mutex<Meta>,
}

/// A cheap, clonable handle to one pool entry.
#[derive(Clone)]
pub struct Entry {
    inner: Arc<EntryInner>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name())
            .field("state", &self.state())
            .field("slots_used", &self.slots_used())
            .finish()
    }
}

fn health_from_u8(v: u8) -> HealthStatus {
    match v {
        0 => HealthStatus::Healthy,
        1 => HealthStatus::Degraded,
        _ => HealthStatus::Unhealthy,
    }
}

impl Entry {
    pub(crate) fn new(config: InstrumentConfig, clock: Arc<AtomicU64>) -> Result<Entry> {
        if config.slots == 0 || config.slots == u32::MAX {
            return Err(PoolError::InvalidConfig {
                name: config.name,
                reason: "slots must be between 1 and u32::MAX - 1".into(),
            });
        }
        let meta = Meta {
            history: History::new(config.history_len),
            entered: Instant::now(),
            last_error: None,
            health: HealthWindow::new(config.health_window, config.thresholds),
            idle_mark: None,
        };
        Ok(Entry {
            inner: Arc::new(EntryInner {
                slots: Slots::new(config.slots, clock),
                config,
                state: AtomicU8::new(State::Cold as u8),
                health: AtomicU8::new(HealthStatus::Healthy as u8),
                meta: Mutex::new(meta),
            }),
        })
    }

    /// The instrument's name.
    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    /// Its configuration.
    pub fn config(&self) -> &InstrumentConfig {
        &self.inner.config
    }

    /// Its lifecycle state.
    pub fn state(&self) -> State {
        State::from_u8(self.inner.state.load(Ordering::SeqCst))
    }

    /// Its current health verdict.
    pub fn health_status(&self) -> HealthStatus {
        health_from_u8(self.inner.health.load(Ordering::SeqCst))
    }

    /// Slots held now.
    pub fn slots_used(&self) -> u32 {
        self.inner.slots.used()
    }

    /// Slot limit.
    pub fn slots_limit(&self) -> u32 {
        self.inner.slots.limit()
    }

    /// Callers waiting for a slot.
    pub fn queue_len(&self) -> usize {
        self.inner.slots.queued()
    }

    /// Whether a slot is held or a caller waits.
    pub fn in_use(&self) -> bool {
        self.slots_used() > 0 || self.queue_len() > 0
    }

    pub(crate) fn last_used(&self) -> u64 {
        self.inner.slots.last_used()
    }

    fn not_accepting(&self) -> PoolError {
        PoolError::NotAccepting {
            name: self.name().to_string(),
            state: self.state(),
        }
    }

    /// Takes a free slot without waiting. On a Hot entry with a free slot and
    /// nobody queued this is a few atomic operations and allocates nothing.
    ///
    /// ```
    /// use symphony_pit::pool::{InstrumentConfig, Pool, PoolConfig, PoolError, TransitionReason};
    /// let pool = Pool::new(PoolConfig::default());
    /// let e = pool.add(InstrumentConfig::new("m").slots(1)).unwrap();
    /// assert!(matches!(e.try_acquire(), Err(PoolError::NotAccepting { .. })));
    /// pool.warm("m", TransitionReason::UserRequest).unwrap();
    /// pool.mark_hot("m").unwrap();
    /// let guard = e.try_acquire().unwrap();
    /// assert!(matches!(e.try_acquire(), Err(PoolError::Busy { .. })));
    /// drop(guard);
    /// assert_eq!(e.slots_used(), 0);
    /// ```
    pub fn try_acquire(&self) -> Result<SlotGuard> {
        if !self.state().accepts_calls() {
            return Err(self.not_accepting());
        }
        let Some(guard) = self.inner.slots.try_acquire() else {
            return Err(PoolError::Busy {
                name: self.name().to_string(),
            });
        };
        if !self.state().accepts_calls() {
            drop(guard);
            return Err(self.not_accepting());
        }
        Ok(guard)
    }

    /// Takes a slot, waiting behind more urgent callers (then earlier ones) for at
    /// most `timeout`. Waiters are woken with an error if the entry stops taking
    /// calls (cooled, failed).
    pub async fn acquire(&self, priority: Priority, timeout: Duration) -> Result<SlotGuard> {
        if !self.state().accepts_calls() {
            return Err(self.not_accepting());
        }
        let guard = match self.inner.slots.acquire(priority, timeout).await {
            Ok(g) => g,
            Err(WaitError::Timeout) => {
                return Err(PoolError::Timeout {
                    name: self.name().to_string(),
                    waited: timeout,
                });
            }
            Err(WaitError::Closed) => return Err(self.not_accepting()),
        };
        if !self.state().accepts_calls() {
            drop(guard);
            return Err(self.not_accepting());
        }
        Ok(guard)
    }

    /// Health figures over the window.
    pub fn health(&self) -> HealthFigures {
        self.inner.meta.lock().health.figures()
    }

    /// Transitions kept, oldest first.
    pub fn history(&self) -> Vec<Transition> {
        self.inner.meta.lock().history.iter().cloned().collect()
    }

    /// The last error reported with [`crate::pool::Pool::fail`].
    pub fn last_error(&self) -> Option<String> {
        self.inner.meta.lock().last_error.clone()
    }

    pub(crate) fn record_call(&self, sample: CallSample) -> (HealthStatus, HealthStatus) {
        let mut meta = self.inner.meta.lock();
        let (before, after) = meta.health.record(sample);
        self.inner.health.store(after as u8, Ordering::SeqCst);
        (before, after)
    }

    pub(crate) fn set_last_error(&self, error: String) {
        self.inner.meta.lock().last_error = Some(error);
    }

    /// Moves to `to` if the lifecycle allows it and records the move.
    pub(crate) fn transition(&self, to: State, reason: TransitionReason) -> Result<Transition> {
        let mut meta = self.inner.meta.lock();
        let from = self.state();
        if !from.can_go_to(to) {
            return Err(PoolError::InvalidTransition {
                name: self.name().to_string(),
                from,
                to,
            });
        }
        if to == State::Cooling && !self.inner.slots.try_close() {
            return Err(PoolError::InUse {
                name: self.name().to_string(),
                used: self.slots_used(),
                queued: self.queue_len(),
            });
        }
        self.inner.state.store(to as u8, Ordering::SeqCst);
        self.inner.slots.reopen();
        if !to.accepts_calls() {
            self.inner.slots.fail_waiters();
        }
        if reason == TransitionReason::Recovery {
            meta.health.clear();
            self.inner
                .health
                .store(HealthStatus::Healthy as u8, Ordering::SeqCst);
            meta.last_error = None;
        }
        let now = Instant::now();
        let t = Transition {
            from,
            to,
            reason,
            at: SystemTime::now(),
            in_previous: now.saturating_duration_since(meta.entered),
        };
        meta.entered = now;
        meta.idle_mark = None;
        meta.history.push(t.clone());
        tracing::debug!(instrument = %self.name(), %from, %to, ?reason, "pool transition");
        Ok(t)
    }

    /// Updates idle tracking; true when the entry is Hot, idle, and unused since
    /// at least `idle_after` before `now`.
    pub(crate) fn idle_expired(&self, now: Instant, idle_after: Duration) -> bool {
        let mut meta = self.inner.meta.lock();
        if self.state() != State::Hot || self.in_use() {
            meta.idle_mark = None;
            return false;
        }
        let used = self.last_used();
        match meta.idle_mark {
            Some((seen, since)) if seen == used => {
                now.saturating_duration_since(since) >= idle_after
            }
            _ => {
                meta.idle_mark = Some((used, now));
                false
            }
        }
    }
}
