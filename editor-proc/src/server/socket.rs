//! The local socket `--listen` serves on, and who may use it: the socket's directory
//! must be ours and closed to others (one owned by someone else is refused, never
//! changed; one others may write to, like /tmp or a 0777 one, is refused; one of ours
//! that others may only read is set to 0700), the socket is 0600, and a client of
//! another uid (SO_PEERCRED) is turned away.
//!
//! Default place: `$XDG_RUNTIME_DIR/symphony/editor.sock`, else
//! `/tmp/symphony-$UID/editor.sock`.

use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

/// The socket's file name in the default directory.
pub const SOCKET_NAME: &str = "editor.sock";

/// This process's effective uid.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// `$XDG_RUNTIME_DIR/symphony` (when set, absolute and ours), else `/tmp/symphony-$UID`.
pub fn default_socket_dir() -> PathBuf {
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && run.is_absolute()
        && std::fs::metadata(&run).is_ok_and(|m| m.is_dir() && m.uid() == euid())
    {
        return run.join("symphony");
    }
    std::env::temp_dir().join(format!("symphony-{}", euid()))
}

/// The default socket path: [`default_socket_dir`]/`editor.sock`.
pub fn default_socket_path() -> PathBuf {
    default_socket_dir().join(SOCKET_NAME)
}

fn refuse(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, msg)
}

/// Makes sure `dir` is a directory only we can use: created 0700 when missing; an
/// existing one must be ours (never changed otherwise) and writable by us alone, and
/// is set to 0700 when others could read or enter it.
pub fn secure_dir(dir: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let meta = std::fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(refuse(format!("{} is not a directory", dir.display())));
    }
    let me = euid();
    if meta.uid() != me {
        return Err(refuse(format!(
            "{} belongs to uid {}, not to you (uid {me}): refusing to listen there, \
             its owner could replace the socket (use a directory of your own)",
            dir.display(),
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        // Others could have put (or could replace) anything there, so it is not
        // trusted even when it is ours: the user decides (`chmod 700`).
        return Err(refuse(format!(
            "{} is writable by others (mode {mode:o}): refusing to listen there, \
             another user could replace the socket (chmod 700 it, or use a directory \
             of your own such as {})",
            dir.display(),
            default_socket_dir().display()
        )));
    }
    if mode & 0o077 != 0 {
        tracing::warn!(
            dir = %dir.display(),
            "the socket directory was open to others (mode {mode:o}): set to 0700"
        );
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Prepares `path`'s directory ([`secure_dir`]) and removes a stale socket of ours
/// there; anything else at `path` is refused.
fn prepare(path: &Path) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    secure_dir(dir)?;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        if meta.uid() != euid() {
            return Err(refuse(format!(
                "{} is a socket of uid {}, not yours: refusing to replace it",
                path.display(),
                meta.uid()
            )));
        }
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// Binds the listening socket at `path` (mode 0600 in a directory only we can use).
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    prepare(path)?;
    let old = umask(0o177);
    let listener = UnixListener::bind(path);
    umask(old);
    let listener = listener?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// The next client of our own uid; clients of another uid are closed at once (logged).
pub async fn accept(listener: &UnixListener) -> io::Result<UnixStream> {
    loop {
        let (stream, _) = listener.accept().await?;
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == euid() => return Ok(stream),
            Ok(cred) => tracing::warn!(
                uid = cred.uid(),
                pid = ?cred.pid(),
                "refused a client of another user (uid {})",
                cred.uid()
            ),
            Err(e) => tracing::warn!("refused a client whose credentials are unknown: {e}"),
        }
    }
}

fn umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: umask only swaps the process file-creation mask; it cannot fail.
    unsafe { libc::umask(mask) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_missing_directory_is_made_0700_and_an_open_one_of_ours_is_closed() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("run/symphony");
        secure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        secure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn a_directory_others_may_write_to_is_refused_and_left_alone() {
        let d = tempfile::tempdir().unwrap();
        for m in [0o777, 0o1777, 0o770] {
            let dir = d.path().join(format!("open-{m:o}"));
            std::fs::create_dir(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(m)).unwrap();
            let e = bind(&dir.join(SOCKET_NAME)).unwrap_err();
            assert!(e.to_string().contains("writable by others"), "{e}");
            assert_eq!(mode(&dir), m);
            assert!(!dir.join(SOCKET_NAME).exists());
        }
    }

    #[test]
    fn a_directory_of_another_user_is_refused_and_left_alone() {
        if euid() != 0 {
            return; // only root can make a directory for someone else
        }
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("squatted");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        let e = bind(&dir.join(SOCKET_NAME)).unwrap_err();
        assert!(e.to_string().contains("belongs to uid 65534"), "{e}");
        assert_eq!(mode(&dir), 0o755);
        assert_eq!(std::fs::metadata(&dir).unwrap().uid(), 65534);
        assert!(!dir.join(SOCKET_NAME).exists());
    }

    #[test]
    fn the_default_place_is_the_runtime_dir_or_a_dir_of_our_uid_in_tmp() {
        let p = default_socket_path();
        assert!(
            p.ends_with("symphony/editor.sock")
                || p.to_string_lossy()
                    .contains(&format!("symphony-{}", euid())),
            "{}",
            p.display()
        );
    }
}
