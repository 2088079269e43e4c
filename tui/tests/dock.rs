//! The tool-pane dock as a user sees it: tool panes open in the dock beside the
//! editor (not by splitting the focused pane), the dock hides and comes back with
//! its panes' state, grows, flips below the editor and zooms; keys through the
//! real input path (the prefix, then the dock keys), screens as insta snapshots.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_tui::action::Action;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::Canned;
use symphony_tui::panes::{DockSide, PaneKind};

fn prefix(state: &mut State, key: char) {
    press(state, KeyCode::Char('b'), KeyModifiers::CONTROL);
    press(state, KeyCode::Char(key), KeyModifiers::NONE);
}

#[test]
fn tool_panes_share_the_dock_and_the_editor_keeps_its_width() {
    let (mut state, _rec) = conductor_state(Canned::default(), 80, 20);
    // From the AI pane (focused after the first), every other tool pane still
    // opens in the dock, not by splitting the pane with the focus.
    for key in ['a', 'g', 'A', 'P'] {
        prefix(&mut state, key);
    }
    assert!(matches!(state.windows.focused(), Some(PaneKind::Pool(_))));
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn the_dock_hides_and_comes_back_with_what_was_typed() {
    let (mut state, _rec) = conductor_state(Canned::default(), 80, 14);
    prefix(&mut state, 'a');
    typed(&mut state, "half a question");
    prefix(&mut state, 't');
    let hidden = screen(&state);
    assert!(!hidden.contains("half a question"), "{hidden}");
    assert!(
        matches!(state.windows.focused(), Some(PaneKind::Editor(_))),
        "hiding the dock gives the focus back to the editor"
    );
    insta::assert_snapshot!("dock_hidden", hidden);
    prefix(&mut state, 't');
    let shown = screen(&state);
    assert!(shown.contains("> half a question"), "{shown}");
    assert!(matches!(state.windows.focused(), Some(PaneKind::Ai(_))));
}

#[test]
fn the_dock_grows_flips_below_and_zooms() {
    let (mut state, _rec) = conductor_state(Canned::default(), 80, 14);
    prefix(&mut state, 'a');
    for _ in 0..2 {
        prefix(&mut state, '+');
    }
    insta::assert_snapshot!("dock_grown_right", screen(&state));
    prefix(&mut state, '|');
    assert_eq!(state.windows.dock.side, DockSide::Bottom);
    insta::assert_snapshot!("dock_below", screen(&state));
    prefix(&mut state, 'Z');
    let zoomed = screen(&state);
    assert!(
        !zoomed.contains("fn add"),
        "the dock fills the window: {zoomed}"
    );
    insta::assert_snapshot!("dock_zoomed", zoomed);
    prefix(&mut state, 'Z');
    assert!(screen(&state).contains("fn add"));
}

#[test]
fn a_dock_key_without_tool_panes_says_how_to_open_one() {
    let (mut state, _rec) = conductor_state(Canned::default(), 80, 14);
    update(&mut state, Action::ToggleDock);
    let s = screen(&state);
    assert!(s.contains("The dock is empty"), "{s}");
    assert!(s.contains("ctrl-b a"), "{s}");
}
