//! `symphony --print-default-config` prints what the programs really use: its `[lsp]` and
//! `[lsp.<language>]` tables and its `[editing]` table, read by `symphony-editor`'s own
//! config code, give exactly the editor's built-in defaults, every built-in language is
//! shown, and the commented `[[workflows]]` example is a complete, valid workflow.

use std::process::Command;

use symphony_editor::config::ConfigStore;
use symphony_editor::lsp::LspConfig;
use symphony_tests::binaries;

fn printed() -> String {
    let bins = binaries().expect("binaries");
    let out = Command::new(&bins.symphony)
        .arg("--print-default-config")
        .output()
        .expect("run symphony");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_printed_language_server_tables_are_the_editors_defaults() {
    let text = printed();
    let parsed = LspConfig::from_toml(&text).expect("the editor reads the printed config");
    assert_eq!(parsed, LspConfig::default());
    for lang in LspConfig::default().languages.keys() {
        assert!(
            text.contains(&format!("[lsp.{lang}]\n")),
            "[lsp.{lang}] is not shown"
        );
    }
    assert!(text.contains("auto_complete_ms = 250"));
    assert!(text.contains("path = []"));
}

#[test]
fn the_printed_editing_table_is_the_editors_defaults() {
    let text = printed();
    let mut store = ConfigStore::default();
    assert_eq!(store.apply_user_file(&text), Ok(()));
    let defaults = ConfigStore::default();
    for lang in ["Plain Text", "Python", "Rust", "C"] {
        assert_eq!(
            store.effective(1, lang),
            defaults.effective(1, lang),
            "{lang}"
        );
        for key in [
            "auto_close_pairs",
            "smart_indent",
            "indent_after",
            "tab_size",
        ] {
            assert_eq!(
                store.get(1, lang, key),
                defaults.get(1, lang, key),
                "{lang} {key}"
            );
        }
    }
}

#[test]
fn the_commented_workflow_example_is_complete_and_valid() {
    let text = printed();
    let start = text.find("# [[workflows]]").expect("a workflow example");
    let example: String = text[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.strip_prefix("# ").or(l.strip_prefix('#')).unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let config = symphony_tui::config::Config::parse(&example, "example").expect("parses");
    let workflows = &config.conductor.workflows;
    assert_eq!(workflows.len(), 1);
    assert_eq!(workflows[0].nodes.len(), 3, "{example}");
    workflows[0]
        .plan(&["local".to_string()], Some("local"))
        .expect("a valid workflow");
}
