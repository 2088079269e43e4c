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

/// Empties the trash folder `dir` of items older than `max_age`, and of the oldest items
/// beyond the newest `keep` (each with its `.trashinfo` record); returns how many went.
/// Only for folders whose content may expire (refused crash journals): the main trash is
/// never purged by the editor.
pub fn purge(dir: &Path, max_age: std::time::Duration, keep: usize) -> io::Result<usize> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut items: Vec<(u64, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(INFO_SUFFIX) {
            continue;
        }
        // `<seconds>-<counter>-<pid>-<name>`: when it was trashed
        let Some(secs) = name.split('-').next().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        items.push((secs, entry.path()));
    }
    items.sort_by(|a, b| b.cmp(a));
    let mut removed = 0;
    for (i, (secs, path)) in items.iter().enumerate() {
        if i < keep && now.saturating_sub(*secs) <= max_age.as_secs() {
            continue;
        }
        let meta = fs::symlink_metadata(path)?;
        if meta.is_dir() {
            fs::remove_dir_all(path)?;
        } else {
            fs::remove_file(path)?;
        }
        let mut info = path.as_os_str().to_owned();
        info.push(INFO_SUFFIX);
        match fs::remove_file(PathBuf::from(info)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        removed += 1;
    }
    Ok(removed)
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
    fn purge_drops_old_items_and_keeps_the_newest_few() {
        let dir = tempfile::tempdir().expect("tempdir");
        let trash = dir.path().join("trash");
        fs::create_dir_all(&trash).expect("mkdir");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let week = 7 * 24 * 3600;
        let put = |age: u64, n: u32| {
            let name = format!("{}-{n}-1-j.jsonl", now - age);
            fs::write(trash.join(&name), "j").expect("write");
            fs::write(trash.join(format!("{name}{INFO_SUFFIX}")), "[Trash Info]\n").expect("write");
            trash.join(name)
        };
        let old = put(week + 60, 0);
        let fresh: Vec<PathBuf> = (1..=4).map(|n| put(u64::from(n), n)).collect();
        let removed = purge(&trash, std::time::Duration::from_secs(week), 3).expect("purge");
        assert_eq!(removed, 2, "the week-old one and the oldest beyond three");
        assert!(!old.exists());
        assert!(!fresh[3].exists(), "the oldest of the fresh ones goes");
        for f in &fresh[..3] {
            assert!(f.exists(), "{} kept", f.display());
        }
        let infos = fs::read_dir(&trash)
            .expect("list")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(INFO_SUFFIX))
            })
            .count();
        assert_eq!(infos, 3, "records go with their items");
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
