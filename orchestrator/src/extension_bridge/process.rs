//! [`Process`]: the process behind an instrument or operator extension, started when
//! it is first needed (its activation is not `on_startup`), stopped and started again
//! on request (the pool pane's `u` and `w`), and watched so that an extension that
//! fails for good (it kept crashing) leaves the catalog.
//!
//! [`Launcher`] is what starts an extension the first time: the session's
//! [`Manager`] (shared as [`SharedManager`]) in the client; tests may pass their own.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use symphony_extensions::{ExtensionHandle, Manager, Manifest, StartOutcome, State};

/// Starts an extension by id (dependencies first, if it is enabled and granted).
pub trait Launcher: Send + Sync {
    /// Starts `id`, or hands back its running handle; why it cannot start otherwise.
    fn launch(&self, id: &str) -> Result<ExtensionHandle, String>;
}

/// The session's extension manager, shared by the client and the extensions it
/// starts on first use.
pub type SharedManager = Arc<Mutex<Manager>>;

/// Shares `manager` (see [`SharedManager`]).
pub fn share(manager: Manager) -> SharedManager {
    Arc::new(Mutex::new(manager))
}

impl Launcher for Mutex<Manager> {
    fn launch(&self, id: &str) -> Result<ExtensionHandle, String> {
        match self.lock().start(id) {
            StartOutcome::Started(h) | StartOutcome::AlreadyRunning(h) => Ok(h),
            StartOutcome::NeedsGrant { .. } => {
                Err(format!("extension {id} waits for its permission prompt"))
            }
            StartOutcome::Untrusted { .. } => Err(format!(
                "extension {id} comes with the workspace, which is not trusted (`symphony trust`)"
            )),
            StartOutcome::Disabled => Err(format!("extension {id} is disabled")),
            StartOutcome::Unknown => Err(format!("extension {id} is not installed")),
            StartOutcome::DependencyNotStarted { dependency } => Err(format!(
                "extension {id} did not start: its dependency {dependency} did not start"
            )),
        }
    }
}

/// Called with the extension's id and the reason when it failed for good.
pub(crate) type OnDead = Arc<dyn Fn(&str, String) + Send + Sync>;

/// How long an extension may take to start before the call that needed it fails.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping extension may take before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// The process of one extension (see the module doc).
pub(crate) struct Process {
    manifest: Manifest,
    handle: Mutex<Option<ExtensionHandle>>,
    launcher: Option<Arc<dyn Launcher>>,
    /// One start at a time (two calls arriving together share it).
    starting: tokio::sync::Mutex<()>,
    start_timeout: Mutex<Duration>,
    on_dead: Mutex<Option<OnDead>>,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process")
            .field("id", &self.manifest.id)
            .field("state", &self.state())
            .field("lazy", &self.launcher.is_some())
            .finish()
    }
}

impl Process {
    /// An extension already started by someone else.
    pub fn started(handle: ExtensionHandle, launcher: Option<Arc<dyn Launcher>>) -> Self {
        Process {
            manifest: handle.manifest().clone(),
            handle: Mutex::new(Some(handle)),
            launcher,
            starting: tokio::sync::Mutex::new(()),
            start_timeout: Mutex::new(START_TIMEOUT),
            on_dead: Mutex::new(None),
        }
    }

    /// An extension not started yet: `launcher` starts it when first needed.
    pub fn lazy(manifest: Manifest, launcher: Arc<dyn Launcher>) -> Self {
        Process {
            manifest,
            handle: Mutex::new(None),
            launcher: Some(launcher),
            starting: tokio::sync::Mutex::new(()),
            start_timeout: Mutex::new(START_TIMEOUT),
            on_dead: Mutex::new(None),
        }
    }

    /// The extension's id.
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The current handle (none before the first start of a lazy extension).
    pub fn handle(&self) -> Option<ExtensionHandle> {
        self.handle.lock().clone()
    }

    /// The handle's lifecycle state (`None`: never started).
    pub fn state(&self) -> Option<State> {
        self.handle.lock().as_ref().map(ExtensionHandle::state)
    }

    /// Whether its process runs and answers.
    pub fn is_active(&self) -> bool {
        self.state() == Some(State::Active)
    }

    /// Sets how long a start may take.
    pub fn set_start_timeout(&self, timeout: Duration) {
        *self.start_timeout.lock() = timeout;
    }

    /// Sets who is told when the extension fails for good (and watches the
    /// running handle, if any).
    pub fn set_on_dead(&self, on_dead: OnDead) {
        *self.on_dead.lock() = Some(on_dead);
        if let Some(h) = self.handle()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            self.watch(h);
        }
    }

    /// The running extension, started first if needed (bounded by the start
    /// timeout); why it is not available otherwise.
    pub async fn ensure(&self) -> Result<ExtensionHandle, String> {
        let id = self.id().to_owned();
        let _one = self.starting.lock().await;
        let timeout = *self.start_timeout.lock();
        let current = self.handle();
        let h = match current {
            Some(h) => match h.state() {
                State::Active => return Ok(h),
                State::Failed => {
                    return Err(format!(
                        "extension {id} failed: {}",
                        h.reason().unwrap_or_else(|| "it kept crashing".into())
                    ));
                }
                State::Deactivating | State::Inactive => {
                    h.wait_for(timeout, |s| s != State::Deactivating).await;
                    h.activate(timeout)
                        .await
                        .map_err(|e| format!("extension {id} did not start again: {e}"))?;
                    return Ok(h);
                }
                State::Unloaded => self.launch(&id)?,
                State::Discovered | State::Loaded | State::Activating => h,
            },
            None => self.launch(&id)?,
        };
        if let Err(e) = h.wait_active(timeout).await {
            return Err(match h.state() {
                State::Failed | State::Unloaded | State::Inactive => {
                    format!("extension {id} did not start: {}", h.reason().unwrap_or(e))
                }
                _ => format!("extension {id} did not start within {timeout:?}"),
            });
        }
        Ok(h)
    }

    /// Starts a fresh process through the launcher and remembers its handle.
    fn launch(&self, id: &str) -> Result<ExtensionHandle, String> {
        let Some(launcher) = &self.launcher else {
            return Err(format!("extension {id} is not running"));
        };
        tracing::info!(ext = id, "starting an extension on first use");
        let h = launcher.launch(id)?;
        *self.handle.lock() = Some(h.clone());
        self.watch(h.clone());
        Ok(h)
    }

    /// Tells `on_dead` when `h` fails for good.
    fn watch(&self, h: ExtensionHandle) {
        let Some(on_dead) = self.on_dead.lock().clone() else {
            return;
        };
        tokio::spawn(async move {
            let end = h
                .wait_for(Duration::from_secs(365 * 24 * 3600), |s| {
                    matches!(s, State::Failed | State::Unloaded)
                })
                .await;
            if end == State::Failed {
                let reason = h.reason().unwrap_or_else(|| "it kept crashing".into());
                tracing::warn!(ext = %h.id(), %reason, "extension failed for good");
                on_dead(h.id(), reason);
            }
        });
    }

    /// Stops the process (asks it to shut down, kills it if it lingers); the
    /// next [`Process::ensure`] starts it again.
    pub async fn stop(&self) {
        let Some(h) = self.handle() else { return };
        if matches!(h.state(), State::Active | State::Activating) {
            let end = h.deactivate(STOP_TIMEOUT).await;
            tracing::info!(ext = %h.id(), state = ?end, "extension stopped");
        }
    }
}
