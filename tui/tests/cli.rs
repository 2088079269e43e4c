//! The `symphony` binary's command line: help, version, the default config and
//! `symphony ext list/info/enable/disable`.

use std::path::{Path, PathBuf};
use std::process::Command;

use symphony_tui::config::Config;

fn symphony(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_symphony"))
        .args(args)
        .output()
        .expect("run symphony");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn print_default_config_is_complete_and_parses_to_the_defaults() {
    let (ok, text) = symphony(&["--print-default-config"]);
    assert!(ok);
    assert_eq!(Config::parse(&text, "printed").unwrap(), Config::default());
    for needle in [
        "theme =",
        "tab_size =",
        "soft_wrap =",
        "prefix =",
        "[keys]",
        "[prefix_keys]",
        "\"save\"",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
}

#[test]
fn print_default_config_shows_the_lsp_search_path_workflow_completion_and_agent_settings() {
    let (ok, text) = symphony(&["--print-default-config"]);
    assert!(ok);
    for needle in [
        "[lsp]",
        "auto_complete_ms = ",
        "path = []",
        "[lsp.python]",
        "# [[workflows]]",
        "# [[workflows.nodes]]",
        "# [completion]",
        "# instrument = ",
        "# [[agents]]",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
}

#[test]
fn help_and_version() {
    let (ok, help) = symphony(&["--help"]);
    assert!(ok);
    for flag in ["--connect", "--editor", "--print-default-config", "[FILES]"] {
        assert!(help.contains(flag), "help lacks {flag}:\n{help}");
    }
    let (ok, version) = symphony(&["--version"]);
    assert!(ok);
    assert_eq!(
        version.trim(),
        format!("symphony {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Runs `symphony` in `cwd` with every XDG folder inside `home`.
fn symphony_in(home: &Path, cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_symphony"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run symphony");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temp home and a workspace holding one good and one broken extension.
fn ext_workspace() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let ws = tmp.path().join("ws");
    let exts = ws.join(".symphony/extensions");
    std::fs::create_dir_all(exts.join("hello")).unwrap();
    std::fs::write(
        exts.join("hello/extension.toml"),
        r#"id = "hello"
name = "Hello"
version = "1.2.3"
type = "operator"
description = "Says hello"
command = "true"
capabilities = ["greet"]

[permissions]
read = ["**/*.md"]
buffer_read = true
"#,
    )
    .unwrap();
    std::fs::create_dir_all(exts.join("broken")).unwrap();
    std::fs::write(exts.join("broken/extension.toml"), "id = \"broken\"\n").unwrap();
    std::fs::create_dir_all(&home).unwrap();
    (tmp, home, ws)
}

#[test]
fn ext_list_shows_workspace_extensions_and_broken_manifests() {
    let (_tmp, home, ws) = ext_workspace();
    let (code, out, err) = symphony_in(&home, &ws, &["ext", "list"]);
    assert_eq!(code, 0, "stderr: {err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("hello\t"))
        .unwrap_or_else(|| panic!("no hello row in:\n{out}"));
    for needle in ["1.2.3", "operator", "enabled", ".symphony/extensions/hello"] {
        assert!(line.contains(needle), "{needle} missing in {line:?}");
    }
    assert!(out.contains("problems:"), "{out}");
    assert!(out.contains("broken/extension.toml"), "{out}");
}

#[test]
fn ext_info_prints_fields_and_permissions() {
    let (_tmp, home, ws) = ext_workspace();
    let (code, out, err) = symphony_in(&home, &ws, &["ext", "info", "hello"]);
    assert_eq!(code, 0, "stderr: {err}");
    // Readable words since `ext info` dropped its Debug output (`hello 1.2.3` header,
    // `buffer_read: true`): the same facts, as `key: value` lines.
    for needle in [
        "id:",
        "1.2.3",
        "Says hello",
        "greet",
        "**/*.md",
        "read editor buffers",
    ] {
        assert!(out.contains(needle), "{needle} missing in:\n{out}");
    }
}

#[test]
fn ext_disable_then_enable_persist_in_the_settings_file() {
    let (_tmp, home, ws) = ext_workspace();
    let settings = home.join("config/symphony/extensions.toml");
    let (code, _, err) = symphony_in(&home, &ws, &["ext", "disable", "hello"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(
        std::fs::read_to_string(&settings)
            .unwrap()
            .contains("enabled = false")
    );
    let (_, out, _) = symphony_in(&home, &ws, &["ext", "list"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("hello\t") && l.contains("disabled")),
        "{out}"
    );
    let (code, _, _) = symphony_in(&home, &ws, &["ext", "enable", "hello"]);
    assert_eq!(code, 0);
    let (_, out, _) = symphony_in(&home, &ws, &["ext", "list"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("hello\t") && l.contains("\tenabled\t")),
        "{out}"
    );
}

#[test]
fn ext_unknown_id_exits_1_with_a_clear_message() {
    let (_tmp, home, ws) = ext_workspace();
    for cmd in ["info", "enable", "disable"] {
        let (code, _, err) = symphony_in(&home, &ws, &["ext", cmd, "nope"]);
        assert_eq!(code, 1, "{cmd}");
        assert!(
            err.contains("no extension with id \"nope\""),
            "{cmd}: {err}"
        );
    }
    assert!(!home.join("config/symphony/extensions.toml").exists());
}
