//! A log file with a size cap: when the next line would pass it, `name` becomes
//! `name.1` (`name.1` becomes `name.2`...), the oldest beyond `keep` files is deleted,
//! and a new `name` is started. Directory 0700, files 0600.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The current log file and its rotation rule.
#[derive(Debug)]
pub struct RotatingFile {
    dir: PathBuf,
    name: String,
    max_bytes: u64,
    keep: usize,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    /// Opens (appends to) `dir/name`, creating `dir` 0700 when missing.
    pub fn open(dir: &Path, name: &str, max_bytes: u64, keep: usize) -> io::Result<Self> {
        create_private_dir(dir)?;
        let mut me = Self {
            dir: dir.to_owned(),
            name: name.to_owned(),
            max_bytes: max_bytes.max(1),
            keep: keep.max(1),
            file: None,
            size: 0,
        };
        me.reopen()?;
        Ok(me)
    }

    /// The path of file number `n` (0: the current one).
    pub fn path(&self, n: usize) -> PathBuf {
        if n == 0 {
            self.dir.join(&self.name)
        } else {
            self.dir.join(format!("{}.{n}", self.name))
        }
    }

    fn reopen(&mut self) -> io::Result<()> {
        let path = self.path(0);
        let f = open_private(&path)?;
        self.size = f.metadata().map(|m| m.len()).unwrap_or(0);
        self.file = Some(f);
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.keep == 1 {
            let _ = fs::remove_file(self.path(0));
        } else {
            let _ = fs::remove_file(self.path(self.keep - 1));
            for n in (0..self.keep - 1).rev() {
                let from = self.path(n);
                if from.exists() {
                    fs::rename(&from, self.path(n + 1))?;
                }
            }
        }
        self.reopen()
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            // A failed rotation keeps writing to what is open (or reopens it).
            if let Err(e) = self.rotate() {
                if self.file.is_none() {
                    self.reopen()?;
                }
                let _ = e;
            }
        }
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("log file not open"));
        };
        f.write_all(buf)?;
        self.size += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Creates `dir` (and missing parents) 0700; an existing one we own is set to 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = fs::metadata(dir)?;
        if meta.permissions().mode() & 0o777 != 0o700 && meta.uid() == euid() {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
}

/// Opens `path` for appending, created 0600; an existing file we own is set to 0600.
fn open_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = f.metadata()?;
        if meta.permissions().mode() & 0o777 != 0o600 && meta.uid() == euid() {
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(f)
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn rotates_at_the_cap_and_keeps_only_the_newest_files() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("state/symphony");
        let mut f = RotatingFile::open(&dir, "x.log", 100, 3).unwrap();
        for i in 0..100 {
            writeln!(f, "line {i:04} ...........").unwrap();
        }
        f.flush().unwrap();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["x.log", "x.log.1", "x.log.2"]);
        for n in &names {
            let meta = fs::metadata(dir.join(n)).unwrap();
            assert!(meta.len() <= 100, "{n}: {}", meta.len());
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // The newest line is in the current file.
        assert!(
            fs::read_to_string(dir.join("x.log"))
                .unwrap()
                .contains("line 0099")
        );
    }

    #[test]
    fn an_old_world_readable_log_is_made_private() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("old.log");
        fs::write(&p, "old\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let _f = RotatingFile::open(d.path(), "old.log", 1 << 20, 3).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(d.path()).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}
