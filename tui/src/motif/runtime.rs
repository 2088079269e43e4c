//! The client's extension runtime: the [`Manager`] (with [`ClientServices`] as the
//! host services), the motif panes' clients, and the permission prompt.
//!
//! The loop calls [`start`] once and feeds what arrives on its receiver to
//! [`on_event`]; input calls [`route_key`]; `update` calls [`apply`]; drawing calls
//! [`draw_prompt`] last. "Extensions: open the motif panes" (`ext_open_motifs`)
//! opens a pane for every enabled motif, asking for permissions first when needed.
//!
//! Instrument and operator extensions live in the session's
//! [`ExtensionCatalog`], which the Conductor follows: those whose activation is
//! `on_startup` start with the client, the others on first use (a call, a workflow
//! node, `w` in the pool pane). One granted at its prompt, or installed, enabled or
//! disabled while the client runs (the extension folders and the settings file are
//! watched, see [`rescan`]), joins or leaves the pool at once.
//!
//! A workspace's own extensions start only once the workspace is trusted (see
//! [`super::trust`]); every extension asks once before its first run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use symphony_conductor::extension_bridge::{ExtensionCatalog, SharedManager, SyncReport, share};
use symphony_extensions::view::View;
use symphony_extensions::{ExtensionType, Host, HostConfig, Manager, StartOutcome};
use tokio::sync::mpsc;

use super::services::{ClientServices, HostCall, answer};
use super::{MotifClient, MotifPane, MotifRequest};
use crate::action::Action;
use crate::app::State;
use crate::grant::trust::TrustPrompt;
use crate::grant::{GrantAnswer, GrantPrompt};
use crate::keymap::context::{PermissionAction, TrustAction};
use crate::panes::PaneKind;

/// How long a motif may take to start before its pane shows the reason.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a motif whose pane closed may take to shut down before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the extension folders and the settings file are looked at.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// What the runtime tells the loop.
#[derive(Debug)]
pub enum MotifEvent {
    /// An extension's permission-checked request for the client.
    Host(HostCall),
    /// A motif's answer to `render` or `key`.
    View {
        /// The extension.
        ext: String,
        /// Its view, or why there is none.
        answer: Result<View, String>,
    },
    /// Discover again, reading the folders, the settings and the trust file on this
    /// thread ([`rescan`]); the watcher sends [`MotifEvent::Rescanned`] instead.
    Rescan,
    /// The extension folders, the settings file or the trust file changed; what the
    /// watcher read again off the loop's thread.
    Rescanned(Box<Rescanned>),
}

/// What a rescan reads: the extensions found (when the runtime discovers them), the
/// settings for them and the workspace's trust decision. [`read_rescan`] reads it
/// (on a blocking thread), [`apply_rescan`] applies it without touching the disk.
#[derive(Debug)]
pub struct Rescanned {
    /// [`Manager::changes`] before the read: a change the client made since means the
    /// read may be older than it.
    changes: u64,
    found: Option<symphony_extensions::discovery::Discovery>,
    config: symphony_extensions::config::Result<symphony_extensions::config::ExtensionsConfig>,
    trust: Result<Option<symphony_extensions::trust::Decision>, String>,
}

/// Where a rescan reads: the extension folders (`None`: keep the manifests the
/// manager has), the settings file, the trust file as chosen (see
/// [`super::trust::file`]) and the workspace; and the manager, to see whether the
/// client changed the settings meanwhile.
#[derive(Clone)]
pub struct RescanFrom {
    manager: SharedManager,
    dirs: Option<Vec<PathBuf>>,
    settings: PathBuf,
    trust_file: Option<PathBuf>,
    cwd: PathBuf,
}

/// Reads what [`apply_rescan`] applies (reads the disk: call it off the loop's thread).
pub fn read_rescan(from: &RescanFrom) -> Rescanned {
    let changes = from.manager.lock().changes();
    let found = from
        .dirs
        .as_deref()
        .map(symphony_extensions::discovery::discover);
    Rescanned {
        changes,
        config: symphony_extensions::config::ExtensionsConfig::load(&from.settings),
        found,
        trust: super::trust::decision_in(&from.trust_file, &from.cwd),
    }
}

/// The extensions part of the client state.
#[derive(Default)]
pub struct MotifState {
    runtime: Option<Runtime>,
    /// The permission prompt on screen, if any (it takes every key).
    pub prompt: Option<GrantPrompt>,
    /// Extensions waiting for their prompt.
    waiting: Vec<String>,
    /// The workspace trust prompt on screen, if any (it takes every key, and comes
    /// before any permission prompt).
    pub trust: Option<TrustPrompt>,
    /// Whether the trust prompt was shown this session (it is not shown twice).
    pub(super) trust_asked: bool,
    /// The trust file (`None`: the standard one, see
    /// [`symphony_extensions::trust::default_path`]); set it before [`start_with`].
    pub trust_file: Option<PathBuf>,
}

impl std::fmt::Debug for MotifState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MotifState")
            .field("running", &self.runtime.is_some())
            .field("prompt", &self.prompt)
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

struct Runtime {
    manager: SharedManager,
    /// Instrument and operator extensions (started or to start on first use), for
    /// the Conductor, which follows it.
    catalog: ExtensionCatalog,
    /// The folders a rescan discovers extensions in, lowest precedence first
    /// (`None`: the manifests given at start are kept, only the settings are read
    /// again).
    discover: Option<Vec<PathBuf>>,
    clients: BTreeMap<String, MotifClient>,
    tx: mpsc::UnboundedSender<MotifEvent>,
}

/// Starts the runtime for the state's workspace (inside tokio): discovers the
/// extensions, reads their settings; returns the events for [`on_event`]. On a bad
/// settings file the runtime stays off and the user is told.
pub fn start(state: &mut State) -> mpsc::UnboundedReceiver<MotifEvent> {
    let found = crate::extensions::discover_all(Some(&state.cwd));
    for p in &found.problems {
        tracing::warn!("extension problem: {p}");
    }
    let Some(settings) = crate::extensions::settings_path() else {
        return mpsc::unbounded_channel().1;
    };
    let rx = start_with(state, found.extensions, settings.clone());
    let dirs = symphony_extensions::discovery::standard_dirs(
        &crate::extensions::builtin_dir(),
        Some(&state.cwd),
    );
    if discover_in(state, dirs.clone())
        && let Some(manager) = manager(state)
    {
        spawn_watcher(
            rt_tx(state),
            manager,
            dirs,
            settings,
            state.motifs.trust_file.clone(),
            state.cwd.clone(),
        );
    }
    rx
}

/// Makes [`rescan`] discover the extensions again in `dirs` (lowest precedence
/// first; [`start`] gives the standard folders and the workspace's
/// `.symphony/extensions`) rather than keep the manifests given to [`start_with`];
/// false when extensions are off.
pub fn discover_in(state: &mut State, dirs: Vec<PathBuf>) -> bool {
    match &mut state.motifs.runtime {
        Some(rt) => {
            rt.discover = Some(dirs);
            true
        }
        None => false,
    }
}

fn rt_tx(state: &State) -> mpsc::UnboundedSender<MotifEvent> {
    match &state.motifs.runtime {
        Some(rt) => rt.tx.clone(),
        None => mpsc::unbounded_channel().0,
    }
}

/// One file as the watcher sees it: its path, time and length (none if missing).
pub type FileStamp = (PathBuf, Option<(SystemTime, u64)>);

/// What the watcher compares: each extension folder's manifest and the settings
/// file, with their times and lengths.
pub fn fingerprint(dirs: &[PathBuf], settings: &std::path::Path) -> Vec<FileStamp> {
    let stamp = |p: &std::path::Path| {
        std::fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    let mut out = vec![(settings.to_path_buf(), stamp(settings))];
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let manifest = e.path().join(symphony_extensions::manifest::MANIFEST_FILE);
            let s = stamp(&manifest);
            out.push((manifest, s));
        }
    }
    out.sort();
    out
}

/// Watches the extension folders and the settings file (a look every
/// [`WATCH_EVERY`], off the loop's thread); a change sends [`MotifEvent::Rescan`].
/// Ends with the loop.
fn spawn_watcher(
    tx: mpsc::UnboundedSender<MotifEvent>,
    manager: SharedManager,
    dirs: Vec<PathBuf>,
    settings: PathBuf,
    state_trust_file: Option<PathBuf>,
    cwd: PathBuf,
) {
    let trust_file = super::trust::file(&state_trust_file);
    let from = RescanFrom {
        manager,
        dirs: Some(dirs.clone()),
        settings: settings.clone(),
        trust_file: state_trust_file,
        cwd,
    };
    tokio::spawn(async move {
        let look = move || {
            let mut f = fingerprint(&dirs, &settings);
            if let Some(t) = &trust_file {
                f.extend(fingerprint(&[], t));
            }
            f
        };
        let Ok(mut last) = tokio::task::spawn_blocking(look.clone()).await else {
            return;
        };
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let Ok(now) = tokio::task::spawn_blocking(look.clone()).await else {
                return;
            };
            if now != last {
                last = now;
                let from = from.clone();
                let Ok(read) = tokio::task::spawn_blocking(move || read_rescan(&from)).await else {
                    return;
                };
                if tx.send(MotifEvent::Rescanned(Box::new(read))).is_err() {
                    return;
                }
            }
        }
    });
}

/// [`start`] with these manifests (in load order) and this settings file.
pub fn start_with(
    state: &mut State,
    manifests: Vec<symphony_extensions::Manifest>,
    settings: std::path::PathBuf,
) -> mpsc::UnboundedReceiver<MotifEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (services, mut calls) = ClientServices::new(state.cwd.clone());
    let host = Host::with_services(
        HostConfig::new(state.cwd.clone()),
        std::sync::Arc::new(services),
    );
    let mut manager = match Manager::new(host, manifests, settings) {
        Ok(m) => m,
        Err(e) => {
            state.error(format!("extensions are off: {e}"));
            return rx;
        }
    };
    // Before anything is activated: a workspace's own extensions need its trust.
    let shown = super::trust::read_into(state, &mut manager);
    let manager = share(manager);
    let fwd = tx.clone();
    tokio::spawn(async move {
        while let Some(call) = calls.recv().await {
            if fwd.send(MotifEvent::Host(call)).is_err() {
                return;
            }
        }
    });
    // Instruments and operators the user granted join the catalog (the Conductor's
    // pool and workflows take them from it): those activated at start-up start now,
    // the others on first use; those not granted ask first.
    let (catalog, notices) = ExtensionCatalog::activate(&manager);
    for n in &notices {
        tracing::info!("{n}");
    }
    state.motifs.waiting.extend(catalog.needs_grant());
    state.motifs.runtime = Some(Runtime {
        manager,
        catalog,
        discover: None,
        clients: BTreeMap::new(),
        tx,
    });
    super::trust::show(state, shown);
    next_prompt(state);
    rx
}

/// The session's extension manager, when extensions are on.
pub(super) fn manager(state: &State) -> Option<SharedManager> {
    state.motifs.runtime.as_ref().map(|r| r.manager.clone())
}

/// Forgets the client of motif `id` (its process was taken to be stopped).
pub(super) fn forget_client(state: &mut State, id: &str) {
    if let Some(rt) = &mut state.motifs.runtime {
        rt.clients.remove(id);
    }
}

/// After the workspace's trust changed: the catalog follows (workspace instruments
/// and operators join, each asking first, or leave) and the next prompt shows.
pub(super) fn after_trust_change(state: &mut State) {
    sync_catalog(state);
    next_prompt(state);
}

/// Starts the Conductor as `crate::conductor::start` does, with the catalog's
/// instrument extensions in its pool (call after [`start`]).
pub fn start_conductor(
    state: &State,
) -> Result<
    (
        symphony_conductor::conductor::Conductor,
        mpsc::UnboundedReceiver<symphony_conductor::events::ConductorEvent>,
    ),
    symphony_conductor::conductor::ConductorError,
> {
    let (config, factory) = conductor_setup(state);
    symphony_conductor::conductor::Conductor::start_with(config, factory)
}

/// What [`start_conductor`] starts the Conductor with, prepared on the caller's thread so
/// the start itself (which opens the artifact store) can run on a blocking thread.
pub fn conductor_setup(
    state: &State,
) -> (
    symphony_conductor::conductor::ConductorConfig,
    symphony_conductor::conductor::InstrumentFactory,
) {
    use symphony_conductor::conductor::default_factory;
    let mut config = state.config.conductor.clone();
    if let Some(dir) = crate::conductor::artifacts_dir() {
        config.store_dir = dir;
    }
    // Python workflows: the user's own folder, and the workspace's once it is trusted.
    if let Some(dir) = crate::config::config_path()
        .as_deref()
        .and_then(std::path::Path::parent)
    {
        config.python_dirs = vec![dir.join("workflows")];
    }
    config.python_workspace = Some(state.cwd.clone());
    config.python_trust_file = state.motifs.trust_file.clone();
    let factory = match state.motifs.catalog() {
        Some(catalog) => catalog.install(&mut config, default_factory()),
        None => default_factory(),
    };
    (config, factory)
}

impl MotifState {
    /// The instrument and operator extensions of the session (started, or to start
    /// on first use): give it to the Conductor (`catalog.install(&mut config,
    /// default_factory())`, then `Conductor::start_with`), which then follows what
    /// joins or leaves it. `None` when extensions are off.
    pub fn catalog(&self) -> Option<&ExtensionCatalog> {
        self.runtime.as_ref().map(|r| &r.catalog)
    }
}

/// Applies what the runtime reported.
pub fn on_event(state: &mut State, event: MotifEvent) {
    match event {
        MotifEvent::Host(call) => answer(state, call),
        MotifEvent::View { ext, answer } => {
            for pane in state.windows.panes.values_mut() {
                if let PaneKind::Motif(m) = pane
                    && m.ext_id == ext
                {
                    m.apply(answer.clone());
                }
            }
        }
        MotifEvent::Rescan => rescan(state),
        MotifEvent::Rescanned(read) => apply_rescan(state, *read),
    }
}

/// Discovers the extensions again and reads their settings and the trust file on
/// this thread, then [`apply_rescan`]s them. The loop never calls it: the watcher
/// reads on a blocking thread and sends [`MotifEvent::Rescanned`].
pub fn rescan(state: &mut State) {
    if let Some(from) = rescan_from(state) {
        apply_rescan(state, read_rescan(&from));
    }
}

/// Where a rescan of this runtime reads (no disk access: paths and the manifests in
/// memory); `None` when extensions are off.
pub fn rescan_from(state: &State) -> Option<RescanFrom> {
    let rt = state.motifs.runtime.as_ref()?;
    let settings = rt.manager.lock().config_path().to_path_buf();
    Some(RescanFrom {
        manager: rt.manager.clone(),
        dirs: rt.discover.clone(),
        settings,
        trust_file: state.motifs.trust_file.clone(),
        cwd: state.cwd.clone(),
    })
}

/// Applies what a rescan read (when the extension folders, the settings or the trust
/// file changed): instruments and operators now installed, enabled and granted join
/// the catalog (and the Conductor's pool), those disabled or uninstalled leave it
/// (their processes stop), new ones asking for permissions get their prompt. On a
/// bad settings file the settings in memory are kept and the user is told.
pub fn apply_rescan(state: &mut State, read: Rescanned) {
    let Some(rt) = &state.motifs.runtime else {
        return;
    };
    if rt.manager.lock().changes() != read.changes {
        // The client changed the settings or the trust while the watcher read
        // (a grant, a trust answer): what it read may be older. Rare: read again
        // here rather than lose either change.
        rescan(state);
        return;
    }
    if let Some(found) = read.found {
        for p in &found.problems {
            tracing::warn!("extension problem: {p}");
        }
        rt.manager.lock().set_manifests(found.extensions);
    }
    match read.config {
        Ok(config) => rt.manager.lock().set_config(config),
        Err(e) => {
            state.error(format!("extensions settings: {e}"));
            return;
        }
    }
    sync_catalog(state);
    super::trust::follow(state, read.trust);
    next_prompt(state);
}

/// Brings the catalog in line with the manager and tells the user what joined or
/// left; the pool pane shows the Conductor's pool as it is now.
fn sync_catalog(state: &mut State) -> SyncReport {
    let Some(rt) = &state.motifs.runtime else {
        return SyncReport::default();
    };
    let report = rt.catalog.sync(&rt.manager);
    for id in &report.needs_grant {
        if !state.motifs.waiting.contains(id) {
            state.motifs.waiting.push(id.clone());
        }
    }
    let mut said = Vec::new();
    if !report.added.is_empty() {
        said.push(format!(
            "{} ready: AI commands and workflows can use it now",
            report.added.join(", ")
        ));
    }
    if !report.removed.is_empty() {
        said.push(format!(
            "{} left the AI pool (disabled or uninstalled)",
            report.removed.join(", ")
        ));
    }
    if !said.is_empty() {
        state.say(format!("Extensions: {}", said.join("; ")));
    }
    if let Some(port) = &state.conductor.port {
        state.conductor.pool = port.pool();
        state.conductor.instruments = state.conductor.pool.len();
    }
    report
}

/// The action for a key when the prompt is up or a motif pane has the focus.
pub fn route_key(state: &State, key: &KeyEvent) -> Option<Action> {
    let keymap = &state.config.keymap;
    if state.motifs.trust.is_some() {
        if let Some(a) = keymap.get(key) {
            return Some(Action::ExtensionKey(ExtensionKey::Trust(a)));
        }
        // Chords still reach the keymap (Ctrl-Q quits); nothing typed answers it.
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            && let Some(a) = keymap.lookup(key)
        {
            return Some(a.clone());
        }
        return Some(Action::Noop);
    }
    if state.motifs.prompt.is_some() {
        return Some(keymap.get(key).map_or(Action::Noop, |a| {
            Action::ExtensionKey(ExtensionKey::Permission(a))
        }));
    }
    if !matches!(state.windows.focused(), Some(PaneKind::Motif(_))) || state.prefix_pending {
        return None;
    }
    // Chords go through the keymap first (the prefix, Ctrl-Q still work).
    let chord = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        || matches!(key.code, KeyCode::F(_));
    if chord && let Some(a) = keymap.lookup(key) {
        return Some(a.clone());
    }
    // A motif binds its own keys: it gets the key's name.
    Some(super::key_name(key).map_or(Action::Noop, |name| {
        Action::ExtensionKey(ExtensionKey::Motif(name))
    }))
}

/// A key for the extensions, looked up in its context (or named, for a motif).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionKey {
    /// A key of the workspace-trust box.
    Trust(TrustAction),
    /// A key of an extension's permission box.
    Permission(PermissionAction),
    /// A key for the focused motif pane, by its name (`r`, `ctrl-r`, `enter`).
    Motif(String),
}

/// Handles the extension actions; false for any other action.
pub fn apply(state: &mut State, action: &Action) -> bool {
    match action {
        Action::ExtensionKey(key) => {
            match key {
                ExtensionKey::Trust(a) => super::trust::key(state, *a),
                ExtensionKey::Permission(a) => prompt_key(state, *a),
                ExtensionKey::Motif(name) => motif_key(state, name),
            }
            true
        }
        Action::ExtOpenMotifs => {
            open_motifs(state);
            true
        }
        Action::WorkspaceTrust => {
            super::trust::decide(state, symphony_extensions::trust::Decision::Trusted);
            true
        }
        Action::WorkspaceRevokeTrust => {
            super::trust::decide(state, symphony_extensions::trust::Decision::Denied);
            true
        }
        _ => false,
    }
}

/// A motif pane was closed: when no other pane shows `ext`, its process is
/// stopped (on a task: the motif is asked to shut down, killed if it lingers)
/// and forgotten; opening its pane again starts it anew.
pub fn pane_closed(state: &mut State, ext: &str) {
    let still_shown = state
        .windows
        .panes
        .values()
        .any(|p| matches!(p, PaneKind::Motif(m) if m.ext_id == ext));
    if still_shown {
        return;
    }
    let Some(rt) = &mut state.motifs.runtime else {
        return;
    };
    rt.clients.remove(ext);
    let taken = rt.manager.lock().take(ext);
    if let Some(handle) = taken {
        let ext = ext.to_owned();
        tokio::spawn(async move {
            let end = handle.unload(STOP_TIMEOUT).await;
            tracing::info!(ext, state = ?end, "motif stopped: its pane was closed");
        });
    }
}

/// Draws the permission prompt, if one is up, over `area`; true when it did (the
/// terminal cursor is then hidden).
pub fn draw_prompt(state: &State, area: Rect, buf: &mut Buffer) -> bool {
    if let Some(t) = &state.motifs.trust {
        crate::grant::trust::render(t, area, buf);
        return true;
    }
    match &state.motifs.prompt {
        Some(p) => {
            crate::grant::render(p, area, buf);
            true
        }
        None => false,
    }
}

fn send(state: &State, ext: &str, request: MotifRequest) {
    let Some(rt) = &state.motifs.runtime else {
        return;
    };
    let Some(client) = rt.clients.get(ext).cloned() else {
        return;
    };
    let tx = rt.tx.clone();
    let ext = ext.to_string();
    tokio::spawn(async move {
        let answer = match client.ready(START_TIMEOUT).await {
            Ok(()) => client.send(request).await,
            Err(e) => Err(format!("{ext} did not start: {e}")),
        };
        let _ = tx.send(MotifEvent::View { ext, answer });
    });
}

fn motif_key(state: &mut State, name: &str) {
    let Some(PaneKind::Motif(pane)) = state.windows.focused_mut() else {
        return;
    };
    let ext = pane.ext_id.clone();
    let req = pane.key_request(name);
    send(state, &ext, req);
}

fn prompt_key(state: &mut State, key: PermissionAction) {
    let Some(prompt) = state.motifs.prompt.clone() else {
        return;
    };
    let answer = prompt.handle(key);
    state.motifs.prompt = None;
    if let Some(rt) = &state.motifs.runtime {
        let manager = rt.manager.clone();
        if answer == GrantAnswer::Allow && is_conductors(&manager, &prompt.id) {
            // Instruments and operators join the catalog (and the running pool);
            // they start on first use unless activated at start-up.
            let granted = prompt.grant(&mut manager.lock());
            match granted {
                Ok(()) => {
                    sync_catalog(state);
                }
                Err(e) => state.error(format!("could not save the grant: {e}")),
            }
        } else {
            let applied = prompt.apply(answer, &mut manager.lock());
            match applied {
                Ok(Some(outcome)) => started(state, &prompt.id, outcome),
                Ok(None) => state.say(format!("{}: permissions refused; not started", prompt.id)),
                Err(e) => state.error(format!("could not save the grant: {e}")),
            }
        }
    }
    if answer == GrantAnswer::Allow || !state.motifs.waiting.is_empty() {
        next_prompt(state);
    }
}

fn next_prompt(state: &mut State) {
    while state.motifs.prompt.is_none()
        && state.motifs.trust.is_none()
        && !state.motifs.waiting.is_empty()
    {
        let id = state.motifs.waiting.remove(0);
        open_one(state, &id);
    }
}

fn open_motifs(state: &mut State) {
    let Some(rt) = &state.motifs.runtime else {
        state.say("Extensions are not running");
        return;
    };
    let ids: Vec<String> = {
        let manager = rt.manager.lock();
        manager
            .of_type(ExtensionType::Motif)
            .filter(|m| manager.config().is_enabled(&m.id))
            .map(|m| m.id.clone())
            .collect()
    };
    if ids.is_empty() {
        state.say("No motif extensions found");
        return;
    }
    state.motifs.waiting.extend(ids);
    next_prompt(state);
}

/// Whether `id` is an instrument or operator extension (the Conductor's).
fn is_conductors(manager: &SharedManager, id: &str) -> bool {
    manager.lock().manifests().iter().any(|m| {
        m.id == id && matches!(m.kind, ExtensionType::Instrument | ExtensionType::Operator)
    })
}

/// Starts `id` (a motif) or catalogs it (an instrument or operator); asks for
/// permissions first if needed.
fn open_one(state: &mut State, id: &str) {
    let Some(rt) = &state.motifs.runtime else {
        return;
    };
    let manager = rt.manager.clone();
    if manager.lock().is_untrusted(id) {
        let exts = super::trust::workspace_extensions(&manager.lock());
        state.say(super::trust::untrusted_message(&exts));
        return;
    }
    if is_conductors(&manager, id) {
        let prompt = {
            let m = manager.lock();
            if m.can_start(id) {
                None
            } else {
                m.manifests()
                    .iter()
                    .find(|x| x.id == id && m.config().is_enabled(id))
                    .map(|x| GrantPrompt::new(x).noted(&m))
            }
        };
        match prompt {
            Some(p) => state.motifs.prompt = Some(p),
            None => {
                sync_catalog(state);
            }
        }
        return;
    }
    let outcome = manager.lock().start(id);
    let prompt = GrantPrompt::for_outcome(&manager.lock(), &outcome);
    if let Some(prompt) = prompt {
        state.motifs.prompt = Some(prompt);
        return;
    }
    started(state, id, outcome);
}

/// Opens (or focuses) the pane of a started motif and asks for its view.
fn started(state: &mut State, id: &str, outcome: StartOutcome) {
    let handle = match outcome {
        StartOutcome::Started(h) | StartOutcome::AlreadyRunning(h) => h,
        StartOutcome::Disabled => return state.say(format!("{id} is disabled")),
        StartOutcome::Untrusted { .. } => {
            return state.say(format!(
                "{id} comes with this workspace, which is not trusted; {}",
                super::trust::HOW_TO_TRUST
            ));
        }
        other => return state.error(format!("{id} did not start: {other:?}")),
    };
    if handle.manifest().kind != ExtensionType::Motif {
        if let Some(rt) = &state.motifs.runtime {
            rt.catalog.add_started(handle, rt.manager.clone());
        }
        return state.say(format!(
            "{id} started; AI commands and workflows can use it now"
        ));
    }
    if let Some(rt) = &mut state.motifs.runtime {
        rt.clients.insert(id.to_string(), MotifClient::new(handle));
    }
    let open = state
        .windows
        .panes
        .values()
        .any(|p| matches!(p, PaneKind::Motif(m) if m.ext_id == id));
    if !open {
        state.windows.dock_open(PaneKind::Motif(MotifPane::new(id)));
    }
    let pane = MotifPane::new(id);
    send(state, id, pane.render_request());
}
