//! Tests of the shared socket checks (real directories and sockets).

use super::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_bound_socket_is_0600_in_a_0700_directory() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("run/sessions/a.sock");
        let _l = bind(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    });
}

#[test]
fn a_stale_socket_is_removed_and_a_live_one_kept() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let d = tempfile::tempdir().unwrap();
        secure_dir(&d.path().join("s")).unwrap();
        let stale = d.path().join("s/stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        assert!(stale.exists());
        assert!(remove_if_stale(&stale));
        assert!(!stale.exists());
        let live = d.path().join("s/live.sock");
        let _l = bind(&live).unwrap();
        assert!(!remove_if_stale(&live));
        assert!(live.exists());
    });
}

#[test]
fn connecting_to_our_own_socket_works() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("x/own.sock");
        let l = bind(&path).unwrap();
        let (c, s) = tokio::join!(connect_own(&path, "session server"), accept(&l));
        c.unwrap();
        s.unwrap();
    });
}

#[test]
fn a_missing_socket_is_an_error_naming_it() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let e = connect_own(Path::new("/nonexistent/x.sock"), "server")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/x.sock"), "{e}");
    });
}
