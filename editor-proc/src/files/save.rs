//! Safe saves. Normally: a temporary file beside the target, written, fsynced, renamed
//! over it, then the directory fsynced. A file with hard links (a rename would cut them)
//! or in a directory we may not create files in is written in place instead, after a
//! fsynced backup copy that puts it back if the write fails (vim's `backupcopy=auto`).

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memchr::memchr;
use xi_rope::Rope;

use super::format::{BOM, TextFormat};
use super::{FileError, Fingerprint, LineEnding, Result, SaveStage};

/// Size of the write buffer for the temporary file.
const WRITE_BUFFER: usize = 256 * 1024;

/// What a save wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The file as written.
    pub fingerprint: Fingerprint,
    /// The hash of the bytes written ([`super::content_hash`]).
    pub hash: [u8; 32],
}

/// Saves `text` (LF-normalized) to `path` in `format` (a [`LineEnding`] for every line
/// alike, or the [`TextFormat`] the file was loaded with).
///
/// The text goes to a new temporary file in the same directory, which is fsynced,
/// given the permissions of the file it replaces, renamed over it, and then the
/// directory is fsynced. If anything fails before the rename, the temporary file
/// is removed and the original is byte-for-byte what it was. A symlink is followed:
/// the file it points to is replaced, the link stays. A file with several hard links,
/// or one in a directory where no temporary file can be made, is written in place
/// after a backup copy in the state directory (`$XDG_STATE_HOME/symphony/backup/`).
/// Returns the fingerprint of the file as written.
pub fn save<'a>(
    path: &Path,
    text: &Rope,
    format: impl Into<Cow<'a, TextFormat>>,
) -> Result<Fingerprint> {
    save_exact(path, text, &format.into()).map(|s| s.fingerprint)
}

/// [`save`] in the file's own format, returning the hash of what was written too.
pub fn save_exact(path: &Path, text: &Rope, format: &TextFormat) -> Result<Saved> {
    save_with_backup_dir(path, text, format, &default_backup_dir())
}

/// Where in-place saves keep their backup copy: `$XDG_STATE_HOME/symphony/backup/`.
pub fn default_backup_dir() -> PathBuf {
    super::xdg_dir("XDG_STATE_HOME", ".local/state", "backup")
}

impl<'a> From<&'a TextFormat> for Cow<'a, TextFormat> {
    fn from(format: &'a TextFormat) -> Self {
        Cow::Borrowed(format)
    }
}

impl From<LineEnding> for Cow<'_, TextFormat> {
    fn from(ending: LineEnding) -> Self {
        Cow::Owned(TextFormat::from(ending))
    }
}

/// [`save`], with in-place writes backed up in `backup_dir` (created if needed).
pub fn save_with_backup_dir(
    path: &Path,
    text: &Rope,
    format: &TextFormat,
    backup_dir: &Path,
) -> Result<Saved> {
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
        Ok(meta) if !meta.is_file() => {
            return Err(fail(SaveStage::Inspect)(io::Error::other(format!(
                "it is {}, not a regular file",
                super::load::file_kind(&meta)
            ))));
        }
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(SaveStage::Inspect)(e)),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Some(meta) = &original
        && meta.nlink() > 1
    {
        // a rename would leave the other links with the old text
        return save_in_place(&target, text, format, backup_dir);
    }
    let (tmp_path, file) = match create_temp(&dir, original.is_some()) {
        Ok(t) => t,
        Err(e) if original.is_some() && e.kind() == io::ErrorKind::PermissionDenied => {
            tracing::info!(dir = %dir.display(), "no temporary file possible in the directory; saving in place");
            return save_in_place(&target, text, format, backup_dir);
        }
        Err(e) => return Err(fail(SaveStage::CreateTemp)(e)),
    };
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

    let (_, hash) = write_text(&file, text, format).map_err(fail(SaveStage::Write))?;
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
    Ok(Saved { fingerprint, hash })
}

/// Writes `target` in place: a fsynced backup copy in `backup_dir` first, then the new
/// text over the old, fsync, truncate, and the backup removed. A failed write puts the
/// backup's bytes back; only when that fails too is the backup left (and named).
fn save_in_place(
    target: &Path,
    text: &Rope,
    format: &TextFormat,
    backup_dir: &Path,
) -> Result<Saved> {
    let fail = |stage: SaveStage| {
        move |source: io::Error| FileError::Save {
            path: target.to_path_buf(),
            stage,
            source,
        }
    };
    // opening it for writing first: no backup is made of a file we may not write
    let mut file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(target)
        .map_err(fail(SaveStage::Open))?;
    if !file.metadata().map_err(fail(SaveStage::Open))?.is_file() {
        return Err(fail(SaveStage::Open)(io::Error::other(
            "it is not a regular file",
        )));
    }
    let backup = make_backup(target, backup_dir).map_err(fail(SaveStage::Backup))?;
    let written = write_text(&file, text, format).and_then(|(n, hash)| {
        file.set_len(n)?;
        file.sync_all()?;
        Ok(hash)
    });
    let hash = match written {
        Ok(h) => h,
        Err(source) => {
            let restored = restore_backup(&mut file, &backup);
            return Err(match restored {
                Ok(()) => {
                    remove_backup(&backup);
                    fail(SaveStage::Write)(source)
                }
                Err(e) => {
                    tracing::error!(path = %target.display(), backup = %backup.display(), error = %e, "could not restore a file after a failed in-place save");
                    FileError::SaveInPlace {
                        path: target.to_path_buf(),
                        source,
                        backup,
                    }
                }
            });
        }
    };
    let fingerprint = Fingerprint::from_metadata(&file.metadata().map_err(fail(SaveStage::Sync))?);
    drop(file);
    remove_backup(&backup);
    tracing::debug!(path = %target.display(), len = fingerprint.len, "saved file in place");
    Ok(Saved { fingerprint, hash })
}

/// Copies `target` to a new file in `dir` (private: 0700 folder, 0600 file), fsynced.
fn make_backup(target: &Path, dir: &Path) -> io::Result<PathBuf> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let (path, mut out) =
        create_unique(dir, &format!("{name}.{}", std::process::id()), "bak", 0o600)?;
    let copied = File::open(target)
        .and_then(|mut src| io::copy(&mut src, &mut out))
        .and_then(|_| out.sync_all());
    if let Err(e) = copied {
        remove_backup(&path);
        return Err(e);
    }
    Ok(path)
}

/// Puts the backup's bytes back into `file`.
fn restore_backup(file: &mut File, backup: &Path) -> io::Result<()> {
    let mut src = File::open(backup)?;
    file.seek(io::SeekFrom::Start(0))?;
    let n = io::copy(&mut src, file)?;
    file.set_len(n)?;
    file.sync_all()
}

fn remove_backup(backup: &Path) {
    if let Err(e) = fs::remove_file(backup) {
        tracing::warn!(path = %backup.display(), error = %e, "could not remove a save backup");
    }
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
    let mode = if has_original { 0o600 } else { 0o666 };
    create_unique(
        dir,
        &format!(".symphony-save-{}", std::process::id()),
        "tmp",
        mode,
    )
}

/// Creates `dir/<stem>-<n>.<ext>` for the first `n` not taken.
fn create_unique(dir: &Path, stem: &str, ext: &str, mode: u32) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{stem}-{n}.{ext}"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Streams the BOM (when the format has one) and the rope's chunks into `file`, each
/// `\n` with its line's ending. Returns how many bytes were written and their hash.
fn write_text(file: &File, text: &Rope, format: &TextFormat) -> io::Result<(u64, [u8; 32])> {
    let mut out = HashingWriter {
        inner: BufWriter::with_capacity(WRITE_BUFFER, file),
        hasher: blake3::Hasher::new(),
        written: 0,
    };
    if format.bom {
        out.write_all(BOM)?;
    }
    let endings = &format.endings;
    let dominant = endings.dominant.as_str().as_bytes();
    let other = endings.other().as_str().as_bytes();
    let mut odd = endings.others().iter().copied().peekable();
    let mut base = 0;
    for chunk in text.iter_chunks(..) {
        let bytes = chunk.as_bytes();
        if endings.dominant == LineEnding::Lf && odd.peek().is_none_or(|&o| o >= base + bytes.len())
        {
            out.write_all(bytes)?;
            base += bytes.len();
            continue;
        }
        let mut rest = bytes;
        let mut at = base;
        while let Some(i) = memchr(b'\n', rest) {
            out.write_all(&rest[..i])?;
            let o = at + i;
            while odd.next_if(|&x| x < o).is_some() {}
            let ending = if odd.next_if_eq(&o).is_some() {
                other
            } else {
                dominant
            };
            out.write_all(ending)?;
            rest = &rest[i + 1..];
            at = o + 1;
        }
        out.write_all(rest)?;
        base += bytes.len();
    }
    out.inner.flush()?;
    Ok((out.written, *out.hasher.finalize().as_bytes()))
}

/// A writer that hashes and counts what goes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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
    use crate::files::{TextFormat, load};
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

    /// Loads `bytes` from a file, applies `edit` to the text, saves with the loaded format.
    fn round_trip(bytes: &[u8], edit: impl FnOnce(&mut Rope, &mut TextFormat)) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        fs::write(&p, bytes).unwrap();
        let loaded = load(&p).unwrap().unwrap();
        let (mut text, mut format) = (loaded.text, loaded.format);
        edit(&mut text, &mut format);
        let saved = save_with_backup_dir(&p, &text, &format, &dir.path().join("b")).unwrap();
        let out = fs::read(&p).unwrap();
        assert_eq!(saved.hash, crate::files::content_hash(&out));
        out
    }

    #[test]
    fn mixed_endings_and_a_bom_are_written_back_byte_for_byte() {
        for bytes in [
            &b"a\r\nb\nc\r\n"[..],
            b"a\nb\r\nc\n",
            b"\xEF\xBB\xBFx\r\ny",
            b"no newline at all",
            b"\r\n\n\r\n\n\n",
            b"lone\rcr\r\n",
        ] {
            assert_eq!(round_trip(bytes, |_, _| {}), bytes);
        }
    }

    #[test]
    fn a_typed_line_gets_the_dominant_ending_and_the_others_keep_theirs() {
        let out = round_trip(b"\xEF\xBB\xBFa\r\nb\nc\r\n", |text, format| {
            let mut b = xi_rope::DeltaBuilder::new(text.len());
            // a new line after "b"
            b.replace(xi_rope::Interval::new(3, 3), Rope::from("\nnew"));
            let d = b.build();
            format.endings.after_edit(&d);
            *text = d.apply(text);
        });
        assert_eq!(out, b"\xEF\xBB\xBFa\r\nb\r\nnew\nc\r\n");
    }

    #[test]
    fn saving_a_hard_linked_file_writes_it_in_place_and_keeps_the_links() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        let other = dir.path().join("b.txt");
        fs::write(&p, "old text that is longer\n").unwrap();
        fs::hard_link(&p, &other).unwrap();
        let ino = fs::metadata(&p).unwrap().ino();
        let backups = dir.path().join("backups");
        save_with_backup_dir(&p, &Rope::from("new\n"), &LineEnding::Lf.into(), &backups).unwrap();
        assert_eq!(fs::read_to_string(&other).unwrap(), "new\n");
        assert_eq!(fs::read_to_string(&p).unwrap(), "new\n");
        assert_eq!(fs::metadata(&p).unwrap().ino(), ino);
        assert_eq!(fs::metadata(&p).unwrap().nlink(), 2);
        assert_eq!(fs::read_dir(&backups).unwrap().count(), 0, "backup removed");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["a.txt", "b.txt", "backups"]);
    }

    #[test]
    fn saving_over_a_fifo_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pipe");
        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = save(&p, &Rope::from("x"), LineEnding::Lf).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
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
