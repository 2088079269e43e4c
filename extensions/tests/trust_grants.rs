//! Workspace trust and grants bound to an extension's identity: a workspace's
//! extension stays inert until the workspace is trusted, every extension asks once
//! (even one that asks for nothing), and a grant holds only for the extension it was
//! given to (not a workspace copy reusing its id, not a changed one).

mod common;

use std::path::{Path, PathBuf};

use common::{START, crate_dir, quick_config};
use serde_json::json;
use symphony_extensions::config::ExtensionsConfig;
use symphony_extensions::discovery::{discover, standard_dirs};
use symphony_extensions::{Host, Manager, Origin, Permissions, StartOutcome};

/// Writes extension `id` in `root/<folder>`: `main.py` (its entry point) runs the
/// test fixture `behave.py ok`.
fn write_ext(root: &Path, folder: &str, id: &str, extra: &str) -> PathBuf {
    let d = root.join(folder);
    std::fs::create_dir_all(&d).unwrap();
    let behave = crate_dir().join("tests/fixtures/behave.py");
    std::fs::write(
        d.join("main.py"),
        format!(
            "import runpy, sys\nsys.argv = [{b:?}, \"ok\"]\nrunpy.run_path({b:?}, run_name=\"__main__\")\n",
            b = behave.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("extension.toml"),
        format!(
            "id = \"{id}\"\nname = \"{id}\"\nversion = \"1.0.0\"\ntype = \"operator\"\n\
             command = \"python3\"\nargs = [\"${{ext_dir}}/main.py\"]\n{extra}\n"
        ),
    )
    .unwrap();
    d
}

struct Setup {
    _root: tempfile::TempDir,
    ws: PathBuf,
    user: PathBuf,
    settings: PathBuf,
}

/// A workspace and a user extensions folder (`<data>/symphony/extensions`).
fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let ws = root.path().join("project");
    let user = root.path().join("data/symphony/extensions");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::create_dir_all(&user).unwrap();
    let settings = root.path().join("config/extensions.toml");
    Setup {
        ws,
        user,
        settings,
        _root: root,
    }
}

fn manager(s: &Setup) -> Manager {
    let builtin = s.ws.join("no-builtin");
    let mut dirs = standard_dirs(&builtin, Some(&s.ws));
    dirs.insert(1, s.user.clone());
    let found = discover(&dirs);
    assert!(
        found
            .problems
            .iter()
            .all(|p| p.to_string().contains("shadows")),
        "{:?}",
        found.problems
    );
    Manager::new(
        Host::new(quick_config(&s.ws)),
        found.extensions,
        s.settings.clone(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_workspace_extension_stays_inert_until_trusted_then_asks_once_even_for_no_permissions() {
    let s = setup();
    write_ext(
        &s.ws.join(".symphony/extensions"),
        "x",
        "x",
        "[activation]\non_startup = true",
    );
    let mut mgr = manager(&s);
    assert_eq!(mgr.manifests()[0].origin, Origin::Workspace);

    // Not trusted: nothing starts, not at start-up, not when asked.
    let out = mgr.on_startup();
    assert!(
        matches!(&out[0].1, StartOutcome::Untrusted { id } if id == "x"),
        "{out:?}"
    );
    assert!(matches!(mgr.start("x"), StartOutcome::Untrusted { .. }));
    assert!(!mgr.can_start("x"));
    assert!(mgr.is_untrusted("x"));
    assert!(mgr.handle("x").is_none());

    // Trusted: it asks for no permission, and still asks once.
    mgr.set_workspace_trusted(true);
    assert!(
        matches!(mgr.start("x"), StartOutcome::NeedsGrant { id, asked } if id == "x" && asked.is_empty())
    );
    mgr.grant("x", Permissions::none()).unwrap();
    assert!(mgr.can_start("x"));
    let StartOutcome::Started(h) = mgr.start("x") else {
        panic!("not started");
    };
    h.wait_active(START).await.unwrap();
    assert_eq!(h.request("ping", json!({})).await.unwrap(), json!("pong"));
    mgr.stop("x", START).await;

    // The answer is kept: a new session starts it without asking.
    let mut again = manager(&s);
    again.set_workspace_trusted(true);
    assert!(again.can_start("x"));
    // And distrust stops it again.
    again.set_workspace_trusted(false);
    assert!(!again.can_start("x"));
}

#[test]
fn a_workspace_extension_reusing_a_granted_id_asks_again() {
    let s = setup();
    write_ext(
        &s.user,
        "shared",
        "shared",
        "[permissions]\nbuffer_read = true",
    );
    let asked = Permissions {
        buffer_read: true,
        ..Permissions::none()
    };
    {
        let mut mgr = manager(&s);
        assert_eq!(mgr.manifests()[0].origin, Origin::User);
        mgr.grant("shared", asked.clone()).unwrap();
        assert!(mgr.can_start("shared"));
    }
    // A workspace brings its own "shared" that shadows the installed one.
    write_ext(
        &s.ws.join(".symphony/extensions"),
        "evil",
        "shared",
        "[permissions]\nbuffer_read = true",
    );
    let mut mgr = manager(&s);
    mgr.set_workspace_trusted(true);
    assert_eq!(mgr.manifests()[0].origin, Origin::Workspace);
    assert!(
        !mgr.can_start("shared"),
        "the installed one's grant must not apply"
    );
    assert!(mgr.config().grant_is_stale(&mgr.manifests()[0]));
    assert!(mgr.config().grant_for(&mgr.manifests()[0]).is_none());
}

#[test]
fn a_changed_extension_asks_again() {
    let s = setup();
    let dir = write_ext(&s.user, "e", "e", "");
    {
        let mut mgr = manager(&s);
        mgr.grant("e", Permissions::none()).unwrap();
        assert!(mgr.can_start("e"));
    }
    // Its entry point changed (an update, or someone else's edit).
    let main = dir.join("main.py");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{text}# changed\n")).unwrap();
    let mgr = manager(&s);
    assert!(!mgr.can_start("e"));
    // Its manifest changed.
    std::fs::write(&main, text).unwrap();
    assert!(manager(&s).can_start("e"), "back as it was granted");
    let toml = dir.join("extension.toml");
    let m = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, m.replace("name = \"e\"", "name = \"E\"")).unwrap();
    assert!(!manager(&s).can_start("e"));
}

#[test]
fn an_older_unbound_grant_is_bound_to_the_installed_extension_but_never_to_a_workspace_one() {
    let s = setup();
    write_ext(&s.user, "old", "old", "[permissions]\nbuffer_read = true");
    write_ext(
        &s.ws.join(".symphony/extensions"),
        "w",
        "wsold",
        "[permissions]\nbuffer_read = true",
    );
    std::fs::create_dir_all(s.settings.parent().unwrap()).unwrap();
    std::fs::write(
        &s.settings,
        "[extensions.old.grant]\nbuffer_read = true\n[extensions.wsold.grant]\nbuffer_read = true\n",
    )
    .unwrap();
    let mut mgr = manager(&s);
    mgr.set_workspace_trusted(true);
    assert!(
        mgr.can_start("old"),
        "the installed extension keeps its grant"
    );
    assert!(
        !mgr.can_start("wsold"),
        "a workspace extension inherits nothing"
    );
    let saved = ExtensionsConfig::load(&s.settings).unwrap();
    let bound = saved.extensions["old"].granted_to.as_ref().unwrap();
    assert_eq!(
        bound.path,
        std::fs::canonicalize(s.user.join("old")).unwrap()
    );
    assert!(saved.extensions["wsold"].granted_to.is_none());
}
