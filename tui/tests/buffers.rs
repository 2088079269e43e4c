//! The buffer picker and the quit question as a user sees them: open buffers listed with
//! the unsaved ones marked, Enter switching to one, the quit question naming the unsaved
//! buffers and leading to each, and a buffer opened from the artifacts pane reachable
//! after its pane was closed. Screens are TestBackend snapshots; the editor process is a
//! recording port whose answers are fed as it would send them.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::json;
use symphony_tui::action::Action;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::{Canned, RecordingConductor, install};
use symphony_tui::overlays::Overlay;
use symphony_tui::panes::PaneKind;

/// An update that marks `view`'s text as changed (not pristine).
fn modified(state: &mut State, view: u64, lines: &[&str]) {
    let mut u = plain_lines(lines);
    u["pristine"] = json!(false);
    feed(state, view, u);
}

/// notes.txt (unsaved) hidden behind todo.md (saved) in the only pane.
fn two_buffers() -> State {
    let (mut state, _calls) = state_with(Some("notes.txt"), 70, 14);
    modified(&mut state, 1, &["remember the milk\n", ""]);
    update(&mut state, Action::OpenPath("todo.md".into()));
    let todo = state.focused_view().expect("focused view");
    assert_ne!(todo, 1);
    feed(&mut state, todo, plain_lines(&["# todo\n", ""]));
    state
}

#[test]
fn the_buffer_picker_lists_open_buffers_marks_unsaved_ones_and_enter_switches() {
    let mut state = two_buffers();
    press(&mut state, KeyCode::Char('b'), KeyModifiers::ALT);
    let shown = screen(&state);
    assert!(shown.contains("● notes.txt"), "{shown}");
    assert!(shown.contains("todo.md"), "{shown}");
    insta::assert_snapshot!(shown);
    // notes.txt is first (hidden buffers before the one here): Enter shows it.
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(state.focused_view(), Some(1));
    assert!(state.overlays.is_empty());
}

#[test]
fn the_buffer_picker_focuses_the_pane_that_already_shows_the_buffer() {
    let mut state = two_buffers();
    // notes.txt back in the first pane, todo.md in a second one on its right.
    update(&mut state, Action::ShowBuffer(1));
    update(&mut state, Action::SplitRight);
    update(&mut state, Action::OpenPath("todo.md".into()));
    let right = state.windows.focus();
    update(&mut state, Action::FocusLeft);
    assert_ne!(state.windows.focus(), right);
    update(&mut state, Action::BufferPicker);
    typed(&mut state, "todo");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        state.windows.focus(),
        right,
        "the pane showing it got the focus"
    );
}

#[test]
fn the_quit_question_names_the_unsaved_buffers_and_b_leads_to_them() {
    let mut state = two_buffers();
    press(&mut state, KeyCode::Char('q'), KeyModifiers::CONTROL);
    let Some(Overlay::Confirm(c)) = state.overlays.last() else {
        panic!("a question");
    };
    assert_eq!(
        c.question,
        "Unsaved: notes.txt. Quit anyway? (y/n, b: show them)"
    );
    press(&mut state, KeyCode::Char('b'), KeyModifiers::NONE);
    let Some(Overlay::Buffers(p)) = state.overlays.last() else {
        panic!("the unsaved buffers");
    };
    assert_eq!(p.entries.len(), 1, "only the unsaved one: {:?}", p.entries);
    insta::assert_snapshot!(screen(&state));
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(state.focused_view(), Some(1));
    assert!(!state.quit);
    // From the unsaved list Ctrl-Q quits anyway.
    press(&mut state, KeyCode::Char('q'), KeyModifiers::CONTROL);
    press(&mut state, KeyCode::Char('b'), KeyModifiers::NONE);
    press(&mut state, KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert!(state.quit);
}

#[test]
fn a_buffer_opened_from_the_artifacts_pane_stays_reachable_after_its_pane_closes() {
    let (mut state, _calls) = state_with(Some("src/lib.rs"), 70, 14);
    let rec = RecordingConductor::new();
    *rec.canned.lock().expect("canned") = Canned {
        hits: vec![symphony_conductor::events::ArtifactHit {
            id: "a1".into(),
            kind: "diff".into(),
            title: "refactor add".into(),
            snippet: String::new(),
            tags: Vec::new(),
            pinned: false,
            run: None,
        }],
        texts: vec![("a1".into(), "-    a + b\n+    a.checked_add(b)\n".into())],
        ..Default::default()
    };
    install(&mut state, Box::new(rec.clone()));
    update(&mut state, Action::OpenArtifactsPane);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    answered(&mut state, &rec);
    typed(&mut state, "o");
    answered(&mut state, &rec);
    let Some(PaneKind::Editor(e)) = state.windows.focused() else {
        panic!("the artifact opens in an editor pane");
    };
    let view = e.view;
    // The core echoes the inserted text: an unsaved, unnamed buffer.
    modified(
        &mut state,
        view,
        &["-    a + b\n", "+    a.checked_add(b)\n", ""],
    );
    update(&mut state, Action::ClosePane);
    assert!(!state.windows.views().any(|(_, v)| v == view));
    update(&mut state, Action::BufferPicker);
    let Some(Overlay::Buffers(p)) = state.overlays.last() else {
        panic!("the buffer picker");
    };
    let entry = p
        .entries
        .iter()
        .find(|e| e.view == view)
        .expect("the artifact's buffer is listed");
    assert!(entry.dirty && entry.name.starts_with("[new "), "{entry:?}");
    assert_eq!(entry.hint, "-    a + b");
    let at = p.filtered.iter().position(|&i| p.entries[i].view == view);
    for _ in 0..at.unwrap_or(0) {
        press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(state.focused_view(), Some(view));
}
