//! AI answers put into files, at the app level: the editor process is a recording
//! port answered by the test (its replies are the review contract's JSON), the
//! Conductor a recording one whose events the test sends. "Write tests" in a
//! project with a test folder reviews the tests in a new test file that is written
//! only on accept; a code block of an answer is inserted at the cursor (alt-y in
//! the AI pane) or applied as a proposal to the current file (alt-p).

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::{Value, json};
use symphony_conductor::command::CommandKind;
use symphony_conductor::events::{ConductorEvent, RunId};
use symphony_conductor::proposal::{Hunk, HunkState, Proposal};
use symphony_protocol::xi::EditNotification;
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::conductor::{
    ChatEntry, ChatRole, RecordingConductor, install, on_conductor_event,
};
use symphony_tui::panes::PaneKind;
use symphony_tui::session::{SessionEvent, ViewHandle};

const MODULE: &str = "def mean(xs):\n    return sum(xs) / len(xs)\n";
const TESTS: &str =
    "from pkg.stats import mean\n\n\ndef test_mean():\n    assert mean([1, 3]) == 2\n";

fn alt(state: &mut State, c: char) {
    let mods = if c.is_uppercase() {
        KeyModifiers::ALT | KeyModifiers::SHIFT
    } else {
        KeyModifiers::ALT
    };
    press(state, KeyCode::Char(c), mods);
}

/// The requests sent to the editor since the last call: (view, id, method, params).
fn requests(port: &Arc<Mutex<Vec<PortCall>>>) -> Vec<(u64, u64, String, Value)> {
    take(port)
        .into_iter()
        .filter_map(|c| match c {
            PortCall::Request(view, id, method, params) => Some((view, id, method, params)),
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

/// The one request sent since the last call, of `method`.
fn one(port: &Arc<Mutex<Vec<PortCall>>>, method: &str) -> (u64, u64, Value) {
    let sent = requests(port);
    let [(view, id, m, params)] = sent.as_slice() else {
        panic!("one {method}: {sent:?}");
    };
    assert_eq!(m, method);
    (*view, *id, params.clone())
}

/// The editor's rebase answer for a buffer holding `t`, nothing changed.
fn mapped(t: &str, revision: u64, params: &Value) -> Value {
    let hunks: Vec<Value> = params["hunks"]
        .as_array()
        .expect("hunks")
        .iter()
        .map(|h| {
            let s = h["start"].as_u64().expect("start") as usize;
            let e = h["end"].as_u64().expect("end") as usize;
            json!({"start": s, "end": e, "first_line": t[..s].matches('\n').count(),
                   "last_line": t[..e.saturating_sub(1)].matches('\n').count(),
                   "old_text": &t[s..e], "touched_by_user": false})
        })
        .collect();
    json!({"revision": revision, "hunks": hunks, "user_edits": []})
}

/// A project with `pkg/stats.py` open in view 1 and a `tests/` folder; "write
/// tests" runs up to the Conductor's proposal (the tests after the function).
fn write_tests_until_the_proposal(ws: &Path) -> (State, Arc<Mutex<Vec<PortCall>>>) {
    std::fs::create_dir_all(ws.join("pkg")).expect("dir");
    std::fs::create_dir_all(ws.join("tests")).expect("dir");
    let module = ws.join("pkg/stats.py");
    std::fs::write(&module, MODULE).expect("write");
    let (mut state, port) = state_with(Some("pkg/stats.py"), 80, 20);
    state.cwd = ws.to_path_buf();
    if let Some(d) = state.views.get_mut(&1) {
        d.path = Some(module.clone());
    }
    feed(
        &mut state,
        1,
        plain_lines(&["def mean(xs):\n", "    return sum(xs) / len(xs)\n", ""]),
    );
    let conductor = RecordingConductor::new();
    install(&mut state, Box::new(conductor.clone()));
    state.conductor.instruments = 1;
    take(&port);
    update(&mut state, Action::Ai(CommandKind::WriteTests));
    let (view, id, _) = one(&port, "symphony.review.snapshot");
    assert_eq!(view, 1);
    let snapshot = json!({"revision": 7, "text": MODULE, "path": module, "language": "Python",
        "selection": {"start": 0, "end": MODULE.len()}, "cursor": MODULE.len()});
    reply(&mut state, 1, id, snapshot);
    let end = MODULE.len();
    let proposal = Proposal {
        id: "p1".into(),
        buffer: Some("1".into()),
        path: Some(module),
        base_revision: Some(7),
        hunks: vec![Hunk {
            index: 0,
            start: end,
            end,
            old_text: String::new(),
            new_text: format!("\n\n{TESTS}"),
            state: HunkState::Pending,
        }],
    };
    on_conductor_event(
        &mut state,
        ConductorEvent::Proposal {
            run: RunId(1),
            proposal,
        },
    );
    (state, port)
}

/// After the proposal: the test file opened as view 2 (not on disk yet), its
/// snapshot answered and its proposal rebased: the review is on screen.
fn review_in_the_new_test_file(
    state: &mut State,
    port: &Arc<Mutex<Vec<PortCall>>>,
    target: &Path,
) -> String {
    let calls = take(port);
    let opened: Vec<&PortCall> = calls
        .iter()
        .filter(|c| matches!(c, PortCall::Open { .. }))
        .collect();
    let [PortCall::Open { path, view: 2 }] = opened.as_slice() else {
        panic!("the test file is opened as view 2: {calls:?}");
    };
    assert_eq!(path.as_deref(), Some(target));
    let snap: Vec<&PortCall> = calls
        .iter()
        .filter(|c| matches!(c, PortCall::Request(2, _, m, _) if m == "symphony.review.snapshot"))
        .collect();
    let [PortCall::Request(_, id, _, _)] = snap.as_slice() else {
        panic!("the test file's snapshot is asked: {calls:?}");
    };
    assert!(
        state
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("new file, tests/test_stats.py")),
        "{:?}",
        state.message
    );
    feed(state, 2, plain_lines(&[""]));
    reply(
        state,
        2,
        *id,
        json!({"revision": 1, "text": "", "path": target, "language": "Python",
               "selection": null, "cursor": 0}),
    );
    let (view, id, params) = one(port, "symphony.review.rebase");
    assert_eq!(view, 2);
    assert_eq!(params["hunks"][0]["start"], 0);
    reply(state, 2, id, mapped("", 1, &params));
    screen(state)
}

#[test]
fn write_tests_proposes_a_new_file_in_the_tests_folder_written_only_on_accept() {
    let ws = tempfile::tempdir().expect("temp dir");
    let (mut state, port) = write_tests_until_the_proposal(ws.path());
    let target = ws.path().join("tests/test_stats.py");
    let s = review_in_the_new_test_file(&mut state, &port, &target);
    assert!(s.contains("def test_mean():"), "{s}");
    assert!(
        s.contains("def mean(xs):"),
        "the module stays shown beside: {s}"
    );
    assert!(!target.exists(), "nothing is written before the accept");
    insta::assert_snapshot!(s.replace(&ws.path().display().to_string(), "<ws>"));
    assert!(
        state.conductor.reviews.contains_key(&2),
        "the review is in the test file's view"
    );
    // Accept all: rebase, apply, then the new file is saved (created).
    alt(&mut state, 'A');
    let (_, id, params) = one(&port, "symphony.review.rebase");
    reply(&mut state, 2, id, mapped("", 1, &params));
    let (_, id, params) = one(&port, "symphony.review.apply");
    assert_eq!(params["edits"][0]["text"], TESTS);
    reply(&mut state, 2, id, json!({"revision": 2}));
    let calls = take(&port);
    assert!(
        calls.contains(&PortCall::Save(2, target.clone())),
        "accepting writes the new file: {calls:?}"
    );
}

#[test]
fn rejecting_the_tests_of_a_new_file_closes_it_and_writes_nothing() {
    let ws = tempfile::tempdir().expect("temp dir");
    let (mut state, port) = write_tests_until_the_proposal(ws.path());
    let target = ws.path().join("tests/test_stats.py");
    review_in_the_new_test_file(&mut state, &port, &target);
    alt(&mut state, 'R');
    let calls = take(&port);
    assert!(
        !calls.iter().any(|c| matches!(c, PortCall::Save(..))),
        "{calls:?}"
    );
    assert!(calls.contains(&PortCall::Close(2)), "{calls:?}");
    assert!(!state.views.contains_key(&2));
    assert!(!target.exists());
}

const ANSWER: &str = "Use a guard:\n\n```python\nif not xs:\n    return 0.0\n```\n\nThat avoids the division by zero.";

/// A state showing `pkg/stats.py` (view 1) and the AI pane with an answer that
/// holds one code block; the AI pane has the focus.
fn answered_with_a_block() -> (State, Arc<Mutex<Vec<PortCall>>>) {
    let (mut state, port) = state_with(Some("pkg/stats.py"), 90, 18);
    feed(
        &mut state,
        1,
        plain_lines(&["def mean(xs):\n", "    return sum(xs) / len(xs)\n", ""]),
    );
    let conductor = RecordingConductor::new();
    install(&mut state, Box::new(conductor));
    state.conductor.instruments = 1;
    state.conductor.chat.push(ChatEntry {
        role: ChatRole::User,
        text: "explain".into(),
        run: Some(RunId(1)),
        node: None,
    });
    state.conductor.chat.push(ChatEntry {
        role: ChatRole::Assistant,
        text: ANSWER.into(),
        run: Some(RunId(1)),
        node: None,
    });
    update(&mut state, Action::OpenAiPane);
    assert!(matches!(state.windows.focused(), Some(PaneKind::Ai(_))));
    take(&port);
    (state, port)
}

#[test]
fn the_ai_pane_names_the_selected_code_block_and_its_keys() {
    let (state, _) = answered_with_a_block();
    let s = screen(&state);
    assert!(s.contains("code 1/1 python, 2 lines: Alt-Y insert"), "{s}");
    assert!(s.contains("Alt-P apply · Alt-K/Alt-J select"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn alt_y_in_the_ai_pane_inserts_the_code_block_at_the_editors_cursor() {
    let (mut state, port) = answered_with_a_block();
    alt(&mut state, 'y');
    let calls = take(&port);
    assert!(
        calls.contains(&PortCall::Edit(
            1,
            EditNotification::Insert {
                chars: "if not xs:\n    return 0.0\n".into()
            }
        )),
        "{calls:?}"
    );
    assert!(
        matches!(state.windows.focused(), Some(PaneKind::Editor(_))),
        "back in the editor where the code went"
    );
}

#[test]
fn alt_p_in_the_ai_pane_applies_the_code_block_as_a_proposal_to_the_current_file() {
    let (mut state, port) = answered_with_a_block();
    alt(&mut state, 'p');
    let (view, id, _) = one(&port, "symphony.review.snapshot");
    assert_eq!(view, 1);
    let text = "def mean(xs):\n    return sum(xs) / len(xs)\n";
    // The user had selected the body: the block replaces it.
    let body = text.find("    return").expect("body");
    reply(
        &mut state,
        1,
        id,
        json!({"revision": 4, "text": text, "path": "/home/demo/project/pkg/stats.py",
               "language": "Python", "selection": {"start": body, "end": text.len()},
               "cursor": text.len()}),
    );
    let (_, id, params) = one(&port, "symphony.review.rebase");
    assert_eq!(params["base_revision"], 4);
    reply(&mut state, 1, id, mapped(text, 4, &params));
    assert!(state.conductor.reviews.contains_key(&1));
    let s = screen(&state);
    assert!(s.contains("return 0.0"), "{s}");
    assert!(s.contains("hunk"), "{s}");
}
