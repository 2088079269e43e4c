//! A keystroke echoed ahead of the core redraws only the caret's row and the
//! status line (`ui::echo_damage` + `ui::draw_echo` through
//! `terminal::Screen::draw_rows`). What the terminal then shows must be exactly
//! the whole frame `ui::draw_screen` draws for the same state, whatever the
//! view looks like: styles, a gutter, diagnostics, soft wrap, horizontal
//! scroll, splits. These tests type through the real `update` and compare the
//! two, cell for cell, and replay the bytes written against the model of the
//! terminal the backend keeps.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::json;
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{State, update};
use symphony_tui::config::Config;
use symphony_tui::session::{SessionEvent, ViewHandle};
use symphony_tui::terminal::Screen;
use symphony_tui::ui::{draw_echo, draw_screen, echo_damage};

/// Types `keys` one at a time, each drawn as an echo; after each, what the
/// screen holds equals a whole fresh frame. Returns how many were echoed.
fn type_and_compare(state: &mut State, screen: &mut Screen<Vec<u8>>, keys: &[KeyCode]) -> usize {
    let mut drawn = 0;
    for k in keys {
        let before = echoed(state);
        press(state, *k, KeyModifiers::NONE);
        let rows = echo_damage(state, screen.area()).filter(|_| echoed(state) > before);
        let Some(rows) = rows else {
            screen
                .draw(|area, buf| draw_screen(state, area, buf))
                .expect("frame");
            continue;
        };
        assert!(
            screen
                .draw_rows(&rows, |area, buf| draw_echo(state, area, &rows, buf))
                .expect("rows")
        );
        drawn += 1;
        let full = render(state);
        assert_eq!(
            text_of(screen.buffer()),
            text_of(&full),
            "after {k:?}: the text differs from a whole frame"
        );
        assert_eq!(
            screen.buffer().content,
            full.content,
            "after {k:?}: styles differ from a whole frame"
        );
    }
    drawn
}

/// A full update of `texts` (each with its `\n`; `styles[i]`: the xi style
/// triples of line i) with the caret at (line, col), as the core sends it.
fn lines_with_caret(
    texts: &[&str],
    styles: &[&[u64]],
    (line, col): (usize, usize),
) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut l = json!({"text": t, "ln": i + 1});
            if let Some(st) = styles.get(i).filter(|s| !s.is_empty()) {
                l["styles"] = json!(st);
            }
            if i == line {
                l["cursor"] = json!([col]);
            }
            l
        })
        .collect();
    json!({"ops": [{"op": "ins", "n": lines.len(), "lines": lines}], "pristine": true,
           "annotations": [{"type": "selection", "n": 1, "ranges": [[line, col, line, col]], "payloads": null}]})
}

/// Keystrokes the focused view shows ahead of the core.
fn echoed(state: &State) -> usize {
    state
        .focused_data()
        .map_or(0, |d| d.cache.pending_predictions())
}

fn chars(s: &str) -> Vec<KeyCode> {
    s.chars().map(KeyCode::Char).collect()
}

fn styled_rust(state: &mut State, caret: (usize, usize)) {
    def_style(state, 8, 0xff5f87ff, Some(700), None);
    def_style(state, 9, 0x87d75fff, None, Some(true));
    feed(
        state,
        1,
        lines_with_caret(
            &["fn main() {\n", "    let s = \"hi\";\n", "}\n"],
            &[&[0, 2, 8], &[4, 3, 8, 5, 4, 9]],
            caret,
        ),
    );
    scroll_to(state, 1, caret.0, caret.1);
}

#[test]
fn typing_in_a_highlighted_line_matches_a_whole_frame() {
    let (mut state, _) = state_with(Some("main.rs"), 60, 8);
    styled_rust(&mut state, (1, 8));
    let mut screen = screen_for(&state);
    let mut keys = chars("xyz");
    keys.push(KeyCode::Backspace);
    keys.extend(chars("é="));
    assert_eq!(type_and_compare(&mut state, &mut screen, &keys), keys.len());
    let shown = text_of(screen.buffer());
    assert!(shown.contains("let xyé=s = \"hi\";"), "{shown}");
}

#[test]
fn the_echo_writes_little_and_the_backend_model_agrees() {
    let (mut state, _) = state_with(Some("main.rs"), 80, 12);
    styled_rust(&mut state, (1, 4));
    let mut screen = screen_for(&state);
    let before = screen.backend().bytes_written();
    assert_eq!(type_and_compare(&mut state, &mut screen, &chars("q")), 1);
    let bytes = screen.backend().bytes_written() - before;
    // One shifted row, the character, the status line's column, the cursor.
    assert!(bytes < 60, "{bytes} bytes for one key");
    // A whole frame drawn now finds nothing left to write.
    let before = screen.backend().bytes_written();
    screen
        .draw(|area, buf| draw_screen(&state, area, buf))
        .expect("frame");
    let redrawn = screen.backend().bytes_written() - before;
    assert!(
        redrawn < 12,
        "a whole frame after the echo wrote {redrawn} bytes"
    );
}

#[test]
fn soft_wrap_and_horizontal_scroll_match_a_whole_frame() {
    let long = format!("{}\n", "word ".repeat(30));
    let config = Config {
        soft_wrap: true,
        ..Config::default()
    };
    let (mut state, _) = state_with_config(Some("notes.txt"), 40, 10, config);
    feed(
        &mut state,
        1,
        lines_with_caret(&["short\n", &long, "tail\n", ""], &[], (0, 5)),
    );
    scroll_to(&mut state, 1, 0, 5);
    let mut screen = screen_for(&state);
    assert_eq!(type_and_compare(&mut state, &mut screen, &chars("ab")), 2);
    // The long line wraps: typing there is drawn whole, and still matches.
    feed(
        &mut state,
        1,
        lines_with_caret(&["shortab\n", &long, "tail\n", ""], &[], (1, 3)),
    );
    scroll_to(&mut state, 1, 1, 3);
    screen
        .draw(|area, buf| draw_screen(&state, area, buf))
        .expect("frame");
    assert_eq!(type_and_compare(&mut state, &mut screen, &chars("cd")), 0);

    let (mut state, _) = state_with(Some("wide.txt"), 30, 6);
    feed(
        &mut state,
        1,
        lines_with_caret(&[&long, "x\n", ""], &[], (0, 100)),
    );
    scroll_to(&mut state, 1, 0, 100);
    let mut screen = screen_for(&state);
    assert_eq!(type_and_compare(&mut state, &mut screen, &chars("zz")), 2);
}

#[test]
fn a_split_and_diagnostics_match_a_whole_frame() {
    let (mut state, _) = state_with(Some("main.py"), 70, 12);
    let py = ["import os\n", "\n", "print(missing)\n", ""];
    feed(&mut state, 1, lines_with_caret(&py, &[], (2, 8)));
    on_session_event(
        &mut state,
        SessionEvent::LanguageChanged {
            view: ViewHandle(1),
            language: "python".into(),
        },
    );
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
    // The new pane shows the same buffer in a view of its own.
    feed(&mut state, 2, lines_with_caret(&py, &[], (2, 9)));
    scroll_to(&mut state, 2, 2, 9);
    let mut screen = screen_for(&state);
    let n = type_and_compare(&mut state, &mut screen, &chars("ab"));
    assert_eq!(n, 2);
    update(&mut state, Action::FocusLeft);
    scroll_to(&mut state, 1, 2, 8);
    screen
        .draw(|area, buf| draw_screen(&state, area, buf))
        .expect("frame");
    let n = type_and_compare(&mut state, &mut screen, &chars("xy"));
    assert_eq!(n, 2);
}

#[test]
fn overlays_and_messages_draw_the_whole_frame() {
    let (mut state, _) = state_with(Some("main.rs"), 60, 8);
    styled_rust(&mut state, (1, 8));
    state.error("something went wrong");
    assert!(echo_damage(&state, ratatui::layout::Rect::new(0, 0, 60, 8)).is_none());
    state.message = None;
    update(&mut state, Action::Find);
    assert!(echo_damage(&state, ratatui::layout::Rect::new(0, 0, 60, 8)).is_none());
}
