//! Behaviour of `update(state, action)` and the event-to-action function, as
//! a user sees it: keys in, edits to the editor and state changes out.

mod common;

use std::path::PathBuf;

use common::*;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use symphony_protocol::xi::{
    EditNotification as E, GestureType, LineRange, SelectionGranularity, SelectionModifier, Size,
};
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::overlays::Overlay;
use symphony_tui::panes::PaneKind;
use symphony_tui::session::{RecoverAction, SessionEvent, ViewHandle};

fn event(state: &mut State, ev: Event) {
    for a in event_to_actions(state, ev) {
        update(state, a);
    }
}

fn press(state: &mut State, code: KeyCode, mods: KeyModifiers) {
    event(state, Event::Key(KeyEvent::new(code, mods)));
}

fn key(state: &mut State, c: char) {
    press(state, KeyCode::Char(c), KeyModifiers::NONE);
}

fn ctrl(state: &mut State, c: char) {
    press(state, KeyCode::Char(c), KeyModifiers::CONTROL);
}

fn edits(calls: Vec<PortCall>) -> Vec<(u64, E)> {
    calls
        .into_iter()
        .filter_map(|c| match c {
            PortCall::Edit(v, e) => Some((v, e)),
            _ => None,
        })
        // Scroll and resize are bookkeeping; tests that care look for them.
        .filter(|(_, e)| !matches!(e, E::Scroll(_) | E::Resize(_)))
        .collect()
}

fn dirty(state: &mut State, view: u64) {
    feed(
        state,
        view,
        serde_json::json!({"ops": [{"op": "ins", "n": 2, "lines": [{"text": "x\n", "ln": 1}, {"text": "", "ln": 2}]}], "pristine": false}),
    );
}

#[test]
fn startup_opens_the_file_and_tells_the_core_the_view_size() {
    let (_state, calls) = state_with(Some("a.rs"), 40, 10);
    let calls = take(&calls);
    assert!(calls.contains(&PortCall::Open {
        path: Some(PathBuf::from(CWD).join("a.rs")),
        view: 1
    }));
    // 40 columns less a 4-column gutter, 10 rows less the status line.
    assert!(calls.contains(&PortCall::Edit(
        1,
        E::Resize(Size {
            width: 36,
            height: 9
        })
    )));
    assert!(calls.contains(&PortCall::Edit(1, E::Scroll(LineRange(0, 10)))));
}

#[test]
fn typing_and_editing_keys_become_edits() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    key(&mut state, 'h');
    key(&mut state, 'é');
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    press(
        &mut state,
        KeyCode::Left,
        KeyModifiers::SHIFT | KeyModifiers::CONTROL,
    );
    press(&mut state, KeyCode::Home, KeyModifiers::CONTROL);
    press(&mut state, KeyCode::BackTab, KeyModifiers::SHIFT);
    ctrl(&mut state, 'z');
    ctrl(&mut state, 'y');
    ctrl(&mut state, '7'); // what Ctrl-/ sends
    press(&mut state, KeyCode::Up, KeyModifiers::ALT);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    // An unbound chord types nothing.
    press(
        &mut state,
        KeyCode::Char('k'),
        KeyModifiers::CONTROL | KeyModifiers::ALT,
    );
    assert_eq!(
        edits(take(&calls)),
        vec![
            (1, E::Insert { chars: "h".into() }),
            (1, E::Insert { chars: "é".into() }),
            (1, E::InsertNewline),
            (1, E::MoveWordLeftAndModifySelection),
            (1, E::MoveToBeginningOfDocument),
            (1, E::Outdent),
            (1, E::Undo),
            (1, E::Redo),
            (1, E::DebugToggleComment),
            (1, E::AddSelectionAbove),
            (1, E::CollapseSelections),
        ]
    );
}

#[test]
fn bracketed_paste_sends_one_paste_with_unix_newlines() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    event(&mut state, Event::Paste("one\r\ntwo\rthree".into()));
    assert_eq!(
        edits(take(&calls)),
        vec![(
            1,
            E::Paste {
                chars: "one\ntwo\nthree".into()
            }
        )]
    );
}

#[test]
fn copy_fills_the_clipboard_and_osc52_then_paste_uses_it() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    ctrl(&mut state, 'v');
    assert!(edits(take(&calls)).is_empty(), "nothing to paste yet");
    ctrl(&mut state, 'x');
    assert_eq!(take(&calls), vec![PortCall::Copy(1, true)]);
    on_session_event(
        &mut state,
        SessionEvent::Copied {
            view: ViewHandle(1),
            text: Some("cut text".into()),
            cut: true,
        },
    );
    assert_eq!(state.clipboard.as_deref(), Some("cut text"));
    assert_eq!(state.osc52, vec!["\x1b]52;c;Y3V0IHRleHQ=\x07".to_string()]);
    ctrl(&mut state, 'v');
    assert_eq!(
        edits(take(&calls)),
        vec![(
            1,
            E::Paste {
                chars: "cut text".into()
            }
        )]
    );
}

#[test]
fn save_a_named_buffer_and_save_as_for_a_new_one() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    ctrl(&mut state, 's');
    assert_eq!(
        take(&calls),
        vec![PortCall::Save(1, PathBuf::from(CWD).join("a.rs"))]
    );

    ctrl(&mut state, 'n');
    let calls_now = take(&calls);
    assert!(calls_now.contains(&PortCall::Open {
        path: None,
        view: 2
    }));
    ctrl(&mut state, 's');
    assert!(matches!(state.overlays.last(), Some(Overlay::Prompt(_))));
    for c in "b.txt".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(state.overlays.is_empty());
    assert_eq!(
        take(&calls),
        vec![PortCall::Save(2, PathBuf::from(CWD).join("b.txt"))]
    );
    on_session_event(
        &mut state,
        SessionEvent::Saved {
            view: ViewHandle(2),
            result: Ok(()),
        },
    );
    assert!(state.message.as_ref().unwrap().text.contains("b.txt"));
}

#[test]
fn a_save_conflict_asks_and_only_its_keys_answer() {
    let (mut state, calls) = state_with(Some("a.rs"), 60, 10);
    dirty(&mut state, 1);
    take(&calls);
    let path = PathBuf::from(CWD).join("a.rs");
    on_session_event(
        &mut state,
        SessionEvent::SaveConflict {
            view: ViewHandle(1),
            path: path.clone(),
            reason: "changed".into(),
            message: "a.rs was changed on disk".into(),
        },
    );
    assert!(matches!(state.overlays.last(), Some(Overlay::Choice(_))));
    // typing on does not answer, and sends nothing
    key(&mut state, 'x');
    assert!(matches!(state.overlays.last(), Some(Overlay::Choice(_))));
    assert!(take(&calls).is_empty());
    key(&mut state, 'o');
    assert!(state.overlays.is_empty());
    assert_eq!(take(&calls), vec![PortCall::SaveForced(1, path.clone())]);

    on_session_event(
        &mut state,
        SessionEvent::SaveConflict {
            view: ViewHandle(1),
            path: path.clone(),
            reason: "changed".into(),
            message: String::new(),
        },
    );
    key(&mut state, 'r');
    assert_eq!(take(&calls), vec![PortCall::Reload(1)]);
    on_session_event(
        &mut state,
        SessionEvent::SaveConflict {
            view: ViewHandle(1),
            path,
            reason: "exists".into(),
            message: String::new(),
        },
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert!(state.overlays.is_empty());
    assert!(take(&calls).is_empty(), "Esc writes nothing");
}

#[test]
fn the_status_line_warns_while_the_file_changed_on_disk() {
    let (mut state, _) = state_with(Some("a.rs"), 60, 10);
    let changed = |state: &mut State, s: &str| {
        on_session_event(
            state,
            SessionEvent::DiskState {
                view: ViewHandle(1),
                state: s.into(),
            },
        );
    };
    changed(&mut state, "changed");
    assert_eq!(state.views[&1].disk_state.as_deref(), Some("changed"));
    changed(&mut state, "in_sync");
    assert_eq!(state.views[&1].disk_state, None);
}

#[test]
fn quit_asks_only_when_something_is_unsaved() {
    let (mut state, _) = state_with(Some("a.rs"), 40, 10);
    dirty(&mut state, 1);
    ctrl(&mut state, 'q');
    assert!(!state.quit);
    assert!(matches!(state.overlays.last(), Some(Overlay::Confirm(_))));
    key(&mut state, 'n');
    assert!(!state.quit && state.overlays.is_empty());
    ctrl(&mut state, 'q');
    key(&mut state, 'y');
    assert!(state.quit);

    let (mut clean, _) = state_with(Some("a.rs"), 40, 10);
    ctrl(&mut clean, 'q');
    assert!(clean.quit);
}

#[test]
fn close_buffer_asks_when_dirty_and_shows_the_previous_buffer() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    dirty(&mut state, 1);
    update(&mut state, Action::OpenPath(PathBuf::from("b.rs")));
    assert_eq!(state.focused_view(), Some(2));
    assert_eq!(state.hidden, vec![1], "the dirty buffer stays open, hidden");
    ctrl(&mut state, 'w');
    assert_eq!(state.focused_view(), Some(1));
    ctrl(&mut state, 'w');
    assert!(matches!(state.overlays.last(), Some(Overlay::Confirm(_))));
    key(&mut state, 'y');
    assert!(take(&calls).contains(&PortCall::Close(1)));
    // Nothing left: a new empty buffer.
    assert!(state.focused_data().unwrap().path.is_none());
}

#[test]
fn prefix_keys_split_move_focus_and_close() {
    let (mut state, calls) = state_with(Some("a.rs"), 80, 20);
    take(&calls);
    ctrl(&mut state, 'b');
    assert!(state.prefix_pending);
    press(&mut state, KeyCode::Char('%'), KeyModifiers::SHIFT);
    assert!(!state.prefix_pending);
    let calls_now = take(&calls);
    // A new view of the same file, sized to the new pane.
    assert!(calls_now.contains(&PortCall::Open {
        path: Some(PathBuf::from(CWD).join("a.rs")),
        view: 2
    }));
    assert!(calls_now.contains(&PortCall::Edit(
        2,
        E::Resize(Size {
            width: 35,
            height: 19
        })
    )));
    assert!(calls_now.contains(&PortCall::Edit(
        1,
        E::Resize(Size {
            width: 36,
            height: 19
        })
    )));
    assert_eq!(state.focused_view(), Some(2));
    key(&mut state, 'x');
    assert_eq!(
        edits(take(&calls)),
        vec![(2, E::Insert { chars: "x".into() })]
    );
    ctrl(&mut state, 'b');
    key(&mut state, 'h');
    assert_eq!(state.focused_view(), Some(1));
    ctrl(&mut state, 'b');
    key(&mut state, '"');
    assert_eq!(state.windows.current().tree.leaves().len(), 3);
    ctrl(&mut state, 'b');
    key(&mut state, 'x');
    assert_eq!(state.windows.current().tree.leaves().len(), 2);
    // An unknown key after the prefix does nothing and leaves prefix mode.
    ctrl(&mut state, 'b');
    key(&mut state, '!');
    assert!(!state.prefix_pending);
    assert!(edits(take(&calls)).is_empty());
}

#[test]
fn windows_open_and_switch_with_the_prefix() {
    let (mut state, _) = state_with(Some("a.rs"), 80, 20);
    ctrl(&mut state, 'b');
    key(&mut state, 'c');
    assert_eq!(state.windows.windows.len(), 2);
    assert_eq!(state.windows.active, 1);
    ctrl(&mut state, 'b');
    key(&mut state, '1');
    assert_eq!(state.windows.active, 0);
    ctrl(&mut state, 'b');
    key(&mut state, 'n');
    assert_eq!(state.windows.active, 1);
    ctrl(&mut state, 'b');
    key(&mut state, 'z');
    ctrl(&mut state, 'b');
    key(&mut state, 'q');
    assert_eq!(state.overlays, vec![Overlay::PaneNumbers]);
    key(&mut state, '0');
    assert!(state.overlays.is_empty());
}

#[test]
fn scroll_to_moves_the_view_and_tells_the_core_the_new_range() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    let texts: Vec<String> = (0..100).map(|i| format!("line {i}\n")).collect();
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    feed(&mut state, 1, plain_lines(&refs));
    take(&calls);
    scroll_to(&mut state, 1, 50, 0);
    let Some(PaneKind::Editor(e)) = state.windows.focused() else {
        panic!()
    };
    assert_eq!(e.top, 42, "line 50 is the last of the 9 rows");
    assert!(take(&calls).contains(&PortCall::Edit(1, E::Scroll(LineRange(42, 52)))));
    assert!(screen(&state).contains(" 51 line 50"));
    scroll_to(&mut state, 1, 3, 0);
    let Some(PaneKind::Editor(e)) = state.windows.focused() else {
        panic!()
    };
    assert_eq!(e.top, 3);
}

fn mouse(state: &mut State, kind: MouseEventKind, x: u16, y: u16, modifiers: KeyModifiers) {
    event(
        state,
        Event::Mouse(MouseEvent {
            kind,
            column: x,
            row: y,
            modifiers,
        }),
    );
}

#[test]
fn mouse_click_drag_and_wheel() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    let texts: Vec<String> = (0..30).map(|i| format!("\tl{i}\n")).collect();
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    feed(&mut state, 1, plain_lines(&refs));
    take(&calls);
    // Column 4 is past the gutter; the tab covers text columns 0..4.
    mouse(
        &mut state,
        MouseEventKind::Down(MouseButton::Left),
        4 + 5,
        2,
        KeyModifiers::NONE,
    );
    mouse(
        &mut state,
        MouseEventKind::Drag(MouseButton::Left),
        4 + 1,
        3,
        KeyModifiers::NONE,
    );
    mouse(
        &mut state,
        MouseEventKind::Up(MouseButton::Left),
        4 + 1,
        3,
        KeyModifiers::NONE,
    );
    mouse(
        &mut state,
        MouseEventKind::Down(MouseButton::Left),
        4 + 20,
        1,
        KeyModifiers::ALT,
    );
    assert_eq!(
        edits(take(&calls)),
        vec![
            (
                1,
                E::Gesture {
                    line: 2,
                    col: 2,
                    ty: GestureType::Select {
                        granularity: SelectionGranularity::Point,
                        multi: false
                    }
                }
            ),
            (
                1,
                E::Gesture {
                    line: 3,
                    col: 0,
                    ty: GestureType::Drag
                }
            ),
            (
                1,
                E::Gesture {
                    line: 1,
                    col: 3,
                    ty: GestureType::Select {
                        granularity: SelectionGranularity::Point,
                        multi: true
                    }
                }
            ),
        ]
    );
    mouse(
        &mut state,
        MouseEventKind::ScrollDown,
        10,
        5,
        KeyModifiers::NONE,
    );
    assert!(take(&calls).contains(&PortCall::Edit(1, E::Scroll(LineRange(3, 13)))));
}

#[test]
fn mouse_focuses_panes_and_drags_borders() {
    let (mut state, _) = state_with(Some("a.rs"), 81, 10);
    update(&mut state, Action::SplitRight);
    assert_eq!(state.windows.focus(), 2);
    mouse(
        &mut state,
        MouseEventKind::Down(MouseButton::Left),
        5,
        2,
        KeyModifiers::NONE,
    );
    assert_eq!(state.windows.focus(), 1);
    // The border is at column 40.
    mouse(
        &mut state,
        MouseEventKind::Down(MouseButton::Left),
        40,
        2,
        KeyModifiers::NONE,
    );
    mouse(
        &mut state,
        MouseEventKind::Drag(MouseButton::Left),
        20,
        2,
        KeyModifiers::NONE,
    );
    mouse(
        &mut state,
        MouseEventKind::Up(MouseButton::Left),
        20,
        2,
        KeyModifiers::NONE,
    );
    let layout = state.windows.layout(state.pane_area());
    assert_eq!(layout.rect_of(1).unwrap().width, 20);
}

#[test]
fn add_next_occurrence_selects_the_word_then_adds() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    ctrl(&mut state, 'd');
    let first = edits(take(&calls));
    assert_eq!(
        first[0],
        (
            1,
            E::SelectionForFind {
                case_sensitive: true
            }
        )
    );
    assert_eq!(
        first[1],
        (
            1,
            E::FindNext {
                wrap_around: true,
                allow_same: true,
                modify_selection: SelectionModifier::Set
            }
        )
    );
    feed(
        &mut state,
        1,
        serde_json::json!({"ops": [{"op": "ins", "n": 1, "lines": [{"text": "foo foo", "ln": 1}]}], "pristine": true,
            "annotations": [{"type": "selection", "n": 1, "ranges": [[0, 0, 0, 3]], "payloads": null}]}),
    );
    ctrl(&mut state, 'd');
    assert_eq!(
        edits(take(&calls))[1],
        (
            1,
            E::FindNext {
                wrap_around: true,
                allow_same: false,
                modify_selection: SelectionModifier::Add
            }
        )
    );
}

#[test]
fn find_bar_searches_as_you_type_and_keeps_ctrl_q() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    ctrl(&mut state, 'f');
    key(&mut state, 'a');
    press(&mut state, KeyCode::Char('c'), KeyModifiers::ALT);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let e = edits(take(&calls));
    assert!(e.contains(&(
        1,
        E::Find {
            chars: "a".into(),
            case_sensitive: false,
            regex: false,
            whole_words: false
        }
    )));
    assert!(e.contains(&(
        1,
        E::Find {
            chars: "a".into(),
            case_sensitive: true,
            regex: false,
            whole_words: false
        }
    )));
    assert_eq!(
        e.last(),
        Some(&(
            1,
            E::FindNext {
                wrap_around: true,
                allow_same: false,
                modify_selection: SelectionModifier::Set
            }
        ))
    );
    ctrl(&mut state, 'q');
    assert!(state.quit, "keys the bar does not use reach the keymap");
}

#[test]
fn goto_line_prompt() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    ctrl(&mut state, 'g');
    key(&mut state, '1');
    key(&mut state, '2');
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(edits(take(&calls)), vec![(1, E::GotoLine { line: 11 })]);
}

#[test]
fn palette_runs_the_chosen_command() {
    let (mut state, _) = state_with(Some("a.rs"), 60, 16);
    ctrl(&mut state, 'p');
    for c in "new window".chars() {
        key(&mut state, c);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(state.overlays.is_empty());
    assert_eq!(state.windows.windows.len(), 2);
}

#[test]
fn editor_restart_shows_in_the_status_and_resends_the_view_size() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    dirty(&mut state, 1);
    take(&calls);
    on_session_event(
        &mut state,
        SessionEvent::State(symphony_tui::session::EditorState::Restarting { attempt: 1 }),
    );
    assert!(screen(&state).contains("editor: restarting (1)"));
    on_session_event(
        &mut state,
        SessionEvent::ViewReset {
            view: ViewHandle(1),
        },
    );
    assert_eq!(state.views[&1].cache.len(), 0);
    let calls_now = take(&calls);
    assert!(calls_now.contains(&PortCall::Edit(
        1,
        E::Resize(Size {
            width: 36,
            height: 9
        })
    )));
    on_session_event(
        &mut state,
        SessionEvent::RecoveryOffered {
            view: ViewHandle(1),
            file_path: "/x/a.rs".into(),
            changed_on_disk: false,
            exact: true,
            more: 0,
        },
    );
    // Typing does not answer (issue 12 item 10): the first choice, then Enter.
    key(&mut state, 'y');
    assert_eq!(take(&calls), vec![]);
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        take(&calls),
        vec![PortCall::AnswerRecovery(1, RecoverAction::Replace, None)]
    );
}

#[test]
fn a_recovery_question_shows_its_file_and_answers_for_it() {
    let (mut state, calls) = state_with(Some("a.rs"), 60, 10);
    update(&mut state, Action::NewWindow);
    update(&mut state, Action::SelectWindow2);
    assert_eq!(state.focused_view(), Some(2));
    take(&calls);
    on_session_event(
        &mut state,
        SessionEvent::RecoveryOffered {
            view: ViewHandle(1),
            file_path: "/x/a.rs".into(),
            changed_on_disk: false,
            exact: true,
            more: 0,
        },
    );
    // The window showing a.rs comes to the front while the question is asked.
    assert_eq!(state.windows.active, 0);
    assert!(screen(&state).contains("Unsaved edits of a.rs"));
    // A stray `n` answers nothing (issue 12 item 10); Esc only puts it off.
    key(&mut state, 'n');
    assert_eq!(take(&calls), vec![]);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        take(&calls),
        vec![PortCall::AnswerRecovery(1, RecoverAction::Later, None)]
    );
}

#[test]
fn a_journal_of_a_file_changed_on_disk_is_recovered_into_a_new_buffer_beside_it() {
    let (mut state, calls) = state_with(Some("a.rs"), 100, 14);
    take(&calls);
    on_session_event(
        &mut state,
        SessionEvent::RecoveryOffered {
            view: ViewHandle(1),
            file_path: "/x/a.rs".into(),
            changed_on_disk: true,
            exact: true,
            more: 0,
        },
    );
    let shown = screen(&state);
    assert!(shown.contains("The file changed on disk since"), "{shown}");
    assert!(
        shown.contains("Open the recovered text in a new buffer"),
        "{shown}"
    );
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let calls_now = take(&calls);
    assert_eq!(
        calls_now[..2],
        [
            PortCall::Open {
                path: None,
                view: 2
            },
            PortCall::AnswerRecovery(1, RecoverAction::NewBuffer, Some(2)),
        ]
    );
    assert!(state.overlays.is_empty());
    assert_eq!(state.windows.views().count(), 2, "shown beside the file");
    assert!(screen(&state).contains("a.rs (recovered)"));
}

#[test]
fn a_failing_journal_is_on_the_status_line_until_it_works_again() {
    let (mut state, calls) = state_with(Some("a.rs"), 120, 10);
    take(&calls);
    on_session_event(
        &mut state,
        SessionEvent::JournalStatus {
            view: ViewHandle(1),
            ok: false,
            error: Some("No space left on device (os error 28)".into()),
        },
    );
    let warning = "edits are NOT protected: journal failed: No space left on device";
    assert!(screen(&state).contains(warning));
    // Messages go at the next key; this stays.
    key(&mut state, 'x');
    key(&mut state, 'y');
    assert!(screen(&state).contains(warning), "{}", screen(&state));
    on_session_event(
        &mut state,
        SessionEvent::JournalStatus {
            view: ViewHandle(1),
            ok: true,
            error: None,
        },
    );
    key(&mut state, 'z');
    assert!(!screen(&state).contains("NOT protected"));
}

#[test]
fn terminal_resize_resizes_the_views() {
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    take(&calls);
    event(&mut state, Event::Resize(100, 30));
    assert!(take(&calls).contains(&PortCall::Edit(
        1,
        E::Resize(Size {
            width: 96,
            height: 29
        })
    )));
}

#[test]
fn several_files_open_one_window_each_and_a_bad_config_is_reported() {
    use symphony_tui::app::RecordingPort;
    use symphony_tui::app::run::{RunOptions, initial_state};
    use symphony_tui::config::{Config, ConfigError};
    use symphony_tui::session::EditorTarget;
    let opts = RunOptions {
        config: Config::default(),
        config_error: Some(ConfigError {
            path: "config.toml".into(),
            line: 3,
            message: "invalid type".into(),
        }),
        files: vec!["/w/a.rs".into(), "/w/b.rs".into()],
        target: EditorTarget::Spawn {
            program: "symphony-editor".into(),
        },
    };
    let state = initial_state(&opts, Box::new(RecordingPort::new()));
    assert_eq!(state.windows.windows.len(), 2);
    assert_eq!(state.windows.active, 0);
    assert_eq!(
        state.focused_data().unwrap().path,
        Some(PathBuf::from("/w/a.rs"))
    );
    let msg = state.message.unwrap();
    assert!(msg.error && msg.text.contains("line 3"), "{}", msg.text);
}

#[test]
fn two_views_of_one_file_are_one_buffer_for_unsaved_checks() {
    let (mut state, _) = state_with(Some("a.rs"), 80, 10);
    update(&mut state, Action::SplitRight);
    dirty(&mut state, 1);
    dirty(&mut state, 2);
    assert_eq!(state.dirty_buffers().len(), 1, "one file, one question");
    // The save reached view 2 last: the file is saved, whatever view 1 heard.
    feed(&mut state, 2, plain_lines(&["x\n", ""]));
    assert!(state.dirty_buffers().is_empty());
    ctrl(&mut state, 'q');
    assert!(state.quit);
}

#[test]
fn quit_question_answers_itself_when_the_save_lands() {
    let (mut state, _) = state_with(Some("a.rs"), 80, 10);
    dirty(&mut state, 1);
    ctrl(&mut state, 's');
    ctrl(&mut state, 'q');
    assert!(!state.quit, "the save has not landed yet");
    feed(&mut state, 1, plain_lines(&["x\n", ""]));
    assert!(state.quit);
    assert!(state.overlays.is_empty());
}

#[test]
fn double_and_triple_click_select_word_and_line() {
    use std::time::{Duration, Instant};
    use symphony_tui::action::MouseAction;
    let (mut state, calls) = state_with(Some("a.rs"), 40, 10);
    feed(&mut state, 1, plain_lines(&["hello world\n", ""]));
    take(&calls);
    let t0 = Instant::now();
    let press = |at| {
        Action::Mouse(MouseAction::Press {
            x: 6,
            y: 0,
            multi: false,
            extend: false,
            at,
        })
    };
    for ms in [0, 100, 200, 2000] {
        update(&mut state, press(t0 + Duration::from_millis(ms)));
    }
    let grains: Vec<SelectionGranularity> = edits(take(&calls))
        .into_iter()
        .map(|(_, e)| match e {
            E::Gesture {
                ty: GestureType::Select { granularity, .. },
                ..
            } => granularity,
            other => panic!("{other:?}"),
        })
        .collect();
    use SelectionGranularity::*;
    assert_eq!(grains, vec![Point, Word, Line, Point]);
}

#[test]
fn a_directory_argument_opens_the_file_picker_there() {
    use symphony_tui::app::RecordingPort;
    use symphony_tui::app::Task;
    use symphony_tui::app::run::{RunOptions, initial_state};
    use symphony_tui::config::Config;
    use symphony_tui::session::EditorTarget;
    let dir = tempfile::tempdir().unwrap();
    let opts = RunOptions {
        config: Config::default(),
        config_error: None,
        files: vec![dir.path().to_path_buf()],
        target: EditorTarget::Spawn {
            program: "symphony-editor".into(),
        },
    };
    let state = initial_state(&opts, Box::new(RecordingPort::new()));
    assert!(matches!(
        state.overlays.last(),
        Some(Overlay::FilePicker(_))
    ));
    assert_eq!(state.tasks, vec![Task::ListFiles(dir.path().to_path_buf())]);
    assert!(state.focused_data().unwrap().path.is_none());
}
