//! The find bar shows its keys (Alt-R regex, Alt-C case, Alt-W whole word,
//! Alt-A all, Tab replace) and says `counting…` while the editor still searches.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::update;
use symphony_tui::session::{SessionEvent, ViewHandle};

fn find_status(state: &mut symphony_tui::app::State, status: serde_json::Value) {
    on_session_event(
        state,
        SessionEvent::FindStatus {
            view: ViewHandle(1),
            status: vec![serde_json::from_value(status).expect("find_status query")],
        },
    );
}

fn last_rows(shown: &str, n: usize) -> String {
    let rows: Vec<&str> = shown.lines().collect();
    rows[rows.len().saturating_sub(n)..].join("\n")
}

/// A key as the terminal sends it, through the keymap.
fn press(state: &mut symphony_tui::app::State, key: KeyEvent) {
    for a in symphony_tui::app::input::event_to_actions(state, crossterm::event::Event::Key(key)) {
        update(state, a);
    }
}

#[test]
fn the_find_bar_shows_its_keys_and_counting_until_the_count_is_final() {
    let (mut state, _) = state_with(None, 80, 6);
    feed(&mut state, 1, plain_lines(&["id-1 id-2\n", ""]));
    update(&mut state, Action::Find);
    for c in "id-".chars() {
        press(
            &mut state,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    find_status(
        &mut state,
        json!({"id": 1, "chars": "id-", "matches": 1, "lines": [1], "counting": true}),
    );
    let counting = screen(&state);
    assert!(counting.contains("counting… 1"), "{counting}");
    for key in ["Alt: R .* C Aa W ab A all", "Tab replace"] {
        assert!(counting.contains(key), "{key} is shown:\n{counting}");
    }
    find_status(&mut state, json!({"id": 1, "matches": 2}));
    let done = screen(&state);
    assert!(
        done.contains("2 matches") && !done.contains("counting"),
        "{done}"
    );

    // Tab opens the replace field, whose row shows its keys
    press(&mut state, KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    let replacing = screen(&state);
    insta::assert_snapshot!(format!(
        "{}\n---\n{}",
        last_rows(&counting, 2),
        last_rows(&replacing, 3)
    ));
}

#[test]
fn a_match_on_the_row_under_the_find_bar_scrolls_into_view_above_it() {
    let (mut state, _) = state_with(None, 60, 8);
    let texts: Vec<String> = (1..=30).map(|i| format!("line {i}\n")).collect();
    let lines: Vec<&str> = texts.iter().map(String::as_str).collect();
    feed(&mut state, 1, plain_lines(&lines));
    update(&mut state, Action::Replace);
    // 7 rows of text; the find bar and replace field cover the last two.
    // The editor selected a match on line 6 (0-based 5, the first covered row).
    scroll_to(&mut state, 1, 5, 0);
    let shown = screen(&state);
    let rows: Vec<&str> = shown.lines().collect();
    let find_row = rows
        .iter()
        .position(|r| r.starts_with("Find:"))
        .expect("find bar");
    let match_row = rows
        .iter()
        .position(|r| r.contains("line 6"))
        .unwrap_or_else(|| panic!("the match's line is on screen:\n{shown}"));
    assert!(
        match_row < find_row,
        "the match is above the find bar:\n{shown}"
    );
}
