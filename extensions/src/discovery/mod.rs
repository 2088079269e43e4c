//! Discovery: finds `extension.toml` files in the search folders, reports broken ones,
//! and orders the good ones by their dependencies.
//!
//! Search folders, lowest precedence first: the built-in folder,
//! `$XDG_DATA_HOME/symphony/extensions`, the workspace's `.symphony/extensions`. An id
//! found again in a later folder shadows the earlier one (reported). Every manifest
//! found is tagged with its [`Origin`]: a workspace's extensions need the workspace
//! to be trusted before they run (see [`crate::trust`]).

mod install;
mod order;

pub use install::{InstallError, Installed, install};
pub use order::load_order;

use std::path::{Path, PathBuf};

use crate::manifest::{MANIFEST_FILE, Manifest, ManifestError};

/// Where an extension came from.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Shipped with Symphony (`extensions/` next to the program), or a folder given
    /// explicitly.
    Shipped,
    /// Installed by the user (`$XDG_DATA_HOME/symphony/extensions`).
    #[default]
    User,
    /// Came with the workspace (`<workspace>/.symphony/extensions`): runs only once
    /// the workspace is trusted.
    Workspace,
}

impl Origin {
    /// The origin of the extensions in search folder `dir`, by the standard layout:
    /// a `.symphony/extensions` folder is a workspace's, a `symphony/extensions`
    /// folder (the data folder's) the user's, anything else shipped.
    pub fn of_dir(dir: &Path) -> Origin {
        let mut parts = dir.components().rev().map(|c| c.as_os_str());
        match (parts.next(), parts.next()) {
            (Some(e), Some(s)) if e == "extensions" && s == ".symphony" => Origin::Workspace,
            (Some(e), Some(s)) if e == "extensions" && s == "symphony" => Origin::User,
            _ => Origin::Shipped,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Shipped => "shipped",
            Origin::User => "user",
            Origin::Workspace => "workspace",
        })
    }
}

/// A problem found while discovering; the extension concerned is skipped.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A manifest that could not be read or is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Two extensions with the same id; the later folder wins.
    #[error("extension {id:?} in {kept} shadows the one in {shadowed}")]
    Shadowed {
        /// The id.
        id: String,
        /// The manifest kept.
        kept: PathBuf,
        /// The manifest ignored.
        shadowed: PathBuf,
    },
    /// A dependency is not installed, or not in the required version.
    #[error("extension {id:?} needs {dependency:?} {requirement}, {found}")]
    MissingDependency {
        /// The extension.
        id: String,
        /// The dependency's id.
        dependency: String,
        /// The version requirement.
        requirement: semver::VersionReq,
        /// What was found instead ("not installed", "found 0.3.0", "it cannot load").
        found: String,
    },
    /// Extensions that depend on each other in a circle.
    #[error("circular dependency between extensions: {}", .ids.join(" -> "))]
    Cycle {
        /// The ids in the circle (sorted).
        ids: Vec<String>,
    },
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Loadable manifests in load order (dependencies first; ties by id).
    pub extensions: Vec<Manifest>,
    /// Everything skipped, and why.
    pub problems: Vec<Problem>,
}

/// The standard search folders: `builtin`, then `$XDG_DATA_HOME/symphony/extensions`
/// (or `~/.local/share/...`), then `<workspace>/.symphony/extensions`.
pub fn standard_dirs(builtin: &Path, workspace: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = vec![builtin.to_path_buf()];
    if let Some(d) = user_dir() {
        dirs.push(d);
    }
    if let Some(w) = workspace {
        dirs.push(w.join(".symphony").join("extensions"));
    }
    dirs
}

/// Where the user's extensions live (and `symphony ext install` copies them):
/// `$XDG_DATA_HOME/symphony/extensions`, or `~/.local/share/symphony/extensions`;
/// `None` when neither variable is set.
pub fn user_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|d| d.join("symphony").join("extensions"))
}

/// Scans `dirs` (lowest precedence first; missing folders are fine): every direct
/// sub-folder holding an `extension.toml` is one extension.
pub fn discover(dirs: &[PathBuf]) -> Discovery {
    let mut problems = Vec::new();
    let mut found: std::collections::BTreeMap<String, Manifest> = Default::default();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(MANIFEST_FILE).is_file())
            .collect();
        subdirs.sort();
        let origin = Origin::of_dir(dir);
        for sub in subdirs {
            let path = sub.join(MANIFEST_FILE);
            match Manifest::load(&path) {
                Ok(mut m) => {
                    m.origin = origin;
                    tracing::debug!(id = %m.id, path = %path.display(), "extension discovered");
                    if let Some(old) = found.insert(m.id.clone(), m) {
                        problems.push(Problem::Shadowed {
                            id: old.id.clone(),
                            kept: path.clone(),
                            shadowed: old.dir.join(MANIFEST_FILE),
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "skipping broken extension manifest");
                    problems.push(e.into());
                }
            }
        }
    }
    let (extensions, mut order_problems) = load_order(found.into_values().collect());
    problems.append(&mut order_problems);
    Discovery {
        extensions,
        problems,
    }
}
