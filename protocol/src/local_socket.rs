//! Local sockets only their owner may use, shared by the editor's `--listen` socket
//! and the session server's socket: the directory must be ours and closed to others
//! (one owned by someone else is refused, never changed; one others may write to, like
//! /tmp or a 0777 one, is refused; one of ours that others may only read is set to
//! 0700), the socket is 0600, a peer of another uid (SO_PEERCRED) is turned away on
//! either side, and a stale socket (nobody answers) of ours is replaced.
//!
//! The base directory: `$XDG_RUNTIME_DIR/symphony` (when set, absolute and ours), else
//! `/tmp/symphony-$UID`.

use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

/// This process's effective uid.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// `$XDG_RUNTIME_DIR/symphony` (when set, absolute and ours), else `/tmp/symphony-$UID`.
pub fn runtime_dir() -> PathBuf {
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && run.is_absolute()
        && std::fs::metadata(&run).is_ok_and(|m| m.is_dir() && m.uid() == euid())
    {
        return run.join("symphony");
    }
    std::env::temp_dir().join(format!("symphony-{}", euid()))
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
            runtime_dir().display()
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

/// Connects to the socket at `path` only if it is ours: the socket file must belong
/// to our uid and the process serving it must run as our uid (SO_PEERCRED); anything
/// else (another user's socket in a squatted directory) is refused with a message that
/// says so, before a byte is sent. `what` names the server in that message.
pub async fn connect_own(path: &Path, what: &str) -> io::Result<UnixStream> {
    let me = euid();
    let refuse = |why: String| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{}: {why}; refusing to connect", path.display()),
        )
    };
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    if meta.uid() != me {
        return Err(refuse(format!(
            "the socket belongs to uid {}, not to you (uid {me})",
            meta.uid()
        )));
    }
    let stream = UnixStream::connect(path)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let cred = stream
        .peer_cred()
        .map_err(|e| refuse(format!("cannot tell who serves it ({e})")))?;
    if cred.uid() != me {
        return Err(refuse(format!(
            "the {what} there runs as uid {}, not as you (uid {me})",
            cred.uid()
        )));
    }
    Ok(stream)
}

/// Whether the socket at `path` is stale: a socket file of ours that nobody serves
/// (connecting is refused). A stale one is removed; true then.
pub fn remove_if_stale(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.file_type().is_socket() || meta.uid() != euid() {
        return false;
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).is_ok()
        }
        _ => false,
    }
}

fn umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: umask only swaps the process file-creation mask; it cannot fail.
    unsafe { libc::umask(mask) }
}

#[cfg(test)]
mod tests;
