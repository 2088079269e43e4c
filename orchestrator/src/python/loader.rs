//! Where Python files come from: `$XDG_CONFIG_HOME/symphony/workflows/*.py` (the user's
//! own, trusted) and the workspace's `.symphony/workflows/*.py` (only once the workspace
//! is trusted). A thread off the UI checks their modification times every second: a new
//! or changed file is loaded again, a deleted one forgotten, without a restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::PythonConductor;

/// How often the folders are checked for changes.
const POLL: Duration = Duration::from_millis(1000);

/// The Python files of these folders, each loaded once per change.
pub struct Loader {
    python: PythonConductor,
    dirs: Vec<PathBuf>,
    workspace: Option<Workspace>,
    seen: HashMap<PathBuf, SystemTime>,
}

/// A workspace whose `.symphony/workflows/` loads only while the trust file trusts it
/// (checked at every scan: trusting it mid-session loads its files, revoking forgets them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The workspace folder.
    pub root: PathBuf,
    /// The trust file (`None`: the standard one, `symphony_extensions::trust::default_path`).
    pub trust_file: Option<PathBuf>,
}

impl Workspace {
    /// Its workflows folder, when it exists and the workspace is trusted.
    fn trusted_dir(&self) -> Option<PathBuf> {
        let dir = self.root.join(".symphony").join("workflows");
        if !dir.is_dir() {
            return None;
        }
        let file = self
            .trust_file
            .clone()
            .or_else(symphony_extensions::trust::default_path)?;
        match symphony_extensions::trust::TrustStore::load(&file) {
            Ok(store) if store.is_trusted(&self.root) => Some(dir),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "python: trust file unreadable; workspace files stay off");
                None
            }
        }
    }
}

/// A load that failed: the file and its traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// Python's traceback (a syntax error names the line).
    pub traceback: String,
}

impl Loader {
    /// A loader of `dirs` (the user's own folders: trusted) and of the workspace's
    /// folder while it is trusted.
    pub fn new(
        python: PythonConductor,
        dirs: Vec<PathBuf>,
        workspace: Option<Workspace>,
    ) -> Loader {
        Loader {
            python,
            dirs,
            workspace,
            seen: HashMap::new(),
        }
    }

    /// Loads the files that are new or changed since the last scan and forgets the
    /// deleted ones; what failed to load.
    pub fn scan(&mut self) -> Vec<LoadError> {
        let mut now: HashMap<PathBuf, SystemTime> = HashMap::new();
        let workspace = self.workspace.as_ref().and_then(Workspace::trusted_dir);
        for dir in self.dirs.iter().chain(workspace.as_ref()) {
            for path in py_files(dir) {
                let mtime = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                now.insert(path, mtime);
            }
        }
        let mut errors = Vec::new();
        let mut paths: Vec<&PathBuf> = now.keys().collect();
        paths.sort();
        for path in paths {
            if self.seen.get(path) == now.get(path) {
                continue;
            }
            if let Err(e) = self.python.load(path) {
                errors.push(LoadError {
                    path: path.clone(),
                    traceback: e.to_string(),
                });
            }
        }
        for gone in self.seen.keys().filter(|p| !now.contains_key(*p)) {
            self.python.forget(gone);
        }
        self.seen = now;
        errors
    }

    /// Scans now, then every second on its own thread; `report` gets each failed load.
    pub fn watch(mut self, report: impl Fn(LoadError) + Send + 'static) {
        for e in self.scan() {
            report(e);
        }
        let spawned = std::thread::Builder::new()
            .name("symphony-python-watch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(POLL);
                    for e in self.scan() {
                        report(e);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "python: cannot watch the workflow folders");
        }
    }
}

fn py_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py") && p.is_file())
        .collect()
}
