//! The example extensions shipped inside the `symphony` program (`extensions/examples`
//! at build time), so `symphony ext install --example ID` works wherever the program
//! was copied to: each is written out and installed like any folder
//! (`symphony_extensions::discovery::install`).

use std::path::{Path, PathBuf};

use symphony_extensions::Manifest;
use symphony_extensions::discovery::{InstallError, Installed, install};
use symphony_extensions::manifest::MANIFEST_FILE;

/// One shipped example: its folder name and its files (name, contents).
#[derive(Debug)]
pub struct Example {
    /// The folder name under `extensions/examples`.
    pub folder: &'static str,
    /// Its files, by name relative to the folder.
    pub files: &'static [(&'static str, &'static str)],
}

macro_rules! example_file {
    ($folder:literal, $file:literal) => {
        (
            $file,
            include_str!(concat!("../../extensions/examples/", $folder, "/", $file)),
        )
    };
}

/// The Python SDK the Python examples import (copied in beside their `main.py`).
const SDK: (&str, &str) = (
    "symphony_ext.py",
    include_str!("../../extensions/examples/symphony_ext.py"),
);

/// Every shipped example.
pub const EXAMPLES: &[Example] = &[
    Example {
        folder: "word-count",
        files: &[
            example_file!("word-count", "extension.toml"),
            example_file!("word-count", "main.py"),
            SDK,
        ],
    },
    Example {
        folder: "git-status",
        files: &[
            example_file!("git-status", "extension.toml"),
            example_file!("git-status", "main.py"),
            SDK,
        ],
    },
    Example {
        folder: "cli-model",
        files: &[
            example_file!("cli-model", "extension.toml"),
            example_file!("cli-model", "main.py"),
            SDK,
        ],
    },
    Example {
        folder: "line-stats-rs",
        files: &[
            example_file!("line-stats-rs", "extension.toml"),
            example_file!("line-stats-rs", "main.rs"),
        ],
    },
];

impl Example {
    /// Its manifest, parsed as if it lived in `dir`; `None` if it does not parse
    /// (a build of Symphony with a broken example).
    pub fn manifest(&self, dir: &Path) -> Option<Manifest> {
        let (_, text) = self.files.iter().find(|(n, _)| *n == MANIFEST_FILE)?;
        Manifest::parse(text, &dir.join(MANIFEST_FILE), dir).ok()
    }
}

/// The shipped examples' manifests (id, version, description...), in
/// [`EXAMPLES`] order.
pub fn manifests() -> Vec<Manifest> {
    EXAMPLES
        .iter()
        .filter_map(|e| e.manifest(Path::new(e.folder)))
        .collect()
}

/// The examples' source folder, when this program runs from a Symphony checkout.
pub fn source_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions/examples");
    dir.is_dir().then(|| dir.canonicalize().unwrap_or(dir))
}

/// What went wrong installing an example.
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    /// No shipped example has that id.
    #[error("no shipped example with id {0:?} (see `symphony ext install --examples`)")]
    Unknown(String),
    /// Writing it out or installing it failed.
    #[error(transparent)]
    Install(#[from] InstallError),
}

/// Installs the shipped example `id` into `user_dir` (see
/// `symphony_extensions::discovery::install`; `force` replaces an installed one).
pub fn install_example(id: &str, user_dir: &Path, force: bool) -> Result<Installed, ExampleError> {
    let example = EXAMPLES
        .iter()
        .find(|e| e.manifest(Path::new(e.folder)).is_some_and(|m| m.id == id) || e.folder == id)
        .ok_or_else(|| ExampleError::Unknown(id.to_string()))?;
    let out = user_dir
        .join(".staging")
        .join(format!("example-{}", std::process::id()));
    let dir = out.join(example.folder);
    let written = write_files(example, &dir);
    let result = written.and_then(|()| install(&dir, user_dir, force));
    let _ = std::fs::remove_dir_all(&out);
    Ok(result?)
}

fn write_files(example: &Example, dir: &Path) -> Result<(), InstallError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| InstallError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for (name, text) in example.files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_example_parses_and_installs_with_its_sdk() {
        assert_eq!(manifests().len(), EXAMPLES.len());
        let t = tempfile::tempdir().unwrap();
        let user = t.path().join("symphony/extensions");
        let done = install_example("word-count", &user, false).unwrap();
        assert_eq!(done.manifest.dir, user.join("word-count"));
        assert!(user.join("word-count/symphony_ext.py").is_file());
        assert!(!user.join(".staging").join("example-0").exists());
        let err = install_example("nope", &user, false).unwrap_err();
        assert!(err.to_string().contains("--examples"), "{err}");
    }
}
