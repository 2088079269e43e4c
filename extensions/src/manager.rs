//! [`Manager`]: ties discovery, the settings file and the host together; starts
//! extensions on their activation events (start-up, a command, a language), their
//! dependencies first, and asks for a grant before the first activation.
//!
//! Two gates come before any process starts: a workspace's extensions
//! ([`Origin::Workspace`]) stay inert until the workspace is trusted
//! ([`Manager::set_workspace_trusted`], from [`crate::trust`]), and every extension,
//! even one that asks for no permission, needs a grant bound to its identity (the
//! prompt is answered once per extension and content, see [`crate::identity`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::{self, ExtensionsConfig};
use crate::discovery::Origin;
use crate::host::{ExtensionHandle, Host};
use crate::manifest::{ExtensionType, Manifest};
use crate::permissions::{Grant, Permissions};

/// What [`Manager::start`] did.
#[derive(Debug)]
pub enum StartOutcome {
    /// Started now (activation continues in the background).
    Started(ExtensionHandle),
    /// It was already running.
    AlreadyRunning(ExtensionHandle),
    /// A workspace's extension, and the workspace is not trusted: it stays inert.
    Untrusted {
        /// The extension.
        id: String,
    },
    /// It was not allowed to run yet (every extension asks once, even one that asks
    /// for no permission; a changed one asks again): show the prompt, then call
    /// [`Manager::grant`] and start again.
    NeedsGrant {
        /// The extension.
        id: String,
        /// What its manifest asks for.
        asked: Permissions,
    },
    /// Disabled in the settings.
    Disabled,
    /// No such (loadable) extension.
    Unknown,
    /// A dependency could not be started.
    DependencyNotStarted {
        /// The dependency's id.
        dependency: String,
    },
}

/// The extensions of one session.
pub struct Manager {
    host: Host,
    manifests: Vec<Manifest>,
    config: ExtensionsConfig,
    config_path: PathBuf,
    running: BTreeMap<String, ExtensionHandle>,
    workspace_trusted: bool,
    /// Counts the changes made here to the settings or the trust (see [`Manager::changes`]).
    changes: u64,
}

impl Manager {
    /// A manager over `manifests` (in load order, as [`crate::discovery::discover`]
    /// returns them) with the settings file at `config_path` (read now; a missing file
    /// is fine).
    pub fn new(host: Host, manifests: Vec<Manifest>, config_path: PathBuf) -> config::Result<Self> {
        let mut config = ExtensionsConfig::load(&config_path)?;
        if config.migrate_unbound(&manifests)
            && let Err(e) = config.save(&config_path)
        {
            tracing::warn!("could not save the migrated grants: {e}");
        }
        Ok(Manager {
            host,
            manifests,
            config,
            config_path,
            running: BTreeMap::new(),
            workspace_trusted: false,
            changes: 0,
        })
    }

    /// Whether the workspace's extensions may run (false until told: a workspace is
    /// untrusted until the user trusts it).
    pub fn workspace_trusted(&self) -> bool {
        self.workspace_trusted
    }

    /// Records the user's workspace trust (read from [`crate::trust::TrustStore`]).
    /// Revoking it does not stop what already runs; stop those with [`Manager::take`].
    pub fn set_workspace_trusted(&mut self, trusted: bool) {
        self.workspace_trusted = trusted;
        self.changes += 1;
    }

    /// Whether `id` is a workspace's extension kept inert because the workspace is
    /// not trusted.
    pub fn is_untrusted(&self, id: &str) -> bool {
        self.manifests
            .iter()
            .find(|m| m.id == id)
            .is_some_and(|m| self.blocked_by_trust(m))
    }

    fn blocked_by_trust(&self, m: &Manifest) -> bool {
        m.origin == Origin::Workspace && !self.workspace_trusted
    }

    /// The enabled workspace extensions (those that would run once the workspace is
    /// trusted).
    pub fn workspace_extensions(&self) -> impl Iterator<Item = &Manifest> {
        self.manifests
            .iter()
            .filter(|m| m.origin == Origin::Workspace && self.config.is_enabled(&m.id))
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The loadable manifests, in load order.
    pub fn manifests(&self) -> &[Manifest] {
        &self.manifests
    }

    /// Manifests of one type (instruments for the Pool Manager, operators for
    /// workflows, motifs for panes).
    pub fn of_type(&self, kind: ExtensionType) -> impl Iterator<Item = &Manifest> {
        self.manifests.iter().filter(move |m| m.kind == kind)
    }

    /// The settings.
    pub fn config(&self) -> &ExtensionsConfig {
        &self.config
    }

    /// The running extension `id`.
    pub fn handle(&self, id: &str) -> Option<&ExtensionHandle> {
        self.running.get(id)
    }

    /// Remembers the user's answer to the permission prompt (saved to the settings
    /// file; limited to what the manifest asks), bound to the extension's identity as
    /// it is now.
    pub fn grant(&mut self, id: &str, grant: Grant) -> config::Result<()> {
        let Some(m) = self.manifests.iter().find(|m| m.id == id) else {
            return Err(config::ConfigError::Unknown(id.to_string()));
        };
        self.config.set_grant(m, grant);
        self.changes += 1;
        self.config.save(&self.config_path)
    }

    /// Starts `id` (dependencies first) if it is enabled and granted.
    pub fn start(&mut self, id: &str) -> StartOutcome {
        self.start_depth(id, 0)
    }

    fn start_depth(&mut self, id: &str, depth: usize) -> StartOutcome {
        if let Some(h) = self.running.get(id) {
            return StartOutcome::AlreadyRunning(h.clone());
        }
        let Some(m) = self.manifests.iter().find(|m| m.id == id).cloned() else {
            return StartOutcome::Unknown;
        };
        if !self.config.is_enabled(id) {
            return StartOutcome::Disabled;
        }
        if self.blocked_by_trust(&m) {
            tracing::info!(ext = %id, "not started: the workspace is not trusted");
            return StartOutcome::Untrusted { id: m.id.clone() };
        }
        // Discovery already refused cycles; the depth bound is a second guard.
        if depth < 64 {
            for dep in m.dependencies.keys() {
                match self.start_depth(dep, depth + 1) {
                    StartOutcome::Started(_) | StartOutcome::AlreadyRunning(_) => {}
                    _ => {
                        return StartOutcome::DependencyNotStarted {
                            dependency: dep.clone(),
                        };
                    }
                }
            }
        }
        let grant = match self.config.grant_for(&m) {
            Some(g) => g,
            None => {
                return StartOutcome::NeedsGrant {
                    id: m.id.clone(),
                    asked: m.permissions.clone(),
                };
            }
        };
        let h = self.host.start(m, grant);
        self.running.insert(id.to_string(), h.clone());
        StartOutcome::Started(h)
    }

    fn start_matching(&mut self, pred: impl Fn(&Manifest) -> bool) -> Vec<(String, StartOutcome)> {
        let ids: Vec<String> = self
            .manifests
            .iter()
            .filter(|m| pred(m))
            .map(|m| m.id.clone())
            .collect();
        ids.into_iter()
            .map(|id| {
                let o = self.start(&id);
                (id, o)
            })
            .collect()
    }

    /// Starts every extension activated at start-up.
    pub fn on_startup(&mut self) -> Vec<(String, StartOutcome)> {
        self.start_matching(|m| m.activation.on_startup)
    }

    /// Starts the extensions activated by `command`.
    pub fn on_command(&mut self, command: &str) -> Vec<(String, StartOutcome)> {
        self.start_matching(|m| m.activation.on_command(command))
    }

    /// Starts the extensions activated by opening a file in `language`.
    pub fn on_language(&mut self, language: &str) -> Vec<(String, StartOutcome)> {
        self.start_matching(|m| m.activation.on_language(language))
    }

    /// Replaces the manifests (a new discovery: extensions installed or removed
    /// while the client runs). Running extensions keep running; a removed one is
    /// `Unknown` to later starts (stop it with [`Manager::take`]).
    pub fn set_manifests(&mut self, manifests: Vec<Manifest>) {
        self.manifests = manifests;
    }

    /// Reads the settings file again (extensions enabled or disabled elsewhere, e.g.
    /// by `symphony ext enable`); on error the settings in memory are kept.
    pub fn reload_config(&mut self) -> config::Result<()> {
        let config = ExtensionsConfig::load(&self.config_path)?;
        self.set_config(config);
        Ok(())
    }

    /// Replaces the settings with `config`, as [`Manager::reload_config`] does with the
    /// file it reads (a client reads it with [`ExtensionsConfig::load`] off its UI
    /// thread); grants of workspace extensions still unbound are migrated and saved.
    pub fn set_config(&mut self, mut config: ExtensionsConfig) {
        if config.migrate_unbound(&self.manifests)
            && let Err(e) = config.save(&self.config_path)
        {
            tracing::warn!("could not save the migrated grants: {e}");
        }
        self.config = config;
        self.changes += 1;
    }

    /// How many times the settings or the trust were changed through this manager. A
    /// client that reads the settings file off its thread takes this before reading
    /// and drops what it read if it moved meanwhile (it read a file older than the
    /// manager's own last change).
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// The settings file.
    pub fn config_path(&self) -> &std::path::Path {
        &self.config_path
    }

    /// Whether `id` is known, enabled, trusted (not a workspace's extension, or the
    /// workspace is trusted) and may start without asking (granted as it is now).
    pub fn can_start(&self, id: &str) -> bool {
        self.manifests.iter().find(|m| m.id == id).is_some_and(|m| {
            self.config.is_enabled(id)
                && !self.blocked_by_trust(m)
                && self.config.grant_for(m).is_some()
        })
    }

    /// Forgets `id` and hands back its handle, to stop it elsewhere (a caller
    /// that cannot wait here unloads it on a task).
    pub fn take(&mut self, id: &str) -> Option<ExtensionHandle> {
        self.running.remove(id)
    }

    /// Stops and forgets `id`.
    pub async fn stop(&mut self, id: &str, timeout: std::time::Duration) {
        if let Some(h) = self.running.remove(id) {
            h.unload(timeout).await;
        }
    }
}
