//! Language intelligence on screen (TestBackend + insta) and its requests:
//! the completion popup, hover, signature help, diagnostics in a view and in
//! the status line, the pickers, go to definition and the jump list. The
//! editor process is a recording port; its answers are fed as it sends them.

mod common;

use std::path::PathBuf;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};
use symphony_protocol::xi::EditNotification as E;
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::session::{SessionEvent, ViewHandle};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses a key the way the loop does (keymap, popups, overlays).
fn press(state: &mut State, k: KeyEvent) {
    let actions =
        symphony_tui::app::input::event_to_actions(state, crossterm::event::Event::Key(k));
    for a in actions {
        update(state, a);
    }
}

/// The `symphony.lsp.*` requests made since the last call: (id, method, params).
fn requests(calls: &std::sync::Arc<std::sync::Mutex<Vec<PortCall>>>) -> Vec<(u64, String, Value)> {
    take(calls)
        .into_iter()
        .filter_map(|c| match c {
            PortCall::Request(_, id, method, params) => Some((id, method, params)),
            _ => None,
        })
        .collect()
}

fn reply(state: &mut State, view: u64, id: u64, result: Value) {
    on_session_event(
        state,
        SessionEvent::Reply {
            view: ViewHandle(view),
            id,
            result: Ok(result),
        },
    );
}

fn notify(state: &mut State, view: Option<u64>, method: &str, params: Value) {
    on_session_event(
        state,
        SessionEvent::Lsp {
            view: view.map(ViewHandle),
            method: method.into(),
            params,
        },
    );
}

fn python_file(
    w: u16,
    h: u16,
    lines: &[&str],
) -> (State, std::sync::Arc<std::sync::Mutex<Vec<PortCall>>>) {
    let (mut state, calls) = state_with(Some("main.py"), w, h);
    feed(&mut state, 1, plain_lines(lines));
    on_session_event(
        &mut state,
        SessionEvent::LanguageChanged {
            view: ViewHandle(1),
            language: "python".into(),
        },
    );
    take(&calls);
    (state, calls)
}

fn completion_items() -> Value {
    let item = |label: &str, kind: &str, detail: Option<&str>, sort: &str| {
        json!({"label": label, "kind": kind, "detail": detail, "filter_text": label,
               "sort_text": sort, "is_snippet": false})
    };
    json!({"items": [
        item("sep", "Variable", Some("str"), "b"),
        item("path", "Module", Some("module posixpath"), "a"),
        item("pardir", "Variable", Some("str"), "c"),
        item("getcwd", "Function", Some("getcwd()"), "d")
    ], "start_col": 3})
}

#[test]
fn completion_popup_filters_as_you_type_and_enter_accepts() {
    let (mut state, calls) = python_file(60, 12, &["import os\n", "os.\n", ""]);
    scroll_to(&mut state, 1, 1, 3);
    press(
        &mut state,
        KeyEvent::new(KeyCode::Char(' '), KeyModifiers::CONTROL),
    );
    let reqs = requests(&calls);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1, "symphony.lsp.completion");
    reply(&mut state, 1, reqs[0].0, completion_items());
    // The selected (first by sort text) item's documentation is asked for.
    let reqs = requests(&calls);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].1, "symphony.lsp.resolve_completion");
    assert_eq!(reqs[0].2, json!({"index": 1}));
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"documentation": "Common operations on POSIX pathnames.", "detail": "module posixpath"}),
    );
    let opened = screen(&state);
    // Typing filters the list (the core echoes the text and moves the caret).
    press(&mut state, key(KeyCode::Char('p')));
    press(&mut state, key(KeyCode::Char('a')));
    feed(&mut state, 1, plain_lines(&["import os\n", "os.pa\n", ""]));
    scroll_to(&mut state, 1, 1, 5);
    let filtered = screen(&state);
    insta::assert_snapshot!(format!("{opened}\n--- after typing `pa` ---\n{filtered}"));
    take(&calls);
    press(&mut state, key(KeyCode::Enter));
    let reqs = requests(&calls);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].1, "symphony.lsp.accept_completion");
    assert_eq!(reqs[0].2, json!({"index": 1}));
    assert!(state.lsp.completion.is_none());
    // Enter went to the popup, not into the buffer.
    assert!(
        !take(&calls)
            .iter()
            .any(|c| matches!(c, PortCall::Edit(_, E::InsertNewline)))
    );
}

#[test]
fn esc_closes_completion_and_moving_away_closes_it() {
    let (mut state, calls) = python_file(60, 10, &["os.\n", ""]);
    scroll_to(&mut state, 1, 0, 3);
    update(&mut state, Action::LspCompletion);
    let id = requests(&calls)[0].0;
    reply(&mut state, 1, id, completion_items());
    assert!(state.lsp.completion.is_some());
    press(&mut state, key(KeyCode::Esc));
    assert!(state.lsp.completion.is_none());
    // Esc was the popup's: no "single cursor" edit.
    assert!(
        !take(&calls)
            .iter()
            .any(|c| matches!(c, PortCall::Edit(_, E::CollapseSelections)))
    );
    update(&mut state, Action::LspCompletion);
    let id = requests(&calls)[0].0;
    reply(&mut state, 1, id, completion_items());
    // The caret goes before the dot: closed.
    scroll_to(&mut state, 1, 0, 1);
    assert!(state.lsp.completion.is_none());
}

#[test]
fn typing_a_dot_in_a_served_buffer_asks_for_completions() {
    let (mut state, calls) = python_file(60, 10, &["os\n", ""]);
    scroll_to(&mut state, 1, 0, 2);
    press(&mut state, key(KeyCode::Char('.')));
    // No server reported on the buffer yet: just the character.
    assert!(requests(&calls).is_empty());
    notify(
        &mut state,
        Some(1),
        "symphony.lsp.diagnostics",
        json!({"view_id": "view-id-1", "diagnostics": []}),
    );
    press(&mut state, key(KeyCode::Char('.')));
    let kinds: Vec<String> = take(&calls)
        .iter()
        .filter_map(|c| match c {
            PortCall::Edit(_, E::Insert { chars }) => Some(format!("insert {chars}")),
            PortCall::Request(_, _, m, _) => Some(m.clone()),
            _ => None,
        })
        .collect();
    // The character first, then the request (the core answers at the new caret).
    assert_eq!(kinds, vec!["insert .", "symphony.lsp.completion"]);
}

#[test]
fn hover_popup_shows_the_docstring_above_the_caret() {
    let (mut state, calls) = python_file(
        60,
        14,
        &[
            "import os\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "x = os.getcwd()\n",
            "",
        ],
    );
    scroll_to(&mut state, 1, 6, 9);
    press(
        &mut state,
        KeyEvent::new(KeyCode::Char('k'), KeyModifiers::CONTROL),
    );
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.hover");
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"contents": "```python\ngetcwd() -> str\n```\n\nReturn a unicode string representing the current working directory."}),
    );
    insta::assert_snapshot!(screen(&state));
    // Any key closes it.
    press(&mut state, key(KeyCode::Right));
    assert!(state.lsp.hover.is_none());
}

#[test]
fn signature_help_line_while_typing_arguments() {
    let (mut state, _) = python_file(
        60,
        8,
        &["def f(alpha, beta):\n", "    pass\n", "f(1, \n", ""],
    );
    scroll_to(&mut state, 1, 2, 5);
    notify(
        &mut state,
        Some(1),
        "symphony.lsp.signature_help",
        json!({"view_id": "view-id-1", "label": "f(alpha, beta)", "active_parameter": 1,
               "parameters": [[2, 7], [9, 13]], "documentation": "Adds them.\nMore."}),
    );
    let buf = render(&state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 1..2)));
    notify(
        &mut state,
        Some(1),
        "symphony.lsp.signature_help",
        json!({"view_id": "view-id-1", "label": ""}),
    );
    assert!(!screen(&state).contains("p f(alpha, beta)"));
    assert!(screen(&state).contains("    pass"));
}

fn diagnostics() -> Value {
    json!({"view_id": "view-id-1", "diagnostics": [
        {"line": 2, "col": 6, "end_line": 2, "end_col": 13, "severity": "error",
         "message": "undefined name 'missing'", "source": "pyflakes", "code": null},
        {"line": 0, "col": 0, "end_line": 0, "end_col": 9, "severity": "warning",
         "message": "'os' imported but unused", "source": "pyflakes", "code": null}
    ]})
}

#[test]
fn diagnostics_underline_sign_and_status() {
    let (mut state, _) = python_file(64, 8, &["import os\n", "\n", "print(missing)\n", ""]);
    notify(
        &mut state,
        Some(1),
        "symphony.lsp.diagnostics",
        diagnostics(),
    );
    scroll_to(&mut state, 1, 2, 8);
    let buf = render(&state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 0..3)));
    let status = text_of(&buf).lines().last().unwrap_or_default().to_owned();
    assert!(status.contains("undefined name 'missing'"), "{status}");
    assert!(status.contains("E1 W1"), "{status}");
}

#[test]
fn diagnostics_picker_jumps_to_the_picked_one() {
    let (mut state, calls) = python_file(70, 12, &["import os\n", "\n", "print(missing)\n", ""]);
    notify(
        &mut state,
        Some(1),
        "symphony.lsp.diagnostics",
        diagnostics(),
    );
    update(&mut state, Action::LspDiagnostics);
    insta::assert_snapshot!(screen(&state));
    take(&calls);
    press(&mut state, key(KeyCode::Down));
    press(&mut state, key(KeyCode::Enter));
    let gestures: Vec<(usize, usize)> = take(&calls)
        .into_iter()
        .filter_map(|c| match c {
            PortCall::Edit(1, E::Gesture { line, col, .. }) => Some((line, col)),
            _ => None,
        })
        .collect();
    assert_eq!(gestures, vec![(2, 6)]);
    assert!(state.overlays.is_empty());
}

#[test]
fn goto_definition_opens_the_file_and_alt_left_comes_back() {
    let (mut state, calls) = python_file(60, 10, &["from util import helper\n", "helper()\n", ""]);
    scroll_to(&mut state, 1, 1, 2);
    press(&mut state, key(KeyCode::F(12)));
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.goto");
    assert_eq!(reqs[0].2, json!({"kind": "definition"}));
    let util = format!("{CWD}/util.py");
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"locations": [{"path": util, "line": 3, "col": 4, "preview": "def helper():"}]}),
    );
    let calls_now = take(&calls);
    assert!(calls_now.contains(&PortCall::Open {
        path: Some(PathBuf::from(&util)),
        view: 2
    }));
    assert!(calls_now.iter().any(|c| matches!(
        c,
        PortCall::Edit(
            2,
            E::Gesture {
                line: 3,
                col: 4,
                ..
            }
        )
    )));
    assert_eq!(state.focused_view(), Some(2));
    press(&mut state, KeyEvent::new(KeyCode::Left, KeyModifiers::ALT));
    // Back in main.py (its buffer kept), caret where F12 was pressed.
    assert_eq!(state.focused_view(), Some(1));
    assert!(take(&calls).iter().any(|c| matches!(
        c,
        PortCall::Edit(
            1,
            E::Gesture {
                line: 1,
                col: 2,
                ..
            }
        )
    )));
}

#[test]
fn several_references_open_a_picker() {
    let (mut state, calls) =
        python_file(72, 12, &["def helper():\n", "    pass\n", "helper()\n", ""]);
    update(&mut state, Action::LspReferences);
    let reqs = requests(&calls);
    assert_eq!(reqs[0].2, json!({"kind": "references"}));
    let main = format!("{CWD}/main.py");
    let other = format!("{CWD}/pkg/other.py");
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"locations": [
            {"path": main, "line": 0, "col": 4, "preview": "def helper():"},
            {"path": main, "line": 2, "col": 0, "preview": "helper()"},
            {"path": other, "line": 9, "col": 8, "preview": "    x = helper()"}
        ]}),
    );
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn code_actions_picker_applies_the_picked_action() {
    let (mut state, calls) = python_file(60, 10, &["import os\n", ""]);
    press(&mut state, KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.code_actions");
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"actions": [{"title": "Remove unused import", "kind": "quickfix"},
                           {"title": "Organize imports", "kind": "source.organizeImports"}]}),
    );
    insta::assert_snapshot!(screen(&state));
    press(&mut state, key(KeyCode::Down));
    press(&mut state, key(KeyCode::Enter));
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.apply_code_action");
    assert_eq!(reqs[0].2, json!({"index": 1}));
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"files_changed": 1, "edits": 2}),
    );
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Applied: 2 edits in 1 file")
    );
}

#[test]
fn rename_prompt_starts_with_the_word_and_sends_the_new_name() {
    let (mut state, calls) = python_file(60, 10, &["value = 1\n", "print(value)\n", ""]);
    scroll_to(&mut state, 1, 1, 8);
    press(&mut state, key(KeyCode::F(2)));
    assert!(screen(&state).contains("Rename to: value"));
    for _ in 0..5 {
        press(&mut state, key(KeyCode::Backspace));
    }
    for c in "total".chars() {
        press(&mut state, key(KeyCode::Char(c)));
    }
    press(&mut state, key(KeyCode::Enter));
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.rename");
    assert_eq!(reqs[0].2, json!({"new_name": "total"}));
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"files_changed": 2, "edits": 3}),
    );
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Renamed: 3 edits in 2 files")
    );
    // A rename that also moved the module's file and deleted another.
    press(&mut state, key(KeyCode::F(2)));
    for _ in 0..5 {
        press(&mut state, key(KeyCode::Backspace));
    }
    for c in "sum".chars() {
        press(&mut state, key(KeyCode::Char(c)));
    }
    press(&mut state, key(KeyCode::Enter));
    let reqs = requests(&calls);
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"files_changed": 2, "edits": 3, "files_renamed": 1, "files_deleted": 1}),
    );
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Renamed: 3 edits in 2 files, 1 file renamed, 1 file deleted (to the trash)")
    );
}

#[test]
fn server_problems_are_messages_that_do_not_take_the_focus() {
    let (mut state, calls) = python_file(60, 8, &["x = 1\n", ""]);
    notify(
        &mut state,
        None,
        "symphony.lsp.status",
        json!({"language": "python", "server": "pylsp", "state": "not_installed",
               "message": "pylsp is not installed (python): no such command"}),
    );
    let s = screen(&state);
    assert!(s.contains("pylsp is not installed"), "{s}");
    assert!(s.contains("pylsp: not installed"), "{s}");
    assert!(state.overlays.is_empty());
    // Editing goes on; a failed explicit request says why.
    press(&mut state, key(KeyCode::Char('y')));
    update(&mut state, Action::LspHover);
    let id = requests(&calls)[0].0;
    on_session_event(
        &mut state,
        SessionEvent::Reply {
            view: ViewHandle(1),
            id,
            result: Err("no language server for python: pylsp not installed".into()),
        },
    );
    assert!(
        state
            .message
            .as_ref()
            .is_some_and(|m| m.error && m.text.starts_with("no language server"))
    );
}

#[test]
fn every_language_command_is_in_the_palette_with_its_key() {
    let (mut state, _) = python_file(90, 24, &["x\n", ""]);
    update(&mut state, Action::CommandPalette);
    for c in "code: go".chars() {
        press(&mut state, key(KeyCode::Char(c)));
    }
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn workspace_diagnostics_picker_lists_every_file_worst_first() {
    let (mut state, calls) = python_file(72, 12, &["x = 1\n", ""]);
    press(
        &mut state,
        KeyEvent::new(KeyCode::Char('E'), KeyModifiers::ALT),
    );
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.workspace_diagnostics");
    let d = |line: usize, severity: &str, message: &str| {
        json!({"line": line, "col": 0, "end_line": line, "end_col": 1, "severity": severity,
               "message": message, "source": null, "code": null})
    };
    reply(
        &mut state,
        1,
        reqs[0].0,
        json!({"files": [
            {"path": format!("{CWD}/a.py"), "diagnostics": [d(4, "warning", "unused variable 'y'")]},
            {"path": format!("{CWD}/lib/b.py"), "diagnostics": [d(0, "error", "invalid syntax")]}
        ]}),
    );
    insta::assert_snapshot!(screen(&state));
    take(&calls);
    // The first row (the error in lib/b.py) opens that file at the line.
    press(&mut state, key(KeyCode::Enter));
    let calls_now = take(&calls);
    assert!(calls_now.contains(&PortCall::Open {
        path: Some(PathBuf::from(format!("{CWD}/lib/b.py"))),
        view: 2
    }));
    assert!(calls_now.iter().any(|c| matches!(
        c,
        PortCall::Edit(
            2,
            E::Gesture {
                line: 0,
                col: 0,
                ..
            }
        )
    )));
}

#[test]
fn format_and_next_diagnostic() {
    let (mut state, calls) = python_file(60, 8, &["import os\n", "\n", "print(missing)\n", ""]);
    notify(
        &mut state,
        Some(1),
        "symphony.lsp.diagnostics",
        diagnostics(),
    );
    press(&mut state, key(KeyCode::F(8)));
    assert!(take(&calls).iter().any(|c| matches!(
        c,
        PortCall::Edit(
            1,
            E::Gesture {
                line: 2,
                col: 6,
                ..
            }
        )
    )));
    press(
        &mut state,
        KeyEvent::new(KeyCode::Char('F'), KeyModifiers::ALT),
    );
    let reqs = requests(&calls);
    assert_eq!(reqs[0].1, "symphony.lsp.format");
    assert_eq!(reqs[0].2, json!({"selection_only": false}));
    reply(&mut state, 1, reqs[0].0, json!({"edits": 3}));
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Formatted (3 edits)")
    );
    // A stale answer is dropped without a word.
    update(&mut state, Action::LspFormatSelection);
    let reqs = requests(&calls);
    assert_eq!(reqs[0].2, json!({"selection_only": true}));
    on_session_event(
        &mut state,
        SessionEvent::Reply {
            view: ViewHandle(1),
            id: reqs[0].0,
            result: Err("stale".into()),
        },
    );
    assert!(state.message.is_none());
}

#[test]
fn config_with_language_server_tables_is_accepted() {
    // `[lsp.<language>]` is the editor process's; the client must not refuse it.
    let text = "theme = \"x\"\n[lsp.python]\ncommand = \"pylsp\"\nargs = []\n\n[keys]\n\"f1\" = \"lsp_hover\"\n";
    let config = symphony_tui::config::Config::parse(text, "config.toml").expect("parses");
    let f1 = KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE);
    assert_eq!(config.keymap.lookup(&f1), Some(&Action::LspHover));
}

/// A python view a running server serves, whose trigger characters are `triggers`.
fn served_python(
    lines: &[&str],
    triggers: Value,
) -> (State, std::sync::Arc<std::sync::Mutex<Vec<PortCall>>>) {
    let (mut state, calls) = python_file(60, 10, lines);
    notify(
        &mut state,
        None,
        "symphony.lsp.status",
        json!({"language": "python", "server": "pylsp", "state": "running", "message": null,
               "completion_triggers": triggers}),
    );
    take(&calls);
    (state, calls)
}

#[test]
fn typing_an_identifier_opens_the_completion_popup_after_a_pause() {
    let (mut state, calls) = served_python(&["import os\n", ""], json!(["."]));
    scroll_to(&mut state, 1, 1, 0);
    press(&mut state, key(KeyCode::Char('o')));
    press(&mut state, key(KeyCode::Char('s')));
    // While typing: no request yet, a deadline the default pause away.
    assert!(requests(&calls).is_empty());
    let at = state.lsp.auto_complete_at.expect("a pause deadline");
    let wait = at.saturating_duration_since(std::time::Instant::now());
    assert!(wait <= std::time::Duration::from_millis(250), "{wait:?}");
    // The core echoes the text; then the pause ends (the loop's timer sends this).
    feed(&mut state, 1, plain_lines(&["import os\n", "os"]));
    scroll_to(&mut state, 1, 1, 2);
    update(
        &mut state,
        Action::Lsp(symphony_tui::lsp::LspAction::AutoComplete),
    );
    let reqs = requests(&calls);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].1, "symphony.lsp.completion");
    assert!(state.lsp.auto_complete_at.is_none());
    let mut items = completion_items();
    items["start_col"] = json!(0);
    items["items"][0]["label"] = json!("os");
    items["items"][0]["filter_text"] = json!("os");
    reply(&mut state, 1, reqs[0].0, items);
    assert!(state.lsp.completion.is_some(), "the popup opened by itself");
}

#[test]
fn another_key_before_the_pause_ends_cancels_the_auto_completion() {
    let (mut state, calls) = served_python(&["import os\n", ""], json!(["."]));
    scroll_to(&mut state, 1, 1, 0);
    press(&mut state, key(KeyCode::Char('o')));
    assert!(state.lsp.auto_complete_at.is_some());
    press(&mut state, key(KeyCode::Left));
    assert!(state.lsp.auto_complete_at.is_none(), "a move cancels it");
    press(&mut state, key(KeyCode::Char(' ')));
    assert!(
        state.lsp.auto_complete_at.is_none(),
        "a space is not a word"
    );
    // Fired anyway after a non-word character: nothing is asked.
    feed(&mut state, 1, plain_lines(&["import os\n", "o "]));
    scroll_to(&mut state, 1, 1, 2);
    update(
        &mut state,
        Action::Lsp(symphony_tui::lsp::LspAction::AutoComplete),
    );
    assert!(requests(&calls).is_empty());
}

#[test]
fn the_pause_is_configurable_and_0_turns_it_off() {
    let text = "[lsp]\nauto_complete_ms = 0\n[lsp.python]\ncommand = \"pylsp\"\n";
    let config = symphony_tui::config::Config::parse(text, "config.toml").expect("parses");
    assert_eq!(config.auto_complete_ms, 0);
    let (mut state, _calls) = state_with_config(Some("main.py"), 60, 10, config);
    feed(&mut state, 1, plain_lines(&["x\n", ""]));
    on_session_event(
        &mut state,
        SessionEvent::LanguageChanged {
            view: ViewHandle(1),
            language: "python".into(),
        },
    );
    notify(
        &mut state,
        None,
        "symphony.lsp.status",
        json!({"language": "python", "server": "pylsp", "state": "running", "message": null}),
    );
    press(&mut state, key(KeyCode::Char('o')));
    assert!(state.lsp.auto_complete_at.is_none());
    let e = symphony_tui::config::Config::parse("\n[lsp]\nauto_complete_ms = \"soon\"\n", "c")
        .expect_err("not a number");
    assert!(e.message.contains("auto_complete_ms"), "{e}");
    let c = symphony_tui::config::Config::parse("[lsp]\nauto_complete_ms = 80\n", "c").expect("ok");
    assert_eq!(c.auto_complete_ms, 80);
}

#[test]
fn the_servers_own_trigger_characters_ask_for_completions() {
    let (mut state, calls) = served_python(&["x\n", ""], json!(["@", "."]));
    scroll_to(&mut state, 1, 1, 0);
    press(&mut state, key(KeyCode::Char('@')));
    let reqs = requests(&calls);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].1, "symphony.lsp.completion");
    // `->` is not one of this server's: just the characters.
    press(&mut state, key(KeyCode::Char('-')));
    press(&mut state, key(KeyCode::Char('>')));
    assert!(requests(&calls).is_empty());
}
