//! Permissions for tool calls: per tool allow / ask / deny (`[agent.permissions]` in
//! config.toml), sensible defaults (reads allowed, edits proposed, commands asked), and
//! answers remembered per workspace in a file the user can read and edit
//! (`$XDG_DATA_HOME/symphony/agent-permissions.toml`).
//!
//! ```toml
//! [agent.permissions]
//! run_command = "ask"   # allow | ask | deny
//! write_file = "deny"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tools::Access;

/// What happens when the model calls a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Run it.
    Allow,
    /// Ask the user first, showing the exact command or path.
    Ask,
    /// Refuse it; the model reads the refusal and goes on.
    Deny,
}

/// `[agent.permissions]`: a permission per tool name; tools not named get the default
/// of their kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionConfig {
    /// Tool name -> permission.
    pub tools: BTreeMap<String, Permission>,
}

impl PermissionConfig {
    /// The permission for `tool`, which does `access`.
    pub fn for_tool(&self, tool: &str, access: Access) -> Permission {
        self.tools.get(tool).copied().unwrap_or(match access {
            // Edits only ever propose: the review is the permission.
            Access::Read | Access::Edit | Access::Ask => Permission::Allow,
            Access::Run => Permission::Ask,
        })
    }
}

/// What the user is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionRequest {
    /// The tool.
    pub tool: String,
    /// The exact command or path.
    pub argument: String,
}

/// The user's answer to a permission prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Run it this once.
    Allow,
    /// Run it, and always allow this exact call in this workspace.
    AlwaysAllow,
    /// Do not run it.
    Deny,
}

/// One remembered "always allow".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The workspace root it applies to.
    pub workspace: PathBuf,
    /// The tool.
    pub tool: String,
    /// The exact command or path allowed.
    pub argument: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct GrantFile {
    #[serde(default, rename = "grant")]
    grants: Vec<Grant>,
}

/// The remembered answers, stored in a TOML file.
#[derive(Debug, Clone)]
pub struct RememberedGrants {
    path: PathBuf,
    grants: Vec<Grant>,
}

/// Why the grants file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum GrantsError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl RememberedGrants {
    /// The default file: `$XDG_DATA_HOME/symphony/agent-permissions.toml`
    /// (`~/.local/share/...` when the variable is unset).
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
        Some(base.join("symphony").join("agent-permissions.toml"))
    }

    /// Loads `path`; a missing file is no grants.
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, GrantsError> {
        let path = path.into();
        let grants = match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str::<GrantFile>(&text)
                    .map_err(|e| GrantsError::Parse {
                        path: path.clone(),
                        message: e.to_string(),
                    })?
                    .grants
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(GrantsError::Io { path, source }),
        };
        Ok(Self { path, grants })
    }

    /// Whether this exact call is always allowed in `workspace`.
    pub fn allows(&self, workspace: &Path, tool: &str, argument: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.workspace == workspace && g.tool == tool && g.argument == argument)
    }

    /// Remembers a grant and saves the file (atomically: a temporary file renamed).
    pub fn remember(&mut self, grant: Grant) -> Result<(), GrantsError> {
        if !self.grants.contains(&grant) {
            self.grants.push(grant);
        }
        let io = |source| GrantsError::Io {
            path: self.path.clone(),
            source,
        };
        let text = toml::to_string_pretty(&GrantFile {
            grants: self.grants.clone(),
        })
        .map_err(|e| GrantsError::Parse {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let text = format!(
            "# Tool calls Symphony's agent may make without asking, per workspace.\n# Delete a [[grant]] to be asked again.\n\n{text}"
        );
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("toml.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_allow_reads_and_edits_and_ask_for_commands() {
        let config: PermissionConfig = toml::from_str("write_file = \"deny\"").unwrap();
        assert_eq!(config.for_tool("grep", Access::Read), Permission::Allow);
        assert_eq!(
            config.for_tool("edit_file", Access::Edit),
            Permission::Allow
        );
        assert_eq!(
            config.for_tool("write_file", Access::Edit),
            Permission::Deny
        );
        assert_eq!(config.for_tool("run_command", Access::Run), Permission::Ask);
    }

    #[test]
    fn always_allow_is_remembered_per_workspace_in_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("symphony/agent-permissions.toml");
        let mut grants = RememberedGrants::load(&path).unwrap();
        grants
            .remember(Grant {
                workspace: "/w".into(),
                tool: "run_command".into(),
                argument: "cargo test".into(),
            })
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("argument = \"cargo test\""), "{text}");
        let again = RememberedGrants::load(&path).unwrap();
        assert!(again.allows(Path::new("/w"), "run_command", "cargo test"));
        assert!(!again.allows(Path::new("/other"), "run_command", "cargo test"));
        assert!(!again.allows(Path::new("/w"), "run_command", "cargo test; rm -rf /"));
    }
}
