//! The Pool Manager: one entry per instrument (model backend) with its lifecycle,
//! concurrency slots, health, memory-budgeted LRU, prewarming and a snapshot for the
//! pool pane.
//!
//! The pool is a state machine and a bookkeeper: it does not load models or call
//! backends itself. The caller warms an entry, loads the model, marks it Hot, takes a
//! slot for each call and reports how the call went.
//!
//! ```
//! use std::time::Duration;
//! use symphony_pit::arbitration::Priority;
//! use symphony_pit::pool::{CallSample, InstrumentConfig, Pool, PoolConfig, State, TransitionReason};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let pool = Pool::new(PoolConfig::default());
//! pool.add(InstrumentConfig::new("local-7b").slots(2).fallback("remote")).unwrap();
//! pool.add(InstrumentConfig::new("remote").slots(8)).unwrap();
//! for name in ["local-7b", "remote"] {
//!     pool.warm(name, TransitionReason::UserRequest).unwrap();
//!     pool.mark_hot(name).unwrap();
//! }
//! let (entry, guard) = pool.acquire("local-7b", Priority::High, Duration::from_secs(1)).await.unwrap();
//! assert_eq!(entry.name(), "local-7b");
//! pool.record_call("local-7b", CallSample::ok(Duration::from_millis(300), None, 120)).unwrap();
//! drop(guard);
//! let snap = pool.snapshot();
//! assert_eq!(snap.entries[0].state, State::Hot);
//! assert_eq!(snap.entries[0].health.samples, 1);
//! # });
//! ```

mod entry;
mod error;
mod health;
mod lifecycle;
mod predictor;
mod slots;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use self::entry::{Entry, InstrumentConfig};
pub use self::error::{PoolError, Result};
pub use self::health::{CallSample, HealthFigures, HealthStatus, HealthThresholds, HealthWindow};
pub use self::lifecycle::{History, State, Transition, TransitionReason};
pub use self::predictor::{Prediction, Predictor, PredictorStats};
pub use self::slots::SlotGuard;
pub use crate::arbitration::Priority;

/// Pool-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolConfig {
    /// Memory that loaded local models may occupy together; `None` = unlimited.
    pub memory_budget: Option<u64>,
    /// Uses the prewarming predictor remembers.
    pub predictor_capacity: usize,
    /// Uses needed before the predictor predicts.
    pub predictor_min_support: u32,
    /// Events buffered per subscriber before the slowest one lags.
    pub event_capacity: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            memory_budget: None,
            predictor_capacity: 500,
            predictor_min_support: 2,
            event_capacity: 256,
        }
    }
}

/// What listeners hear.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolEvent {
    /// An entry changed state.
    Transition {
        /// The instrument.
        instrument: String,
        /// The move.
        transition: Transition,
    },
    /// An entry's health verdict changed.
    Health {
        /// The instrument.
        instrument: String,
        /// Verdict before.
        from: HealthStatus,
        /// Verdict after.
        to: HealthStatus,
    },
}

/// One entry as the pool pane shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntrySnapshot {
    /// The instrument.
    pub name: String,
    /// Lifecycle state.
    pub state: State,
    /// Slots held.
    pub slots_used: u32,
    /// Slot limit.
    pub slots_limit: u32,
    /// Callers waiting.
    pub queue_len: usize,
    /// Health figures.
    pub health: HealthFigures,
    /// Last reported error.
    pub last_error: Option<String>,
    /// Memory footprint when loaded.
    pub memory_bytes: u64,
    /// Configured fallback.
    pub fallback: Option<String>,
    /// The latest transition.
    pub last_transition: Option<Transition>,
}

/// Every entry, by name, plus pool-wide figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolSnapshot {
    /// Entries sorted by name.
    pub entries: Vec<EntrySnapshot>,
    /// Memory held by loaded entries.
    pub memory_in_use: u64,
    /// The budget, if any.
    pub memory_budget: Option<u64>,
    /// Prewarming statistics.
    pub predictor: PredictorStats,
}

#[derive(Debug, Clone)]
struct Pending {
    instrument: String,
    prewarmed: bool,
}

struct Prewarm {
    predictor: Predictor,
    pending: BTreeMap<String, Pending>,
    stats: PredictorStats,
}

/// The Pool Manager. Share it behind an `Arc`; every method takes `&self`.
pub struct Pool {
    config: PoolConfig,
    entries: RwLock<BTreeMap<String, Entry>>,
    clock: Arc<AtomicU64>,
    events: broadcast::Sender<PoolEvent>,
    prewarm: Mutex<Prewarm>,
    /// Serialises transitions so budget checks and evictions see a stable pool.
    lifecycle: Mutex<()>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("entries", &self.entries.read().len())
            .finish()
    }
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Pool {
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let predictor = Predictor::new(config.predictor_capacity, config.predictor_min_support);
        Pool {
            config,
            entries: RwLock::new(BTreeMap::new()),
            clock: Arc::new(AtomicU64::new(0)),
            events,
            prewarm: Mutex::new(Prewarm {
                predictor,
                pending: BTreeMap::new(),
                stats: PredictorStats::default(),
            }),
            lifecycle: Mutex::new(()),
        }
    }

    /// Adds an instrument, Cold.
    pub fn add(&self, config: InstrumentConfig) -> Result<Entry> {
        let mut entries = self.entries.write();
        if entries.contains_key(&config.name) {
            return Err(PoolError::Duplicate { name: config.name });
        }
        let name = config.name.clone();
        let entry = Entry::new(config, Arc::clone(&self.clock))?;
        entries.insert(name, entry.clone());
        Ok(entry)
    }

    /// The entry with this name (no fallback).
    pub fn entry(&self, name: &str) -> Result<Entry> {
        self.entries
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| PoolError::UnknownInstrument {
                name: name.to_string(),
            })
    }

    /// Listens to transitions and health changes.
    pub fn subscribe(&self) -> broadcast::Receiver<PoolEvent> {
        self.events.subscribe()
    }

    fn emit(&self, event: PoolEvent) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }

    fn apply(&self, entry: &Entry, to: State, reason: TransitionReason) -> Result<Transition> {
        let t = entry.transition(to, reason)?;
        self.emit(PoolEvent::Transition {
            instrument: entry.name().to_string(),
            transition: t.clone(),
        });
        Ok(t)
    }

    /// Moves an entry to `to` for `reason`, enforcing the lifecycle: Warming
    /// respects the memory budget (evicting idle entries first), Cooling refuses an
    /// entry in use.
    ///
    /// ```
    /// use symphony_pit::pool::{InstrumentConfig, Pool, PoolConfig, PoolError, State, TransitionReason};
    /// let pool = Pool::new(PoolConfig::default());
    /// pool.add(InstrumentConfig::new("m")).unwrap();
    /// let err = pool.transition("m", State::Hot, TransitionReason::UserRequest).unwrap_err();
    /// assert!(matches!(err, PoolError::InvalidTransition { from: State::Cold, to: State::Hot, .. }));
    /// ```
    pub fn transition(
        &self,
        name: &str,
        to: State,
        reason: TransitionReason,
    ) -> Result<Transition> {
        let _serial = self.lifecycle.lock();
        let entry = self.entry(name)?;
        if to == State::Warming {
            let from = entry.state();
            if !from.can_go_to(to) {
                return Err(PoolError::InvalidTransition {
                    name: name.to_string(),
                    from,
                    to,
                });
            }
            self.make_room(&entry)?;
        }
        self.apply(&entry, to, reason)
    }

    /// Evicts idle Hot entries, least recently used first, until `entry` fits.
    fn make_room(&self, entry: &Entry) -> Result<Vec<String>> {
        let need = entry.config().memory_bytes;
        let Some(budget) = self.config.memory_budget else {
            return Ok(Vec::new());
        };
        if need == 0 {
            return Ok(Vec::new());
        }
        let entries: Vec<Entry> = self.entries.read().values().cloned().collect();
        let mut loaded: u64 = entries
            .iter()
            .filter(|e| e.name() != entry.name() && e.state().is_loaded())
            .map(|e| e.config().memory_bytes)
            .sum();
        if loaded.saturating_add(need) <= budget {
            return Ok(Vec::new());
        }
        let mut candidates: Vec<&Entry> = entries
            .iter()
            .filter(|e| {
                e.name() != entry.name()
                    && e.state() == State::Hot
                    && !e.in_use()
                    && e.config().memory_bytes > 0
            })
            .collect();
        candidates.sort_by(|a, b| {
            a.last_used()
                .cmp(&b.last_used())
                .then(a.name().cmp(b.name()))
        });
        let evictable: u64 = candidates.iter().map(|e| e.config().memory_bytes).sum();
        let pinned = loaded - evictable.min(loaded);
        if pinned.saturating_add(need) > budget {
            return Err(PoolError::MemoryBudget {
                name: entry.name().to_string(),
                needed: need,
                budget,
                pinned,
            });
        }
        let mut evicted = Vec::new();
        for victim in candidates {
            if loaded.saturating_add(need) <= budget {
                break;
            }
            // Refused if a call took a slot since we looked: then it is not evicted.
            if self
                .apply(victim, State::Cooling, TransitionReason::ResourcePressure)
                .is_err()
            {
                continue;
            }
            self.apply(victim, State::Cold, TransitionReason::ResourcePressure)?;
            loaded -= victim.config().memory_bytes;
            evicted.push(victim.name().to_string());
            tracing::info!(evicted = %victim.name(), for_ = %entry.name(), "pool LRU eviction");
        }
        if loaded.saturating_add(need) > budget {
            return Err(PoolError::MemoryBudget {
                name: entry.name().to_string(),
                needed: need,
                budget,
                pinned: loaded,
            });
        }
        Ok(evicted)
    }

    /// Cold -> Warming (evicting idle entries if the memory budget needs it).
    pub fn warm(&self, name: &str, reason: TransitionReason) -> Result<Transition> {
        self.transition(name, State::Warming, reason)
    }

    /// Warming -> Hot: the model finished loading.
    pub fn mark_hot(&self, name: &str) -> Result<Transition> {
        self.transition(name, State::Hot, TransitionReason::UserRequest)
    }

    /// Hot -> Cooling; refused while a slot is held or a caller waits.
    pub fn cool(&self, name: &str, reason: TransitionReason) -> Result<Transition> {
        self.transition(name, State::Cooling, reason)
    }

    /// Cooling -> Cold: the model is unloaded.
    pub fn mark_cold(&self, name: &str) -> Result<Transition> {
        self.transition(name, State::Cold, TransitionReason::UserRequest)
    }

    /// Any state -> Failed, keeping `error` for the pane. On a Failed entry only the
    /// error is updated.
    pub fn fail(&self, name: &str, error: impl Into<String>) -> Result<()> {
        let entry = self.entry(name)?;
        entry.set_last_error(error.into());
        if entry.state() != State::Failed {
            self.transition(name, State::Failed, TransitionReason::HealthFailure)?;
        }
        Ok(())
    }

    /// Failed -> Cold, forgetting the health window and the last error.
    pub fn recover(&self, name: &str) -> Result<Transition> {
        self.transition(name, State::Cold, TransitionReason::Recovery)
    }

    /// Reports how a call went; returns the entry's health verdict afterwards.
    pub fn record_call(&self, name: &str, sample: CallSample) -> Result<HealthStatus> {
        let entry = self.entry(name)?;
        let (from, to) = entry.record_call(sample);
        if from != to {
            tracing::info!(instrument = %name, ?from, ?to, "instrument health changed");
            self.emit(PoolEvent::Health {
                instrument: name.to_string(),
                from,
                to,
            });
        }
        Ok(to)
    }

    /// The entry to use for `name`: itself unless it is Failed or Unhealthy, else
    /// the first usable one along its fallback chain.
    pub fn pick(&self, name: &str) -> Result<Entry> {
        let entries = self.entries.read();
        let mut tried: Vec<String> = Vec::new();
        let mut current = name;
        loop {
            let Some(entry) = entries.get(current) else {
                if tried.is_empty() {
                    return Err(PoolError::UnknownInstrument {
                        name: name.to_string(),
                    });
                }
                break;
            };
            if tried.iter().any(|t| t == current) {
                break;
            }
            tried.push(current.to_string());
            if entry.state() != State::Failed && entry.health_status() != HealthStatus::Unhealthy {
                return Ok(entry.clone());
            }
            match entry.config().fallback.as_deref() {
                Some(next) => current = next,
                None => break,
            }
        }
        Err(PoolError::NoHealthyInstrument {
            requested: name.to_string(),
            tried,
        })
    }

    /// Picks `name` (or its fallback), warms it if Cold, and takes a slot.
    pub async fn acquire(
        &self,
        name: &str,
        priority: Priority,
        timeout: Duration,
    ) -> Result<(Entry, SlotGuard)> {
        let entry = self.pick(name)?;
        if entry.state() == State::Cold {
            self.warm(entry.name(), TransitionReason::UserRequest)?;
        }
        let guard = entry.acquire(priority, timeout).await?;
        Ok((entry, guard))
    }

    /// Moves Hot entries idle for `idle_after` (as of `now`) to Cooling and returns
    /// their names; the caller unloads them and calls [`Pool::mark_cold`]. An entry is
    /// idle from the first sweep that sees it unused.
    pub fn sweep_idle(&self, now: Instant, idle_after: Duration) -> Vec<String> {
        let entries: Vec<Entry> = self.entries.read().values().cloned().collect();
        let mut cooled = Vec::new();
        for e in entries {
            if e.idle_expired(now, idle_after)
                && self.cool(e.name(), TransitionReason::IdleTimeout).is_ok()
            {
                cooled.push(e.name().to_string());
            }
        }
        cooled
    }

    /// Asks the predictor which instrument `command` will call at `hour` and, if it
    /// is Cold, starts Warming it (reason Prewarm). Returns the prediction.
    ///
    /// ```
    /// use symphony_pit::pool::{InstrumentConfig, Pool, PoolConfig, State};
    /// let pool = Pool::new(PoolConfig::default());
    /// pool.add(InstrumentConfig::new("coder")).unwrap();
    /// pool.record_use("write-tests", "coder", 9);
    /// pool.record_use("write-tests", "coder", 9);
    /// assert_eq!(pool.entry("coder").unwrap().state(), State::Cold);
    /// let p = pool.prewarm_for("write-tests", 10).unwrap();
    /// assert_eq!(p.instrument, "coder");
    /// assert_eq!(pool.entry("coder").unwrap().state(), State::Warming);
    /// pool.record_use("write-tests", "coder", 10);
    /// let stats = pool.predictor_stats();
    /// assert_eq!((stats.predictions, stats.hits, stats.cold_starts_avoided), (1, 1, 1));
    /// ```
    pub fn prewarm_for(&self, command: &str, hour: u8) -> Option<Prediction> {
        let prediction = {
            let mut pw = self.prewarm.lock();
            let p = pw.predictor.predict(command, hour)?;
            pw.stats.predictions += 1;
            p
        };
        let prewarmed = match self.entry(&prediction.instrument) {
            Ok(e) if e.state() == State::Cold => {
                match self.warm(e.name(), TransitionReason::Prewarm) {
                    Ok(_) => true,
                    Err(err) => {
                        tracing::debug!(%err, "prewarm skipped");
                        false
                    }
                }
            }
            _ => false,
        };
        self.prewarm.lock().pending.insert(
            command.to_string(),
            Pending {
                instrument: prediction.instrument.clone(),
                prewarmed,
            },
        );
        Some(prediction)
    }

    /// Tells the predictor that `command` is calling `instrument` at `hour` (call it
    /// before taking the slot): settles the pending prediction, counts cold starts,
    /// and learns.
    pub fn record_use(&self, command: &str, instrument: &str, hour: u8) {
        let state = self.entry(instrument).ok().map(|e| e.state());
        let mut pw = self.prewarm.lock();
        if let Some(p) = pw.pending.remove(command) {
            if p.instrument == instrument {
                pw.stats.hits += 1;
                if p.prewarmed && state.is_some_and(State::accepts_calls) {
                    pw.stats.cold_starts_avoided += 1;
                }
            } else {
                pw.stats.misses += 1;
            }
        }
        if state == Some(State::Cold) {
            pw.stats.cold_starts += 1;
        }
        pw.predictor.observe(command, instrument, hour);
    }

    /// Prewarming statistics.
    pub fn predictor_stats(&self) -> PredictorStats {
        self.prewarm.lock().stats
    }

    /// Memory held by loaded (Warming, Hot, Cooling) entries.
    pub fn memory_in_use(&self) -> u64 {
        self.entries
            .read()
            .values()
            .filter(|e| e.state().is_loaded())
            .map(|e| e.config().memory_bytes)
            .sum()
    }

    /// Every entry as the pool pane shows it, sorted by name.
    pub fn snapshot(&self) -> PoolSnapshot {
        let entries: Vec<Entry> = self.entries.read().values().cloned().collect();
        let snaps = entries
            .iter()
            .map(|e| EntrySnapshot {
                name: e.name().to_string(),
                state: e.state(),
                slots_used: e.slots_used(),
                slots_limit: e.slots_limit(),
                queue_len: e.queue_len(),
                health: e.health(),
                last_error: e.last_error(),
                memory_bytes: e.config().memory_bytes,
                fallback: e.config().fallback.clone(),
                last_transition: e.history().pop(),
            })
            .collect();
        PoolSnapshot {
            entries: snaps,
            memory_in_use: self.memory_in_use(),
            memory_budget: self.config.memory_budget,
            predictor: self.predictor_stats(),
        }
    }
}
