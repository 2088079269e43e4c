//! The extension host: one supervised process per extension, speaking
//! `Message<serde_json::Value>` envelopes as JSON lines over its stdio.
//!
//! [`Host::start`] takes a manifest and a grant and returns an [`ExtensionHandle`]:
//! [`ExtensionHandle::request`] pairs requests and responses by correlation id with a
//! timeout (a request unanswered in time kills and restarts the extension); events the
//! extension publishes reach [`Host::subscribe`]rs by topic pattern; a crash restarts
//! it with backoff until [`HostConfig::max_restarts`], then it is
//! [`State::Failed`] with the reason. Malformed lines are skipped, a flood is throttled,
//! expired messages are dropped; all counted in [`Stats`]. Requests the extension makes
//! of the host go through the permission [`Checker`] first.

mod bus;
mod lifecycle;
mod process;
mod services;
mod supervisor;
mod throttle;
pub mod wire;

pub use bus::{Bus, Event, topic_matches};
pub use lifecycle::{InvalidTransition, State};
pub use process::{Limits, apply_limits, child_env, kill_group};
pub use services::{DefaultServices, HostServices, ServiceFuture};
pub use throttle::TokenBucket;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use symphony_protocol::envelope::{Message, Priority};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::manifest::Manifest;
use crate::permissions::{Checker, Grant};

/// What can go wrong talking to an extension.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HostError {
    /// The extension has no running process.
    #[error("extension {0} is not running")]
    NotRunning(String),
    /// No answer in time; the extension is being restarted.
    #[error("extension {id} did not answer {method} within {timeout:?}")]
    Timeout {
        /// The extension.
        id: String,
        /// The request's method.
        method: String,
        /// The timeout.
        timeout: Duration,
    },
    /// The process went away before answering.
    #[error("extension {0} exited before answering")]
    Gone(String),
    /// The extension answered with an error.
    #[error("extension error {code}: {message}")]
    Remote {
        /// Its code (`permission_denied`, ...).
        code: String,
        /// Its message.
        message: String,
    },
    /// The lifecycle does not allow this now.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// The extension is disabled in the settings.
    #[error("extension {0} is disabled")]
    Disabled(String),
}

/// Result alias for the host.
pub type Result<T, E = HostError> = std::result::Result<T, E>;

/// Host-wide settings.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The workspace root: extensions' working folder and the base of file globs.
    pub workspace: PathBuf,
    /// Default request timeout.
    pub request_timeout: Duration,
    /// Restarts after crashes or hangs before giving up (Failed).
    pub max_restarts: u32,
    /// First restart delay; doubles each time up to [`HostConfig::max_backoff`].
    pub backoff: Duration,
    /// Longest restart delay.
    pub max_backoff: Duration,
    /// A process that ran this long resets the restart count.
    pub stable_after: Duration,
    /// Messages per second an extension may send (events and host requests; replies
    /// to the host's own requests are never throttled).
    pub rate_per_sec: u32,
    /// Burst allowance of the rate limit.
    pub burst: u32,
    /// Longest accepted output line.
    pub max_line: usize,
    /// Resource limits of extension processes.
    pub limits: Limits,
}

impl HostConfig {
    /// Defaults for a workspace: 5 s timeout, 3 restarts, 100 ms..2 s backoff,
    /// 2,000 msg/s with bursts of 10,000, 16 MiB lines, [`Limits::default`].
    pub fn new(workspace: impl Into<PathBuf>) -> Self {
        HostConfig {
            workspace: workspace.into(),
            request_timeout: Duration::from_secs(5),
            max_restarts: 3,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            stable_after: Duration::from_secs(30),
            rate_per_sec: 2_000,
            burst: 10_000,
            max_line: 16 << 20,
            limits: Limits::default(),
        }
    }
}

/// Counters of one extension (monotonic).
#[derive(Debug, Default)]
pub struct Stats {
    /// Output lines that were not a valid envelope.
    pub malformed: AtomicU64,
    /// Messages dropped by the rate limit.
    pub throttled: AtomicU64,
    /// Messages dropped because their TTL had passed.
    pub expired: AtomicU64,
    /// Restarts after a crash or a hang.
    pub restarts: AtomicU64,
    /// Requests that timed out.
    pub timeouts: AtomicU64,
    /// Host requests refused by the permission check.
    pub denied: AtomicU64,
    /// Events received and published.
    pub events: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// See [`Stats::malformed`].
    pub malformed: u64,
    /// See [`Stats::throttled`].
    pub throttled: u64,
    /// See [`Stats::expired`].
    pub expired: u64,
    /// See [`Stats::restarts`].
    pub restarts: u64,
    /// See [`Stats::timeouts`].
    pub timeouts: u64,
    /// See [`Stats::denied`].
    pub denied: u64,
    /// See [`Stats::events`].
    pub events: u64,
}

impl Stats {
    fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            malformed: g(&self.malformed),
            throttled: g(&self.throttled),
            expired: g(&self.expired),
            restarts: g(&self.restarts),
            timeouts: g(&self.timeouts),
            denied: g(&self.denied),
            events: g(&self.events),
        }
    }
}

pub(crate) fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// The reply to a pending request.
type Reply = Result<Value>;

/// Commands to an extension's supervisor task.
#[derive(Debug)]
pub(crate) enum Command {
    Activate,
    Deactivate,
    Restart(String),
    Unload,
}

/// State shared by a handle, its supervisor and its I/O tasks.
pub(crate) struct Shared {
    pub(crate) manifest: Manifest,
    /// The settings sent at initialize: manifest defaults overlaid with the user's
    /// values (secrets included; never logged).
    pub(crate) settings: Value,
    pub(crate) endpoint: String,
    pub(crate) config: HostConfig,
    pub(crate) checker: Checker,
    pub(crate) services: Arc<dyn HostServices>,
    pub(crate) bus: Arc<Bus>,
    pub(crate) stats: Stats,
    pub(crate) state: watch::Sender<State>,
    pub(crate) reason: Mutex<Option<String>>,
    pub(crate) pending: Mutex<HashMap<Uuid, (String, oneshot::Sender<Reply>)>>,
    /// Outgoing messages of the running process, if any.
    pub(crate) out: Mutex<Option<mpsc::UnboundedSender<Message<Value>>>>,
    /// The running process's id (0: none).
    pub(crate) pid: std::sync::atomic::AtomicU32,
}

impl Shared {
    pub(crate) fn id(&self) -> &str {
        &self.manifest.id
    }

    /// Moves to `to` if the lifecycle allows it.
    pub(crate) fn set_state(&self, to: State) -> Result<(), InvalidTransition> {
        let mut res = Ok(());
        self.state.send_if_modified(|s| match s.transition(to) {
            Ok(to) => {
                let changed = *s != to;
                *s = to;
                changed
            }
            Err(e) => {
                res = Err(e);
                false
            }
        });
        match &res {
            Ok(()) => tracing::debug!(id = %self.id(), state = ?to, "extension state"),
            Err(e) => tracing::warn!(id = %self.id(), error = %e, "rejected"),
        }
        res
    }

    /// Queues `msg` for the running process.
    pub(crate) fn send(&self, msg: Message<Value>) -> Result<()> {
        let out = self
            .out
            .lock()
            .map_err(|_| HostError::NotRunning(self.id().into()))?;
        match out.as_ref() {
            Some(tx) if tx.send(msg).is_ok() => Ok(()),
            _ => Err(HostError::NotRunning(self.id().into())),
        }
    }

    /// Sends a request and waits for its reply (no restart on timeout).
    pub(crate) async fn request_raw(
        &self,
        method: &str,
        params: Value,
        priority: Priority,
        timeout: Duration,
    ) -> Result<Value> {
        let msg = Message::request(wire::request(method, params))
            .from("host")
            .to(self.endpoint.as_str())
            .priority(priority)
            .build();
        let id = msg.id;
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id, (method.to_string(), tx));
        }
        if let Err(e) = self.send(msg) {
            self.forget(id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(HostError::Gone(self.id().into())),
            Err(_) => {
                self.forget(id);
                bump(&self.stats.timeouts);
                Err(HostError::Timeout {
                    id: self.id().into(),
                    method: method.into(),
                    timeout,
                })
            }
        }
    }

    fn forget(&self, id: Uuid) {
        if let Ok(mut p) = self.pending.lock() {
            p.remove(&id);
        }
    }

    /// Fails every pending request (the process is gone).
    pub(crate) fn fail_pending(&self) {
        let drained: Vec<_> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return,
        };
        for (_, (_, tx)) in drained {
            let _ = tx.send(Err(HostError::Gone(self.id().into())));
        }
    }
}

/// Hosts extensions for one workspace.
pub struct Host {
    config: HostConfig,
    services: Arc<dyn HostServices>,
    bus: Arc<Bus>,
}

impl Host {
    /// A host with [`DefaultServices`] (files under the workspace, notifications logged).
    pub fn new(config: HostConfig) -> Self {
        let services = Arc::new(DefaultServices::new(config.workspace.clone()));
        Self::with_services(config, services)
    }

    /// A host whose extensions' requests are served by `services` (after the
    /// permission check).
    pub fn with_services(config: HostConfig, services: Arc<dyn HostServices>) -> Self {
        Host {
            config,
            services,
            bus: Arc::new(Bus::new()),
        }
    }

    /// The event bus.
    pub fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }

    /// Publishes an event from the host (`buffer.changed`...) to every subscriber,
    /// extensions included; returns how many got it.
    pub fn publish(
        &self,
        topic: &str,
        data: Value,
        priority: Priority,
        ttl: Option<Duration>,
    ) -> usize {
        self.bus.publish(Event {
            source: "host".into(),
            topic: topic.into(),
            data,
            priority,
            ttl_ms: ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
        })
    }

    /// Receives every event whose topic matches `pattern` (`buffer.*`, `**`...).
    pub fn subscribe(&self, pattern: &str) -> mpsc::UnboundedReceiver<Event> {
        self.bus.subscribe(pattern)
    }

    /// Loads `manifest` with `grant` and starts it (Discovered -> Loaded -> Activating
    /// -> Active in the background; see [`ExtensionHandle::wait_active`]).
    pub fn start(&self, manifest: Manifest, grant: Grant) -> ExtensionHandle {
        self.start_with(manifest, grant, serde_json::Map::new())
    }

    /// Like [`Host::start`], with the user's setting values (secrets such as API keys
    /// included) overlaid on the manifest's defaults and sent at `initialize`; they are
    /// never logged.
    pub fn start_with(
        &self,
        manifest: Manifest,
        grant: Grant,
        settings: serde_json::Map<String, Value>,
    ) -> ExtensionHandle {
        let mut merged = manifest.default_config();
        if let Value::Object(m) = &mut merged {
            m.extend(settings);
        }
        let (state, _) = watch::channel(State::Discovered);
        let endpoint = format!("ext:{}", manifest.id);
        let checker = Checker::new(grant, self.config.workspace.clone());
        let shared = Arc::new(Shared {
            manifest,
            settings: merged,
            endpoint,
            config: self.config.clone(),
            checker,
            services: self.services.clone(),
            bus: self.bus.clone(),
            stats: Stats::default(),
            state,
            reason: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            out: Mutex::new(None),
            pid: std::sync::atomic::AtomicU32::new(0),
        });
        let _ = shared.set_state(State::Loaded);
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        tokio::spawn(supervisor::run(shared.clone(), cmd_rx));
        ExtensionHandle { shared, cmd_tx }
    }
}

/// A started extension.
#[derive(Clone)]
pub struct ExtensionHandle {
    shared: Arc<Shared>,
    cmd_tx: mpsc::UnboundedSender<Command>,
}

impl std::fmt::Debug for ExtensionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtensionHandle")
            .field("id", &self.id())
            .field("state", &self.state())
            .finish()
    }
}

impl ExtensionHandle {
    /// Its id.
    pub fn id(&self) -> &str {
        self.shared.id()
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.shared.manifest
    }

    /// Its current state.
    pub fn state(&self) -> State {
        *self.shared.state.borrow()
    }

    /// Why it failed (or was last restarted).
    pub fn reason(&self) -> Option<String> {
        self.shared.reason.lock().ok().and_then(|r| r.clone())
    }

    /// The id of its running process, if one runs.
    pub fn pid(&self) -> Option<u32> {
        Some(self.shared.pid.load(Ordering::Relaxed)).filter(|p| *p != 0)
    }

    /// Its counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// Waits until the state satisfies `pred`, at most `timeout`; returns the state.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(State) -> bool) -> State {
        let mut rx = self.shared.state.subscribe();
        let _ = tokio::time::timeout(timeout, rx.wait_for(|s| pred(*s))).await;
        self.state()
    }

    /// Waits until Active (Ok) or Failed/Inactive/Unloaded or `timeout` (Err with the
    /// state and reason).
    pub async fn wait_active(&self, timeout: Duration) -> Result<(), String> {
        let s = self
            .wait_for(timeout, |s| {
                matches!(
                    s,
                    State::Active | State::Failed | State::Unloaded | State::Inactive
                )
            })
            .await;
        if s == State::Active {
            Ok(())
        } else {
            Err(format!("{s:?}: {}", self.reason().unwrap_or_default()))
        }
    }

    /// Sends a request with the default timeout.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value> {
        self.request_with(
            method,
            params,
            Priority::Normal,
            self.shared.config.request_timeout,
        )
        .await
    }

    /// Sends a request; past `timeout` the extension is killed and restarted and
    /// [`HostError::Timeout`] returned. Only an Active extension takes requests
    /// ([`HostError::NotRunning`] otherwise, e.g. while it restarts).
    pub async fn request_with(
        &self,
        method: &str,
        params: Value,
        priority: Priority,
        timeout: Duration,
    ) -> Result<Value> {
        if self.state() != State::Active {
            return Err(HostError::NotRunning(self.id().into()));
        }
        let res = self
            .shared
            .request_raw(method, params, priority, timeout)
            .await;
        if let Err(HostError::Timeout { .. }) = &res {
            let _ = self.cmd_tx.send(Command::Restart(format!(
                "request {method} unanswered after {timeout:?}"
            )));
        }
        res
    }

    /// Its endpoint name on the bus (`ext:<id>`): the `source` of its events.
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    /// Receives every later event on the host's bus whose topic matches `pattern`
    /// (from any source: compare [`Event::source`] with [`ExtensionHandle::endpoint`]).
    pub fn subscribe(&self, pattern: &str) -> mpsc::UnboundedReceiver<Event> {
        self.shared.bus.subscribe(pattern)
    }

    /// Kills its process and starts it again (with the usual backoff and restart
    /// limit): how a caller stops work the extension cannot be asked to stop.
    pub fn restart(&self, reason: &str) {
        let _ = self.cmd_tx.send(Command::Restart(reason.to_string()));
    }

    /// Sends an event to the extension (dropped undelivered once `ttl` passes).
    pub fn send_event(
        &self,
        topic: &str,
        data: Value,
        priority: Priority,
        ttl: Option<Duration>,
    ) -> Result<()> {
        let mut b = Message::event(wire::event(topic, data))
            .from("host")
            .to(self.shared.endpoint.as_str())
            .priority(priority);
        if let Some(t) = ttl {
            b = b.ttl(t);
        }
        self.shared.send(b.build())
    }

    /// Sends an already-built message (tests of TTL and priority use it).
    pub fn send_message(&self, msg: Message<Value>) -> Result<()> {
        self.shared.send(msg)
    }

    /// Starts it again after [`ExtensionHandle::deactivate`] or a failure.
    pub async fn activate(&self, timeout: Duration) -> Result<(), String> {
        let _ = self.cmd_tx.send(Command::Activate);
        self.wait_for(timeout, |s| s != State::Inactive && s != State::Failed)
            .await;
        self.wait_active(timeout).await
    }

    /// Asks it to stop (deactivate, shutdown, then kill if it lingers); waits until
    /// Inactive.
    pub async fn deactivate(&self, timeout: Duration) -> State {
        let _ = self.cmd_tx.send(Command::Deactivate);
        self.wait_for(timeout, |s| {
            matches!(s, State::Inactive | State::Failed | State::Unloaded)
        })
        .await
    }

    /// Stops it if needed and removes it from the host.
    pub async fn unload(&self, timeout: Duration) -> State {
        let _ = self.cmd_tx.send(Command::Unload);
        self.wait_for(timeout, |s| s == State::Unloaded).await
    }
}
