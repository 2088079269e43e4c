//! Tests of config parsing: defaults, overrides and errors that name the line.

use super::*;

#[test]
fn the_printed_default_parses_to_the_defaults() {
    let text = default_config_text();
    let parsed = Config::parse(&text, "default").unwrap();
    assert_eq!(parsed, Config::default());
    assert!(text.contains("prefix = \"ctrl-b\""));
    assert!(text.contains("'%' = \"split_right\""));
}

#[test]
fn the_printed_default_has_the_editing_settings_the_editor_reads() {
    let text = default_config_text();
    assert!(text.contains("[editing]\n"), "{text}");
    assert!(text.contains("# smart_indent = true"));
    let line = text
        .lines()
        .find(|l| l.starts_with("# auto_close_pairs = "))
        .unwrap();
    let t: toml::Table = toml::from_str(line.trim_start_matches("# ")).unwrap();
    let pairs = t["auto_close_pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 5);
    assert_eq!(pairs[3].as_array().unwrap()[0].as_str(), Some("\""));
    assert!(
        Config::parse(
            "[editing]\nsmart_indent = false\n[editing.Python]\nindent_after = []\n",
            "c"
        )
        .is_ok()
    );
}

#[test]
fn empty_file_is_the_defaults() {
    assert_eq!(Config::parse("", "c").unwrap(), Config::default());
}

#[test]
fn settings_and_overrides_apply() {
    let text = "theme = \"Solarized (dark)\"\ntab_size = 8\nsoft_wrap = true\nprefix = \"ctrl-a\"\n\
                [keys]\n\"ctrl-k\" = \"save\"\n\"ctrl-s\" = \"none\"\n[prefix_keys]\n\"|\" = \"split_right\"\n";
    let c = Config::parse(text, "c").unwrap();
    assert_eq!(c.theme, "Solarized (dark)");
    assert_eq!(c.tab_size, 8);
    assert!(c.soft_wrap);
    assert_eq!(c.keymap.keys_for(&Action::Save), vec!["ctrl-k".to_string()]);
    assert_eq!(
        c.keymap.keys_for(&Action::SplitRight),
        vec!["ctrl-a %".to_string(), "ctrl-a |".to_string()]
    );
}

#[test]
fn syntax_error_names_the_line() {
    let e = Config::parse("theme = \"x\"\ntab_size = 4\nsoft_wrap = yes\n", "/c.toml").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.to_string().starts_with("/c.toml: line 3:"), "{e}");
}

#[test]
fn wrong_type_and_unknown_field_name_the_line() {
    let e = Config::parse("\n\ntab_size = \"wide\"\n", "c").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    let e = Config::parse("theme = \"x\"\ncolour = 1\n", "c").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("colour"), "{e}");
}

#[test]
fn bad_values_name_the_line() {
    let e = Config::parse("tab_size = 0\n", "c").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("tab_size"));
    let e =
        Config::parse("[keys]\n\"ctrl-s\" = \"save\"\n\"ctrl-k\" = \"sav\"\n", "c").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("unknown action `sav`"), "{e}");
    let e = Config::parse("prefix = \"hyper-b\"\n", "c").unwrap_err();
    assert_eq!(e.line, 1);
}

#[test]
fn a_bad_file_falls_back_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "tab_size = 3\nsoft_wrap = maybe\n").unwrap();
    let (config, err) = Config::load(&path);
    assert_eq!(config, Config::default());
    assert_eq!(err.unwrap().line, 2);
    let (config, err) = Config::load(&dir.path().join("missing.toml"));
    assert_eq!(config, Config::default());
    assert!(err.is_none());
}

#[test]
fn every_action_except_scroll_has_a_default_key() {
    let missing = unbound_actions(&Config::default());
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn context_tables_rebind_keys_inside_panes_and_overlays() {
    use crate::keymap::context::{DagAction, PickerAction};
    let text = "[keys]\n\"ctrl-k\" = \"save\"\n\n[keys.picker]\n\"ctrl-n\" = \"next\"\n\
                \"ctrl-j\" = \"previous\"\n\n[keys.dag_pane]\nc = \"none\"\nx = \"cancel_run\"\n";
    let c = Config::parse(text, "c").unwrap();
    assert_eq!(c.keymap.keys_for(&Action::Save), vec!["ctrl-k", "ctrl-s"]);
    assert_eq!(c.keymap.keys_in(PickerAction::Next), vec!["down", "ctrl-n"]);
    assert_eq!(c.keymap.keys_in(DagAction::CancelRun), vec!["x", "esc"]);
}

#[test]
fn a_bad_context_binding_names_its_line_and_what_is_known() {
    let text = "tab_size = 4\n\n[keys.picker]\n\"ctrl-n\" = \"next\"\n\"ctrl-j\" = \"prev\"\n";
    let e = Config::parse(text, "c").unwrap_err();
    assert_eq!(e.line, 5, "{e}");
    assert!(
        e.message.contains("unknown action `prev` in [keys.picker]"),
        "{e}"
    );
    assert!(e.message.contains("previous"), "{e}");
    let e = Config::parse("[keys.pickers]\n\"ctrl-n\" = \"next\"\n", "c").unwrap_err();
    assert!(e.message.contains("unknown key context `pickers`"), "{e}");
    assert!(e.message.contains("picker,"), "{e}");
    let e = Config::parse("[keys.picker]\n\"hyper-n\" = \"next\"\n", "c").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("unknown key"), "{e}");
    let e = Config::parse("[keys]\n\"ctrl-k\" = 3\n", "c").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn the_default_config_lists_every_context_and_parses_to_the_defaults() {
    let text = default_config_text();
    for info in crate::keymap::context::contexts() {
        assert!(
            text.contains(&format!("[keys.{}]", info.name)),
            "{}",
            info.name
        );
    }
    assert!(text.contains("'/' = \"search\""), "{text}");
    let c = Config::parse(&text, "default").unwrap();
    assert_eq!(c.keymap, crate::keymap::Keymap::default_keymap());
}

#[test]
fn agents_entries_are_read_and_the_default_shows_the_acp_presets() {
    let text = "[[agents]]\nname = \"opencode\"\ncommand = \"opencode\"\nargs = [\"acp\"]\n\
                env = { OPENCODE_X = \"1\" }\ndefault_model = \"m\"\n";
    let c = Config::parse(text, "c").unwrap();
    assert_eq!(c.agents.len(), 1);
    assert_eq!(c.agents[0].command, "opencode");
    assert_eq!(c.agents[0].args, ["acp"]);
    assert_eq!(c.agents[0].default_model.as_deref(), Some("m"));
    let e = Config::parse("[[agents]]\nname = \"x\"\n", "c").unwrap_err();
    assert!(e.message.contains("command"), "{e}");
    let default = default_config_text();
    for line in [
        "# args = [\"acp\"]",
        "# args = [\"--acp\"]",
        "@zed-industries/codex-acp",
    ] {
        assert!(default.contains(line), "{line} missing");
    }
}

#[test]
fn mcp_servers_are_read_passed_to_the_agents_and_shown_in_the_default() {
    let text = "[[agents]]\nname = \"opencode\"\ncommand = \"opencode\"\n\n\
                [[mcp_servers]]\nname = \"time\"\ncommand = \"mcp-server-time\"\n\
                args = [\"--local-timezone\", \"UTC\"]\nenv = { TZ = \"UTC\" }\n\n\
                [[mcp_servers]]\nname = \"remote\"\nurl = \"http://127.0.0.1:3001/mcp\"\nenabled = false\n";
    let c = Config::parse(text, "c").unwrap();
    assert_eq!(c.mcp_servers.len(), 2);
    assert_eq!(c.mcp_servers[0].command.as_deref(), Some("mcp-server-time"));
    assert_eq!(c.mcp_servers[0].env["TZ"], "UTC");
    assert!(!c.mcp_servers[1].enabled);
    assert_eq!(c.agents[0].mcp_servers, c.mcp_servers);
    // An entry with neither command nor url names its line.
    let bad = "theme = \"x\"\n\n[[mcp_servers]]\nname = \"a\"\ncommand = \"a\"\n\n[[mcp_servers]]\nname = \"b\"\n";
    let e = Config::parse(bad, "c").unwrap_err();
    assert_eq!(e.line, 7, "{e}");
    assert!(
        e.message.contains("`b`") && e.message.contains("url"),
        "{e}"
    );
    let e =
        Config::parse("[[mcp_servers]]\nname = \"x\"\nurl = \"y\"\ncmd = 1\n", "c").unwrap_err();
    assert!(e.message.contains("cmd"), "{e}");
    let default = default_config_text();
    assert!(default.contains("# [[mcp_servers]]"), "{default}");
    assert!(
        default.contains("# command = \"mcp-server-time\""),
        "{default}"
    );
    assert!(
        Config::parse(&default, "default")
            .unwrap()
            .mcp_servers
            .is_empty()
    );
}
