//! The trust store: decisions by canonical path, private modes, refused when unsafe.

use std::os::unix::fs::PermissionsExt as _;

use super::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_trusted_workspace_is_found_by_any_path_that_leads_to_it() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("project");
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    std::os::unix::fs::symlink(&ws, home.path().join("link")).unwrap();
    let path = home.path().join("data/symphony/trust").join(TRUST_FILE);

    let mut store = TrustStore::load(&path).unwrap();
    assert_eq!(store.decision(&ws), None);
    store.decide(&ws.join("sub/.."), Decision::Trusted).unwrap();

    let again = TrustStore::load(&path).unwrap();
    assert!(again.is_trusted(&ws));
    assert!(again.is_trusted(&home.path().join("link")));
    // Only that folder: neither its parent nor its children.
    assert!(!again.is_trusted(home.path()));
    assert!(!again.is_trusted(&ws.join("sub")));
    assert_eq!(again.trusted(), vec![canonical(&ws)]);
}

#[test]
fn the_trust_file_is_private_and_a_refusal_is_remembered() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("w");
    std::fs::create_dir_all(&ws).unwrap();
    let dir = home.path().join("trust");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.join(TRUST_FILE);
    let mut store = TrustStore::load(&path).unwrap();
    store.decide(&ws, Decision::Denied).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let again = TrustStore::load(&path).unwrap();
    assert_eq!(again.decision(&ws), Some(Decision::Denied));
    assert!(!again.is_trusted(&ws));

    let mut again = again;
    again.decide(&ws, Decision::Trusted).unwrap();
    assert!(TrustStore::load(&path).unwrap().is_trusted(&ws));
    again.forget(&ws).unwrap();
    assert_eq!(TrustStore::load(&path).unwrap().decision(&ws), None);
}

#[test]
fn a_trust_file_others_could_write_trusts_nothing() {
    let home = tempfile::tempdir().unwrap();
    let ws = home.path().join("w");
    std::fs::create_dir_all(&ws).unwrap();
    let path = home.path().join(TRUST_FILE);
    let mut store = TrustStore::load(&path).unwrap();
    store.decide(&ws, Decision::Trusted).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = TrustStore::load(&path).unwrap_err();
    assert!(matches!(err, TrustError::Unsafe { .. }), "{err}");
    assert!(
        err.to_string().contains("writable by group or others"),
        "{err}"
    );
}

#[test]
fn a_broken_trust_file_is_an_error_that_names_it() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(TRUST_FILE);
    std::fs::write(&path, "workspaces = 3\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = TrustStore::load(&path).unwrap_err();
    assert!(err.to_string().contains(TRUST_FILE), "{err}");
}
