//! The editor's trash: files and directories a language server's workspace edit deletes or
//! overwrites are moved here instead of being removed, so that nothing the user had is lost.
//!
//! Layout: `$XDG_DATA_HOME/symphony/trash/` (default `~/.local/share/symphony/trash/`);
//! each item gets a unique name `<seconds>-<counter>-<pid>-<name>`, and next to it
//! `<that name>.trashinfo` records where it came from, in the freedesktop trash format
//! (`[Trash Info]`, `Path=`, `DeletionDate=`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Suffix of the file recording an item's original path.
pub const INFO_SUFFIX: &str = ".trashinfo";

/// Items trashed by this process so far (part of each unique name).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `$XDG_DATA_HOME/symphony/trash`, falling back to `$HOME/.local/share/symphony/trash`
/// (and the temp dir without `$HOME`).
pub fn trash_dir() -> PathBuf {
    super::xdg_dir("XDG_DATA_HOME", ".local/share", "trash")
}

/// Moves `path` (a file, a symlink or a whole directory) into [`trash_dir`] and records its
/// original path next to it; returns where it went.
pub fn trash(path: &Path) -> io::Result<PathBuf> {
    trash_into(&trash_dir(), path)
}

/// [`trash`] into the trash directory `dir` (created when missing).
pub fn trash_into(dir: &Path, path: &Path) -> io::Result<PathBuf> {
    fs::symlink_metadata(path)?;
    create_private_dir(dir)?;
    let original = std::path::absolute(path)?;
    let name = original
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "item".into());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (target, info) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let unique = format!("{now}-{n}-{}-{name}", std::process::id());
        let target = dir.join(&unique);
        let info = dir.join(format!("{unique}{INFO_SUFFIX}"));
        if fs::symlink_metadata(&target).is_err() && fs::symlink_metadata(&info).is_err() {
            break (target, info);
        }
    };
    // the record first: an item in the trash always says where it came from
    let record = format!(
        "[Trash Info]\nPath={}\nDeletionDate={}\n",
        original.display(),
        now
    );
    write_private(&info, record.as_bytes())?;
    if let Err(e) = move_path(path, &target) {
        let _ = fs::remove_file(&info);
        return Err(e);
    }
    tracing::info!(from = %original.display(), to = %target.display(), "moved to the trash");
    Ok(target)
}

/// Creates the trash directory (and missing parents) 0700; an existing one of ours is
/// set to 0700: what it holds is the user's text.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = fs::metadata(dir)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if meta.permissions().mode() & 0o777 != 0o700 && meta.uid() == unsafe { libc::geteuid() } {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

/// The original path recorded for the trashed item `item`.
pub fn original_path(item: &Path) -> io::Result<PathBuf> {
    let mut info = item.as_os_str().to_owned();
    info.push(INFO_SUFFIX);
    let text = fs::read_to_string(PathBuf::from(info))?;
    text.lines()
        .find_map(|l| l.strip_prefix("Path="))
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Path= in the record"))
}

/// Renames `from` to `to` (which must not exist); across file systems the content is
/// copied (directories recursively) and then the original removed.
pub fn move_path(from: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            copy_all(from, to)?;
            let meta = fs::symlink_metadata(from)?;
            if meta.is_dir() {
                fs::remove_dir_all(from)
            } else {
                fs::remove_file(from)
            }
        }
        Err(e) => Err(e),
    }
}

/// Copies `from` to `to`: files with their permissions, symlinks as links, directories
/// recursively.
fn copy_all(from: &Path, to: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(from)?;
        std::os::unix::fs::symlink(target, to)
    } else if meta.is_dir() {
        fs::create_dir(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_all(&entry.path(), &to.join(entry.file_name()))?;
        }
        fs::set_permissions(to, meta.permissions())
    } else {
        fs::copy(from, to).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trashed_files_and_directories_keep_their_content_and_origin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let trash = dir.path().join("trash");
        let file = dir.path().join("a.txt");
        fs::write(&file, "keep me").expect("write");
        let first = trash_into(&trash, &file).expect("trash");
        assert!(!file.exists());
        assert_eq!(fs::read_to_string(&first).expect("read"), "keep me");
        assert_eq!(original_path(&first).expect("origin"), file);
        // the same name again gets another place
        fs::write(&file, "second").expect("write");
        let second = trash_into(&trash, &file).expect("trash");
        assert_ne!(first, second);
        assert_eq!(fs::read_to_string(&second).expect("read"), "second");
        let sub = dir.path().join("pkg");
        fs::create_dir_all(sub.join("inner")).expect("mkdir");
        fs::write(sub.join("inner/m.rs"), "mod").expect("write");
        let moved = trash_into(&trash, &sub).expect("trash dir");
        assert_eq!(
            fs::read_to_string(moved.join("inner/m.rs")).expect("read"),
            "mod"
        );
        assert!(trash_into(&trash, &dir.path().join("missing")).is_err());
    }

    #[test]
    fn the_trash_is_private_to_the_user() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let trash = dir.path().join("share/trash");
        fs::create_dir_all(&trash).expect("mkdir");
        fs::set_permissions(&trash, fs::Permissions::from_mode(0o755)).expect("chmod");
        let file = dir.path().join("secret.txt");
        fs::write(&file, "text").expect("write");
        let item = trash_into(&trash, &file).expect("trash");
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&trash), 0o700);
        let info = PathBuf::from(format!("{}{INFO_SUFFIX}", item.display()));
        assert_eq!(mode(&info), 0o600);
    }

    #[test]
    fn a_copy_moves_directories_with_their_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let from = dir.path().join("from");
        fs::create_dir_all(from.join("x")).expect("mkdir");
        fs::write(from.join("x/y"), "y").expect("write");
        let to = dir.path().join("to");
        copy_all(&from, &to).expect("copy");
        assert_eq!(fs::read_to_string(to.join("x/y")).expect("read"), "y");
    }
}
