//! Private modes for everything Symphony keeps under its data and state directories
//! (artifacts hold buffer text): directories 0700, files 0600, on Unix.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Directory mode: only the owner may list or enter.
pub const DIR_MODE: u32 = 0o700;
/// File mode: only the owner may read or write.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parents with mode 0700; an existing `dir` that we own
/// is set to 0700 (one owned by someone else is left alone).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        restrict(dir)
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
}

/// Creates one directory with mode 0700 (fails if it exists, like [`fs::create_dir`]).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new().mode(DIR_MODE).create(dir)
    }
    #[cfg(not(unix))]
    fs::create_dir(dir)
}

/// Creates (or truncates) `path` for writing with mode 0600.
pub fn create_file(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
    }
    let f = o.open(path)?;
    // A file that existed keeps its old mode through `open`: set it.
    restrict_file(&f)?;
    Ok(f)
}

/// Writes `bytes` to `path` (created 0600, or truncated and set to 0600).
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    use std::io::Write as _;
    create_file(path)?.write_all(bytes.as_ref())
}

fn restrict_file(f: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = f.metadata()?;
        if meta.permissions().mode() & 0o777 != FILE_MODE && owned_by_us(&meta) {
            f.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
        }
    }
    let _ = f;
    Ok(())
}

/// Sets an existing directory or file we own to 0700 / 0600 (symlinks are not
/// followed; what others own is left alone).
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::symlink_metadata(path)?;
        let want = if meta.is_dir() {
            DIR_MODE
        } else if meta.is_file() {
            FILE_MODE
        } else {
            return Ok(());
        };
        if meta.permissions().mode() & 0o777 != want && owned_by_us(&meta) {
            fs::set_permissions(path, fs::Permissions::from_mode(want))?;
        }
    }
    let _ = path;
    Ok(())
}

/// [`restrict`] on `dir` and everything below it (for trees a library writes with
/// its own modes, like the search index).
pub fn restrict_tree(dir: &Path) -> io::Result<()> {
    restrict(dir)?;
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => restrict_tree(&path)?,
            Ok(t) if t.is_file() => restrict(&path)?,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(unix)]
fn owned_by_us(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    meta.uid() == unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_dirs_are_0700_and_files_0600_whatever_was_there() {
        let d = tempfile::tempdir().unwrap();
        let deep = d.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        assert_eq!(mode(&d.path().join("a")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        let f = deep.join("f");
        fs::write(&f, "x").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        write(&f, "y").unwrap();
        assert_eq!(mode(&f), 0o600);
        fs::set_permissions(&deep, fs::Permissions::from_mode(0o755)).unwrap();
        create_dir_all(&deep).unwrap();
        assert_eq!(mode(&deep), 0o700);
        fs::write(deep.join("g"), "g").unwrap();
        fs::set_permissions(deep.join("g"), fs::Permissions::from_mode(0o644)).unwrap();
        restrict_tree(d.path().join("a").as_path()).unwrap();
        assert_eq!(mode(&deep.join("g")), 0o600);
    }
}
