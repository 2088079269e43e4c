//! Installing an extension: its folder is validated (the manifest must load), copied
//! into a staging folder beside the user's extensions, then moved into place as
//! `<user dir>/<id>`. An installed extension is a *user* extension: like any other it
//! asks for its permissions before its first run (grants are bound to its folder and
//! files, see [`crate::identity`]).
//!
//! An extension with that id already installed is kept unless `force`; then the old
//! folder is moved aside to `<user dir>/.replaced/<id>-<seconds>` (recoverable), not
//! deleted. The Python SDK the examples share (`symphony_ext.py`, in the folder above
//! them) is copied along when the extension's folder has none, so an installed example
//! still imports it.

use std::path::{Path, PathBuf};

use crate::manifest::{MANIFEST_FILE, Manifest, ManifestError};

/// The shared Python SDK file of the examples.
pub const SDK_FILE: &str = "symphony_ext.py";

/// Folders never copied: version control, build output, caches.
const SKIPPED: [&str; 3] = [".git", "target", "__pycache__"];

/// What went wrong installing.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The path is not a folder holding an `extension.toml`.
    #[error("{0} is not an extension folder (no extension.toml in it)")]
    NotAnExtension(PathBuf),
    /// The manifest does not load.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An extension with that id is installed and `force` was not given.
    #[error("extension {id:?} is already installed in {}; use --force to replace it", .dir.display())]
    AlreadyInstalled {
        /// The id.
        id: String,
        /// Its folder.
        dir: PathBuf,
    },
    /// The folder given is the installed copy itself.
    #[error("{} is the installed copy itself; nothing to do", .0.display())]
    SameFolder(PathBuf),
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What [`install`] did.
#[derive(Debug)]
pub struct Installed {
    /// The installed extension's manifest (its folder is the installed copy).
    pub manifest: Manifest,
    /// Where the previously installed copy was moved, when one was replaced.
    pub replaced: Option<PathBuf>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Copies the extension in folder `src` into `user_dir/<id>` (see the module's
/// documentation); `force` replaces an installed one with the same id.
pub fn install(src: &Path, user_dir: &Path, force: bool) -> Result<Installed, InstallError> {
    let manifest_path = src.join(MANIFEST_FILE);
    if !manifest_path.is_file() {
        return Err(InstallError::NotAnExtension(src.to_path_buf()));
    }
    let manifest = Manifest::load(&manifest_path)?;
    let dest = user_dir.join(&manifest.id);
    if dest.exists() {
        let same = match (std::fs::canonicalize(src), std::fs::canonicalize(&dest)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(InstallError::SameFolder(dest));
        }
        if !force {
            return Err(InstallError::AlreadyInstalled {
                id: manifest.id,
                dir: dest,
            });
        }
    }
    let staging_root = user_dir.join(".staging");
    std::fs::create_dir_all(&staging_root).map_err(io(&staging_root))?;
    let staging = staging_root.join(format!("{}-{}", manifest.id, std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let copied = copy_tree(src, &staging).and_then(|()| {
        let sdk = src.parent().map(|p| p.join(SDK_FILE));
        match sdk {
            Some(sdk) if sdk.is_file() && !src.join(SDK_FILE).exists() => {
                let to = staging.join(SDK_FILE);
                std::fs::copy(&sdk, &to).map(drop).map_err(io(&to))
            }
            _ => Ok(()),
        }
    });
    if let Err(e) = copied {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let replaced = if dest.exists() {
        let aside_root = user_dir.join(".replaced");
        std::fs::create_dir_all(&aside_root).map_err(io(&aside_root))?;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = aside_root.join(format!("{}-{secs}", manifest.id));
        std::fs::rename(&dest, &aside).map_err(io(&dest))?;
        Some(aside)
    } else {
        None
    };
    if let Err(source) = std::fs::rename(&staging, &dest) {
        if let Some(aside) = &replaced {
            let _ = std::fs::rename(aside, &dest);
        }
        let _ = std::fs::remove_dir_all(&staging);
        return Err(InstallError::Io { path: dest, source });
    }
    // Left only if another install runs at the same time.
    let _ = std::fs::remove_dir(&staging_root);
    let mut manifest = Manifest::load(&dest.join(MANIFEST_FILE))?;
    manifest.origin = super::Origin::User;
    tracing::info!(id = %manifest.id, dir = %dest.display(), "extension installed");
    Ok(Installed { manifest, replaced })
}

/// Copies folder `from` to `to` (created): files with their permission bits, folders
/// recursively, the target of a symbolic link to a file; skips [`SKIPPED`] folders
/// and links to folders.
fn copy_tree(from: &Path, to: &Path) -> Result<(), InstallError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        let name = entry.file_name();
        let target = to.join(&name);
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            if !SKIPPED.iter().any(|s| name == *s) {
                copy_tree(&path, &target)?;
            }
        } else if kind.is_file() || path.is_file() {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(root: &Path, id: &str, version: &str) -> PathBuf {
        let dir = root.join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MANIFEST_FILE),
            format!(
                "id = \"{id}\"\nname = \"N\"\nversion = \"{version}\"\ntype = \"operator\"\n\
                 command = \"python3\"\nargs = [\"${{ext_dir}}/main.py\"]\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("main.py"), "print('hi')\n").unwrap();
        dir
    }

    #[test]
    fn install_copies_the_folder_and_the_shared_sdk_and_refuses_a_second_time() {
        let t = tempfile::tempdir().unwrap();
        let src = example(&t.path().join("examples"), "hello", "1.0.0");
        std::fs::write(t.path().join("examples").join(SDK_FILE), "# sdk\n").unwrap();
        let user = t.path().join("data/symphony/extensions");
        let done = install(&src, &user, false).unwrap();
        assert_eq!(done.manifest.dir, user.join("hello"));
        assert_eq!(done.manifest.origin, super::super::Origin::User);
        assert!(done.replaced.is_none());
        assert!(user.join("hello/main.py").is_file());
        assert!(user.join("hello").join(SDK_FILE).is_file());

        let again = install(&src, &user, false).unwrap_err();
        assert!(
            matches!(again, InstallError::AlreadyInstalled { .. }),
            "{again}"
        );
        assert!(again.to_string().contains("--force"), "{again}");
    }

    #[test]
    fn force_moves_the_old_copy_aside_instead_of_deleting_it() {
        let t = tempfile::tempdir().unwrap();
        let user = t.path().join("user");
        let old = example(&t.path().join("v1"), "hello", "1.0.0");
        install(&old, &user, false).unwrap();
        std::fs::write(user.join("hello/notes.txt"), "mine").unwrap();
        let new = example(&t.path().join("v2"), "hello", "2.0.0");
        let done = install(&new, &user, true).unwrap();
        assert_eq!(done.manifest.version.to_string(), "2.0.0");
        let aside = done.replaced.expect("old copy kept");
        assert_eq!(
            std::fs::read_to_string(aside.join("notes.txt")).unwrap(),
            "mine"
        );
        // Only the new copy is discovered.
        let found = super::super::discover(std::slice::from_ref(&user));
        assert_eq!(found.extensions.len(), 1, "{:?}", found.problems);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
    }

    #[test]
    fn an_invalid_manifest_is_refused_and_nothing_is_copied() {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("bad");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join(MANIFEST_FILE), "id = 3\n").unwrap();
        let user = t.path().join("user");
        assert!(matches!(
            install(&src, &user, false),
            Err(InstallError::Manifest(_))
        ));
        assert!(matches!(
            install(t.path(), &user, false),
            Err(InstallError::NotAnExtension(_))
        ));
        assert!(!user.join("bad").exists());
    }
}
