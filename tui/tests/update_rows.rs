//! The core's `update` (and caret move) of the focused view redraws only the
//! rows it changed (`ui::RowPrints` taken before and after it, drawn by
//! `app::frame::draw_changes` through `terminal::Screen::draw_rows`). What the
//! terminal then shows must be exactly the whole frame `ui::draw_screen` draws
//! for the same state: these tests apply the core's events as the client's
//! loop does and compare the two, cell for cell, for confirmations, styles
//! that change on later lines, lines inserted and removed, lines not received
//! yet, soft wrap, selections, diagnostics, splits and scrolling; a property
//! test does the same for random edits.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use proptest::prelude::*;
use serde_json::{Value, json};
use symphony_tui::action::Action;
use symphony_tui::app::frame::{Drawn, EchoRows, changes_rows_only, draw_changes, draw_echo_rows};
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{State, update};
use symphony_tui::config::Config;
use symphony_tui::session::{SessionEvent, ViewHandle};
use symphony_tui::terminal::Screen;
use symphony_tui::ui::{RowPrints, draw_screen};

/// The wire form of an `update` event for view `view`.
fn update_event(view: u64, update: Value) -> SessionEvent {
    SessionEvent::Update {
        view: ViewHandle(view),
        update: serde_json::from_value(update).expect("update JSON"),
    }
}

fn scroll_event(view: u64, line: usize, col: usize) -> SessionEvent {
    SessionEvent::ScrollTo {
        view: ViewHandle(view),
        line,
        col,
    }
}

/// Applies `events` as the client's loop does (the prints are taken before
/// the first when it only changes rows, and dropped by any other), draws what
/// changed, and checks the screen against a whole fresh frame.
fn apply_and_compare(
    state: &mut State,
    screen: &mut Screen<Vec<u8>>,
    events: Vec<SessionEvent>,
) -> Drawn {
    let area = screen.area();
    let mut before = None;
    let mut spoiled = false;
    for (i, ev) in events.into_iter().enumerate() {
        if changes_rows_only(state, &ev) {
            if i == 0 {
                before = RowPrints::take(state, area);
            }
        } else {
            spoiled = true;
        }
        on_session_event(state, ev);
    }
    if spoiled {
        before = None;
    }
    let drawn = draw_changes(screen, state, before).expect("draw");
    let full = render(state);
    assert_eq!(
        text_of(screen.buffer()),
        text_of(&full),
        "the text differs from a whole frame ({drawn:?})"
    );
    assert_eq!(
        screen.buffer().content,
        full.content,
        "styles differ from a whole frame ({drawn:?})"
    );
    drawn
}

fn line(text: &str, ln: usize, styles: &[u64], cursor: Option<usize>) -> Value {
    let mut l = json!({"text": text, "ln": ln});
    if !styles.is_empty() {
        l["styles"] = json!(styles);
    }
    if let Some(c) = cursor {
        l["cursor"] = json!([c]);
    }
    l
}

fn caret_annotation(line: usize, col: usize) -> Value {
    json!([{"type": "selection", "n": 1, "ranges": [[line, col, line, col]], "payloads": null}])
}

fn styled_rust(state: &mut State, caret: (usize, usize)) {
    def_style(state, 8, 0xff5f87ff, Some(700), None);
    def_style(state, 9, 0x87d75fff, None, Some(true));
    let lines = vec![
        line("fn main() {\n", 1, &[0, 2, 8], None),
        line(
            "    let s = \"hi\";\n",
            2,
            &[4, 3, 8, 5, 4, 9],
            Some(caret.1).filter(|_| caret.0 == 1),
        ),
        line("    s.len();\n", 3, &[], None),
        line("}\n", 4, &[], None),
    ];
    feed(
        state,
        1,
        json!({"ops": [{"op": "ins", "n": 4, "lines": lines}], "pristine": true,
               "annotations": caret_annotation(caret.0, caret.1)}),
    );
    scroll_to(state, 1, caret.0, caret.1);
}

#[test]
fn the_core_confirming_a_typed_key_redraws_its_row_and_the_status_line() {
    let (mut state, _) = state_with(Some("main.rs"), 60, 10);
    styled_rust(&mut state, (1, 8));
    let mut screen = screen_for(&state);
    // The key is echoed ahead of the core, as the loop does.
    press(&mut state, KeyCode::Char('x'), KeyModifiers::NONE);
    assert!(draw_echo_rows(&mut screen, &mut state, EchoRows::Both).expect("echo"));
    // The core's answer: the line with the character, restyled, and the caret.
    let bytes_before = screen.backend().bytes_written();
    let confirm = json!({"ops": [
        {"op": "copy", "n": 1, "ln": 1},
        {"op": "skip", "n": 1},
        {"op": "ins", "n": 1, "lines": [line("    let xs = \"hi\";\n", 2, &[4, 3, 8, 6, 4, 9], Some(9))]},
        {"op": "copy", "n": 2, "ln": 3}],
        "pristine": false, "annotations": caret_annotation(1, 9)});
    let drawn = apply_and_compare(
        &mut state,
        &mut screen,
        vec![update_event(1, confirm), scroll_event(1, 1, 9)],
    );
    // The row already shows the key as the core styles it: only the status line.
    assert_eq!(drawn, Drawn::Rows(1));
    let bytes = screen.backend().bytes_written() - bytes_before;
    assert!(bytes < 80, "{bytes} bytes for the confirmation");
    assert!(text_of(screen.buffer()).contains("let xs = \"hi\";"));
}

#[test]
fn styles_that_change_on_later_lines_redraw_those_rows_only() {
    let (mut state, _) = state_with(Some("main.rs"), 60, 10);
    styled_rust(&mut state, (1, 4));
    let mut screen = screen_for(&state);
    // An opened string: the rest of the file turns into string colour.
    let restyled = json!({"ops": [
        {"op": "copy", "n": 1, "ln": 1},
        {"op": "skip", "n": 3},
        {"op": "ins", "n": 3, "lines": [
            line("    \"let s = \"hi\";\n", 2, &[4, 14, 9], Some(5)),
            line("    s.len();\n", 3, &[0, 12, 9], None),
            line("}\n", 4, &[0, 1, 9], None)]}],
        "pristine": false, "annotations": caret_annotation(1, 5)});
    let drawn = apply_and_compare(
        &mut state,
        &mut screen,
        vec![update_event(1, restyled), scroll_event(1, 1, 5)],
    );
    assert_eq!(drawn, Drawn::Rows(4));
}

#[test]
fn lines_inserted_and_removed_shift_the_rows_below_and_nothing_above() {
    let (mut state, _) = state_with(Some("notes.txt"), 40, 12);
    let texts: Vec<String> = (0..20).map(|i| format!("line {i}\n")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    feed(&mut state, 1, plain_lines(&refs));
    scroll_to(&mut state, 1, 0, 0);
    let mut screen = screen_for(&state);
    // A line pasted after line 5 (numbers from the core follow it).
    let pasted = json!({"ops": [
        {"op": "copy", "n": 6, "ln": 1},
        {"op": "ins", "n": 1, "lines": [line("pasted\n", 7, &[], Some(6))]},
        {"op": "copy", "n": 14, "ln": 8}],
        "pristine": false, "annotations": caret_annotation(6, 6)});
    let drawn = apply_and_compare(
        &mut state,
        &mut screen,
        vec![update_event(1, pasted), scroll_event(1, 6, 6)],
    );
    // The new row 6 and rows 7..11 that shifted, row 0 that lost the caret,
    // and the status line.
    assert_eq!(drawn, Drawn::Rows(7));
    // Line 2 removed: every row from it down moves up.
    let removed = json!({"ops": [
        {"op": "copy", "n": 2, "ln": 1},
        {"op": "skip", "n": 1},
        {"op": "copy", "n": 18, "ln": 3}],
        "pristine": false, "annotations": caret_annotation(5, 6)});
    let drawn = apply_and_compare(
        &mut state,
        &mut screen,
        vec![update_event(1, removed), scroll_event(1, 5, 6)],
    );
    assert_eq!(drawn, Drawn::Rows(10));
}

#[test]
fn lines_not_received_yet_draw_blank_rows_then_their_text() {
    let (mut state, _) = state_with(Some("big.log"), 40, 8);
    let texts: Vec<String> = (0..6).map(|i| format!("entry {i}\n")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    feed(&mut state, 1, plain_lines(&refs));
    scroll_to(&mut state, 1, 0, 0);
    let mut screen = screen_for(&state);
    let invalid = json!({"ops": [{"op": "copy", "n": 2, "ln": 1}, {"op": "invalidate", "n": 4}],
                         "pristine": true});
    apply_and_compare(&mut state, &mut screen, vec![update_event(1, invalid)]);
    let back = json!({"ops": [{"op": "copy", "n": 2, "ln": 1}, {"op": "skip", "n": 4},
                              {"op": "ins", "n": 4, "lines": [
                                  line("entry 2\n", 3, &[], None), line("entry 3\n", 4, &[], None),
                                  line("entry 4\n", 5, &[], None), line("entry 5\n", 6, &[], None)]}],
                      "pristine": true});
    let drawn = apply_and_compare(&mut state, &mut screen, vec![update_event(1, back)]);
    assert_eq!(drawn, Drawn::Rows(5));
}

#[test]
fn a_wider_gutter_or_a_scroll_draws_the_whole_frame() {
    let (mut state, _) = state_with(Some("notes.txt"), 40, 8);
    let texts: Vec<String> = (0..999).map(|i| format!("n{i}\n")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    feed(&mut state, 1, plain_lines(&refs));
    scroll_to(&mut state, 1, 0, 0);
    let mut screen = screen_for(&state);
    // The thousandth line: four digits of line numbers.
    let grown = json!({"ops": [{"op": "copy", "n": 999, "ln": 1},
                               {"op": "ins", "n": 1, "lines": [line("n999\n", 1000, &[], None)]}],
                       "pristine": false});
    let drawn = apply_and_compare(&mut state, &mut screen, vec![update_event(1, grown)]);
    assert_eq!(drawn, Drawn::Frame);
    // The caret goes to line 500: the pane scrolls.
    let drawn = apply_and_compare(&mut state, &mut screen, vec![scroll_event(1, 500, 0)]);
    assert_eq!(drawn, Drawn::Frame);
    // The caret moves inside the pane: two rows and the status line.
    let drawn = apply_and_compare(&mut state, &mut screen, vec![scroll_event(1, 499, 1)]);
    assert!(matches!(drawn, Drawn::Rows(n) if n <= 3), "{drawn:?}");
}

#[test]
fn soft_wrap_selections_and_find_ranges_match_a_whole_frame() {
    let config = Config {
        soft_wrap: true,
        ..Config::default()
    };
    let (mut state, _) = state_with_config(Some("notes.txt"), 30, 10, config);
    feed(
        &mut state,
        1,
        plain_lines(&["short\n", "a medium line\n", "tail\n", ""]),
    );
    scroll_to(&mut state, 1, 0, 0);
    let mut screen = screen_for(&state);
    // Line 1 grows past the width: it wraps and pushes the rows below.
    let long = format!("{}\n", "word ".repeat(12));
    let wrapped = json!({"ops": [{"op": "copy", "n": 1, "ln": 1}, {"op": "skip", "n": 1},
                                 {"op": "ins", "n": 1, "lines": [line(&long, 2, &[], None)]},
                                 {"op": "copy", "n": 2, "ln": 3}],
                         "pristine": false,
                         "annotations": [
                             {"type": "selection", "n": 1, "ranges": [[0, 1, 1, 7]], "payloads": null},
                             {"type": "find", "n": 1, "ranges": [[2, 0, 2, 2]], "payloads": null}]});
    let drawn = apply_and_compare(&mut state, &mut screen, vec![update_event(1, wrapped)]);
    assert!(matches!(drawn, Drawn::Rows(_)), "{drawn:?}");
    // The selection and the find highlight go away: the selection's four rows
    // (line 1 wraps on three), the find's row and the status line.
    let cleared = json!({"ops": [{"op": "copy", "n": 4, "ln": 1}], "pristine": false,
                         "annotations": caret_annotation(0, 1)});
    let drawn = apply_and_compare(&mut state, &mut screen, vec![update_event(1, cleared)]);
    assert_eq!(drawn, Drawn::Rows(6));
}

#[test]
fn a_split_showing_another_file_and_diagnostics_match_a_whole_frame() {
    let (mut state, _) = state_with(Some("main.py"), 70, 12);
    let py = ["import os\n", "\n", "print(missing)\n", ""];
    feed(&mut state, 1, plain_lines(&py));
    on_session_event(
        &mut state,
        SessionEvent::Lsp {
            view: Some(ViewHandle(1)),
            method: "symphony.lsp.diagnostics".into(),
            params: json!({"view_id": "view-id-1", "diagnostics": [
                {"line": 2, "col": 6, "end_line": 2, "end_col": 13, "severity": "error",
                 "message": "undefined name 'missing'", "source": "pyflakes", "code": null}
            ]}),
        },
    );
    update(&mut state, Action::SplitRight);
    feed(&mut state, 2, plain_lines(&py));
    scroll_to(&mut state, 2, 0, 0);
    update(&mut state, Action::FocusLeft);
    scroll_to(&mut state, 1, 1, 0);
    let mut screen = screen_for(&state);
    // Two views of one buffer: each gets its own update, and this one's
    // changes only the focused pane's row (and the status line).
    let typed = json!({"ops": [{"op": "copy", "n": 1, "ln": 1}, {"op": "skip", "n": 1},
                               {"op": "ins", "n": 1, "lines": [line("x\n", 2, &[], Some(1))]},
                               {"op": "copy", "n": 2, "ln": 3}],
                       "pristine": false, "annotations": caret_annotation(1, 1)});
    let drawn = apply_and_compare(
        &mut state,
        &mut screen,
        vec![update_event(1, typed.clone())],
    );
    assert_eq!(drawn, Drawn::Rows(2));
    // The other pane's view updated while this one has the focus: a whole frame too.
    let drawn = apply_and_compare(&mut state, &mut screen, vec![update_event(2, typed)]);
    assert_eq!(drawn, Drawn::Frame);
    // The right pane shows another file: the left one's edits draw rows only.
    update(&mut state, Action::FocusRight);
    feed(&mut state, 2, plain_lines(&["other\n", ""]));
    update(&mut state, Action::FocusLeft);
    screen
        .draw(|area, buf| draw_screen(&state, area, buf))
        .expect("frame");
    let more = json!({"ops": [{"op": "copy", "n": 1, "ln": 1}, {"op": "skip", "n": 1},
                              {"op": "ins", "n": 1, "lines": [line("xy\n", 2, &[], Some(2))]},
                              {"op": "copy", "n": 2, "ln": 3}],
                      "pristine": false, "annotations": caret_annotation(1, 2)});
    let drawn = apply_and_compare(
        &mut state,
        &mut screen,
        vec![update_event(1, more), scroll_event(1, 1, 2)],
    );
    assert_eq!(drawn, Drawn::Rows(2));
}

/// One random change of the core, to a model of the buffer's lines.
#[derive(Debug, Clone)]
enum Change {
    Replace(usize, String, u64),
    Insert(usize, String),
    Remove(usize),
    Caret(usize, usize),
    Select(usize, usize),
}

fn arb_change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), "[a-z \té✓]{0,50}", 0u64..3)
            .prop_map(|(i, t, s)| Change::Replace(i, t, s)),
        (any::<usize>(), "[a-z ]{0,20}").prop_map(|(i, t)| Change::Insert(i, t)),
        any::<usize>().prop_map(Change::Remove),
        (any::<usize>(), 0usize..8).prop_map(|(i, c)| Change::Caret(i, c)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Change::Select(a, b)),
    ]
}

/// The core's events for `change` applied to `lines` (texts without `\n`).
fn events_for(lines: &mut Vec<String>, change: Change) -> Vec<SessionEvent> {
    let n = lines.len();
    let wire = |t: &str, ln: usize, style: u64| {
        let styles: Vec<u64> = if style > 0 && !t.is_empty() {
            vec![0, 1, 7 + style]
        } else {
            vec![]
        };
        line(&format!("{t}\n"), ln, &styles, None)
    };
    let ops = match change {
        Change::Replace(i, t, s) => {
            let i = i % n;
            lines[i] = t.clone();
            json!([{"op": "copy", "n": i, "ln": 1}, {"op": "skip", "n": 1},
                   {"op": "ins", "n": 1, "lines": [wire(&t, i + 1, s)]},
                   {"op": "copy", "n": n - i - 1, "ln": i + 2}])
        }
        Change::Insert(i, t) => {
            let i = i % (n + 1);
            lines.insert(i, t.clone());
            json!([{"op": "copy", "n": i, "ln": 1},
                   {"op": "ins", "n": 1, "lines": [wire(&t, i + 1, 0)]},
                   {"op": "copy", "n": n - i, "ln": i + 2}])
        }
        Change::Remove(i) if n > 1 => {
            let i = i % n;
            lines.remove(i);
            json!([{"op": "copy", "n": i, "ln": 1}, {"op": "skip", "n": 1},
                   {"op": "copy", "n": n - i - 1, "ln": i + 1}])
        }
        Change::Remove(_) => json!([{"op": "copy", "n": n, "ln": 1}]),
        Change::Caret(i, c) => {
            let i = i % n;
            let c = c.min(lines[i].len());
            let c = (0..=c)
                .rev()
                .find(|c| lines[i].is_char_boundary(*c))
                .unwrap_or(0);
            return vec![scroll_event(1, i, c)];
        }
        Change::Select(a, b) => {
            let (a, b) = (a % n, b % n);
            let (a, b) = (a.min(b), a.max(b));
            return vec![update_event(
                1,
                json!({"ops": [{"op": "copy", "n": n, "ln": 1}], "pristine": false,
                       "annotations": [{"type": "selection", "n": 1,
                                        "ranges": [[a, 0, b, lines[b].len()]], "payloads": null}]}),
            )];
        }
    };
    vec![update_event(1, json!({"ops": ops, "pristine": false}))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_edits_of_the_core_match_a_whole_frame(
        start in proptest::collection::vec("[a-z \t]{0,40}", 1..30),
        frames in proptest::collection::vec(proptest::collection::vec(arb_change(), 1..4), 1..12),
        wrap in any::<bool>(),
        height in 4u16..14,
    ) {
        let config = Config { soft_wrap: wrap, ..Config::default() };
        let (mut state, _) = state_with_config(Some("notes.txt"), 36, height, config);
        def_style(&mut state, 8, 0xff5f87ff, Some(700), None);
        def_style(&mut state, 9, 0x87d75fff, None, Some(true));
        let mut lines = start.clone();
        let texts: Vec<String> = lines.iter().map(|l| format!("{l}\n")).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        feed(&mut state, 1, plain_lines(&refs));
        scroll_to(&mut state, 1, 0, 0);
        let mut screen = screen_for(&state);
        for changes in frames {
            let events: Vec<SessionEvent> =
                changes.into_iter().flat_map(|c| events_for(&mut lines, c)).collect();
            apply_and_compare(&mut state, &mut screen, events);
        }
    }
}
