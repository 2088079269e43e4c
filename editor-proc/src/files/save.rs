//! Atomic save: temp file beside the target, write, fsync, rename over, fsync the directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memchr::memchr;
use xi_rope::Rope;

use super::{FileError, Fingerprint, LineEnding, Result, SaveStage};

/// Size of the write buffer for the temporary file.
const WRITE_BUFFER: usize = 256 * 1024;

/// Saves `text` (LF-normalized) to `path`, writing `line_ending` for every `\n`.
///
/// The text goes to a new temporary file in the same directory, which is fsynced,
/// given the permissions of the file it replaces, renamed over it, and then the
/// directory is fsynced. If anything fails before the rename, the temporary file
/// is removed and the original is byte-for-byte what it was. A symlink is followed:
/// the file it points to is replaced, the link stays. Returns the fingerprint of
/// the file as written.
pub fn save(path: &Path, text: &Rope, line_ending: LineEnding) -> Result<Fingerprint> {
    let fail = |stage: SaveStage| {
        move |source: io::Error| FileError::Save {
            path: path.to_path_buf(),
            stage,
            source,
        }
    };
    let target = resolve_symlink(path);
    let original = match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => {
            return Err(fail(SaveStage::Inspect)(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )));
        }
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(SaveStage::Inspect)(e)),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };

    let (tmp_path, file) =
        create_temp(&dir, original.is_some()).map_err(fail(SaveStage::CreateTemp))?;
    let mut guard = TempGuard(Some(tmp_path.clone()));

    if let Some(meta) = &original {
        file.set_permissions(meta.permissions())
            .map_err(fail(SaveStage::Permissions))?;
        // Keep the owner too where we may (root editing another user's file);
        // an ordinary user cannot give files away, which is fine.
        if let Err(e) = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid())) {
            tracing::debug!(error = %e, "could not keep the owner of the saved file");
        }
    }

    write_text(&file, text, line_ending).map_err(fail(SaveStage::Write))?;
    file.sync_all().map_err(fail(SaveStage::Sync))?;
    let fingerprint = Fingerprint::from_metadata(&file.metadata().map_err(fail(SaveStage::Sync))?);

    fs::rename(&tmp_path, &target).map_err(fail(SaveStage::Rename))?;
    guard.0 = None;
    drop(file);

    // The rename is durable only once the directory entry is on disk. The text is
    // saved already, so a failure here is only worth a log line.
    if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "could not fsync the directory after saving");
    }
    tracing::debug!(path = %target.display(), len = fingerprint.len, "saved file");
    Ok(fingerprint)
}

/// The file a save to `path` must replace: the target of a symlink, else `path`.
fn resolve_symlink(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Creates a fresh temporary file in `dir`, readable only by us when it will take
/// an existing file's permissions, else with the usual 0666 minus umask.
fn create_temp(dir: &Path, has_original: bool) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mode = if has_original { 0o600 } else { 0o666 };
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".symphony-save-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Streams the rope's chunks into `file`, converting `\n` to `\r\n` when asked.
fn write_text(file: &File, text: &Rope, line_ending: LineEnding) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    for chunk in text.iter_chunks(..) {
        match line_ending {
            LineEnding::Lf => out.write_all(chunk.as_bytes())?,
            LineEnding::CrLf => {
                let mut rest = chunk.as_bytes();
                while let Some(i) = memchr(b'\n', rest) {
                    out.write_all(&rest[..i])?;
                    out.write_all(b"\r\n")?;
                    rest = &rest[i + 1..];
                }
                out.write_all(rest)?;
            }
        }
    }
    out.flush()
}

/// Removes the temporary file unless the save got as far as renaming it.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take()
            && let Err(e) = fs::remove_file(&p)
        {
            tracing::warn!(path = %p.display(), error = %e, "could not remove a temporary file after a failed save");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::load;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn save_creates_a_missing_file_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.txt");
        let fp = save(&p, &Rope::from("a\nb\n"), LineEnding::Lf).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"a\nb\n");
        assert_eq!(fp.len, 4);
        assert_eq!(Fingerprint::of(&p).unwrap(), Some(fp));
        let loaded = load(&p).unwrap().unwrap();
        assert_eq!(String::from(loaded.text), "a\nb\n");
    }

    #[test]
    fn crlf_is_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dos.txt");
        save(&p, &Rope::from("x\ny\n"), LineEnding::CrLf).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x\r\ny\r\n");
    }

    #[test]
    fn saving_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        save(&link, &Rope::from("new"), LineEnding::Lf).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn no_temp_file_is_left_behind_and_mode_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.sh");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o751)).unwrap();
        save(&p, &Rope::from("new"), LineEnding::Lf).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.sh")]);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o751
        );
    }

    #[test]
    fn saving_onto_a_directory_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let err = save(dir.path(), &Rope::from("x"), LineEnding::Lf).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("Could not save"), "{msg}");
        assert!(msg.contains("unchanged"), "{msg}");
    }
}
