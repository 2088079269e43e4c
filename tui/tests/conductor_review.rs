//! An AI refactor from the key to the reviewed merge, at the app level: the
//! editor process is a recording port answered by the test (its replies are
//! the review contract's JSON), the Conductor a recording one whose events
//! the test sends. Checks what reaches the editor (snapshot, rebase, apply
//! with the right offsets, nothing on reject) and the inline review screen.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use serde_json::{Value, json};
use symphony_conductor::command::AiCommand;
use symphony_conductor::events::{ConductorEvent, RunId};
use symphony_conductor::proposal::{Hunk, HunkState, Proposal};
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::conductor::{ConductorCall, RecordingConductor, install, on_conductor_event};
use symphony_tui::config::Config;
use symphony_tui::panes::PaneKind;
use symphony_tui::review::widget::{Colors, caret_position};
use symphony_tui::session::{SessionEvent, ViewHandle};
use symphony_tui::ui::colors::ColorMode;

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
    fixture_with(&LINES, w, h)
}

/// A fixture showing `lines` (texts with their `\n`).
fn fixture_with(lines: &[&str], w: u16, h: u16) -> Fixture {
    fixture_config(lines, w, h, Config::default())
}

/// The same with a config.
fn fixture_config(lines: &[&str], w: u16, h: u16, config: Config) -> Fixture {
    fixture_update(plain_lines(lines), w, h, config)
}

/// A fixture whose buffer comes from `update` (the wire JSON).
fn fixture_update(update: Value, w: u16, h: u16, config: Config) -> Fixture {
    let (mut state, port) = state_with_config(Some("src/ops.rs"), w, h, config);
    feed(&mut state, 1, update);
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
    mapped_in(&text(), revision, params, touched)
}

/// The same for a buffer holding `t`.
fn mapped_in(t: &str, revision: u64, params: &Value, touched: &[bool]) -> Value {
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
    update(
        &mut f.state,
        Action::Ai(symphony_conductor::command::CommandKind::Refactor),
    );
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
    update(
        &mut f.state,
        Action::Ai(symphony_conductor::command::CommandKind::Explain),
    );
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
    update(
        &mut f.state,
        Action::Ai(symphony_conductor::command::CommandKind::Workflow),
    );
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

/// Shows `hunks` (`(start, end, new_text)` in `t`, base revision 7) for review: the
/// proposal arrives and the editor maps it onto an unchanged buffer.
fn review_hunks(f: &mut Fixture, t: &str, hunks: &[(usize, usize, &str)]) {
    let hunks = hunks
        .iter()
        .enumerate()
        .map(|(index, (start, end, new))| Hunk {
            index,
            start: *start,
            end: *end,
            old_text: t[*start..*end].into(),
            new_text: (*new).into(),
            state: HunkState::Pending,
        })
        .collect();
    let proposal = Proposal {
        id: "p".into(),
        buffer: Some("1".into()),
        path: None,
        base_revision: Some(7),
        hunks,
    };
    on_conductor_event(
        &mut f.state,
        ConductorEvent::Proposal {
            run: RunId(1),
            proposal,
        },
    );
    let sent = requests(&f.port);
    let [(id, method, params)] = sent.as_slice() else {
        panic!("one rebase: {sent:?}");
    };
    assert_eq!(method, "symphony.review.rebase");
    let answer = mapped_in(t, 7, params, &[]);
    reply(&mut f.state, *id, Ok(answer));
}

/// The first screen row whose text starts with `prefix`.
fn row_starting(buf: &Buffer, prefix: &str) -> u16 {
    let text = text_of(buf);
    let y = text
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no row starts with {prefix:?}:\n{text}"));
    y as u16
}

/// The columns of row `y` whose background is `bg`.
fn cols_with_bg(buf: &Buffer, y: u16, bg: Option<Color>) -> Vec<u16> {
    (0..buf.area.width)
        .filter(|x| buf[(*x, y)].bg == bg.unwrap_or(Color::Reset))
        .collect()
}

/// The symbols of row `y` from column `x`, `n` cells.
fn symbols(buf: &Buffer, x: u16, y: u16, n: u16) -> Vec<String> {
    (x..x + n)
        .map(|x| buf[(x, y)].symbol().to_owned())
        .collect()
}

/// Renaming one word of a line: the removed and the added line keep their soft colour and
/// only the renamed word stands out (stronger background, bold) on both; a hunk rewriting a
/// line completely stays whole lines.
#[test]
fn a_one_word_change_is_emphasised_inside_the_line() {
    let mut f = fixture(64, 14);
    let t = text();
    review_hunks(
        &mut f,
        &t,
        &[
            (at(0), at(1), "fn sum(a: i32, b: i32) -> i32 {\n"),
            (at(5), at(6), "    a.checked_sub(b).expect(\"underflow\")\n"),
        ],
    );
    let buf = render(&f.state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 1..3)));
    let c = Colors::new(ColorMode::TrueColor);
    let removed = row_starting(&buf, "  1 -fn add(");
    let added = removed + 1;
    assert!(text_of(&buf).contains("    +fn sum(a: i32, b: i32) -> i32 {"));
    // Gutter (4) and marker (1): the text starts at x = 5; `add` / `sum` are columns 3..6.
    assert_eq!(cols_with_bg(&buf, removed, c.removed_words.bg), [8, 9, 10]);
    assert_eq!(cols_with_bg(&buf, added, c.added_words.bg), [8, 9, 10]);
    for y in [removed, added] {
        let cell = &buf[(9, y)];
        assert!(
            cell.modifier.contains(Modifier::BOLD),
            "changed words are bold"
        );
    }
    let soft: Vec<u16> = (4..64).filter(|x| !(8..11).contains(x)).collect();
    assert_eq!(cols_with_bg(&buf, removed, c.removed.bg), soft);
    assert_eq!(cols_with_bg(&buf, added, c.added.bg), soft);
    assert!(!buf[(5, removed)].modifier.contains(Modifier::BOLD));
    // The rewritten line of `sub`: whole soft lines, nothing emphasised.
    let removed = row_starting(&buf, "  6 -    a - b");
    for y in [removed, removed + 1] {
        assert!(cols_with_bg(&buf, y, c.removed_words.bg).is_empty());
        assert!(cols_with_bg(&buf, y, c.added_words.bg).is_empty());
    }
    assert_eq!(cols_with_bg(&buf, removed, c.removed.bg).len(), 60);
    assert_eq!(cols_with_bg(&buf, removed + 1, c.added.bg).len(), 60);
}

/// A hunk covering part of a line (the AI rewrote a selection inside it) shows the whole
/// line it leaves, with the changed words emphasised; accepting applies only that part.
#[test]
fn a_hunk_inside_a_line_shows_the_whole_new_line() {
    let mut f = fixture(64, 14);
    let t = text();
    let start = at(1) + "    ".len();
    review_hunks(&mut f, &t, &[(start, start + "a + b".len(), "a.add(b)")]);
    let buf = render(&f.state);
    let shown = text_of(&buf);
    let removed = row_starting(&buf, "  2 -    a + b");
    assert!(shown.contains("    +    a.add(b)\n"), "{shown}");
    let c = Colors::new(ColorMode::TrueColor);
    // ` + ` on the removed line; `.add(` and `)` on the added one.
    assert_eq!(
        cols_with_bg(&buf, removed, c.removed_words.bg),
        [10, 11, 12]
    );
    assert_eq!(
        cols_with_bg(&buf, removed + 1, c.added_words.bg),
        [10, 11, 12, 13, 14, 16]
    );
    scroll_to(&mut f.state, 1, 1, 4);
    alt(&mut f.state, 'a');
    let sent = requests(&f.port);
    let [(id, _, params)] = sent.as_slice() else {
        panic!("rebase first: {sent:?}");
    };
    let answer = mapped(7, params, &[]);
    reply(&mut f.state, *id, Ok(answer));
    let sent = requests(&f.port);
    let [(_, method, params)] = sent.as_slice() else {
        panic!("then apply: {sent:?}");
    };
    assert_eq!(method, "symphony.review.apply");
    assert_eq!(
        params["edits"],
        json!([{"start": start, "end": start + 5, "text": "a.add(b)"}])
    );
}

/// With a tab, wide characters and the view scrolled sideways, the review draws a line
/// cell for cell as the editor view does (one column further right, after the `-`/`+`
/// marker), and the emphasis covers exactly the cells of the changed word, including a
/// wide character cut by the left edge (drawn as a space in the word's style).
#[test]
fn emphasis_follows_tabs_wide_characters_and_horizontal_scroll() {
    let lines = [
        "\tlet 名前 = \"東京\"; // where the first warehouse is\n",
        "\tlet n = 1;\n",
        "",
    ];
    let t = lines.concat();
    let mut f = fixture_with(&lines, 30, 8);
    // The caret on `first`: the editor scrolls 17 columns, which cuts `東` in two.
    let caret = lines[0].find("first").expect("in line");
    scroll_to(&mut f.state, 1, 0, caret);
    let left = match f.state.windows.focused() {
        Some(PaneKind::Editor(e)) => e.left,
        other => panic!("an editor: {other:?}"),
    };
    assert_eq!(left, 17);
    let editor = render(&f.state);
    let new_line = lines[0].replace("東京", "大阪");
    review_hunks(&mut f, &t, &[(0, lines[0].len(), &new_line)]);
    let buf = render(&f.state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 1..3)));
    // Same cells as the editor view (text at x = 4 there, x = 5 here).
    let removed = row_starting(&buf, "  1 -");
    assert_eq!(symbols(&buf, 5, removed, 25), symbols(&editor, 4, 0, 25));
    assert_eq!(symbols(&buf, 5, removed, 3), [" ", "京", " "]);
    assert_eq!(symbols(&buf, 5, removed + 1, 3), [" ", "阪", " "]);
    let c = Colors::new(ColorMode::TrueColor);
    // (The cell a wide character covers is drawn by the character: the terminal keeps
    // it as it is, so it has no style of its own.)
    assert_eq!(cols_with_bg(&buf, removed, c.removed_words.bg), [5, 6]);
    assert_eq!(cols_with_bg(&buf, removed + 1, c.added_words.bg), [5, 6]);
    let soft: Vec<u16> = std::iter::once(4).chain(8..30).collect();
    assert_eq!(
        cols_with_bg(&buf, removed, c.removed.bg),
        soft,
        "marker and the rest"
    );
    // The terminal cursor stays on the caret (column 36 - 17, after gutter and marker).
    let Some(PaneKind::Editor(pane)) = f.state.windows.focused() else {
        panic!("an editor");
    };
    let review = f.state.conductor.reviews.get(&1).expect("under review");
    let at = caret_position(&f.state, pane, review, Rect::new(0, 0, 30, 7));
    assert_eq!(at, Some((5 + 36 - 17, removed)));
}

/// With soft wrap on, a long line wraps in the review as in the editor view: its number and
/// `-`/`+` marker on its first row, the changed word emphasised on the row it wrapped to,
/// the terminal cursor on the caret's row.
#[test]
fn with_soft_wrap_the_changed_word_is_emphasised_on_its_wrapped_row() {
    let lines = [
        "let message = \"the quick brown fox jumps over the lazy dog\";\n",
        "x\n",
        "",
    ];
    let t = lines.concat();
    let config = Config {
        soft_wrap: true,
        ..Config::default()
    };
    let mut f = fixture_config(&lines, 30, 12, config);
    let dog = lines[0].find("dog").expect("in line");
    scroll_to(&mut f.state, 1, 0, dog);
    review_hunks(
        &mut f,
        &t,
        &[(0, lines[0].len(), &lines[0].replace("jumps", "leaps"))],
    );
    let buf = render(&f.state);
    insta::assert_snapshot!(format!("{}\n{}", text_of(&buf), styles_of(&buf, 1..7)));
    // 25 columns of text: rows of the line start at bytes 0, 25 and 50.
    let removed = row_starting(&buf, "  1 -let message = \"the qu");
    let added = row_starting(&buf, "    +let message = \"the qu");
    assert_eq!(added, removed + 3);
    let c = Colors::new(ColorMode::TrueColor);
    // `jumps` / `leaps` are bytes 35..40: columns 10..15 of the second row.
    assert_eq!(
        cols_with_bg(&buf, removed + 1, c.removed_words.bg),
        [15, 16, 17, 18, 19]
    );
    assert_eq!(
        cols_with_bg(&buf, added + 1, c.added_words.bg),
        [15, 16, 17, 18, 19]
    );
    for y in [removed, removed + 2, added, added + 2] {
        assert!(cols_with_bg(&buf, y, c.removed_words.bg).is_empty());
        assert!(cols_with_bg(&buf, y, c.added_words.bg).is_empty());
    }
    // Continuation rows: no number, no marker, the line's colour.
    assert_eq!(symbols(&buf, 0, removed + 1, 5).concat(), "     ");
    assert_eq!(buf[(4, removed + 1)].bg, c.removed.bg.expect("a colour"));
    assert_eq!(buf[(4, added + 2)].bg, c.added.bg.expect("a colour"));
    // The caret (on `dog`, byte 55) is on the removed line's third row.
    let Some(PaneKind::Editor(pane)) = f.state.windows.focused() else {
        panic!("an editor");
    };
    let review = f.state.conductor.reviews.get(&1).expect("under review");
    let at = caret_position(&f.state, pane, review, Rect::new(0, 0, 30, 11));
    assert_eq!(at, Some((5 + 5, removed + 2)));
}

/// The lines around a hunk keep the syntax colours the editor view gives them; the hunk's
/// own lines are in the review's red and green.
#[test]
fn context_lines_keep_their_syntax_colours() {
    // `fn` keywords in style 2 (purple), as the core's syntax highlighting sends them.
    let lines: Vec<Value> = LINES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let styles = if t.starts_with("fn ") {
                vec![0, 2, 2]
            } else {
                vec![]
            };
            json!({"text": t, "ln": i + 1, "styles": styles})
        })
        .collect();
    let update =
        json!({"ops": [{"op": "ins", "n": lines.len(), "lines": lines}], "pristine": true});
    let mut f = fixture_update(update, 64, 14, Config::default());
    def_style(&mut f.state, 2, 0xFFC678DD, None, None);
    let t = text();
    review_hunks(
        &mut f,
        &t,
        &[(at(4), at(5), "fn sub(a: i64, b: i32) -> i32 {\n")],
    );
    let buf = render(&f.state);
    let purple = Color::Rgb(0xc6, 0x78, 0xdd);
    let context = row_starting(&buf, "  1  fn add(");
    assert_eq!(buf[(5, context)].fg, purple, "`fn` of a context line");
    assert_eq!(buf[(6, context)].fg, purple);
    assert_eq!(buf[(7, context)].fg, Color::Reset);
    let removed = row_starting(&buf, "  5 -fn sub(");
    let c = Colors::new(ColorMode::TrueColor);
    assert_eq!(
        Some(buf[(5, removed)].fg),
        c.removed.fg,
        "hunk lines: the review's colours"
    );
    // `i32` -> `i64`: the only emphasis.
    let i32_at = 5 + u16::try_from(LINES[4].find("i32").expect("in line")).expect("small");
    let strong: Vec<u16> = (i32_at..i32_at + 3).collect();
    assert_eq!(cols_with_bg(&buf, removed, c.removed_words.bg), strong);
    assert_eq!(cols_with_bg(&buf, removed + 1, c.added_words.bg), strong);
}

#[test]
fn a_review_key_pressed_in_a_tool_pane_goes_to_the_editor_with_the_proposal() {
    let mut f = fixture(64, 16);
    refactor_until_review(&mut f);
    let editor = f.state.windows.focus();
    // The AI pane takes the focus (it opens beside the editor).
    update(&mut f.state, Action::OpenAiPane);
    assert_ne!(f.state.windows.focus(), editor);
    assert!(f.state.focused_view().is_none());
    alt(&mut f.state, 'a');
    // The key went to the editor with the proposal: it has the focus, and the accept
    // started (a rebase first, as when pressed there).
    assert_eq!(f.state.windows.focus(), editor);
    let sent = requests(&f.port);
    assert!(
        sent.iter().any(|(_, m, _)| m == "symphony.review.rebase"),
        "{sent:?}"
    );
}

#[test]
fn a_review_key_in_a_tool_pane_with_nothing_to_review_says_so() {
    let mut f = fixture(64, 16);
    update(&mut f.state, Action::OpenDagPane);
    assert!(f.state.focused_view().is_none());
    alt(&mut f.state, 'a');
    let msg = f.state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        msg.as_deref(),
        Some("Nothing to review: no AI proposal is open")
    );
}
