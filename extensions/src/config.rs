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
use crate::manifest::{ConfigType, ExtensionType, Manifest};
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

/// `symphony ext info <id>`: a readable summary, one aligned `key: value` line per
/// field (a list continues on indented lines); secrets are named, never valued.
pub fn info(manifests: &[Manifest], config: &ExtensionsConfig, id: &str) -> Result<String> {
    let m = manifests
        .iter()
        .find(|m| m.id == id)
        .ok_or_else(|| ConfigError::Unknown(id.to_string()))?;
    let identity = Identity::of(m);
    let mut rows: Vec<(&str, Vec<String>)> = vec![
        ("name", vec![m.name.clone()]),
        ("id", vec![m.id.clone()]),
        ("version", vec![m.version.to_string()]),
        ("type", vec![m.kind.to_string()]),
    ];
    if !m.description.is_empty() {
        rows.push(("description", vec![m.description.clone()]));
    }
    let enabled = if config.is_enabled(&m.id) {
        "yes"
    } else {
        "no (`symphony ext enable` turns it on)"
    };
    rows.push(("enabled", vec![enabled.to_string()]));
    rows.push(("origin", vec![origin_text(m.origin).to_string()]));
    rows.push(("folder", vec![m.dir.display().to_string()]));
    let mut command = vec![m.program().display().to_string()];
    command.extend(m.resolved_args());
    rows.push(("command", vec![command.join(" ")]));
    rows.push(("activation", activation_text(m)));
    if !m.capabilities.is_empty() {
        rows.push(("capabilities", vec![m.capabilities.join(", ")]));
    }
    let asked = m.permissions.words();
    rows.push((
        "permissions asked",
        if asked.is_empty() {
            vec!["none (it only runs its program)".to_string()]
        } else {
            asked
        },
    ));
    rows.push(("permissions granted", granted_text(m, config, &identity)));
    rows.push((
        "identity",
        vec![
            format!("blake3 {}", identity.blake3),
            format!("of {}", identity.path.display()),
        ],
    ));
    let fields: Vec<String> = m
        .config
        .iter()
        .map(|(name, f)| {
            let secret = if f.secret { ", secret" } else { "" };
            let mut value = format!("{name} ({}{secret})", config_type_text(f.ty));
            if !f.description.is_empty() {
                value.push_str(&format!(": {}", f.description));
            }
            value
        })
        .collect();
    if !fields.is_empty() {
        rows.push(("config", fields));
    }
    let deps: Vec<String> = m
        .dependencies
        .iter()
        .map(|(dep, req)| format!("{dep} {req}"))
        .collect();
    if !deps.is_empty() {
        rows.push(("depends on", deps));
    }
    Ok(aligned(&rows))
}

/// `rows` as `key: value` lines with the values in one column; a row's further values
/// go on lines of their own, indented to that column.
fn aligned(rows: &[(&str, Vec<String>)]) -> String {
    use std::fmt::Write as _;
    let width = rows.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    let mut s = String::new();
    for (key, values) in rows {
        let mut key = format!("{key}:");
        for value in values {
            let _ = writeln!(s, "{key:<width$} {value}");
            key.clear();
        }
    }
    s
}

/// Where an extension came from, in words.
fn origin_text(origin: Origin) -> &'static str {
    match origin {
        Origin::Shipped => "shipped (with Symphony)",
        Origin::User => "user (installed)",
        Origin::Workspace => "workspace (runs only once the workspace is trusted)",
    }
}

/// When the extension is started, one event a line.
fn activation_text(m: &Manifest) -> Vec<String> {
    let a = &m.activation;
    let mut out = Vec::new();
    if a.on_startup {
        out.push("at start-up".to_string());
    }
    if !a.on_commands.is_empty() {
        out.push(format!("on command {}", a.on_commands.join(", ")));
    }
    if !a.on_languages.is_empty() {
        out.push(format!("on opening {} files", a.on_languages.join(", ")));
    }
    if out.is_empty() {
        out.push("when first used".to_string());
    }
    out
}

/// What the user granted this very extension, in words.
fn granted_text(m: &Manifest, config: &ExtensionsConfig, identity: &Identity) -> Vec<String> {
    match config.grant_for_identity(m, identity) {
        Some(g) => {
            let words = g.words();
            if words.is_empty() && !m.permissions.is_empty() {
                vec!["nothing (refused)".to_string()]
            } else if words.is_empty() {
                vec!["answered (nothing was asked)".to_string()]
            } else {
                words
            }
        }
        None if config.grant_is_stale(m) => {
            vec!["none for this copy: it changed since granted (asks again)".to_string()]
        }
        None => vec!["not yet (asks before its first run)".to_string()],
    }
}

/// A configuration field's type, as written in the manifest.
fn config_type_text(ty: ConfigType) -> &'static str {
    match ty {
        ConfigType::String => "string",
        ConfigType::Integer => "integer",
        ConfigType::Float => "float",
        ConfigType::Boolean => "boolean",
        ConfigType::StringList => "string list",
    }
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
