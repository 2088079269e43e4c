//! `extension.toml`: the manifest every extension ships, parsed and validated.
//!
//! ```toml
//! id = "word-count"
//! name = "Word count"
//! version = "0.1.0"
//! type = "operator"            # instrument | operator | motif
//! description = "Counts words and TODOs in a selection"
//! command = "python3"
//! args = ["${ext_dir}/main.py"] # ${ext_dir} = the folder holding the manifest
//! capabilities = ["count"]
//!
//! [permissions]
//! read = ["**/*.md"]            # file globs, relative to the workspace
//! buffer_read = true
//! env = ["OPENAI_API_KEY"]      # environment variables it may read
//!
//! [activation]
//! on_startup = false
//! on_commands = ["word-count.count"]
//! on_languages = ["markdown"]
//!
//! [config.max_words]
//! type = "integer"
//! default = 10000
//!
//! [dependencies]
//! other-ext = "^1.0"
//! ```

mod schema;

pub use schema::{ConfigField, ConfigType};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::permissions::Permissions;

/// Name of the manifest file inside an extension's folder.
pub const MANIFEST_FILE: &str = "extension.toml";

/// What went wrong reading a manifest; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The manifest file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or a field has the wrong shape.
    #[error("{path}: {message}")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// What the TOML parser said (field and position).
        message: String,
    },
    /// The TOML is well formed but a value is not acceptable.
    #[error("{path}: invalid `{field}`: {reason}")]
    Invalid {
        /// The manifest file.
        path: PathBuf,
        /// The offending field.
        field: String,
        /// Why it is refused.
        reason: String,
    },
}

/// Result alias for manifests.
pub type Result<T, E = ManifestError> = std::result::Result<T, E>;

/// The three kinds of extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionType {
    /// A model backend: `invoke` streams tokens as events.
    Instrument,
    /// A workflow step usable as a node kind.
    Operator,
    /// A tool pane sending declarative views and receiving keys.
    Motif,
}

impl std::fmt::Display for ExtensionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExtensionType::Instrument => "instrument",
            ExtensionType::Operator => "operator",
            ExtensionType::Motif => "motif",
        })
    }
}

/// When an extension is activated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// At editor start-up.
    #[serde(default)]
    pub on_startup: bool,
    /// When one of these commands is run.
    #[serde(default)]
    pub on_commands: Vec<String>,
    /// When a file of one of these languages is opened.
    #[serde(default)]
    pub on_languages: Vec<String>,
}

impl Activation {
    /// Whether running `command` activates the extension.
    pub fn on_command(&self, command: &str) -> bool {
        self.on_commands.iter().any(|c| c == command)
    }

    /// Whether opening a file in `language` activates the extension.
    pub fn on_language(&self, language: &str) -> bool {
        self.on_languages.iter().any(|l| l == language)
    }
}

/// A parsed, validated `extension.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique id: lowercase ASCII letters, digits, `-`, `_`, `.`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Semantic version.
    pub version: semver::Version,
    /// Instrument, operator or motif.
    #[serde(rename = "type")]
    pub kind: ExtensionType,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// The program to start (a bare name is looked up on `PATH`; a path with `/` is
    /// relative to the manifest's folder).
    pub command: String,
    /// Its arguments; `${ext_dir}` is replaced by the manifest's folder.
    #[serde(default)]
    pub args: Vec<String>,
    /// Free-form capability names the extension offers.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// What the extension asks to be allowed to do.
    #[serde(default)]
    pub permissions: Permissions,
    /// When to activate it.
    #[serde(default)]
    pub activation: Activation,
    /// Its settings: name -> typed field.
    #[serde(default)]
    pub config: BTreeMap<String, ConfigField>,
    /// Other extensions it needs: id -> version requirement.
    #[serde(default)]
    pub dependencies: BTreeMap<String, semver::VersionReq>,
    /// The folder holding the manifest (set on load, not read from the file).
    #[serde(skip)]
    pub dir: PathBuf,
    /// Where it came from (set by discovery, not read from the file).
    #[serde(skip)]
    pub origin: crate::discovery::Origin,
}

impl Manifest {
    /// Reads and validates `path` (an `extension.toml`).
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, path, &dir)
    }

    /// Parses and validates manifest `text`; `path` is only used in errors, `dir` is the
    /// extension's folder.
    pub fn parse(text: &str, path: &Path, dir: &Path) -> Result<Manifest> {
        let mut m: Manifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        m.dir = dir.to_path_buf();
        m.validate(path)?;
        Ok(m)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let invalid = |field: &str, reason: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            field: field.to_string(),
            reason,
        };
        if !valid_id(&self.id) {
            return Err(invalid(
                "id",
                format!(
                    "{:?} must be non-empty lowercase letters, digits, '-', '_' or '.'",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty".into()));
        }
        if self.command.trim().is_empty() {
            return Err(invalid("command", "must not be empty".into()));
        }
        for dep in self.dependencies.keys() {
            if !valid_id(dep) {
                return Err(invalid(
                    "dependencies",
                    format!("{dep:?} is not a valid id"),
                ));
            }
            if dep == &self.id {
                return Err(invalid(
                    "dependencies",
                    "an extension cannot depend on itself".into(),
                ));
            }
        }
        for (name, field) in &self.config {
            field
                .validate()
                .map_err(|reason| invalid(&format!("config.{name}"), reason))?;
        }
        self.permissions
            .validate()
            .map_err(|reason| invalid("permissions", reason))?;
        Ok(())
    }

    /// The program to run, resolved against the manifest's folder when it is a path.
    pub fn program(&self) -> PathBuf {
        if self.command.contains('/') && !Path::new(&self.command).is_absolute() {
            self.dir.join(&self.command)
        } else {
            PathBuf::from(&self.command)
        }
    }

    /// The arguments with `${ext_dir}` substituted.
    pub fn resolved_args(&self) -> Vec<String> {
        let dir = self.dir.to_string_lossy();
        self.args
            .iter()
            .map(|a| a.replace("${ext_dir}", &dir))
            .collect()
    }

    /// The default configuration as a JSON object (field name -> default value).
    pub fn default_config(&self) -> serde_json::Value {
        let map = self
            .config
            .iter()
            .filter_map(|(k, f)| f.default_json().map(|v| (k.clone(), v)))
            .collect();
        serde_json::Value::Object(map)
    }
}

/// Whether `id` is a valid extension id.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}
