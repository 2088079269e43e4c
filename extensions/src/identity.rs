//! An extension's identity: its canonical folder and a BLAKE3 hash of its manifest
//! and entry point files. Grants are bound to it, so an extension that changed, or
//! another one reusing a granted id (a workspace copy shadowing an installed one),
//! asks again.
//!
//! The entry point files are the program when the manifest's `command` is a path,
//! and every argument that names a file inside the extension's folder (`main.py` of
//! `command = "python3"`, `args = ["${ext_dir}/main.py"]`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::{MANIFEST_FILE, Manifest};

/// Who an extension is: where it lives and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Its folder, canonical.
    pub path: PathBuf,
    /// BLAKE3 (hex) of the manifest and the entry point files.
    pub blake3: String,
}

impl Identity {
    /// The identity of `manifest` as its files are now. Files that cannot be read are
    /// hashed as absent (a missing entry point changes the identity too).
    pub fn of(manifest: &Manifest) -> Identity {
        let path = std::fs::canonicalize(&manifest.dir).unwrap_or_else(|_| manifest.dir.clone());
        let mut h = blake3::Hasher::new();
        h.update(b"symphony-extension-identity-v1\0");
        hash_file(&mut h, MANIFEST_FILE, &manifest.dir.join(MANIFEST_FILE));
        for file in entry_points(manifest, &path) {
            let name = file
                .strip_prefix(&path)
                .unwrap_or(&file)
                .to_string_lossy()
                .into_owned();
            hash_file(&mut h, &name, &file);
        }
        Identity {
            path,
            blake3: h.finalize().to_hex().to_string(),
        }
    }

    /// The first characters of the hash, for display.
    pub fn short(&self) -> &str {
        self.blake3.get(..12).unwrap_or(&self.blake3)
    }
}

/// The entry point files of `manifest` (canonical, inside `dir`, its canonical
/// folder), in the order they appear, without duplicates.
pub fn entry_points(manifest: &Manifest, dir: &Path) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if manifest.command.contains('/') {
        candidates.push(manifest.program());
    }
    for a in manifest.resolved_args() {
        let p = Path::new(&a);
        if p.is_absolute() {
            candidates.push(p.to_path_buf());
        } else {
            candidates.push(manifest.dir.join(p));
        }
    }
    let mut out: Vec<PathBuf> = Vec::new();
    for c in candidates {
        let Ok(c) = std::fs::canonicalize(&c) else {
            continue;
        };
        if c.starts_with(dir) && c.is_file() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

fn hash_file(h: &mut blake3::Hasher, name: &str, path: &Path) {
    h.update(name.as_bytes());
    h.update(b"\0");
    match std::fs::read(path) {
        Ok(bytes) => {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        Err(_) => {
            h.update(b"absent");
        }
    }
    h.update(b"\0");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(dir: &Path, id: &str, script: &str) -> Manifest {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("main.py"), script).unwrap();
        let path = dir.join(MANIFEST_FILE);
        std::fs::write(
            &path,
            format!(
                "id = \"{id}\"\nname = \"X\"\nversion = \"1.0.0\"\ntype = \"operator\"\n\
                 command = \"python3\"\nargs = [\"${{ext_dir}}/main.py\", \"--flag\"]\n"
            ),
        )
        .unwrap();
        Manifest::load(&path).unwrap()
    }

    #[test]
    fn identity_changes_with_the_entry_point_the_manifest_or_the_folder() {
        let root = tempfile::tempdir().unwrap();
        let a = ext(&root.path().join("a"), "x", "print(1)\n");
        let first = Identity::of(&a);
        assert_eq!(first, Identity::of(&a), "stable");
        assert_eq!(
            first.path,
            std::fs::canonicalize(root.path().join("a")).unwrap()
        );
        assert_eq!(first.blake3.len(), 64);
        assert_eq!(
            entry_points(&a, &first.path),
            vec![first.path.join("main.py")]
        );

        // The entry point changed.
        std::fs::write(root.path().join("a/main.py"), "print(2)\n").unwrap();
        let second = Identity::of(&a);
        assert_ne!(first.blake3, second.blake3);

        // The manifest changed.
        let path = root.path().join("a").join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("name = \"X\"", "name = \"Y\"")).unwrap();
        assert_ne!(second.blake3, Identity::of(&a).blake3);

        // Same files in another folder (a copy reusing the id): same hash, other path.
        let b = ext(&root.path().join("b"), "x", "print(2)\n");
        std::fs::write(
            root.path().join("b").join(MANIFEST_FILE),
            std::fs::read(&path).unwrap(),
        )
        .unwrap();
        let (ia, ib) = (Identity::of(&a), Identity::of(&b));
        assert_eq!(ia.blake3, ib.blake3);
        assert_ne!(ia, ib);
    }

    #[test]
    fn a_program_given_by_path_is_an_entry_point_and_outside_files_are_not() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("e");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::write(root.path().join("outside.txt"), "x").unwrap();
        let path = dir.join(MANIFEST_FILE);
        std::fs::write(
            &path,
            "id = \"e\"\nname = \"E\"\nversion = \"1.0.0\"\ntype = \"operator\"\n\
             command = \"./run.sh\"\nargs = [\"../outside.txt\"]\n",
        )
        .unwrap();
        let m = Manifest::load(&path).unwrap();
        let canon = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(entry_points(&m, &canon), vec![canon.join("run.sh")]);
    }
}
