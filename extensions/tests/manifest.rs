//! Manifest parsing, discovery, load order and the settings file functions.

mod common;

use std::path::Path;

use symphony_extensions::config::{self, ExtensionsConfig};
use symphony_extensions::discovery::{Problem, discover, standard_dirs};
use symphony_extensions::{ExtensionType, Manifest, ManifestError, Permissions};

const VALID: &str = r#"
id = "word-count"
name = "Word count"
version = "1.2.3"
type = "operator"
description = "Counts words"
command = "python3"
args = ["${ext_dir}/main.py", "--fast"]
capabilities = ["count"]

[permissions]
read = ["**/*.md"]
network = ["api.example.com"]
buffer_read = true
notifications = true

[activation]
on_startup = true
on_commands = ["word-count.count"]
on_languages = ["markdown"]

[config.max_words]
type = "integer"
default = 100
description = "Stop counting after this many"

[config.token]
type = "string"
secret = true

[dependencies]
base = "^1.0"
"#;

fn write_ext(root: &Path, folder: &str, text: &str) {
    let d = root.join(folder);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("extension.toml"), text).unwrap();
}

fn simple(id: &str, version: &str, deps: &str) -> String {
    format!(
        "id = \"{id}\"\nname = \"{id}\"\nversion = \"{version}\"\ntype = \"operator\"\ncommand = \"true\"\n[dependencies]\n{deps}\n"
    )
}

#[test]
fn a_valid_manifest_parses_every_field() {
    let dir = tempfile::tempdir().unwrap();
    write_ext(dir.path(), "wc", VALID);
    let m = Manifest::load(&dir.path().join("wc/extension.toml")).unwrap();
    assert_eq!(m.id, "word-count");
    assert_eq!(m.version, semver::Version::new(1, 2, 3));
    assert_eq!(m.kind, ExtensionType::Operator);
    assert_eq!(m.program(), Path::new("python3"));
    let args = m.resolved_args();
    assert_eq!(
        args[0],
        format!("{}/main.py", dir.path().join("wc").display())
    );
    assert_eq!(args[1], "--fast");
    assert!(m.permissions.buffer_read && m.permissions.notifications);
    assert!(!m.permissions.buffer_write);
    assert_eq!(m.permissions.network, ["api.example.com"]);
    assert!(m.activation.on_startup);
    assert!(m.activation.on_command("word-count.count"));
    assert!(m.activation.on_language("markdown"));
    assert!(m.config["token"].secret);
    assert_eq!(m.default_config(), serde_json::json!({"max_words": 100}));
    assert!(m.dependencies["base"].matches(&semver::Version::new(1, 4, 0)));
}

#[test]
fn invalid_manifests_name_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        ("syntax", "id = \"x\"\nname = ", &["syntax/extension.toml"]),
        (
            "version",
            &VALID.replace("1.2.3", "one.two"),
            &["version/extension.toml", "version"],
        ),
        (
            "kind",
            &VALID.replace("\"operator\"", "\"widget\""),
            &["kind/extension.toml", "widget"],
        ),
        (
            "id",
            &VALID.replace("\"word-count\"", "\"Word Count!\""),
            &["id/extension.toml", "`id`"],
        ),
        (
            "missing",
            "id = \"x\"\nname = \"x\"\nversion = \"1.0.0\"\ntype = \"motif\"\n",
            &["missing/extension.toml", "command"],
        ),
        (
            "default",
            &VALID.replace("default = 100", "default = \"lots\""),
            &["default/extension.toml", "config.max_words"],
        ),
        (
            "secret",
            &VALID.replace("secret = true", "secret = true\ndefault = \"abc\""),
            &["secret/extension.toml", "config.token", "secret"],
        ),
        (
            "unknown",
            &format!("colour = \"red\"\n{VALID}"),
            &["unknown/extension.toml", "colour"],
        ),
        (
            "glob",
            &VALID.replace("**/*.md", "a[b"),
            &["glob/extension.toml", "permissions", "a[b"],
        ),
        (
            "req",
            &VALID.replace("^1.0", "not a req"),
            &["req/extension.toml", "base"],
        ),
    ];
    for (folder, text, needles) in cases {
        write_ext(dir.path(), folder, text);
        let err = Manifest::load(&dir.path().join(folder).join("extension.toml")).unwrap_err();
        let msg = err.to_string();
        for n in *needles {
            assert!(msg.contains(n), "{folder}: {msg:?} lacks {n:?}");
        }
    }
    let err = Manifest::load(&dir.path().join("absent/extension.toml")).unwrap_err();
    assert!(matches!(err, ManifestError::Io { .. }));
}

#[test]
fn discovery_skips_broken_manifests_and_orders_by_dependencies() {
    let builtin = tempfile::tempdir().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    write_ext(
        builtin.path(),
        "a",
        &simple("app", "1.0.0", "lib = \"^2\"\nutil = \"*\""),
    );
    write_ext(
        builtin.path(),
        "b",
        &simple("lib", "2.1.0", "util = \">=0.1\""),
    );
    write_ext(builtin.path(), "c", &simple("util", "0.5.0", ""));
    write_ext(builtin.path(), "d", "this is = not toml [");
    write_ext(builtin.path(), "e", &simple("zeta", "1.0.0", ""));
    // The workspace copy of zeta shadows the built-in one.
    let ws_ext = workspace.path().join(".symphony/extensions");
    write_ext(&ws_ext, "z", &simple("zeta", "1.1.0", ""));

    let dirs = standard_dirs(builtin.path(), Some(workspace.path()));
    assert_eq!(dirs.first().unwrap(), builtin.path());
    assert_eq!(dirs.last().unwrap(), &ws_ext);
    let d = discover(&dirs);
    let ids: Vec<&str> = d.extensions.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["util", "lib", "app", "zeta"]);
    assert_eq!(d.extensions[3].version.to_string(), "1.1.0");
    assert_eq!(d.problems.len(), 2, "{:?}", d.problems);
    assert!(
        d.problems.iter().any(
            |p| matches!(p, Problem::Manifest(_)) && p.to_string().contains("d/extension.toml")
        )
    );
    assert!(
        d.problems
            .iter()
            .any(|p| matches!(p, Problem::Shadowed { id, .. } if id == "zeta"))
    );
}

#[test]
fn missing_mismatched_and_circular_dependencies_are_reported() {
    let root = tempfile::tempdir().unwrap();
    write_ext(
        root.path(),
        "1",
        &simple("needs-ghost", "1.0.0", "ghost = \"^1\""),
    );
    write_ext(
        root.path(),
        "2",
        &simple("needs-new", "1.0.0", "old = \"^2\""),
    );
    write_ext(root.path(), "3", &simple("old", "1.0.0", ""));
    write_ext(root.path(), "4", &simple("ping", "1.0.0", "pong = \"*\""));
    write_ext(root.path(), "5", &simple("pong", "1.0.0", "ping = \"*\""));
    write_ext(
        root.path(),
        "6",
        &simple("on-ghost", "1.0.0", "needs-ghost = \"*\""),
    );
    let d = discover(&[root.path().to_path_buf()]);
    let ids: Vec<&str> = d.extensions.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["old"]);
    let msgs: Vec<String> = d.problems.iter().map(ToString::to_string).collect();
    let all = msgs.join("\n");
    assert!(all.contains("\"needs-ghost\" needs \"ghost\""), "{all}");
    assert!(
        all.contains("\"needs-new\" needs \"old\" ^2, found 1.0.0"),
        "{all}"
    );
    assert!(all.contains("\"on-ghost\" needs \"needs-ghost\""), "{all}");
    assert!(
        all.contains("circular dependency between extensions: ping -> pong"),
        "{all}"
    );
}

#[test]
fn enable_disable_list_and_info_work_on_the_settings_file() {
    let root = tempfile::tempdir().unwrap();
    write_ext(
        root.path(),
        "wc",
        VALID
            .replace("[dependencies]\nbase = \"^1.0\"", "")
            .as_str(),
    );
    let d = discover(&[root.path().to_path_buf()]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let cfg_path = root.path().join("config/extensions.toml");

    let cfg = ExtensionsConfig::load(&cfg_path).unwrap();
    let rows = config::list(&d.extensions, &cfg);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].enabled && !rows[0].granted);

    config::disable(&cfg_path, &d.extensions, "word-count").unwrap();
    let cfg = ExtensionsConfig::load(&cfg_path).unwrap();
    assert!(!cfg.is_enabled("word-count"));
    config::enable(&cfg_path, &d.extensions, "word-count").unwrap();
    let mut cfg = ExtensionsConfig::load(&cfg_path).unwrap();
    assert!(cfg.is_enabled("word-count"));
    assert!(config::enable(&cfg_path, &d.extensions, "nope").is_err());

    // The prompt's answer is remembered, and never exceeds the manifest.
    cfg.set_grant(
        &d.extensions[0],
        Permissions {
            buffer_read: true,
            spawn: true,
            ..Permissions::none()
        },
    );
    cfg.save(&cfg_path).unwrap();
    let cfg = ExtensionsConfig::load(&cfg_path).unwrap();
    let g = cfg.grant_for(&d.extensions[0]).unwrap();
    assert!(g.buffer_read && !g.spawn);

    let info = config::info(&d.extensions, &cfg, "word-count").unwrap();
    // Readable `key: value` lines (the old first line and Debug types are gone on
    // purpose: `symphony ext info` is for people).
    let line = |key: &str| {
        info.lines()
            .find(|l| l.starts_with(&format!("{key}:")))
            .map(|l| l[key.len() + 1..].trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(line("id"), "word-count", "{info}");
    assert_eq!(line("version"), "1.2.3", "{info}");
    assert_eq!(line("type"), "operator", "{info}");
    assert!(line("config").starts_with("max_words (integer)"), "{info}");
    assert!(
        info.lines().any(|l| l.trim() == "token (string, secret)"),
        "{info}"
    );
    assert_eq!(line("permissions granted"), "read editor buffers", "{info}");
    assert!(!info.contains('{') && !info.contains("Some("), "{info}");
}
