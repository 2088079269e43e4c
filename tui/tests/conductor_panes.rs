//! The Conductor panes (AI, DAG, artifacts, pool) as a user sees them: states
//! built only from scripted ConductorEvents, keys through the real input path,
//! screens as insta snapshots (TestBackend), calls on a recording Conductor.

mod common;

use std::time::Duration;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_conductor::events::{
    ArtifactHit, ConductorEvent, InstrumentStatus, NodeInfo, NodeStatus, RunId, RunOutcome,
};
use symphony_tui::action::Action;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::conductor::{Canned, ConductorCall, RecordingConductor, install};
use symphony_tui::panes::PaneKind;

/// A 70x18 state with a Rust file in the first pane and a recording Conductor.
fn conductor_state(canned: Canned) -> (State, RecordingConductor) {
    common::conductor_state(canned, 70, 18)
}

fn refactor_nodes() -> Vec<NodeInfo> {
    vec![
        node("context", "context", &[], None),
        node("prompt", "prompt", &["context"], None),
        node("model", "model", &["prompt"], Some("local")),
        node("extract", "extract", &["model"], None),
        node("diff", "diff", &["extract"], None),
    ]
}

#[test]
fn ai_pane_streams_a_reply_token_by_token_with_a_code_block() {
    let (mut state, _rec) = conductor_state(Canned::default());
    update(&mut state, Action::OpenAiPane);
    assert!(matches!(state.windows.focused(), Some(PaneKind::Ai(_))));
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
            text: "It adds".into(),
        },
    );
    // The first token is on screen before the run ends.
    assert!(screen(&state).contains("It adds"), "{}", screen(&state));
    for t in [
        " two numbers:\n```rust\nadd(1, 2) // 3\n",
        "```\nThat is all.",
    ] {
        ev(
            &mut state,
            ConductorEvent::Token {
                run: RunId(1),
                node: "model".into(),
                text: t.into(),
            },
        );
    }
    ev(
        &mut state,
        ConductorEvent::RunFinished {
            run: RunId(1),
            outcome: RunOutcome::Succeeded,
            answer: None,
        },
    );
    typed(&mut state, "and overflow?");
    let buf = render(&state);
    insta::assert_snapshot!(text_of(&buf));
    // The code block has its own background, the rest of the reply none.
    let code_row = (0..buf.area.height)
        .find(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, *y)].symbol())
                .collect::<String>()
                .contains("add(1, 2)")
        })
        .expect("code row");
    let right_half = buf.area.width - 20;
    assert!(buf[(right_half, code_row)].style().bg.is_some());
    // Plain text typed at the prompt does not reach the editor.
    assert!(!screen(&state).contains("and overflow?fn"));
}

#[test]
fn ai_pane_without_instruments_explains_how_to_configure_one() {
    let (mut state, _rec) = conductor_state(Canned::default());
    state.conductor.instruments = 0;
    update(&mut state, Action::OpenAiPane);
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn failed_and_cancelled_runs_are_said_in_the_history() {
    let (mut state, _rec) = conductor_state(Canned::default());
    update(&mut state, Action::OpenAiPane);
    for (run, outcome) in [
        (1, RunOutcome::Failed("model: HTTP 500: overloaded".into())),
        (2, RunOutcome::Cancelled),
    ] {
        ev(
            &mut state,
            ConductorEvent::RunStarted {
                run: RunId(run),
                title: format!("explain #{run}"),
                nodes: Vec::new(),
            },
        );
        ev(
            &mut state,
            ConductorEvent::RunFinished {
                run: RunId(run),
                outcome,
                answer: None,
            },
        );
    }
    let s = screen(&state);
    assert!(s.contains("Run #1 failed: model: HTTP 500:"), "{s}");
    assert!(s.contains("overloaded"), "{s}");
    assert!(s.contains("Run #2 cancelled"), "{s}");
}

fn dag_scenario(state: &mut State) {
    ev(
        state,
        ConductorEvent::RunStarted {
            run: RunId(1),
            title: "explain: add".into(),
            nodes: vec![node("model", "model", &[], Some("local"))],
        },
    );
    ev(
        state,
        ConductorEvent::Node {
            run: RunId(1),
            node: "model".into(),
            status: NodeStatus::Failed("HTTP 429: slow down".into()),
        },
    );
    ev(
        state,
        ConductorEvent::RunFinished {
            run: RunId(1),
            outcome: RunOutcome::Failed("model: HTTP 429: slow down".into()),
            answer: None,
        },
    );
    ev(
        state,
        ConductorEvent::RunStarted {
            run: RunId(2),
            title: "refactor: use checked_add".into(),
            nodes: refactor_nodes(),
        },
    );
    for (n, s) in [
        ("context", NodeStatus::Done),
        ("prompt", NodeStatus::Done),
        ("model", NodeStatus::Running { attempt: 1 }),
    ] {
        ev(
            state,
            ConductorEvent::Node {
                run: RunId(2),
                node: n.into(),
                status: s,
            },
        );
    }
    ev(
        state,
        ConductorEvent::Throughput {
            run: RunId(2),
            node: "model".into(),
            tokens_per_second: 42.5,
        },
    );
}

#[test]
fn dag_pane_shows_runs_as_trees_with_progress_elapsed_and_throughput() {
    let (mut state, _rec) = conductor_state(Canned::default());
    // The DAG and pool panes' rows are wide: this test keeps the dock below the editor.
    update(&mut state, Action::FlipDock);
    update(&mut state, Action::OpenDagPane);
    dag_scenario(&mut state);
    let t0 = state.conductor.frozen_now.expect("clock");
    state.conductor.frozen_now = Some(t0 + Duration::from_millis(2500));
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn dag_pane_keys_cancel_the_run_retry_a_failed_node_and_open_its_output() {
    let (mut state, rec) = conductor_state(Canned {
        node_output: Some("HTTP 429: slow down\nretry later".into()),
        ..Default::default()
    });
    update(&mut state, Action::OpenDagPane);
    dag_scenario(&mut state);
    // Row 0 is the newest run (running): Esc cancels it.
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(calls(&rec), vec![ConductorCall::Cancel(RunId(2))]);
    // Rows: run 2, its 5 nodes, run 1, its failed node (row 7).
    for _ in 0..7 {
        press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    }
    typed(&mut state, "r");
    assert_eq!(
        calls(&rec),
        vec![ConductorCall::Retry(RunId(1), "model".into())]
    );
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        calls(&rec),
        vec![ConductorCall::NodeOutput(RunId(1), "model".into())]
    );
    answered(&mut state, &rec);
    let PaneKind::Tool(tool) = state.windows.focused().expect("pane") else {
        panic!("the output opens in a tool pane");
    };
    assert_eq!(tool.lines, vec!["HTTP 429: slow down", "retry later"]);
    // A finished run is not cancelled again.
    update(&mut state, Action::AiCancelRun);
    assert_eq!(calls(&rec), vec![ConductorCall::Cancel(RunId(2))]);
}

/// The DAG pane's failed node selected (row 7, see the test above).
fn select_failed_node(state: &mut State) {
    update(state, Action::OpenDagPane);
    dag_scenario(state);
    for _ in 0..7 {
        press(state, KeyCode::Down, KeyModifiers::NONE);
    }
}

#[test]
fn a_nodes_output_pane_says_loading_until_the_conductor_has_read_it() {
    let (mut state, rec) = conductor_state(Canned {
        node_output: Some("HTTP 429: slow down\nretry later".into()),
        ..Default::default()
    });
    select_failed_node(&mut state);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    // The key returned before the output was read: the pane waits for it.
    let PaneKind::Tool(tool) = state.windows.focused().expect("pane") else {
        panic!("the output opens in a tool pane");
    };
    assert_eq!(tool.lines, vec!["Loading…"]);
    assert!(screen(&state).contains("Loading…"), "{}", screen(&state));
    answered(&mut state, &rec);
    let s = screen(&state);
    assert!(s.contains("retry later") && !s.contains("Loading…"), "{s}");
}

#[test]
fn a_node_without_output_closes_its_loading_pane_and_says_so() {
    let (mut state, rec) = conductor_state(Canned::default());
    select_failed_node(&mut state);
    let before = state.windows.panes.len();
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        state.windows.panes.len(),
        before + 1,
        "a pane says Loading…"
    );
    answered(&mut state, &rec);
    assert_eq!(state.windows.panes.len(), before);
    assert!(
        screen(&state).contains("model has no output yet"),
        "{}",
        screen(&state)
    );
}

#[test]
fn the_conversations_list_says_loading_until_the_conductor_has_listed_them() {
    let (mut state, rec) = conductor_state(Canned::default());
    rec.canned.lock().expect("canned").conversations = vec![ArtifactHit {
        id: "c1".into(),
        kind: "conversation".into(),
        title: "why is add slow".into(),
        snippet: "it is not".into(),
        tags: vec![],
        pinned: false,
        run: None,
    }];
    update(&mut state, Action::OpenAiPane);
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    let s = screen(&state);
    assert!(
        s.contains("Loading…") && !s.contains("why is add slow"),
        "{s}"
    );
    answered(&mut state, &rec);
    let s = screen(&state);
    assert!(
        s.contains("why is add slow") && !s.contains("Loading…"),
        "{s}"
    );
}

fn hits() -> Vec<ArtifactHit> {
    vec![
        ArtifactHit {
            id: "a1".into(),
            kind: "diff".into(),
            title: "refactor: use checked_add · diff".into(),
            snippet: "-    a + b\n+    a.checked_add(b)".into(),
            tags: vec!["keep".into()],
            pinned: true,
            run: Some(RunId(2)),
        },
        ArtifactHit {
            id: "a2".into(),
            kind: "response".into(),
            title: "explain: add · model".into(),
            snippet: "It adds two numbers".into(),
            tags: Vec::new(),
            pinned: false,
            run: Some(RunId(1)),
        },
    ]
}

#[test]
fn artifacts_pane_searches_previews_pins_tags_and_opens_in_an_editor() {
    let (mut state, rec) = conductor_state(Canned {
        hits: hits(),
        texts: vec![
            ("a1".into(), "-    a + b\n+    a.checked_add(b)\n".into()),
            ("a2".into(), "It adds two numbers.\n".into()),
        ],
        ..Default::default()
    });
    update(&mut state, Action::OpenArtifactsPane);
    typed(&mut state, "add kind:diff");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    answered(&mut state, &rec);
    assert_eq!(
        calls(&rec),
        vec![ConductorCall::Search("add kind:diff".into())]
    );
    insta::assert_snapshot!(screen(&state));
    // Second result: pin it, tag it.
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    answered(&mut state, &rec);
    typed(&mut state, "p");
    typed(&mut state, "tlater");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        calls(&rec),
        vec![
            ConductorCall::Pin("a2".into(), true),
            ConductorCall::Tag("a2".into(), "later".into())
        ]
    );
    assert!(screen(&state).contains("* [response] explain"));
    let Some(PaneKind::Artifacts(pane)) = state.windows.focused() else {
        panic!("artifacts pane");
    };
    assert_eq!(pane.results[1].tags, vec!["later".to_owned()]);
    // Open: a new editor pane with the text.
    typed(&mut state, "o");
    answered(&mut state, &rec);
    let Some(PaneKind::Editor(e)) = state.windows.focused() else {
        panic!("the artifact opens in an editor pane");
    };
    assert!(state.views.contains_key(&e.view));
}

#[test]
fn artifact_opened_in_an_editor_sends_its_text_to_a_new_buffer() {
    let (mut state, calls_port) = state_with(Some("src/lib.rs"), 70, 18);
    let rec = RecordingConductor::new();
    *rec.canned.lock().expect("canned") = Canned {
        hits: hits(),
        texts: vec![("a1".into(), "the diff text\n".into())],
        ..Default::default()
    };
    install(&mut state, Box::new(rec.clone()));
    update(&mut state, Action::OpenArtifactsPane);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    answered(&mut state, &rec);
    take(&calls_port);
    typed(&mut state, "o");
    answered(&mut state, &rec);
    let sent = take(&calls_port);
    assert!(
        sent.iter()
            .any(|c| matches!(c, PortCall::Open { path: None, .. })),
        "{sent:?}"
    );
    assert!(
        sent.iter().any(|c| matches!(c,
            PortCall::Edit(_, symphony_protocol::xi::EditNotification::Insert { chars })
                if chars == "the diff text\n")),
        "{sent:?}"
    );
}

#[test]
fn pool_pane_shows_each_instrument_with_slots_latency_and_a_sparkline() {
    let (mut state, _rec) = conductor_state(Canned::default());
    // The DAG and pool panes' rows are wide: this test keeps the dock below the editor.
    update(&mut state, Action::FlipDock);
    update(&mut state, Action::OpenPoolPane);
    ev(
        &mut state,
        ConductorEvent::Pool(vec![
            InstrumentStatus {
                name: "local".into(),
                kind: "openai".into(),
                model: "qwen2.5-coder".into(),
                state: "Hot".into(),
                slots_used: 1,
                slots_limit: 2,
                queued: 3,
                p50_latency: Some(Duration::from_millis(1840)),
                time_to_first_token: Some(Duration::from_millis(212)),
                tokens_per_second: vec![10.0, 22.0, 35.0, 41.0, 38.0, 44.0, 12.0],
                last_error: None,
                residency: None,
            },
            InstrumentStatus {
                name: "claude".into(),
                kind: "anthropic".into(),
                model: "claude-sonnet".into(),
                state: "Failed".into(),
                slots_used: 0,
                slots_limit: 4,
                queued: 0,
                p50_latency: None,
                time_to_first_token: None,
                tokens_per_second: Vec::new(),
                last_error: Some("HTTP 401: invalid x-api-key".into()),
                residency: None,
            },
        ]),
    );
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn prefix_keys_open_the_panes_and_focus_an_open_one() {
    let (mut state, _rec) = conductor_state(Canned::default());
    let prefix = |s: &mut State, c: char| {
        press(s, KeyCode::Char('b'), KeyModifiers::CONTROL);
        press(s, KeyCode::Char(c), KeyModifiers::NONE);
    };
    prefix(&mut state, 'a');
    assert!(matches!(state.windows.focused(), Some(PaneKind::Ai(_))));
    prefix(&mut state, 'g');
    assert!(matches!(state.windows.focused(), Some(PaneKind::Dag(_))));
    prefix(&mut state, 'A');
    assert!(matches!(
        state.windows.focused(),
        Some(PaneKind::Artifacts(_))
    ));
    prefix(&mut state, 'P');
    assert!(matches!(state.windows.focused(), Some(PaneKind::Pool(_))));
    prefix(&mut state, 'a');
    assert!(matches!(state.windows.focused(), Some(PaneKind::Ai(_))));
    assert_eq!(state.windows.current().leaves().len(), 5);
    // In a Conductor pane, Ctrl chords still reach the keymap.
    press(&mut state, KeyCode::Char('p'), KeyModifiers::CONTROL);
    assert_eq!(state.overlays.len(), 1, "ctrl-p opens the palette");
}

#[test]
fn instruments_come_from_config_toml_and_the_default_config_shows_how() {
    let text = "default_instrument = \"local\"\n\n[[instruments]]\nname = \"local\"\n\
                kind = \"openai\"\nbase_url = \"http://127.0.0.1:8080\"\nmodel = \"qwen\"\n";
    let config = symphony_tui::config::Config::parse(text, "config.toml").expect("parses");
    let c = &config.conductor;
    assert_eq!(c.default_instrument.as_deref(), Some("local"));
    assert_eq!(c.instruments.len(), 1);
    assert_eq!(
        c.instruments[0].base_url.as_deref(),
        Some("http://127.0.0.1:8080")
    );
    let err = symphony_tui::config::Config::parse("[[instruments]]\nname = \"x\"\n", "c.toml")
        .expect_err("an instrument needs a kind");
    assert_eq!(err.line, 1, "{err}");
    let default = symphony_tui::config::default_config_text();
    assert!(default.contains("# [[instruments]]"));
    assert!(default.contains("# default_instrument"));
    symphony_tui::config::Config::parse(&default, "default").expect("the default parses");
}
