//! Tests of key parsing, normalization and the default tables.

use super::*;
use crate::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn check_table(table: &[(&str, &str)]) {
    let mut seen: HashMap<KeyCombo, &str> = HashMap::new();
    for (key, name) in table {
        let combo = KeyCombo::parse(key).unwrap_or_else(|e| panic!("default key {key}: {e}"));
        assert!(
            Action::from_name(name).is_some(),
            "default binding {key} -> {name}: no such action"
        );
        if let Some(other) = seen.insert(combo, key) {
            panic!("default keys `{other}` and `{key}` are the same key");
        }
        // What we print is what we parse.
        assert_eq!(KeyCombo::parse(&combo.to_string()).unwrap(), combo);
    }
}

#[test]
fn default_tables_resolve_and_do_not_collide() {
    check_table(defaults::NORMAL);
    check_table(defaults::PREFIX);
    let map = Keymap::default_keymap();
    assert_eq!(
        map.normal.len(),
        defaults::NORMAL.len() + 1,
        "prefix key collides"
    );
    assert_eq!(map.prefix.len(), defaults::PREFIX.len());
}

#[test]
fn every_command_the_issue_names_has_a_default_key() {
    let map = Keymap::default_keymap();
    for name in [
        "save",
        "open_file",
        "new_buffer",
        "close_buffer",
        "undo",
        "redo",
        "copy",
        "cut",
        "paste",
        "add_next_occurrence",
        "add_cursor_above",
        "add_cursor_below",
        "single_cursor",
        "find",
        "replace",
        "goto_line",
        "toggle_comment",
        "indent",
        "outdent",
        "command_palette",
        "quit",
        "split_right",
        "split_down",
        "zoom_pane",
        "close_pane",
        "new_window",
        "next_window",
        "previous_window",
        "next_pane",
        "show_pane_numbers",
        "resize_left",
    ] {
        let action = Action::from_name(name).unwrap();
        assert!(!map.keys_for(&action).is_empty(), "{name} has no key");
    }
}

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

#[test]
fn terminal_keys_find_their_bindings() {
    let map = Keymap::default_keymap();
    let c = KeyModifiers::CONTROL;
    assert_eq!(map.lookup(&ev(KeyCode::Char('s'), c)), Some(&Action::Save));
    // What terminals send for Ctrl-/ (0x1f) arrives as Ctrl-7.
    assert_eq!(
        map.lookup(&ev(KeyCode::Char('7'), c)),
        Some(&Action::ToggleComment)
    );
    assert_eq!(
        map.lookup(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(&Action::Outdent)
    );
    assert_eq!(
        map.lookup(&ev(KeyCode::Left, c | KeyModifiers::SHIFT)),
        Some(&Action::SelectWordLeft)
    );
    assert_eq!(
        map.lookup(&ev(KeyCode::Char('b'), c)),
        Some(&Action::Prefix)
    );
    // '%' comes with Shift from most terminals.
    assert_eq!(
        map.lookup_prefix(&ev(KeyCode::Char('%'), KeyModifiers::SHIFT)),
        Some(&Action::SplitRight)
    );
    assert_eq!(
        map.lookup(&ev(KeyCode::Char('x'), KeyModifiers::NONE)),
        None
    );
}

#[test]
fn overrides_rebind_unbind_and_report_bad_names() {
    let mut map = Keymap::default_keymap();
    map.bind(false, "ctrl-k", "save").unwrap();
    map.bind(false, "ctrl-s", "none").unwrap();
    assert_eq!(map.keys_for(&Action::Save), vec!["ctrl-k".to_string()]);
    let e = map.bind(false, "ctrl-j", "sav").unwrap_err();
    assert!(e.message.contains("unknown action `sav`"));
    let e = map.bind(false, "ctrl-", "save").unwrap_err();
    assert!(e.message.contains("unknown key"));
    map.set_prefix(KeyCombo::parse("ctrl-a").unwrap());
    assert_eq!(
        map.lookup(&ev(KeyCode::Char('a'), KeyModifiers::CONTROL)),
        Some(&Action::Prefix)
    );
    assert_eq!(
        map.lookup(&ev(KeyCode::Char('b'), KeyModifiers::CONTROL)),
        None
    );
    assert_eq!(
        map.keys_for(&Action::ZoomPane),
        vec!["ctrl-a z".to_string()]
    );
}

#[test]
fn parse_and_display() {
    assert_eq!(
        KeyCombo::parse("Ctrl-Shift-Up").unwrap().to_string(),
        "ctrl-shift-up"
    );
    assert_eq!(KeyCombo::parse("shift-a").unwrap().to_string(), "A");
    assert_eq!(KeyCombo::parse("space").unwrap().to_string(), "space");
    assert_eq!(KeyCombo::parse("F12").unwrap().to_string(), "f12");
    assert!(KeyCombo::parse("hyper-x").is_err());
}

/// Context keys that deliberately shadow a global chord while their context
/// has the keys: (context, key, why).
const INTENDED_SHADOWS: &[(&str, &str, &str)] = &[
    (
        "find",
        "alt-w",
        "ghost text is drawn only in the editor; in the find bar alt-w toggles whole words",
    ),
    (
        "input",
        "ctrl-a",
        "start of the field, as in a shell (select_all has no meaning there)",
    ),
    (
        "picker",
        "ctrl-q",
        "the unsaved-buffers list quits without asking; other pickers pass it on",
    ),
    (
        "find",
        "alt-r",
        "regex toggle while the find bar is open (review keys need the editor)",
    ),
    (
        "find",
        "alt-a",
        "replace all while the find bar is open (review keys need the editor)",
    ),
];

fn is_chord(combo: &KeyCombo) -> bool {
    combo.mods & (mods::CTRL | mods::ALT) != 0 || matches!(combo.code, KeyCodeOrd::F(_))
}

#[test]
fn every_context_table_resolves_and_does_not_collide() {
    let infos = context::contexts();
    for info in &infos {
        let Some((_, table)) = defaults::CONTEXTS.iter().find(|(c, _)| *c == info.name) else {
            panic!("context {} has no default table", info.name);
        };
        let mut seen: HashMap<KeyCombo, &str> = HashMap::new();
        for (key, name) in *table {
            let combo =
                KeyCombo::parse(key).unwrap_or_else(|e| panic!("[keys.{}] {key}: {e}", info.name));
            assert!(
                info.actions.iter().any(|(n, _)| n == name),
                "[keys.{}] {key} -> {name}: no such action in the context",
                info.name
            );
            if let Some(other) = seen.insert(combo, key) {
                panic!(
                    "[keys.{}] `{other}` and `{key}` are the same key",
                    info.name
                );
            }
        }
    }
    for (ctx, _) in defaults::CONTEXTS {
        assert!(
            infos.iter().any(|i| i.name == *ctx),
            "default table for unknown context {ctx}"
        );
    }
    let map = Keymap::default_keymap();
    for (ctx, table) in defaults::CONTEXTS {
        assert_eq!(
            map.contexts[ctx].len(),
            table.len(),
            "{ctx}: a default did not bind"
        );
    }
}

#[test]
fn no_context_key_shadows_a_global_key_unintended() {
    let map = Keymap::default_keymap();
    for info in context::contexts() {
        for (combo, name) in &map.contexts[info.name] {
            assert_ne!(
                *combo, map.prefix_key,
                "[keys.{}] binds the prefix key to {name}",
                info.name
            );
            let Some(global) = map.normal.get(combo) else {
                continue;
            };
            if !is_chord(combo) {
                // Plain keys belong to the pane or overlay that has the focus.
                continue;
            }
            let intended = INTENDED_SHADOWS
                .iter()
                .any(|(c, k, _)| *c == info.name && KeyCombo::parse(k).ok() == Some(*combo));
            assert!(
                intended,
                "[keys.{}] {combo} -> {name} shadows the global {global:?}: \
                 pick another key, or list it in INTENDED_SHADOWS with the reason",
                info.name
            );
        }
    }
    for (ctx, key, _) in INTENDED_SHADOWS {
        let combo = KeyCombo::parse(key).unwrap();
        assert!(
            map.contexts[ctx].contains_key(&combo),
            "INTENDED_SHADOWS lists {ctx} {key}, which is not bound"
        );
    }
}

#[test]
fn context_keys_come_back_as_typed_actions() {
    use context::{DagAction, PickerAction, PoolAction};
    let map = Keymap::default_keymap();
    let none = KeyModifiers::NONE;
    assert_eq!(map.get(&ev(KeyCode::Down, none)), Some(PickerAction::Next));
    assert_eq!(
        map.get(&ev(KeyCode::Char('j'), none)),
        Some(PoolAction::Next)
    );
    assert_eq!(
        map.get(&ev(KeyCode::Char('r'), none)),
        Some(DagAction::RetryNode)
    );
    assert_eq!(map.get::<PickerAction>(&ev(KeyCode::Char('j'), none)), None);
    assert_eq!(
        map.text(&ev(KeyCode::Char('x'), none)),
        Some(TextKey::Char('x'))
    );
    assert_eq!(
        map.text(&ev(KeyCode::Char('x'), KeyModifiers::CONTROL)),
        None
    );
}

#[test]
fn context_overrides_rebind_unbind_and_report_bad_names() {
    use context::DagAction;
    let mut map = Keymap::default_keymap();
    map.bind_in("dag_pane", "x", "cancel_run").unwrap();
    map.bind_in("dag_pane", "c", "none").unwrap();
    assert_eq!(map.keys_in(DagAction::CancelRun), vec!["x", "esc"]);
    let e = map.bind_in("dag_pane", "y", "retry").unwrap_err();
    assert!(
        e.message
            .contains("unknown action `retry` in [keys.dag_pane]"),
        "{}",
        e.message
    );
    assert!(e.message.contains("retry_node"), "{}", e.message);
    let e = map.bind_in("dagpane", "y", "retry_node").unwrap_err();
    assert!(
        e.message.contains("unknown key context `dagpane`"),
        "{}",
        e.message
    );
    let e = map
        .bind_in("dag_pane", "hyper-y", "retry_node")
        .unwrap_err();
    assert!(e.message.contains("unknown key"), "{}", e.message);
}

#[test]
fn hints_show_the_bound_key_after_a_rebinding() {
    use context::{AiPaneAction, DagAction, FindAction};
    let mut map = Keymap::default_keymap();
    assert_eq!(map.hint(DagAction::CancelRun), "Esc");
    assert_eq!(map.hint(FindAction::ReplaceAll), "Alt-A");
    assert_eq!(map.hint(AiPaneAction::Send), "Enter");
    map.bind_in("dag_pane", "esc", "none").unwrap();
    assert_eq!(map.hint(DagAction::CancelRun), "c");
    map.bind_in("dag_pane", "c", "none").unwrap();
    map.bind_in("dag_pane", "ctrl-x", "cancel_run").unwrap();
    assert_eq!(map.hint(DagAction::CancelRun), "Ctrl-X");
    map.bind_in("dag_pane", "ctrl-x", "none").unwrap();
    assert_eq!(map.hint(DagAction::CancelRun), "-");
}
