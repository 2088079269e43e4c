//! The user's extension settings file (TOML): which extensions are enabled and what
//! each was granted. These are the functions `symphony ext list|info|enable|disable`
//! and the command palette call.
//!
//! ```toml
//! [extensions.word-count]
//! enabled = true
//! [extensions.word-count.grant]
//! buffer_read = true
//! [extensions.word-count.granted_to]   # the identity the grant is bound to
//! path = "/home/me/.local/share/symphony/extensions/word-count"
//! blake3 = "9f2c..."
//! ```
//!
//! A grant holds only for the extension it was given to: same folder, same manifest
//! and entry point (see [`crate::identity`]). A changed extension, or another one
//! reusing the id, is asked again. A grant written before grants were bound (no
//! `granted_to`) is bound, once, to the installed or shipped extension of that id as
//! it is now ([`ExtensionsConfig::migrate_unbound`]); it never applies to a
//! workspace's extension.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::discovery::Origin;
use crate::identity::Identity;
use crate::manifest::{ExtensionType, Manifest};
use crate::permissions::Grant;

/// What can go wrong with the settings file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// No such extension was discovered.
    #[error("no extension with id {0:?}")]
    Unknown(String),
}

/// Result alias for the settings file.
pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// One extension's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionSettings {
    /// Whether it may be activated (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// What the user allowed; `None` until the first-activation prompt was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Grant>,
    /// The extension the grant was given to; a grant without one (from an older
    /// version) applies to nothing until migrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_to: Option<Identity>,
}

fn yes() -> bool {
    true
}

impl Default for ExtensionSettings {
    fn default() -> Self {
        ExtensionSettings {
            enabled: true,
            grant: None,
            granted_to: None,
        }
    }
}

/// The whole settings file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtensionsConfig {
    /// Settings by extension id.
    #[serde(default)]
    pub extensions: BTreeMap<String, ExtensionSettings>,
}

impl ExtensionsConfig {
    /// Reads `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Writes to `path` atomically (temp file + rename), creating the folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Whether `id` is enabled (default true).
    pub fn is_enabled(&self, id: &str) -> bool {
        self.extensions.get(id).is_none_or(|s| s.enabled)
    }

    /// The grant remembered for `manifest`, limited to what it declares; `None` when
    /// there is none, or it was given to another extension or to this one before it
    /// changed.
    pub fn grant_for(&self, manifest: &Manifest) -> Option<Grant> {
        self.grant_for_identity(manifest, &Identity::of(manifest))
    }

    /// [`ExtensionsConfig::grant_for`] with the identity already computed.
    pub fn grant_for_identity(&self, manifest: &Manifest, identity: &Identity) -> Option<Grant> {
        let s = self.extensions.get(&manifest.id)?;
        let grant = s.grant.as_ref()?;
        (s.granted_to.as_ref() == Some(identity))
            .then(|| grant.restricted_to(&manifest.permissions))
    }

    /// Whether a grant for `manifest`'s id exists that does not hold for it (given to
    /// another extension with that id, or to this one before it changed).
    pub fn grant_is_stale(&self, manifest: &Manifest) -> bool {
        self.extensions
            .get(&manifest.id)
            .is_some_and(|s| s.grant.is_some() && self.grant_for(manifest).is_none())
    }

    /// Remembers the user's answer to the permission prompt, bound to `manifest` as
    /// its files are now.
    pub fn set_grant(&mut self, manifest: &Manifest, grant: Grant) {
        let s = self.extensions.entry(manifest.id.clone()).or_default();
        s.grant = Some(grant);
        s.granted_to = Some(Identity::of(manifest));
    }

    /// Binds the grants written before grants had an identity to the installed or
    /// shipped extension of that id in `manifests` as it is now (the user granted that
    /// one). A workspace extension never inherits one. True when something changed
    /// (save the file).
    pub fn migrate_unbound(&mut self, manifests: &[Manifest]) -> bool {
        let mut changed = false;
        for m in manifests {
            if m.origin == Origin::Workspace {
                continue;
            }
            if let Some(s) = self.extensions.get_mut(&m.id)
                && s.grant.is_some()
                && s.granted_to.is_none()
            {
                tracing::info!(ext = %m.id, "binding an older grant to the installed extension");
                s.granted_to = Some(Identity::of(m));
                changed = true;
            }
        }
        changed
    }
}

/// One row of `symphony ext list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListEntry {
    /// The id.
    pub id: String,
    /// The version.
    pub version: String,
    /// Instrument, operator or motif.
    pub kind: ExtensionType,
    /// Enabled in the settings.
    pub enabled: bool,
    /// Whether the permission prompt was answered for this very extension.
    pub granted: bool,
    /// Where it came from.
    pub origin: Origin,
    /// A grant exists for the id but not for this extension (it changed, or it
    /// shadows another): it will ask again.
    pub stale_grant: bool,
}

/// `symphony ext list`: every discovered extension with its settings.
pub fn list(manifests: &[Manifest], config: &ExtensionsConfig) -> Vec<ListEntry> {
    manifests
        .iter()
        .map(|m| ListEntry {
            id: m.id.clone(),
            version: m.version.to_string(),
            kind: m.kind,
            enabled: config.is_enabled(&m.id),
            granted: config.grant_for(m).is_some(),
            origin: m.origin,
            stale_grant: config.grant_is_stale(m),
        })
        .collect()
}

/// `symphony ext info <id>`: a human-readable description (secrets are named, never
/// valued).
pub fn info(manifests: &[Manifest], config: &ExtensionsConfig, id: &str) -> Result<String> {
    use std::fmt::Write as _;
    let m = manifests
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ConfigError::Unknown(id.to_string()))?;
    let mut s = String::new();
    let _ = writeln!(s, "{} {} ({})", m.id, m.version, m.kind);
    let _ = writeln!(s, "name: {}", m.name);
    let _ = writeln!(s, "description: {}", m.description);
    let _ = writeln!(s, "enabled: {}", config.is_enabled(&m.id));
    let _ = writeln!(s, "folder: {}", m.dir.display());
    let _ = writeln!(s, "origin: {}", m.origin);
    let _ = writeln!(s, "identity: blake3 {}", Identity::of(m).blake3);
    let _ = writeln!(s, "capabilities: {}", m.capabilities.join(", "));
    let _ = writeln!(s, "permissions asked: {:?}", m.permissions);
    let _ = writeln!(s, "permissions granted: {:?}", config.grant_for(m));
    for (name, f) in &m.config {
        let secret = if f.secret { " (secret)" } else { "" };
        let _ = writeln!(s, "config {name}: {:?}{secret}", f.ty);
    }
    for (dep, req) in &m.dependencies {
        let _ = writeln!(s, "depends on {dep} {req}");
    }
    Ok(s)
}

/// `symphony ext enable <id>`: marks it enabled in the file at `path`.
pub fn enable(path: &Path, manifests: &[Manifest], id: &str) -> Result<()> {
    set_enabled(path, manifests, id, true)
}

/// `symphony ext disable <id>`: marks it disabled in the file at `path`.
pub fn disable(path: &Path, manifests: &[Manifest], id: &str) -> Result<()> {
    set_enabled(path, manifests, id, false)
}

fn set_enabled(path: &Path, manifests: &[Manifest], id: &str, on: bool) -> Result<()> {
    if !manifests.iter().any(|m| m.id == id) {
        return Err(ConfigError::Unknown(id.to_string()));
    }
    let mut cfg = ExtensionsConfig::load(path)?;
    cfg.extensions.entry(id.to_string()).or_default().enabled = on;
    cfg.save(path)
}
