//! The manager: activation events, the grant prompt, disabled extensions,
//! dependencies started first.

mod common;

use std::path::Path;

use common::{START, crate_dir, quick_config};
use serde_json::json;
use symphony_extensions::config;
use symphony_extensions::discovery::discover;
use symphony_extensions::{Host, Manager, Permissions, StartOutcome};

fn write_ext(root: &Path, id: &str, extra: &str) {
    let d = root.join(id);
    std::fs::create_dir_all(&d).unwrap();
    let script = crate_dir().join("tests/fixtures/behave.py");
    std::fs::write(
        d.join("extension.toml"),
        format!(
            "id = \"{id}\"\nname = \"{id}\"\nversion = \"1.0.0\"\ntype = \"operator\"\n\
             command = \"python3\"\nargs = [{:?}, \"ok\"]\n{extra}\n",
            script.display().to_string()
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn activation_events_grants_and_dependencies() {
    let root = tempfile::tempdir().unwrap();
    let exts = root.path().join("exts");
    write_ext(&exts, "base", "");
    write_ext(
        &exts,
        "boot",
        "[activation]\non_startup = true\n[dependencies]\nbase = \"^1\"",
    );
    write_ext(
        &exts,
        "reader",
        "[permissions]\nread = [\"**/*.md\"]\n[activation]\non_commands = [\"reader.go\"]",
    );
    write_ext(&exts, "lang", "[activation]\non_languages = [\"rust\"]");
    let d = discover(std::slice::from_ref(&exts));
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let cfg_path = root.path().join("extensions.toml");
    config::disable(&cfg_path, &d.extensions, "lang").unwrap();

    let host = Host::new(quick_config(root.path()));
    let mut mgr = Manager::new(host, d.extensions, cfg_path.clone()).unwrap();
    // Every extension asks once, even one asking for no permission: answered here.
    for id in ["base", "boot", "lang"] {
        mgr.grant(id, Permissions::none()).unwrap();
    }

    // Start-up: `boot` and its dependency `base`.
    let started = mgr.on_startup();
    assert_eq!(started.len(), 1);
    assert!(matches!(started[0].1, StartOutcome::Started(_)));
    for id in ["base", "boot"] {
        let h = mgr.handle(id).unwrap().clone();
        h.wait_active(START).await.unwrap();
        assert_eq!(h.request("ping", json!({})).await.unwrap(), json!("pong"));
    }

    // A command: `reader` asks for permissions first.
    let out = mgr.on_command("reader.go");
    assert!(
        matches!(&out[0].1, StartOutcome::NeedsGrant { id, asked } if id == "reader" && asked.read == ["**/*.md"])
    );
    mgr.grant(
        "reader",
        Permissions {
            read: vec!["**/*.md".into()],
            ..Permissions::none()
        },
    )
    .unwrap();
    let out = mgr.on_command("reader.go");
    assert!(matches!(out[0].1, StartOutcome::Started(_)));
    let out = mgr.on_command("reader.go");
    assert!(matches!(out[0].1, StartOutcome::AlreadyRunning(_)));
    // The answer was saved.
    let saved = config::ExtensionsConfig::load(&cfg_path).unwrap();
    assert!(saved.extensions["reader"].grant.is_some());

    // A disabled extension is not started by its language.
    let out = mgr.on_language("rust");
    assert!(matches!(out[0].1, StartOutcome::Disabled));
    assert!(matches!(mgr.start("nope"), StartOutcome::Unknown));

    for id in ["reader", "boot", "base"] {
        mgr.stop(id, START).await;
    }
}
