//! The local socket `--listen` serves on, and who may use it: the socket's directory
//! must be ours and closed to others (one owned by someone else is refused, never
//! changed; one others may write to, like /tmp or a 0777 one, is refused; one of ours
//! that others may only read is set to 0700), the socket is 0600, and a client of
//! another uid (SO_PEERCRED) is turned away.
//!
//! The checks live in `symphony_protocol::local_socket` (the session server uses
//! them too). Default place: `$XDG_RUNTIME_DIR/symphony/editor.sock`, else
//! `/tmp/symphony-$UID/editor.sock`.

use std::path::PathBuf;

pub use symphony_protocol::local_socket::{accept, bind, euid, secure_dir};

/// The socket's file name in the default directory.
pub const SOCKET_NAME: &str = "editor.sock";

/// `$XDG_RUNTIME_DIR/symphony` (when set, absolute and ours), else `/tmp/symphony-$UID`.
pub fn default_socket_dir() -> PathBuf {
    symphony_protocol::local_socket::runtime_dir()
}

/// The default socket path: [`default_socket_dir`]/`editor.sock`.
pub fn default_socket_path() -> PathBuf {
    default_socket_dir().join(SOCKET_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

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
