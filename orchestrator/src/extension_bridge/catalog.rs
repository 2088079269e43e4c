//! [`ExtensionCatalog`]: the instruments and operators extensions provide, for the
//! pool (registered like built-in backends) and for workflows (operator node kinds).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use symphony_extensions::{ExtensionHandle, ExtensionType, Manager, Manifest, StartOutcome, State};

use super::process::{Launcher, STOP_TIMEOUT, SharedManager};
use super::{ExtensionInstrument, OperatorError, OperatorOutput, OperatorRunner};
use crate::conductor::{ConductorConfig, InstrumentFactory};
use crate::instrument::{Instrument, InstrumentConfig, InstrumentError, InstrumentKind};

/// Prefix of operator node kinds in workflows.
const NODE_PREFIX: &str = "ext:";

/// Splits an operator node kind: `ext:word-count/count` -> (`word-count`,
/// `Some("count")`), `ext:word-count` -> (`word-count`, `None`); anything else `None`.
pub fn parse_node_kind(kind: &str) -> Option<(&str, Option<&str>)> {
    let rest = kind.strip_prefix(NODE_PREFIX)?;
    let (id, method) = match rest.split_once('/') {
        Some((id, m)) => (id, Some(m).filter(|m| !m.is_empty())),
        None => (rest, None),
    };
    (!id.is_empty()).then_some((id, method))
}

/// Runs a workflow's extension node (the node kind `kind`, `ext:<id>[/<method>]`)
/// with its inputs as (node id, text) pairs: the output text as a JSON string, or why
/// it failed (also when no catalog was given to the Conductor).
pub async fn run_workflow_node(
    catalog: Option<&ExtensionCatalog>,
    kind: &str,
    inputs: &[(String, String)],
) -> std::result::Result<Value, String> {
    let Some(catalog) = catalog else {
        return Err(format!("{kind}: extensions are not available"));
    };
    catalog
        .run_node_text(kind, inputs, None)
        .await
        .map(Value::String)
}

/// A change of the catalog's instruments, as a running Conductor hears it.
#[derive(Clone)]
pub enum CatalogChange {
    /// An instrument extension became available (granted, enabled, installed).
    Added(Arc<dyn Instrument>),
    /// An instrument extension went away.
    Removed {
        /// Its name in the pool.
        name: String,
        /// Why, in words that name the extension.
        reason: String,
    },
}

impl std::fmt::Debug for CatalogChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CatalogChange::Added(i) => write!(f, "Added({})", i.name()),
            CatalogChange::Removed { name, reason } => write!(f, "Removed({name}: {reason})"),
        }
    }
}

/// Hears the catalog's changes; answers false once it is no longer interested.
type Listener = Box<dyn Fn(&CatalogChange) -> bool + Send + Sync>;

/// What the catalog holds.
#[derive(Default)]
struct Entries {
    instruments: BTreeMap<String, Arc<ExtensionInstrument>>,
    operators: BTreeMap<String, OperatorRunner>,
    needs_grant: Vec<String>,
    /// Every instrument extension installed (available or not), for workflows that
    /// name one before it is granted.
    declared: BTreeSet<String>,
}

#[derive(Default)]
struct Shared {
    entries: RwLock<Entries>,
    listeners: Mutex<Vec<Listener>>,
}

/// What [`ExtensionCatalog::sync`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Extensions that joined (started or registered to start on first use).
    pub added: Vec<String>,
    /// Extensions that left (disabled or uninstalled); their processes are stopped.
    pub removed: Vec<String>,
    /// Extensions newly found that wait for their permission prompt.
    pub needs_grant: Vec<String>,
}

/// The extension instruments and operators of a session. Clones share one catalog:
/// what the client adds or removes while the Conductor runs reaches the Conductor's
/// pool at once (it listens, see [`ExtensionCatalog::listen`]).
#[derive(Clone, Default)]
pub struct ExtensionCatalog {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ExtensionCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.shared.entries.read();
        f.debug_struct("ExtensionCatalog")
            .field("instruments", &e.instruments.keys().collect::<Vec<_>>())
            .field("operators", &e.operators.keys().collect::<Vec<_>>())
            .field("needs_grant", &e.needs_grant)
            .finish()
    }
}

/// Two catalogs are equal when they hold the same extensions (so a catalog can sit in
/// a configuration that is compared).
impl PartialEq for ExtensionCatalog {
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.shared, &other.shared) {
            return true;
        }
        let (a, b) = (self.shared.entries.read(), other.shared.entries.read());
        a.instruments.keys().eq(b.instruments.keys())
            && a.operators.keys().eq(b.operators.keys())
            && a.needs_grant == b.needs_grant
    }
}

/// Whether an extension of this type belongs to the Conductor.
fn is_conductors(kind: ExtensionType) -> bool {
    matches!(kind, ExtensionType::Instrument | ExtensionType::Operator)
}

impl ExtensionCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts every enabled instrument and operator extension of `manager` and
    /// catalogs those that started; returns the catalog and a notice for each that
    /// did not (disabled, waiting for the permission prompt, a dependency missing).
    /// (The client uses [`ExtensionCatalog::activate`], which respects activation.)
    pub fn start_all(manager: &mut Manager) -> (Self, Vec<String>) {
        let ids: Vec<String> = manager
            .manifests()
            .iter()
            .filter(|m| is_conductors(m.kind))
            .map(|m| m.id.clone())
            .collect();
        let mut cat = Self::new();
        let mut notices = Vec::new();
        for id in ids {
            match manager.start(&id) {
                StartOutcome::Started(h) | StartOutcome::AlreadyRunning(h) => cat.add(h),
                StartOutcome::NeedsGrant { .. } => {
                    notices.push(format!("extension {id} waits for its permission prompt"));
                    cat.shared.entries.write().needs_grant.push(id);
                }
                StartOutcome::Disabled => {}
                StartOutcome::Untrusted { .. } => notices.push(format!(
                    "extension {id} not started: its workspace is not trusted"
                )),
                StartOutcome::Unknown => notices.push(format!("extension {id} is unknown")),
                StartOutcome::DependencyNotStarted { dependency } => notices.push(format!(
                    "extension {id} not started: its dependency {dependency} did not start"
                )),
            }
        }
        (cat, notices)
    }

    /// The catalog of a session, respecting each extension's `[activation]`: an
    /// enabled, granted instrument or operator with `on_startup = true` starts now;
    /// the others are catalogued and start on first use (a call, a workflow node,
    /// a prewarm). Those waiting for their permission prompt are listed by
    /// [`ExtensionCatalog::needs_grant`]. Returns a notice for each that could not
    /// start.
    pub fn activate(manager: &SharedManager) -> (Self, Vec<String>) {
        let cat = Self::new();
        let report = cat.sync(manager);
        let notices = report
            .needs_grant
            .iter()
            .map(|id| format!("extension {id} waits for its permission prompt"))
            .collect();
        (cat, notices)
    }

    /// Brings the catalog in line with `manager` (after a new discovery or a reload
    /// of the settings): instruments and operators now enabled and granted join (as
    /// [`ExtensionCatalog::activate`] does), those disabled or uninstalled leave (and
    /// their processes are stopped), those newly asking for permissions are reported.
    pub fn sync(&self, manager: &SharedManager) -> SyncReport {
        let mut report = SyncReport::default();
        let launcher: Arc<dyn Launcher> = manager.clone();
        let (available, waiting, declared): (Vec<Manifest>, Vec<String>, BTreeSet<String>) = {
            let m = manager.lock();
            let ours: Vec<&Manifest> = m
                .manifests()
                .iter()
                .filter(|x| is_conductors(x.kind))
                .collect();
            (
                ours.iter()
                    .filter(|x| m.can_start(&x.id))
                    .map(|x| (*x).clone())
                    .collect(),
                // A workspace's extension in an untrusted workspace is not asked
                // about: it stays inert until the workspace is trusted.
                ours.iter()
                    .filter(|x| {
                        m.config().is_enabled(&x.id)
                            && !m.can_start(&x.id)
                            && !m.is_untrusted(&x.id)
                    })
                    .map(|x| x.id.clone())
                    .collect(),
                ours.iter()
                    .filter(|x| x.kind == ExtensionType::Instrument)
                    .map(|x| x.id.clone())
                    .collect(),
            )
        };
        // Leaving: no longer available.
        let present: Vec<String> = {
            let e = self.shared.entries.read();
            e.instruments
                .keys()
                .chain(e.operators.keys())
                .cloned()
                .collect()
        };
        for id in present {
            if !available.iter().any(|m| m.id == id) {
                self.remove(
                    &id,
                    &format!("the extension {id} was disabled or uninstalled"),
                );
                if let Some(h) = manager.lock().take(&id) {
                    tokio::spawn(async move {
                        h.unload(STOP_TIMEOUT).await;
                    });
                }
                report.removed.push(id);
            }
        }
        // Joining.
        for m in available {
            if self.contains(&m.id) {
                continue;
            }
            // One that failed for good starts afresh when next needed.
            let failed = manager
                .lock()
                .handle(&m.id)
                .is_some_and(|h| h.state() == State::Failed);
            if failed && let Some(h) = manager.lock().take(&m.id) {
                tokio::spawn(async move {
                    h.unload(STOP_TIMEOUT).await;
                });
            }
            self.shared
                .entries
                .write()
                .needs_grant
                .retain(|x| x != &m.id);
            if m.activation.on_startup {
                match launcher.launch(&m.id) {
                    Ok(h) => self.add_started(h, launcher.clone()),
                    Err(e) => {
                        tracing::warn!(ext = %m.id, error = %e, "extension did not start");
                        continue;
                    }
                }
            } else {
                self.register(m.clone(), launcher.clone());
            }
            report.added.push(m.id);
        }
        let mut e = self.shared.entries.write();
        // Refused, disabled or uninstalled since: no longer waiting.
        e.needs_grant.retain(|id| waiting.contains(id));
        for id in waiting {
            if !e.needs_grant.contains(&id)
                && !e.instruments.contains_key(&id)
                && !e.operators.contains_key(&id)
            {
                e.needs_grant.push(id.clone());
                report.needs_grant.push(id);
            }
        }
        e.declared = declared;
        report
    }

    /// The extensions not started because the user has not answered their
    /// permission prompt yet.
    pub fn needs_grant(&self) -> Vec<String> {
        self.shared.entries.read().needs_grant.clone()
    }

    /// Every installed instrument extension's id, available or not (workflows may
    /// name one that is granted later).
    pub fn declared_instruments(&self) -> Vec<String> {
        self.shared
            .entries
            .read()
            .declared
            .iter()
            .cloned()
            .collect()
    }

    /// Whether `id` is in the catalog (as an instrument or an operator).
    pub fn contains(&self, id: &str) -> bool {
        let e = self.shared.entries.read();
        e.instruments.contains_key(id) || e.operators.contains_key(id)
    }

    /// Adds a started extension by its type (motifs are not the Conductor's).
    pub fn add(&mut self, handle: ExtensionHandle) {
        self.insert(
            handle.manifest().kind,
            ExtensionInstrument::new(handle.clone()),
            || OperatorRunner::new(handle.clone()),
        );
    }

    /// Adds a started extension; `launcher` starts it again after an unload.
    pub fn add_started(&self, handle: ExtensionHandle, launcher: Arc<dyn Launcher>) {
        let kind = handle.manifest().kind;
        let op = || OperatorRunner::started(handle.clone(), launcher.clone());
        self.insert(
            kind,
            ExtensionInstrument::started(handle.clone(), launcher.clone()),
            op,
        );
    }

    /// Adds an extension that `launcher` starts on first use.
    pub fn register(&self, manifest: Manifest, launcher: Arc<dyn Launcher>) {
        let kind = manifest.kind;
        let op = || OperatorRunner::lazy(manifest.clone(), launcher.clone());
        self.insert(
            kind,
            ExtensionInstrument::lazy(manifest.clone(), launcher.clone()),
            op,
        );
    }

    fn insert(
        &self,
        kind: ExtensionType,
        instrument: ExtensionInstrument,
        operator: impl FnOnce() -> OperatorRunner,
    ) {
        let id = instrument.id().to_string();
        let weak = Arc::downgrade(&self.shared);
        let on_dead: super::process::OnDead = Arc::new(move |id: &str, reason: String| {
            if let Some(shared) = weak.upgrade() {
                ExtensionCatalog { shared }.remove(
                    id,
                    &format!("the extension {id} stopped for good: {reason}"),
                );
            }
        });
        match kind {
            ExtensionType::Instrument => {
                instrument.process().set_on_dead(on_dead);
                let instrument = Arc::new(instrument);
                self.shared
                    .entries
                    .write()
                    .instruments
                    .insert(id.clone(), instrument.clone());
                self.shared.entries.write().needs_grant.retain(|x| x != &id);
                self.tell(&CatalogChange::Added(instrument));
            }
            ExtensionType::Operator => {
                let op = operator();
                op.process().set_on_dead(on_dead);
                let mut e = self.shared.entries.write();
                e.operators.insert(id.clone(), op);
                e.needs_grant.retain(|x| x != &id);
            }
            ExtensionType::Motif => {}
        }
    }

    /// Takes `id` out of the catalog (and the Conductor's pool, saying `reason`);
    /// false when it was not there. Its process is not stopped here.
    pub fn remove(&self, id: &str, reason: &str) -> bool {
        let (instrument, operator) = {
            let mut e = self.shared.entries.write();
            (e.instruments.remove(id), e.operators.remove(id))
        };
        if let Some(i) = &instrument {
            tracing::info!(ext = id, reason, "instrument extension left the pool");
            self.tell(&CatalogChange::Removed {
                name: i.name().to_string(),
                reason: reason.to_string(),
            });
        }
        instrument.is_some() || operator.is_some()
    }

    /// Calls `listener` with every later change (a running Conductor's pool follows
    /// the catalog this way); the listener answers false to stop listening.
    pub fn listen(&self, listener: impl Fn(&CatalogChange) -> bool + Send + Sync + 'static) {
        self.shared.listeners.lock().push(Box::new(listener));
    }

    fn tell(&self, change: &CatalogChange) {
        self.shared.listeners.lock().retain(|l| l(change));
    }

    /// The instruments, for the pool (by name).
    pub fn instruments(&self) -> Vec<Arc<dyn Instrument>> {
        self.shared
            .entries
            .read()
            .instruments
            .values()
            .map(|i| i.clone() as Arc<dyn Instrument>)
            .collect()
    }

    /// The instrument called `name`.
    pub fn instrument(&self, name: &str) -> Option<Arc<dyn Instrument>> {
        self.extension_instrument(name)
            .map(|i| i as Arc<dyn Instrument>)
    }

    /// The instrument extension called `name`, with its process controls.
    pub fn extension_instrument(&self, name: &str) -> Option<Arc<ExtensionInstrument>> {
        self.shared.entries.read().instruments.get(name).cloned()
    }

    /// Pool entries for the instruments: kind `extension`, one call at a time
    /// (extensions usually serve one request at once).
    pub fn instrument_configs(&self) -> Vec<InstrumentConfig> {
        self.shared
            .entries
            .read()
            .instruments
            .values()
            .map(|i| pool_entry(i.name(), i.model()))
            .collect()
    }

    /// Registers the instruments in the pool like built-in backends: appends their
    /// entries to `config.instruments` (skipping names the user configured already)
    /// and returns a factory building them, `fallback` building the rest; the
    /// operators become available to `extension` nodes of workflows
    /// (`config.extensions`). Start the Conductor with both:
    /// `Conductor::start_with(config, factory)`. The catalog stays live: what joins
    /// or leaves it later joins or leaves the running Conductor's pool.
    pub fn install(
        &self,
        config: &mut ConductorConfig,
        fallback: InstrumentFactory,
    ) -> InstrumentFactory {
        config.extensions = Some(Arc::new(self.clone()));
        for entry in self.instrument_configs() {
            if !config.instruments.iter().any(|i| i.name == entry.name) {
                config.instruments.push(entry);
            }
        }
        let me = self.clone();
        Arc::new(move |c: &InstrumentConfig| {
            if c.kind == InstrumentKind::Extension {
                return match me.instrument(&c.name) {
                    Some(i) => Ok(i),
                    None => Err(InstrumentError::Config(format!(
                        "no running instrument extension named {:?} (not installed, disabled or not granted)",
                        c.name
                    ))),
                };
            }
            fallback(c)
        })
    }

    /// The operator extension `id`.
    pub fn operator(&self, id: &str) -> Option<OperatorRunner> {
        self.shared.entries.read().operators.get(id).cloned()
    }

    /// Every operator node kind offered (`ext:<id>/<method>`).
    pub fn node_kinds(&self) -> Vec<String> {
        self.shared
            .entries
            .read()
            .operators
            .values()
            .flat_map(|op| {
                op.capabilities()
                    .iter()
                    .map(|c| format!("{NODE_PREFIX}{}/{c}", op.id()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Whether `kind` names an operator node (whether or not it is available).
    pub fn is_operator_kind(kind: &str) -> bool {
        parse_node_kind(kind).is_some()
    }

    /// [`ExtensionCatalog::run_node`] for a workflow executor: inputs as (node id,
    /// text) pairs, the output's text or the error in words.
    pub async fn run_node_text(
        &self,
        kind: &str,
        inputs: &[(String, String)],
        params: Option<&Value>,
    ) -> std::result::Result<String, String> {
        let inputs: BTreeMap<String, String> = inputs.iter().cloned().collect();
        let none = Value::Null;
        self.run_node(kind, &inputs, params.unwrap_or(&none))
            .await
            .map(|o| o.text)
            .map_err(|e| e.to_string())
    }

    /// Runs a node of kind `kind` (`ext:<id>[/<method>]`) with its inputs and params.
    pub async fn run_node(
        &self,
        kind: &str,
        inputs: &BTreeMap<String, String>,
        params: &Value,
    ) -> super::Result<OperatorOutput> {
        let (id, method) =
            parse_node_kind(kind).ok_or_else(|| OperatorError::Unavailable(kind.to_string()))?;
        let op = self
            .operator(id)
            .ok_or_else(|| OperatorError::Unavailable(id.to_string()))?;
        op.run(method, inputs, params).await
    }
}

/// The pool entry of an instrument extension: kind `extension`, one call at a time.
pub(crate) fn pool_entry(name: &str, model: &str) -> InstrumentConfig {
    InstrumentConfig {
        name: name.to_string(),
        kind: InstrumentKind::Extension,
        base_url: None,
        model: model.to_string(),
        api_key_env: None,
        command: Vec::new(),
        max_concurrency: 1,
        connect_timeout_secs: 5,
        idle_timeout_secs: 600,
        max_retries: 0,
        extra: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_kinds_name_the_extension_and_maybe_a_method() {
        assert_eq!(
            parse_node_kind("ext:word-count/count"),
            Some(("word-count", Some("count")))
        );
        assert_eq!(
            parse_node_kind("ext:word-count"),
            Some(("word-count", None))
        );
        assert_eq!(parse_node_kind("ext:a.b/"), Some(("a.b", None)));
        assert_eq!(parse_node_kind("ext:"), None);
        assert_eq!(parse_node_kind("model"), None);
    }
}
