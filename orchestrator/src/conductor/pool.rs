//! The instruments as the Pit's Pool Manager sees them: one pool entry per instrument
//! (slots = max concurrency), a status list for the pool pane, and the reporter task
//! that sends `ConductorEvent::Pool` on every change, at most ten times a second.
//!
//! Residency (instruments that report their loaded models, e.g. Ollama's `/api/ps`):
//! a poller task asks every few seconds while the pool pane is watched or a call is in
//! flight (and once more after), never on the caller's thread, each poll bounded by a
//! timeout. The entry's state follows what it reports: configured model loaded → Hot,
//! not loaded → Cold; a prewarm in flight keeps it Warming, an unload Cooling. A server
//! that does not answer marks the entry Failed with the reason (the pane's error line)
//! until a poll succeeds again.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::{Mutex, RwLock};
use symphony_pit::pool::{self, HealthThresholds, Pool, PoolConfig, State, TransitionReason};
use tokio::sync::{Notify, broadcast, mpsc};

use crate::backends::ollama::parse_rfc3339;
use crate::events::{ConductorEvent, InstrumentStatus, Residency, ResidentModel};
use crate::instrument::{
    Instrument, InstrumentConfig, InstrumentError, InstrumentKind, LoadedModel,
};

mod live;

/// Tokens/s samples kept per instrument for the sparkline.
const SPARKLINE: usize = 32;
/// Shortest gap between two pool events.
const THROTTLE: Duration = Duration::from_millis(100);
/// Gap between two residency polls while the pool is watched or busy.
pub(crate) const POLL_EVERY: Duration = Duration::from_secs(3);
/// How often an idle poller looks whether a call started (calls also wake it).
const IDLE_CHECK: Duration = Duration::from_secs(5);
/// Longest wait for one residency poll.
const POLL_TIMEOUT: Duration = Duration::from_secs(4);

/// A residency operation in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Prewarm,
    Unload,
}

impl Op {
    /// The operation's verb ("prewarm", "unload").
    fn verb(self) -> &'static str {
        match self {
            Op::Prewarm => "prewarm",
            Op::Unload => "unload",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Prewarm => "a prewarm",
            Op::Unload => "an unload",
        }
    }
}

/// What the pool knows of one instrument's loaded models and pending operation.
#[derive(Debug, Default)]
struct Resident {
    /// The backend answered a poll (and has not failed one since).
    checked: bool,
    /// Its loaded models with their parsed expiry.
    models: Vec<(LoadedModel, Option<SystemTime>)>,
    /// A prewarm or unload in flight.
    op: Option<Op>,
    /// The entry is Failed because a poll failed (a good poll recovers it).
    failed_by_poll: bool,
    /// The latest message about an action that did not fail the entry ("prewarm is
    /// not supported by anthropic", "an unload is in progress").
    note: Option<String>,
}

/// One configured instrument.
struct Slot {
    kind: InstrumentKind,
    model: String,
    instrument: Option<Arc<dyn Instrument>>,
}

/// The instruments, their pool entries and figures. Instruments may join
/// ([`Instruments::add`]) and leave ([`Instruments::remove`]) while it runs.
pub(crate) struct Instruments {
    pub pool: Arc<Pool>,
    slots: RwLock<HashMap<String, Slot>>,
    names: RwLock<Vec<String>>,
    /// Instruments that left, with why (a later call says so).
    gone: Mutex<HashMap<String, String>>,
    /// Where notices go (set with the reporter): an instrument leaving says why.
    notices: Mutex<Option<mpsc::UnboundedSender<ConductorEvent>>>,
    tps: Mutex<HashMap<String, VecDeque<f64>>>,
    dirty: Arc<Notify>,
    lifecycle: Mutex<()>,
    resident: Mutex<HashMap<String, Resident>>,
    watched: AtomicBool,
    refresh_now: AtomicBool,
    /// A call started or ended since the poller last looked.
    activity: AtomicBool,
    kick: Arc<Notify>,
}

/// Whether the backend's model `listed` is the configured `configured` (`llama3.2`
/// is `llama3.2:latest`).
fn same_model(listed: &str, configured: &str) -> bool {
    !configured.is_empty()
        && (listed == configured
            || (!configured.contains(':') && listed.strip_suffix(":latest") == Some(configured)))
}

/// A listed model counts as loaded until its expiry has passed (Ollama lists a model
/// it is unloading with an expiry in the past).
fn still_loaded(expiry: Option<SystemTime>, now: SystemTime) -> bool {
    expiry.is_none_or(|at| at > now)
}

/// Local models can be slow: latency alone never makes an instrument unusable.
fn thresholds() -> HealthThresholds {
    HealthThresholds {
        degraded_p95: Duration::from_secs(300),
        unhealthy_p95: Duration::from_secs(24 * 3600),
        ..HealthThresholds::default()
    }
}

/// The backend kind as the pool pane shows it.
pub(crate) fn kind_name(kind: InstrumentKind) -> &'static str {
    kind.as_str()
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
        let thresholds = thresholds();
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
                slots: RwLock::new(slots),
                names: RwLock::new(names),
                gone: Mutex::new(HashMap::new()),
                notices: Mutex::new(None),
                tps: Mutex::new(HashMap::new()),
                dirty: Arc::new(Notify::new()),
                lifecycle: Mutex::new(()),
                resident: Mutex::new(HashMap::new()),
                watched: AtomicBool::new(false),
                refresh_now: AtomicBool::new(false),
                activity: AtomicBool::new(false),
                kick: Arc::new(Notify::new()),
            },
            problems,
        )
    }

    /// The instrument called `name`, or why it cannot be called.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Instrument>, String> {
        let slots = self.slots.read();
        match slots.get(name) {
            None => match self.gone.lock().get(name) {
                Some(reason) => Err(format!(
                    "instrument `{name}` is no longer available: {reason}"
                )),
                None => Err(format!("no instrument named `{name}`")),
            },
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

    /// Something changed (a call took or released a slot): the reporter sends a pool
    /// event soon, and the residency poller looks at the backends again.
    pub fn touch(&self) {
        self.activity.store(true, Ordering::SeqCst);
        self.kick.notify_one();
        self.report();
    }

    /// The reporter sends a pool event soon.
    fn report(&self) {
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

    /// Warming -> Hot after a successful call (which also clears a refused action's
    /// message).
    pub fn mark_hot(&self, name: &str) {
        if let Some(r) = self.resident.lock().get_mut(name) {
            r.note = None;
        }
        if let Ok(e) = self.pool.entry(name)
            && e.state() == State::Warming
        {
            let _ = self.pool.mark_hot(name);
        }
    }

    /// Marks the entry Failed with `reason`.
    pub fn fail(&self, name: &str, reason: &str) {
        if let Some(r) = self.resident.lock().get_mut(name) {
            r.note = None;
            r.failed_by_poll = false;
        }
        if let Err(e) = self.pool.fail(name, reason) {
            tracing::warn!(instrument = name, error = %e, "pool fail refused");
        }
    }

    /// The instruments that report their loaded models.
    fn residency_capable(&self) -> Vec<(String, Arc<dyn Instrument>)> {
        let slots = self.slots.read();
        self.names
            .read()
            .iter()
            .filter_map(|n| {
                let i = slots.get(n)?.instrument.clone()?;
                i.supports_residency().then(|| (n.clone(), i))
            })
            .collect()
    }

    /// Whether a call holds or waits for a slot of a residency-capable instrument.
    fn busy(&self, names: &[(String, Arc<dyn Instrument>)]) -> bool {
        names
            .iter()
            .any(|(n, _)| self.pool.entry(n).is_ok_and(|e| e.in_use()))
    }

    /// The pool pane is open (`true`) or closed: loaded models are polled every few
    /// seconds while it is open. Opening it polls at once.
    pub fn watch(&self, watching: bool) {
        let was = self.watched.swap(watching, Ordering::SeqCst);
        if watching && !was {
            self.refresh();
        }
    }

    /// Polls the loaded models now (the pane's `r`); messages about refused actions
    /// are cleared.
    pub fn refresh(&self) {
        for r in self.resident.lock().values_mut() {
            r.note = None;
        }
        self.refresh_now.store(true, Ordering::SeqCst);
        self.kick.notify_one();
        self.report();
    }

    /// Shows `message` on the instrument's error line without failing it.
    fn note(&self, name: &str, message: String) {
        tracing::info!(instrument = name, %message, "pool action refused");
        self.resident
            .lock()
            .entry(name.to_owned())
            .or_default()
            .note = Some(message);
        self.report();
    }

    /// The instrument for a residency action, or the note saying why there is none.
    fn residency_instrument(&self, name: &str, operation: &str) -> Option<Arc<dyn Instrument>> {
        let inst = match self.get(name) {
            Ok(i) => i,
            Err(e) => {
                self.note(name, e);
                return None;
            }
        };
        if !inst.supports_residency() {
            let e = InstrumentError::Unsupported {
                operation: operation.to_owned(),
                kind: inst.kind().as_str().to_owned(),
            };
            self.note(name, e.to_string());
            return None;
        }
        Some(inst)
    }

    /// Loads the instrument's model ahead of the first call (Ollama: a keep_alive
    /// request with an empty prompt). Cold → Warming now, → Hot when it is loaded;
    /// a failure marks it Failed with the reason. Returns at once.
    pub fn prewarm(self: &Arc<Self>, name: &str) {
        self.start_op(name, Op::Prewarm);
    }

    /// Unloads the instrument's model now (Ollama: keep_alive 0). Hot → Cooling now,
    /// → Cold when it is unloaded; refused while a call uses it. Returns at once.
    pub fn unload(self: &Arc<Self>, name: &str) {
        self.start_op(name, Op::Unload);
    }

    /// Starts `op` on the instrument, or notes on its pane line why it cannot now.
    fn start_op(self: &Arc<Self>, name: &str, op: Op) {
        let Some(inst) = self.residency_instrument(name, op.verb()) else {
            return;
        };
        let started = {
            let _serial = self.lifecycle.lock();
            let Ok(entry) = self.pool.entry(name) else {
                return;
            };
            let mut map = self.resident.lock();
            let r = map.entry(name.to_owned()).or_default();
            match self.refusal(name, &entry, r, op) {
                Some(why) => {
                    r.note = Some(why);
                    false
                }
                None => {
                    r.op = Some(op);
                    r.note = None;
                    true
                }
            }
        };
        self.report();
        if started {
            tracing::info!(instrument = name, "{}", op.verb());
            self.spawn_op(name, inst, op);
        }
    }

    /// Moves the pool's state for `op` (Cold → Warming for a prewarm, Hot → Cooling
    /// for an unload), or says why `op` cannot start now.
    fn refusal(&self, name: &str, entry: &pool::Entry, r: &mut Resident, op: Op) -> Option<String> {
        if let Some(running) = r.op {
            return Some(format!("{} is in progress", running.name()));
        }
        // An extension's unload cancels the calls running on it first (as Esc
        // would); other backends wait for them.
        let cancels = self.cancels_on_unload(name);
        if op == Op::Unload && entry.in_use() && !cancels {
            return Some("a call is using it: unload when it is done".to_owned());
        }
        if entry.state() == State::Failed && self.pool.recover(name).is_ok() {
            r.failed_by_poll = false;
        }
        match (op, entry.state()) {
            (Op::Prewarm, State::Cooling) => {
                Some("it is unloading: prewarm when that is done".to_owned())
            }
            (Op::Prewarm, State::Cold) => self
                .pool
                .warm(name, TransitionReason::Prewarm)
                .err()
                .map(|e| format!("prewarm refused: {e}")),
            (Op::Unload, State::Warming) => {
                Some("it is loading: unload when it is ready".to_owned())
            }
            // Cooled once its calls are cancelled (`spawn_op`).
            (Op::Unload, State::Hot) if entry.in_use() => None,
            (Op::Unload, State::Hot) => self
                .pool
                .cool(name, TransitionReason::UserRequest)
                .err()
                .map(|e| format!("unload refused: {e}")),
            // A prewarm of a Warming or Hot model renews its keep_alive; an unload of a
            // Cold one still asks the backend (it may hold it, loaded outside Symphony).
            _ => None,
        }
    }

    /// Runs the backend's side of `op` on a task, then settles the state it
    /// started (Warming → Hot, Cooling → Cold; an error fails the instrument) and
    /// polls what is loaded.
    fn spawn_op(self: &Arc<Self>, name: &str, inst: Arc<dyn Instrument>, op: Op) {
        let me = self.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let result = match op {
                Op::Prewarm => inst.prewarm().await,
                Op::Unload => inst.unload().await,
            };
            let cool_later = {
                let _serial = me.lifecycle.lock();
                if let Some(r) = me.resident.lock().get_mut(&name) {
                    r.op = None;
                }
                let started = match op {
                    Op::Prewarm => State::Warming,
                    Op::Unload => State::Cooling,
                };
                match result {
                    // Its calls were cancelled: it cools once they let go of it.
                    Ok(()) if op == Op::Unload && me.state_of(&name) == Some(State::Hot) => true,
                    Ok(()) => {
                        if me.pool.entry(&name).is_ok_and(|e| e.state() == started) {
                            let _ = match op {
                                Op::Prewarm => me.pool.mark_hot(&name),
                                Op::Unload => me.pool.mark_cold(&name),
                            };
                        }
                        false
                    }
                    Err(e) => {
                        me.fail(&name, &format!("{}: {e}", op.verb()));
                        false
                    }
                }
            };
            if cool_later {
                me.cool_when_idle(&name).await;
            }
            me.report();
            me.poll_one(&name, &inst).await;
        });
    }

    /// Whether unloading `name` stops calls running on it (an extension's process)
    /// rather than waiting for them.
    pub fn cancels_on_unload(&self, name: &str) -> bool {
        self.kind_of(name) == Some(InstrumentKind::Extension)
    }

    /// The configured kind of `name`.
    fn kind_of(&self, name: &str) -> Option<InstrumentKind> {
        self.slots.read().get(name).map(|s| s.kind)
    }

    /// The pool state of `name`.
    fn state_of(&self, name: &str) -> Option<State> {
        self.pool.entry(name).ok().map(|e| e.state())
    }

    /// Hot → Cooling → Cold once no call holds a slot (bounded: a call that does
    /// not let go leaves it Hot, and the next poll decides).
    async fn cool_when_idle(&self, name: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.pool.entry(name).is_ok_and(|e| e.in_use())
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _serial = self.lifecycle.lock();
        if self.state_of(name) == Some(State::Hot)
            && self.pool.cool(name, TransitionReason::UserRequest).is_ok()
        {
            let _ = self.pool.mark_cold(name);
        }
    }

    /// Asks one instrument for its loaded models (bounded) and applies the answer.
    async fn poll_one(&self, name: &str, inst: &Arc<dyn Instrument>) {
        let result = match tokio::time::timeout(POLL_TIMEOUT, inst.loaded_models()).await {
            Ok(r) => r,
            Err(_) => Err(InstrumentError::Timeout {
                after: POLL_TIMEOUT,
                partial: String::new(),
            }),
        };
        self.apply_poll(name, result);
        self.report();
    }

    /// Records a poll's answer and moves the entry's state to follow it (unless a
    /// prewarm or unload is in flight: its own answer decides).
    fn apply_poll(&self, name: &str, result: crate::instrument::Result<Vec<LoadedModel>>) {
        let _serial = self.lifecycle.lock();
        let slots = self.slots.read();
        let (Ok(entry), Some(slot)) = (self.pool.entry(name), slots.get(name)) else {
            return;
        };
        let mut map = self.resident.lock();
        let r = map.entry(name.to_owned()).or_default();
        let in_flight = r.op.is_some();
        match result {
            Ok(models) => {
                let now = SystemTime::now();
                r.checked = true;
                r.models = models
                    .into_iter()
                    .map(|m| {
                        let at = m.expires_at.as_deref().and_then(parse_rfc3339);
                        (m, at)
                    })
                    .collect();
                let loaded = r
                    .models
                    .iter()
                    .any(|(m, at)| same_model(&m.name, &slot.model) && still_loaded(*at, now));
                if in_flight {
                    return;
                }
                r.note = None;
                // A failed poll is over; any other failure is over once its model is
                // evidently loaded and serving.
                if entry.state() == State::Failed
                    && (r.failed_by_poll || loaded)
                    && self.pool.recover(name).is_ok()
                {
                    r.failed_by_poll = false;
                }
                let state = entry.state();
                if loaded && state == State::Cold {
                    // Loaded outside a call (another client, an earlier session).
                    if self.pool.warm(name, TransitionReason::UserRequest).is_ok() {
                        let _ = self.pool.mark_hot(name);
                    }
                } else if loaded && state == State::Warming {
                    let _ = self.pool.mark_hot(name);
                } else if !loaded
                    && state == State::Hot
                    && !entry.in_use()
                    && self.pool.cool(name, TransitionReason::IdleTimeout).is_ok()
                {
                    // The backend let it expire.
                    let _ = self.pool.mark_cold(name);
                }
            }
            Err(e) => {
                r.checked = false;
                r.models.clear();
                let message = e.to_string();
                tracing::debug!(instrument = name, error = %message, "residency poll failed");
                if in_flight {
                    return;
                }
                match entry.state() {
                    // A failure of its own (a call, a prewarm) keeps its reason.
                    State::Failed if !r.failed_by_poll => {}
                    State::Failed => {
                        let _ = self.pool.fail(name, message);
                    }
                    _ if entry.in_use() => r.note = Some(message),
                    _ => {
                        r.note = None;
                        r.failed_by_poll = true;
                        let _ = self.pool.fail(name, message);
                    }
                }
            }
        }
    }

    /// Starts the residency poller (it idles while no instrument reports its loaded
    /// models; instruments may join later). It ends when the Conductor is dropped.
    pub fn spawn_poller(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        let kick = self.kick.clone();
        tokio::spawn(async move {
            let mut was_busy = false;
            loop {
                let Some(me) = this.upgrade() else { break };
                // Instruments may join while it runs.
                let capable = me.residency_capable();
                let busy = me.busy(&capable);
                // One more poll after the last call ends shows the new expiry.
                let active = me.watched.load(Ordering::SeqCst)
                    || busy
                    || was_busy
                    || me.activity.swap(false, Ordering::SeqCst);
                was_busy = busy;
                let forced = me.refresh_now.swap(false, Ordering::SeqCst);
                if active || forced {
                    let polls = capable.iter().map(|(n, i)| me.poll_one(n, i));
                    futures::future::join_all(polls).await;
                }
                drop(me);
                let wait = if active { POLL_EVERY } else { IDLE_CHECK };
                tokio::select! {
                    _ = kick.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        });
    }

    /// The residency of `name` as the pane shows it (`None`: it does not report one).
    fn residency(&self, name: &str, slot: &Slot, now: SystemTime) -> Option<Residency> {
        if !slot
            .instrument
            .as_ref()
            .is_some_and(|i| i.supports_residency())
        {
            return None;
        }
        let map = self.resident.lock();
        let Some(r) = map.get(name) else {
            return Some(Residency::default());
        };
        Some(Residency {
            checked: r.checked,
            models: r
                .models
                .iter()
                .map(|(m, at)| ResidentModel {
                    name: m.name.clone(),
                    size: m.size,
                    size_vram: m.size_vram,
                    expires_in: at.map(|at| at.duration_since(now).unwrap_or_default()),
                    configured: same_model(&m.name, &slot.model),
                })
                .collect(),
        })
    }

    /// The pool pane's rows, in config order.
    pub fn statuses(&self) -> Vec<InstrumentStatus> {
        let snap = self.pool.snapshot();
        let now = SystemTime::now();
        let notes: HashMap<String, String> = self
            .resident
            .lock()
            .iter()
            .filter_map(|(n, r)| Some((n.clone(), r.note.clone()?)))
            .collect();
        let tps = self.tps.lock();
        let slots = self.slots.read();
        self.names
            .read()
            .iter()
            .filter_map(|name| {
                let e = snap.entries.iter().find(|e| &e.name == name)?;
                let slot = slots.get(name)?;
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
                    last_error: notes.get(name).cloned().or_else(|| e.last_error.clone()),
                    residency: self.residency(name, slot, now),
                })
            })
            .collect()
    }

    /// Sends `ConductorEvent::Pool` after every change (pool transitions, health, slots
    /// taken or released), throttled; ends when the receiver is gone.
    pub fn spawn_reporter(self: &Arc<Self>, events: mpsc::UnboundedSender<ConductorEvent>) {
        *self.notices.lock() = Some(events.clone());
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
