//! The instruments as the Pit's Pool Manager sees them: one pool entry per instrument
//! (slots = max concurrency), a status list for the pool pane, and the reporter task
//! that sends `ConductorEvent::Pool` on every change, at most ten times a second.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use symphony_pit::pool::{self, HealthThresholds, Pool, PoolConfig, State, TransitionReason};
use tokio::sync::{Notify, broadcast, mpsc};

use crate::events::{ConductorEvent, InstrumentStatus};
use crate::instrument::{Instrument, InstrumentConfig, InstrumentKind};

/// Tokens/s samples kept per instrument for the sparkline.
const SPARKLINE: usize = 32;
/// Shortest gap between two pool events.
const THROTTLE: Duration = Duration::from_millis(100);

/// One configured instrument.
struct Slot {
    kind: InstrumentKind,
    model: String,
    instrument: Option<Arc<dyn Instrument>>,
}

/// The instruments, their pool entries and figures.
pub(crate) struct Instruments {
    pub pool: Arc<Pool>,
    slots: HashMap<String, Slot>,
    names: Vec<String>,
    tps: Mutex<HashMap<String, VecDeque<f64>>>,
    dirty: Arc<Notify>,
    lifecycle: Mutex<()>,
}

/// The backend kind as the pool pane shows it.
pub(crate) fn kind_name(kind: InstrumentKind) -> &'static str {
    match kind {
        InstrumentKind::Openai => "openai",
        InstrumentKind::Ollama => "ollama",
        InstrumentKind::Anthropic => "anthropic",
        InstrumentKind::Command => "command",
        InstrumentKind::Extension => "extension",
    }
}

impl Instruments {
    /// Registers every instrument in a fresh pool. `built` holds each config's instrument
    /// or why it could not be built (that entry is marked Failed with the reason).
    pub fn new(
        configs: &[InstrumentConfig],
        built: Vec<Result<Arc<dyn Instrument>, String>>,
    ) -> (Self, Vec<String>) {
        let pool = Arc::new(Pool::new(PoolConfig::default()));
        let mut slots = HashMap::new();
        let mut names = Vec::new();
        let mut problems = Vec::new();
        // Local models can be slow: latency alone never makes an instrument unusable.
        let thresholds = HealthThresholds {
            degraded_p95: Duration::from_secs(300),
            unhealthy_p95: Duration::from_secs(24 * 3600),
            ..HealthThresholds::default()
        };
        for (cfg, inst) in configs.iter().zip(built) {
            let slots_n = cfg.max_concurrency.clamp(1, 1024) as u32;
            let entry = pool::InstrumentConfig::new(cfg.name.clone())
                .slots(slots_n)
                .thresholds(thresholds);
            if let Err(e) = pool.add(entry) {
                problems.push(format!("instrument `{}`: {e}", cfg.name));
                continue;
            }
            let instrument = match inst {
                Ok(i) => Some(i),
                Err(reason) => {
                    let _ = pool.fail(&cfg.name, reason.clone());
                    problems.push(format!("instrument `{}` is not usable: {reason}", cfg.name));
                    None
                }
            };
            names.push(cfg.name.clone());
            slots.insert(
                cfg.name.clone(),
                Slot {
                    kind: cfg.kind,
                    model: cfg.model.clone(),
                    instrument,
                },
            );
        }
        (
            Self {
                pool,
                slots,
                names,
                tps: Mutex::new(HashMap::new()),
                dirty: Arc::new(Notify::new()),
                lifecycle: Mutex::new(()),
            },
            problems,
        )
    }

    /// The instrument called `name`, or why it cannot be called.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Instrument>, String> {
        match self.slots.get(name) {
            None => Err(format!("no instrument named `{name}`")),
            Some(Slot {
                instrument: Some(i),
                ..
            }) => Ok(i.clone()),
            Some(_) => Err(format!(
                "instrument `{name}` is not usable: {}",
                self.pool
                    .entry(name)
                    .ok()
                    .and_then(|e| e.last_error())
                    .unwrap_or_else(|| "it could not be built".into())
            )),
        }
    }

    /// Something changed: the reporter sends a pool event soon.
    pub fn touch(&self) {
        self.dirty.notify_one();
    }

    /// Records a finished call's tokens per second for the sparkline.
    pub fn record_tps(&self, name: &str, tps: f64) {
        let mut map = self.tps.lock();
        let q = map.entry(name.to_owned()).or_default();
        if q.len() == SPARKLINE {
            q.pop_front();
        }
        q.push_back(tps);
    }

    /// Readies an entry for a call: Failed -> Cold (a new call is the user's retry), then
    /// Cold -> Warming. Serialised, so calls starting together never race on a transition.
    pub fn prepare(&self, name: &str) {
        let _serial = self.lifecycle.lock();
        let Ok(e) = self.pool.entry(name) else { return };
        if e.state() == State::Failed && self.pool.recover(name).is_ok() {
            tracing::info!(instrument = name, "instrument recovered for a new call");
        }
        if e.state() == State::Cold
            && let Err(err) = self.pool.warm(name, TransitionReason::UserRequest)
        {
            tracing::warn!(instrument = name, error = %err, "warming refused");
        }
    }

    /// Warming -> Hot after a successful call.
    pub fn mark_hot(&self, name: &str) {
        if let Ok(e) = self.pool.entry(name)
            && e.state() == State::Warming
        {
            let _ = self.pool.mark_hot(name);
        }
    }

    /// Marks the entry Failed with `reason`.
    pub fn fail(&self, name: &str, reason: &str) {
        if let Err(e) = self.pool.fail(name, reason) {
            tracing::warn!(instrument = name, error = %e, "pool fail refused");
        }
    }

    /// The pool pane's rows, in config order.
    pub fn statuses(&self) -> Vec<InstrumentStatus> {
        let snap = self.pool.snapshot();
        let tps = self.tps.lock();
        self.names
            .iter()
            .filter_map(|name| {
                let e = snap.entries.iter().find(|e| &e.name == name)?;
                let slot = self.slots.get(name)?;
                let sampled = e.health.samples > 0;
                Some(InstrumentStatus {
                    name: name.clone(),
                    kind: kind_name(slot.kind).to_owned(),
                    model: slot.model.clone(),
                    state: format!("{:?}", e.state),
                    slots_used: e.slots_used as usize,
                    slots_limit: e.slots_limit as usize,
                    queued: e.queue_len,
                    p50_latency: sampled.then_some(e.health.latency_p50),
                    time_to_first_token: e.health.ttft_p50,
                    tokens_per_second: tps
                        .get(name)
                        .map(|q| q.iter().copied().collect())
                        .unwrap_or_default(),
                    last_error: e.last_error.clone(),
                })
            })
            .collect()
    }

    /// Sends `ConductorEvent::Pool` after every change (pool transitions, health, slots
    /// taken or released), throttled; ends when the receiver is gone.
    pub fn spawn_reporter(self: &Arc<Self>, events: mpsc::UnboundedSender<ConductorEvent>) {
        let this = Arc::downgrade(self);
        let dirty = self.dirty.clone();
        let mut changes = self.pool.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = dirty.notified() => {}
                    r = changes.recv() => match r {
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                }
                let Some(me) = this.upgrade() else { break };
                if events.send(ConductorEvent::Pool(me.statuses())).is_err() {
                    break;
                }
                drop(me);
                tokio::time::sleep(THROTTLE).await;
                // Changes during the pause are already counted by `dirty`; pool
                // transitions that queued up are folded into the next snapshot.
                while changes.try_recv().is_ok() {
                    dirty.notify_one();
                }
            }
        });
    }
}
