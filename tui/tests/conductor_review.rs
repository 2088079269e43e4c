//! An AI refactor from the key to the reviewed merge, at the app level: the
//! editor process is a recording port answered by the test (its replies are
//! the review contract's JSON), the Conductor a recording one whose events
//! the test sends. Checks what reaches the editor (snapshot, rebase, apply
//! with the right offsets, nothing on reject) and the inline review screen.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};
use symphony_conductor::command::AiCommand;
use symphony_conductor::events::{ConductorEvent, RunId};
use symphony_conductor::proposal::{Hunk, HunkState, Proposal};
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::conductor::{ConductorCall, RecordingConductor, install, on_conductor_event};
use symphony_tui::panes::PaneKind;
use symphony_tui::session::{SessionEvent, ViewHandle};

const LINES: [&str; 8] = [
    "fn add(a: i32, b: i32) -> i32 {\n",
    "    a + b\n",
    "}\n",
    "\n",
    "fn sub(a: i32, b: i32) -> i32 {\n",
    "    a - b\n",
    "}\n",
    "",
];

fn text() -> String {
    LINES.concat()
}

/// Byte offset of the start of `line`.
fn at(line: usize) -> usize {
    LINES[..line].iter().map(|l| l.len()).sum()
}

fn press(state: &mut State, code: KeyCode, mods: KeyModifiers) {
    for a in event_to_actions(state, Event::Key(KeyEvent::new(code, mods))) {
        update(state, a);
    }
}

fn alt(state: &mut State, c: char) {
    let mods = if c.is_uppercase() {
        KeyModifiers::ALT | KeyModifiers::SHIFT
    } else {
        KeyModifiers::ALT
    };
    press(state, KeyCode::Char(c), mods);
}

struct Fixture {
    state: State,
    port: Arc<Mutex<Vec<PortCall>>>,
    conductor: RecordingConductor,
}

fn fixture(w: u16, h: u16) -> Fixture {
    let (mut state, port) = state_with(Some("src/ops.rs"), w, h);
    feed(&mut state, 1, plain_lines(&LINES));
    let conductor = RecordingConductor::new();
    install(&mut state, Box::new(conductor.clone()));
    state.conductor.instruments = 1;
    take(&port);
    Fixture {
        state,
        port,
        conductor,
    }
}

/// The requests sent to the editor since the last call: (id, method, params).
fn requests(port: &Arc<Mutex<Vec<PortCall>>>) -> Vec<(u64, String, Value)> {
    take(port)
        .into_iter()
        .filter_map(|c| match c {
            PortCall::Request(_, id, method, params) => Some((id, method, params)),
            _ => None,
        })
        .collect()
}

fn reply(state: &mut State, id: u64, result: Result<Value, String>) {
    on_session_event(
        state,
        SessionEvent::Reply {
            view: ViewHandle(1),
            id,
            result,
        },
    );
}

fn proposal() -> Proposal {
    let hunk = |index, line: usize, new_text: &str| Hunk {
        index,
        start: at(line),
        end: at(line + 1),
        old_text: LINES[line].into(),
        new_text: new_text.into(),
        state: HunkState::Pending,
    };
    Proposal {
        id: "p1".into(),
        buffer: Some("1".into()),
        path: None,
        base_revision: Some(7),
        hunks: vec![
            hunk(0, 1, "    a.checked_add(b).expect(\"overflow\")\n"),
            hunk(1, 5, "    a.checked_sub(b).expect(\"underflow\")\n"),
        ],
    }
}

/// The editor's rebase answer when nothing changed since `revision`.
fn mapped(revision: u64, params: &Value, touched: &[bool]) -> Value {
    let t = text();
    let hunks: Vec<Value> = params["hunks"]
        .as_array()
        .expect("hunks")
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let (s, e) = (h["start"].as_u64().expect("start") as usize, h["end"].as_u64().expect("end") as usize);
            json!({"start": s, "end": e, "first_line": t[..s].matches('\n').count(),
                   "last_line": t[..e.saturating_sub(1)].matches('\n').count(),
                   "old_text": &t[s..e], "touched_by_user": touched.get(i).copied().unwrap_or(false)})
        })
        .collect();
    json!({"revision": revision, "hunks": hunks, "user_edits": []})
}

/// Runs "refactor" up to the proposal being shown.
fn refactor_until_review(f: &mut Fixture) {
    // Select `add`'s body and run refactor: the editor is asked for the context.
    scroll_to(&mut f.state, 1, 1, 4);
    update(&mut f.state, Action::AiRefactor);
    let sent = requests(&f.port);
    assert_eq!(sent.len(), 1);
    let (snap_id, method, _) = &sent[0];
    assert_eq!(method, "symphony.review.snapshot");
    // The instruction is typed in the AI pane's prompt.
    assert!(matches!(f.state.windows.focused(), Some(PaneKind::Ai(_))));
    assert!(screen(&f.state).contains("Refactor how?"));
    for c in "use checked ops".chars() {
        press(&mut f.state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut f.state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        matches!(f.state.windows.focused(), Some(PaneKind::Editor(_))),
        "back to the code"
    );
    assert!(
        f.conductor.calls.lock().expect("calls").is_empty(),
        "waits for the context"
    );
    let snapshot = json!({"revision": 7, "text": text(), "path": "/home/demo/project/src/ops.rs",
        "language": "Rust", "selection": {"start": at(0), "end": at(3)}, "cursor": at(3)});
    reply(&mut f.state, *snap_id, Ok(snapshot));
    let calls = std::mem::take(&mut *f.conductor.calls.lock().expect("calls"));
    let [ConductorCall::Run(command, ctx, RunId(1))] = calls.as_slice() else {
        panic!("one run: {calls:?}");
    };
    assert_eq!(
        *command,
        AiCommand::Refactor {
            instruction: "use checked ops".into()
        }
    );
    assert_eq!(ctx.revision, Some(7));
    assert_eq!(ctx.language.as_deref(), Some("Rust"));
    let sel = ctx.selection.as_ref().expect("selection");
    assert_eq!(
        (sel.first_line, sel.text.as_str()),
        (0, &LINES[..3].concat()[..])
    );
    assert_eq!(ctx.buffer.as_deref(), Some("1"));
    // The run proposes; the client rebases before showing it.
    on_conductor_event(
        &mut f.state,
        ConductorEvent::Proposal {
            run: RunId(1),
            proposal: proposal(),
        },
    );
    let sent = requests(&f.port);
    let [(id, method, params)] = sent.as_slice() else {
        panic!("one rebase: {sent:?}");
    };
    assert_eq!(method, "symphony.review.rebase");
    assert_eq!(params["base_revision"], 7);
    let answer = mapped(7, params, &[]);
    reply(&mut f.state, *id, Ok(answer));
}

#[test]
fn refactor_review_accept_one_hunk_reject_the_other() {
    let mut f = fixture(64, 16);
    refactor_until_review(&mut f);
    let buf = render(&f.state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 2..6)));
    // Accept the hunk at the caret (line 1): rebase, then apply at that head.
    alt(&mut f.state, 'a');
    let sent = requests(&f.port);
    let [(id, method, params)] = sent.as_slice() else {
        panic!("rebase first: {sent:?}");
    };
    assert_eq!(method, "symphony.review.rebase");
    let answer = mapped(7, params, &[]);
    reply(&mut f.state, *id, Ok(answer));
    let sent = requests(&f.port);
    let [(id, method, params)] = sent.as_slice() else {
        panic!("then apply: {sent:?}");
    };
    assert_eq!(method, "symphony.review.apply");
    assert_eq!(
        *params,
        json!({"revision": 7, "edits": [{"start": at(1), "end": at(2),
            "text": "    a.checked_add(b).expect(\"overflow\")\n"}]})
    );
    reply(&mut f.state, *id, Ok(json!({"revision": 8})));
    // The hunk left is rebased from the new head, moved past our own edit.
    let sent = requests(&f.port);
    let [(id, method, params)] = sent.as_slice() else {
        panic!("rebase of the rest: {sent:?}");
    };
    assert_eq!(method, "symphony.review.rebase");
    let grown = "    a.checked_add(b).expect(\"overflow\")\n".len() - LINES[1].len();
    assert_eq!(params["base_revision"], 8);
    // (hunk 0 is sent too, as applied: the editor maps every hunk.)
    assert_eq!(params["hunks"][1]["start"], at(5) + grown);
    let _ = id;
    // Reject the other: nothing is sent, the review ends.
    scroll_to(&mut f.state, 1, 5, 0);
    alt(&mut f.state, 'r');
    let sent = requests(&f.port);
    assert!(sent.is_empty(), "reject sends nothing: {sent:?}");
    assert!(f.state.conductor.reviews.is_empty());
    assert_eq!(
        f.state.message.as_ref().map(|m| m.text.as_str()),
        Some("Review done: 1 of 2 hunks accepted")
    );
}

#[test]
fn typing_during_review_rebases_and_marks_the_touched_hunk_conflicted() {
    let mut f = fixture(64, 16);
    refactor_until_review(&mut f);
    // The user types in `sub` (an update from the editor follows).
    feed(
        &mut f.state,
        1,
        json!({"ops": [{"op": "copy", "n": 5, "ln": 1},
                        {"op": "ins", "n": 1, "lines": [{"text": "    a - b // keep\n", "ln": 6}]},
                        {"op": "skip", "n": 1}, {"op": "copy", "n": 2, "ln": 7}], "pristine": false}),
    );
    let sent = requests(&f.port);
    let [(id, method, params)] = sent.as_slice() else {
        panic!("a rebase after the update: {sent:?}");
    };
    assert_eq!(method, "symphony.review.rebase");
    let answer = mapped(9, params, &[false, true]);
    reply(&mut f.state, *id, Ok(answer));
    let s = screen(&f.state);
    assert!(s.contains("!    a - b // keep"), "{s}");
    // Accept all takes only the untouched hunk: the user's edit wins.
    alt(&mut f.state, 'A');
    let sent = requests(&f.port);
    let [(id, _, params)] = sent.as_slice() else {
        panic!("{sent:?}");
    };
    let answer = mapped(9, params, &[false, true]);
    reply(&mut f.state, *id, Ok(answer));
    let sent = requests(&f.port);
    let [(_, method, params)] = sent.as_slice() else {
        panic!("{sent:?}");
    };
    assert_eq!(method, "symphony.review.apply");
    assert_eq!(params["edits"].as_array().map(Vec::len), Some(1));
    assert_eq!(params["edits"][0]["start"], at(1));
}

#[test]
fn without_the_snapshot_method_the_context_comes_from_the_line_cache() {
    let mut f = fixture(64, 16);
    update(&mut f.state, Action::AiExplain);
    let sent = requests(&f.port);
    let [(id, _, _)] = sent.as_slice() else {
        panic!("{sent:?}");
    };
    reply(
        &mut f.state,
        *id,
        Err("unknown method symphony.review.snapshot".into()),
    );
    let calls = std::mem::take(&mut *f.conductor.calls.lock().expect("calls"));
    let [ConductorCall::Run(AiCommand::Explain, ctx, _)] = calls.as_slice() else {
        panic!("{calls:?}");
    };
    assert_eq!(ctx.file_text, text());
    assert_eq!(ctx.revision, None);
}

/// A user workflow from config.toml runs from a key: the AI pane lists them, the prompt takes
/// the name and an instruction, and the Conductor gets `AiCommand::Workflow` with the context.
#[test]
fn a_user_workflow_runs_by_name_with_its_instruction() {
    let mut f = fixture(100, 30);
    f.conductor.canned.lock().expect("canned").workflows =
        vec![("tidy".into(), Some("shorten the selection".into()))];
    update(&mut f.state, Action::AiWorkflow);
    let sent = requests(&f.port);
    let [(snap_id, method, _)] = sent.as_slice() else {
        panic!("one snapshot request: {sent:?}");
    };
    assert_eq!(method, "symphony.review.snapshot");
    let shown = screen(&f.state);
    assert!(shown.contains("tidy: shorten the selection"), "{shown}");
    assert!(
        shown.contains("Workflow (name, then instruction)"),
        "{shown}"
    );
    for c in "tidy keep it short".chars() {
        press(&mut f.state, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut f.state, KeyCode::Enter, KeyModifiers::NONE);
    let snapshot = json!({"revision": 3, "text": text(), "path": null, "language": "Rust",
        "selection": null, "cursor": 0});
    reply(&mut f.state, *snap_id, Ok(snapshot));
    let calls = std::mem::take(&mut *f.conductor.calls.lock().expect("calls"));
    let [ConductorCall::Run(command, ctx, _)] = calls.as_slice() else {
        panic!("one run: {calls:?}");
    };
    assert_eq!(
        *command,
        AiCommand::Workflow {
            name: "tidy".into(),
            instruction: Some("keep it short".into())
        }
    );
    assert_eq!(ctx.revision, Some(3));
}
