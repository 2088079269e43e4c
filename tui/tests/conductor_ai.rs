//! The AI pane as a user sees it in session 4: highlighted code blocks in
//! replies, a model call's retry said in the reply area and on the DAG node
//! line, the workflows picker and the candidates picker of a pick step.
//! States come only from scripted ConductorEvents, keys go through the real
//! input path, screens are insta snapshots (TestBackend), calls are checked
//! on a recording Conductor.

mod common;

use std::time::Duration;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use symphony_conductor::command::AiCommand;
use symphony_conductor::conductor::WorkflowConfig;
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use symphony_conductor::instrument::InstrumentConfig;
use symphony_conductor::workflow::{NodeConfig, NodeKind};
use symphony_tui::action::Action;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::highlight;
use symphony_tui::conductor::{Canned, ConductorCall, RecordingConductor};
use symphony_tui::overlays::Overlay;
use symphony_tui::panes::PaneKind;
use symphony_tui::ui::colors::ColorMode;

fn prefix(state: &mut State, c: char) {
    press(state, KeyCode::Char('b'), KeyModifiers::CONTROL);
    press(state, KeyCode::Char(c), KeyModifiers::NONE);
}

/// The (x, y) of the first cell where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    for y in 0..buf.area.height {
        let row: Vec<String> = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        let text: String = row.concat();
        if let Some(byte) = text.find(needle) {
            // Cells are one character each here (ASCII rows).
            let col = text[..byte].chars().count();
            return Some((col as u16, y));
        }
    }
    None
}

fn streamed_reply(state: &mut State) {
    ev(
        state,
        ConductorEvent::RunStarted {
            run: RunId(1),
            title: "explain: add".into(),
            nodes: vec![node("model", "model", &[], Some("local"))],
        },
    );
    for t in [
        "Use checked_add:\n```rust\n",
        "let msg = \"overflow\";\n",
        "fn add(a: i32) -> Option<i32> {\n    a.checked_add(1)\n}\n```\n",
        "Done.",
    ] {
        ev(
            state,
            ConductorEvent::Token {
                run: RunId(1),
                node: "model".into(),
                text: t.into(),
            },
        );
    }
}

#[test]
fn code_blocks_in_replies_are_highlighted_keywords_and_strings_apart() {
    highlight::load_now();
    let (mut state, _rec) = conductor_state(Canned::default(), 70, 18);
    update(&mut state, Action::OpenAiPane);
    streamed_reply(&mut state);
    let buf = render(&state);
    insta::assert_snapshot!(text_of(&buf));
    let (kx, ky) = find(&buf, "let msg").expect("the code line shows");
    let (sx, sy) = find(&buf, "overflow\"").expect("the string shows");
    let keyword = buf[(kx, ky)].style();
    let string = buf[(sx, sy)].style();
    let code_bg = Some(Color::Rgb(0x26, 0x2a, 0x33));
    assert_eq!(keyword.bg, code_bg, "the code background is kept");
    assert_eq!(string.bg, code_bg);
    assert!(matches!(keyword.fg, Some(Color::Rgb(..))), "{keyword:?}");
    assert_ne!(keyword.fg, string.fg, "a keyword and a string differ");
    // The prose around the block is not highlighted.
    let (px, py) = find(&buf, "Done.").expect("prose");
    assert_ne!(buf[(px, py)].style().bg, code_bg);
    // On a 256-colour terminal the same colours come from the palette.
    state.color_mode = ColorMode::Ansi256;
    let buf = render(&state);
    let (kx, ky) = find(&buf, "let msg").expect("code");
    assert!(matches!(buf[(kx, ky)].style().fg, Some(Color::Indexed(_))));
    assert!(matches!(buf[(kx, ky)].style().bg, Some(Color::Indexed(_))));
}

#[test]
fn a_fence_without_a_tag_takes_the_language_of_the_runs_context() {
    highlight::load_now();
    let (mut state, _rec) = conductor_state(Canned::default(), 70, 18);
    update(&mut state, Action::OpenAiPane);
    state
        .conductor
        .run_languages
        .insert(RunId(1), "Rust".into());
    ev(
        &mut state,
        ConductorEvent::RunStarted {
            run: RunId(1),
            title: "explain: add".into(),
            nodes: vec![node("model", "model", &[], Some("local"))],
        },
    );
    ev(
        &mut state,
        ConductorEvent::Token {
            run: RunId(1),
            node: "model".into(),
            text: "```\nlet s = \"x\";\n```".into(),
        },
    );
    let buf = render(&state);
    let (kx, ky) = find(&buf, "let s").expect("code");
    let (sx, sy) = find(&buf, "\"x\"").expect("string");
    assert_ne!(buf[(kx, ky)].style().fg, buf[(sx + 1, sy)].style().fg);
}

fn retry_scenario(state: &mut State) {
    ev(
        state,
        ConductorEvent::RunStarted {
            run: RunId(1),
            title: "explain: add".into(),
            nodes: vec![
                node("prompt", "prompt", &[], None),
                node("model", "model", &["prompt"], Some("local")),
            ],
        },
    );
    ev(
        state,
        ConductorEvent::Node {
            run: RunId(1),
            node: "prompt".into(),
            status: NodeStatus::Done,
        },
    );
    ev(
        state,
        ConductorEvent::Node {
            run: RunId(1),
            node: "model".into(),
            status: NodeStatus::Running { attempt: 1 },
        },
    );
    ev(
        state,
        ConductorEvent::Retrying {
            run: RunId(1),
            node: "model".into(),
            instrument: "local".into(),
            attempt: 2,
            after: Duration::from_secs(2),
            reason: "HTTP 429: Too Many Requests".into(),
        },
    );
}

fn config_with_local_instrument(state: &mut State) {
    let local: InstrumentConfig = serde_json::from_value(
        serde_json::json!({"name": "local", "kind": "openai", "max_retries": 3}),
    )
    .expect("instrument config");
    state.config.conductor.instruments = vec![local];
}

#[test]
fn a_retry_shows_its_wait_reason_and_attempt_in_the_reply_area_and_the_dag() {
    let (mut state, _rec) = conductor_state(Canned::default(), 180, 20);
    config_with_local_instrument(&mut state);
    update(&mut state, Action::OpenAiPane);
    update(&mut state, Action::OpenDagPane);
    retry_scenario(&mut state);
    let s = screen(&state);
    insta::assert_snapshot!(s);
    let line = "retrying in 2.0 s (429 Too Many Requests, attempt 2/4)";
    assert_eq!(s.matches(line).count(), 2, "AI pane and DAG pane:\n{s}");
    // The first token ends the wait: the line goes away.
    ev(
        &mut state,
        ConductorEvent::Token {
            run: RunId(1),
            node: "model".into(),
            text: "It adds.".into(),
        },
    );
    let s = screen(&state);
    assert!(!s.contains("retrying"), "{s}");
    assert!(s.contains("It adds."), "{s}");
}

fn workflows() -> Vec<WorkflowConfig> {
    let mut prompt = NodeConfig::new("prompt", NodeKind::Prompt);
    prompt.template =
        Some("Tidy this {{language}} as asked: {{instruction}}\n{{selection}}".into());
    let mut model = NodeConfig::new("model", NodeKind::Model);
    model.instrument = Some("local".into());
    model.depends_on = vec!["prompt".into()];
    let mut lint = NodeConfig::new("lint", NodeKind::Shell);
    lint.command = Some("cargo clippy".into());
    vec![
        WorkflowConfig {
            name: "tidy".into(),
            description: Some("Tidy the selection as you say".into()),
            answer: None,
            nodes: vec![prompt, model],
        },
        WorkflowConfig {
            name: "lint".into(),
            description: Some("Run clippy".into()),
            answer: None,
            nodes: vec![lint],
        },
    ]
}

fn workflow_state() -> (State, RecordingConductor) {
    let flows = workflows();
    let (mut state, rec) = conductor_state(
        Canned {
            workflows: flows
                .iter()
                .map(|w| (w.name.clone(), w.description.clone()))
                .collect(),
            ..Default::default()
        },
        90,
        22,
    );
    state.config.conductor.workflows = flows;
    (state, rec)
}

fn snapshot_answer(state: &mut State) {
    let v = serde_json::json!({"text": "fn add() {}\n", "path": "/home/demo/project/src/lib.rs",
        "language": "Rust", "revision": 3});
    symphony_tui::conductor::commands::on_snapshot(state, 1, Ok(v));
}

#[test]
fn the_workflows_picker_lists_name_and_description_then_asks_for_the_instruction() {
    let (mut state, rec) = workflow_state();
    prefix(&mut state, 'W');
    assert!(matches!(state.overlays.last(), Some(Overlay::Ai(_))));
    insta::assert_snapshot!(screen(&state));
    // Fuzzy: "td" finds tidy; it uses {{instruction}}, so the AI pane asks.
    typed(&mut state, "td");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(state.overlays.is_empty());
    assert!(matches!(state.windows.focused(), Some(PaneKind::Ai(_))));
    snapshot_answer(&mut state);
    let s = screen(&state);
    assert!(s.contains("tidy: instruction?"), "{s}");
    assert!(
        calls(&rec).is_empty(),
        "nothing runs before the instruction"
    );
    typed(&mut state, "shorter names");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let got = calls(&rec);
    assert!(
        matches!(&got[..], [ConductorCall::Run(AiCommand::Workflow { name, instruction }, ctx, _)]
            if name == "tidy" && instruction.as_deref() == Some("shorter names")
                && ctx.language.as_deref() == Some("Rust")),
        "{got:?}"
    );
}

#[test]
fn a_workflow_without_instruction_runs_at_once_and_name_instruction_still_types() {
    let (mut state, rec) = workflow_state();
    prefix(&mut state, 'W');
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    snapshot_answer(&mut state);
    let got = calls(&rec);
    assert!(
        matches!(&got[..], [ConductorCall::Run(AiCommand::Workflow { name, instruction: None }, ..)]
            if name == "lint"),
        "{got:?}"
    );
    // Typing `NAME instruction` in the picker runs it with that instruction.
    update(
        &mut state,
        Action::Ai(symphony_conductor::command::CommandKind::Workflow),
    );
    typed(&mut state, "tidy use iterators");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    snapshot_answer(&mut state);
    let got = calls(&rec);
    assert!(
        matches!(&got[..], [ConductorCall::Run(AiCommand::Workflow { name, instruction }, ..)]
            if name == "tidy" && instruction.as_deref() == Some("use iterators")),
        "{got:?}"
    );
}

fn fan_out_run(state: &mut State) {
    ev(
        state,
        ConductorEvent::RunStarted {
            run: RunId(4),
            title: "best-of-two: add".into(),
            nodes: vec![
                node("prompt", "prompt", &[], None),
                node("fast", "model", &["prompt"], Some("local")),
                node("smart", "model", &["prompt"], Some("claude")),
                node("fast_code", "extract", &["fast"], None),
                node("smart_code", "extract", &["smart"], None),
                node("pick", "pick", &["fast_code", "smart_code"], None),
            ],
        },
    );
    ev(
        state,
        ConductorEvent::Node {
            run: RunId(4),
            node: "pick".into(),
            status: NodeStatus::Running { attempt: 1 },
        },
    );
    ev(
        state,
        ConductorEvent::Candidates {
            run: RunId(4),
            node: "pick".into(),
            candidates: vec![
                "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n".into(),
                "fn add(a: i32, b: i32) -> Option<i32> {\n    // never overflows\n    a.checked_add(b)\n}\n"
                    .into(),
            ],
        },
    );
}

#[test]
fn candidates_open_a_picker_with_a_preview_and_enter_chooses() {
    highlight::load_now();
    let (mut state, rec) = conductor_state(Canned::default(), 100, 22);
    state
        .conductor
        .run_languages
        .insert(RunId(4), "Rust".into());
    state.conductor.run_selections.insert(
        RunId(4),
        "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n".into(),
    );
    fan_out_run(&mut state);
    assert!(matches!(state.overlays.last(), Some(Overlay::Ai(_))));
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    let buf = render(&state);
    insta::assert_snapshot!(text_of(&buf));
    // The preview is the selected candidate's code, highlighted.
    let (cx, cy) = find(&buf, "// never overflows").expect("the preview shows");
    let (kx, ky) = find(&buf, "a.checked_add").expect("code");
    assert_eq!(buf[(cx, cy)].style().bg, Some(Color::Rgb(0x26, 0x2a, 0x33)));
    assert_ne!(buf[(cx, cy)].style().fg, buf[(kx, ky)].style().fg);
    // PageDown scrolls a long preview; the selection stays.
    press(&mut state, KeyCode::PageDown, KeyModifiers::NONE);
    assert!(!screen(&state).contains("// never overflows"));
    press(&mut state, KeyCode::PageUp, KeyModifiers::NONE);
    assert!(screen(&state).contains("// never overflows"));
    // Tab: the candidate against the text the run read.
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    let buf = render(&state);
    let (rx, ry) = find(&buf, "-     a + b").expect("the removed line");
    let (ax, ay) = find(&buf, "+     a.checked_add(b)").expect("the added line");
    assert_eq!(buf[(rx, ry)].style().fg, Some(Color::Red));
    assert_eq!(buf[(ax, ay)].style().fg, Some(Color::Green));
    assert!(find(&buf, "+     // never overflows").is_some());
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        calls(&rec),
        vec![ConductorCall::Choose(RunId(4), "pick".into(), 1)]
    );
    assert!(state.overlays.is_empty());
    assert!(state.conductor.choice.is_none());
    update(&mut state, Action::OpenAiPane);
    assert!(screen(&state).contains("chose candidate 2 (claude)"));
}

#[test]
fn esc_leaves_the_choice_pending_and_the_dag_or_the_palette_reopens_it() {
    let (mut state, rec) = conductor_state(Canned::default(), 100, 22);
    // The DAG and pool panes' rows are wide: this test keeps the dock below the editor.
    update(&mut state, Action::FlipDock);
    update(&mut state, Action::OpenDagPane);
    fan_out_run(&mut state);
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert!(state.overlays.is_empty());
    assert!(calls(&rec).is_empty(), "Esc does not choose");
    let s = screen(&state);
    assert!(
        s.contains("pick (pick)  waiting for your choice (Enter)"),
        "{s}"
    );
    // DAG rows: the run, then its nodes; the pick node is the 7th row.
    for _ in 0..6 {
        press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    }
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(state.overlays.last(), Some(Overlay::Ai(_))));
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    // The palette's "AI: choose a candidate".
    press(&mut state, KeyCode::Char('p'), KeyModifiers::CONTROL);
    typed(&mut state, "choose a candidate");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(state.overlays.last(), Some(Overlay::Ai(_))));
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    // Enter on the AI pane's empty prompt too.
    update(&mut state, Action::OpenAiPane);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(state.overlays.last(), Some(Overlay::Ai(_))));
    typed(&mut state, "1.");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        calls(&rec),
        vec![ConductorCall::Choose(RunId(4), "pick".into(), 0)]
    );
    // Once the run ends, nothing is waiting.
    ev(
        &mut state,
        ConductorEvent::RunFinished {
            run: RunId(4),
            outcome: RunOutcome::Succeeded,
            answer: None,
        },
    );
    update(&mut state, Action::AiChooseCandidate);
    assert!(state.overlays.is_empty());
}
