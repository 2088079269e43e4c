//! The `symphony` binary's command line: help, version and the default config.

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
