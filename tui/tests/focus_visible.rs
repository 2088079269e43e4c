//! Focus at a glance: only the focused editor pane has a block cursor (an inactive
//! pane marks its caret with an underline), the border beside the focused pane is
//! lit, and the status line says which tool pane has the focus.

mod common;

use common::*;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use serde_json::json;
use symphony_tui::action::Action;
use symphony_tui::app::{State, update};

fn two_panes() -> State {
    let (mut state, _) = state_with(Some("a.txt"), 41, 8);
    feed(
        &mut state,
        1,
        json!({"ops": [{"op": "ins", "n": 2, "lines": [
            {"text": "hello\n", "ln": 1, "cursor": [2]}, {"text": "", "ln": 2}]}],
            "pristine": true}),
    );
    update(&mut state, Action::SplitRight);
    state
}

fn border_x(buf: &Buffer) -> u16 {
    (0..buf.area.width)
        .find(|x| buf[(*x, 0)].symbol() == "│")
        .expect("a vertical border")
}

/// The column where "hello" starts on row 0, from column `from`.
fn hello_x(buf: &Buffer, from: u16) -> u16 {
    (from..buf.area.width)
        .find(|x| buf[(*x, 0)].symbol() == "h")
        .unwrap_or_else(|| panic!("hello on row 0 from {from}:\n{}", text_of(buf)))
}

#[test]
fn only_the_focused_pane_has_a_block_cursor_and_the_border_beside_it_is_lit() {
    let state = two_panes();
    let buf = render(&state);
    let b = border_x(&buf);
    assert!(b > 2, "two panes side by side");
    // The left pane is inactive: its caret (byte 2 of "hello") is underlined, not reversed.
    let h = hello_x(&buf, 0);
    let left = buf[(h + 2, 0)].style();
    assert!(
        !left.add_modifier.contains(Modifier::REVERSED),
        "no block cursor in the inactive pane: {left:?}"
    );
    assert!(left.add_modifier.contains(Modifier::UNDERLINED), "{left:?}");
    assert_eq!(buf[(b, 0)].style().fg, Some(Color::Green), "lit border");
    // Focused again, the left pane's caret is the terminal's cursor there.
    let mut state = state;
    update(&mut state, Action::FocusLeft);
    let buf = render(&state);
    let left = buf[(h + 2, 0)].style();
    assert!(
        !left.add_modifier.contains(Modifier::UNDERLINED),
        "the focused pane's caret is the terminal cursor: {left:?}"
    );
}

#[test]
fn the_status_line_names_the_tool_pane_that_has_the_focus() {
    let mut state = two_panes();
    update(&mut state, Action::OpenAiPane);
    let s = screen(&state);
    let status = s.lines().last().unwrap_or_default().to_owned();
    assert!(status.contains("AI pane has the focus"), "{s}");
    let buf = render(&state);
    for y in 0..buf.area.height - 1 {
        for x in 0..buf.area.width {
            let st = buf[(x, y)].style();
            assert!(
                !(buf[(x, y)].symbol() == "l" && st.add_modifier.contains(Modifier::REVERSED)),
                "no editor pane shows a block cursor while a tool pane has the focus"
            );
        }
    }
}
