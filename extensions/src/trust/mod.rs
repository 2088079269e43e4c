//! Workspace trust: whether the user allowed code that comes with a workspace (its
//! `.symphony/extensions`, later its workflows) to run. One small file,
//! `$XDG_DATA_HOME/symphony/trust/workspaces.toml` (mode 0600 in a 0700 folder),
//! holds the user's decision per canonical workspace path:
//!
//! ```toml
//! [workspaces."/home/me/src/project"]
//! trusted = true
//! decided = 1765100000   # seconds since the epoch
//! ```
//!
//! Like Neovim's `:trust` and VS Code's workspace trust: nothing from a workspace runs
//! until it is trusted; "don't trust" is remembered too (the workspace stays inert
//! and is not asked about again until `symphony trust DIR`); a workspace never
//! decided is asked about once it has something that would run. A trust file that
//! someone else could have written (not ours, or writable by group or others) is
//! refused: nothing is trusted.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt,
};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name inside its folder.
pub const TRUST_FILE: &str = "workspaces.toml";

/// What can go wrong with the trust file.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The file could have been written by someone else.
    #[error("{path}: refused: {reason} (nothing is trusted until it is fixed)")]
    Unsafe {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A workspace path that is not UTF-8 cannot be a key of the file.
    #[error("{0}: a workspace whose path is not UTF-8 cannot be trusted")]
    NotUtf8(PathBuf),
}

/// Result alias for trust.
pub type Result<T, E = TrustError> = std::result::Result<T, E>;

/// The user's decision about one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Code from the workspace may run.
    Trusted,
    /// It may not, and the user said so (not asked again).
    Denied,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    trusted: bool,
    #[serde(default)]
    decided: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    workspaces: BTreeMap<String, Entry>,
}

/// The trust decisions, as read from (and saved to) one file.
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
    file: File,
}

/// `$XDG_DATA_HOME/symphony/trust/workspaces.toml` (or `~/.local/share/...`).
pub fn default_path() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("symphony").join("trust").join(TRUST_FILE))
}

/// The key of a workspace: its canonical path (symbolic links and `..` resolved), or
/// the path made absolute when it cannot be resolved (it does not exist).
pub fn canonical(workspace: &Path) -> PathBuf {
    std::fs::canonicalize(workspace).unwrap_or_else(|_| {
        std::path::absolute(workspace).unwrap_or_else(|_| workspace.to_path_buf())
    })
}

fn key(workspace: &Path) -> Result<String> {
    let c = canonical(workspace);
    c.to_str()
        .map(str::to_owned)
        .ok_or_else(|| TrustError::NotUtf8(c.clone()))
}

impl TrustStore {
    /// Reads `path`; a missing file trusts nothing. A file not owned by this user or
    /// writable by others is refused ([`TrustError::Unsafe`]).
    pub fn load(path: &Path) -> Result<Self> {
        let io = |source| TrustError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(TrustStore {
                    path: path.to_path_buf(),
                    file: File::default(),
                });
            }
            Err(e) => return Err(io(e)),
        };
        let unsafe_because = |reason: &str| TrustError::Unsafe {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        if !meta.file_type().is_file() {
            return Err(unsafe_because("not a regular file"));
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(unsafe_because("owned by another user"));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(unsafe_because("writable by group or others"));
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let file = toml::from_str(&text).map_err(|e| TrustError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        Ok(TrustStore {
            path: path.to_path_buf(),
            file,
        })
    }

    /// [`TrustStore::load`] of [`default_path`]; `None` when there is no home.
    pub fn load_default() -> Option<Result<Self>> {
        default_path().map(|p| Self::load(&p))
    }

    /// The file it reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The decision about `workspace` (by its canonical path), if any.
    pub fn decision(&self, workspace: &Path) -> Option<Decision> {
        let k = key(workspace).ok()?;
        self.file.workspaces.get(&k).map(|e| {
            if e.trusted {
                Decision::Trusted
            } else {
                Decision::Denied
            }
        })
    }

    /// Whether code from `workspace` may run.
    pub fn is_trusted(&self, workspace: &Path) -> bool {
        self.decision(workspace) == Some(Decision::Trusted)
    }

    /// Records `decision` for `workspace` and saves the file.
    pub fn decide(&mut self, workspace: &Path, decision: Decision) -> Result<()> {
        let k = key(workspace)?;
        let decided = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.file.workspaces.insert(
            k,
            Entry {
                trusted: decision == Decision::Trusted,
                decided,
            },
        );
        self.save()
    }

    /// Forgets the decision about `workspace` (it is asked about again) and saves.
    pub fn forget(&mut self, workspace: &Path) -> Result<()> {
        let k = key(workspace)?;
        if self.file.workspaces.remove(&k).is_some() {
            self.save()?;
        }
        Ok(())
    }

    /// The trusted workspaces' canonical paths.
    pub fn trusted(&self) -> Vec<PathBuf> {
        self.file
            .workspaces
            .iter()
            .filter(|(_, e)| e.trusted)
            .map(|(k, _)| PathBuf::from(k))
            .collect()
    }

    /// Writes the file atomically (a private temp file, synced, renamed over it), its
    /// folder created 0700.
    fn save(&self) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TrustError::Io { path, source }
        };
        let text = toml::to_string_pretty(&self.file).map_err(|e| TrustError::Parse {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        if let Some(dir) = self.path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io(dir))?;
            // Our own folder: keep it private even if it existed before.
            let meta = std::fs::metadata(dir).map_err(io(dir))?;
            // SAFETY: geteuid has no preconditions and cannot fail.
            if meta.uid() == unsafe { libc::geteuid() } && meta.mode() & 0o077 != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(io(dir))?;
            }
        }
        let tmp = self
            .path
            .with_extension(format!("toml.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let _ = std::fs::remove_file(&tmp);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            TrustError::Io {
                path: self.path.clone(),
                source: e,
            }
        })
    }
}

#[cfg(test)]
mod tests;
