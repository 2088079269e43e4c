//! Error messages as a user sees them: a long one wraps in rows of its own above
//! the status line (the panes shrink; the buffer's first rows stay readable), one
//! longer than a third of the screen is cut with a pointer to "Show messages",
//! which shows every message whole. Screens as insta snapshots (TestBackend).

mod common;

use common::*;
use symphony_tui::action::Action;
use symphony_tui::app::update;

const PYLSP: &str = "pylsp is not installed: the python language server was not found on \
PATH. Install it with `pip install python-lsp-server` or set [lsp.python] command in the \
config; completion, hover and diagnostics stay off for python files until then.";

#[test]
fn a_wrapped_error_takes_rows_above_the_status_line_not_the_buffers_first_rows() {
    let (mut state, _) = state_with(Some("app.py"), 60, 18);
    feed(
        &mut state,
        1,
        plain_lines(&["import os\n", "def main():\n", "    pass\n", ""]),
    );
    state.error(PYLSP);
    let s = screen(&state);
    let rows: Vec<&str> = s.lines().collect();
    assert!(rows[0].contains("import os"), "{s}");
    assert!(rows[1].contains("def main():"), "{s}");
    assert!(rows[2].contains("    pass"), "{s}");
    assert!(!s.contains("Show messages"), "it fits whole: {s}");
    insta::assert_snapshot!(s);
}

#[test]
fn an_error_longer_than_a_third_of_the_screen_is_cut_and_show_messages_has_it_whole() {
    let (mut state, _) = state_with(Some("app.py"), 40, 10);
    feed(&mut state, 1, plain_lines(&["import os\n", ""]));
    state.error(PYLSP);
    let s = screen(&state);
    assert!(s.contains("Show messages"), "{s}");
    assert!(
        s.lines().next().is_some_and(|l| l.contains("import os")),
        "{s}"
    );
    insta::assert_snapshot!("cut", s);
    update(&mut state, Action::ShowMessages);
    update(&mut state, Action::ZoomDock);
    let s = screen(&state);
    assert!(s.contains("Messages"), "{s}");
    assert!(
        s.contains("diagnostics stay off for"),
        "the whole text: {s}"
    );
    insta::assert_snapshot!("whole", s);
}

#[test]
fn a_short_notice_sits_above_the_status_line_not_on_a_panes_top_row() {
    let (mut state, _) = state_with(Some("app.py"), 60, 12);
    feed(
        &mut state,
        1,
        plain_lines(&["import os, sys, collections, itertools, pathlib\n", ""]),
    );
    state.say("Saved app.py");
    let s = screen(&state);
    let rows: Vec<&str> = s.lines().collect();
    assert!(
        rows[0].contains("itertools, pathlib"),
        "the first row keeps its text whole: {s}"
    );
    assert!(!rows[0].contains("Saved"), "{s}");
    let n = rows.len();
    assert!(
        rows[n - 2].contains("Saved app.py"),
        "the row above the status line: {s}"
    );
    insta::assert_snapshot!(s);
}
