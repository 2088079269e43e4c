//! Helpers shared by the integration tests: manifests for test scripts and a host
//! with short timeouts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use symphony_extensions::{HostConfig, Manifest};

/// The crate's folder.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped examples' folder.
pub fn examples_dir() -> PathBuf {
    crate_dir().join("examples")
}

/// A manifest for `tests/fixtures/behave.py <mode> [extra...]` in `dir`.
pub fn behave(dir: &Path, mode: &str, extra: &[&str], permissions: &str) -> Manifest {
    let script = crate_dir().join("tests/fixtures/behave.py");
    let mut args = vec![
        format!("{:?}", script.display().to_string()),
        format!("{mode:?}"),
    ];
    args.extend(extra.iter().map(|a| format!("{a:?}")));
    let text = format!(
        "id = \"behave\"\nname = \"Behave\"\nversion = \"1.0.0\"\ntype = \"operator\"\n\
         command = \"python3\"\nargs = [{}]\n{permissions}\n",
        args.join(", ")
    );
    let path = dir.join("extension.toml");
    std::fs::write(&path, text).unwrap();
    Manifest::load(&path).unwrap()
}

/// A host config for `workspace` with short timeouts and quick restarts.
pub fn quick_config(workspace: &Path) -> HostConfig {
    let mut c = HostConfig::new(workspace);
    c.request_timeout = Duration::from_secs(10);
    c.backoff = Duration::from_millis(20);
    c.max_backoff = Duration::from_millis(100);
    c
}

/// Generous bound for anything that involves starting python.
pub const START: Duration = Duration::from_secs(20);
