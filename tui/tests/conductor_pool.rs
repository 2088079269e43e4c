//! The pool pane as a user sees and drives it: an Ollama instrument with its
//! loaded models (size, GPU/CPU, expiry, the configured one marked) next to an
//! openai instrument, the key hints, and `w` / `u` / `r` / j / k through the
//! real input path reaching a recording Conductor. States come only from
//! scripted `ConductorEvent::Pool` events.

mod common;

use std::time::{Duration, Instant};

use common::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use symphony_conductor::events::{ConductorEvent, InstrumentStatus, Residency, ResidentModel};
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::{Canned, ConductorCall, RecordingConductor, on_conductor_event};
use symphony_tui::panes::PaneKind;

fn press(state: &mut State, code: KeyCode) {
    for a in event_to_actions(state, Event::Key(KeyEvent::new(code, KeyModifiers::NONE))) {
        update(state, a);
    }
}

fn ollama(state: &str, models: Vec<ResidentModel>, error: Option<&str>) -> InstrumentStatus {
    InstrumentStatus {
        name: "local".into(),
        kind: "ollama".into(),
        model: "qwen2.5-coder:7b".into(),
        state: state.into(),
        slots_used: 0,
        slots_limit: 2,
        queued: 0,
        p50_latency: Some(Duration::from_millis(2310)),
        time_to_first_token: Some(Duration::from_millis(180)),
        tokens_per_second: vec![31.0, 35.5, 33.2],
        last_error: error.map(Into::into),
        residency: Some(Residency {
            checked: true,
            models,
        }),
    }
}

fn openai(error: Option<&str>) -> InstrumentStatus {
    InstrumentStatus {
        name: "remote".into(),
        kind: "openai".into(),
        model: "gpt-4o-mini".into(),
        state: "Cold".into(),
        slots_used: 0,
        slots_limit: 4,
        queued: 0,
        p50_latency: None,
        time_to_first_token: None,
        tokens_per_second: Vec::new(),
        last_error: error.map(Into::into),
        residency: None,
    }
}

fn two_models() -> Vec<ResidentModel> {
    vec![
        ResidentModel {
            name: "qwen2.5-coder:7b".into(),
            size: 5_137_025_024,
            size_vram: 5_137_025_024,
            expires_in: Some(Duration::from_secs(4 * 60 + 12)),
            configured: true,
        },
        ResidentModel {
            name: "llama3.2:latest".into(),
            size: 3_200_000_000,
            size_vram: 1_536_000_000,
            expires_in: Some(Duration::from_secs(38)),
            configured: false,
        },
    ]
}

/// A `w`x`h` screen with a file on top and the pool pane below, focused.
fn pool_state(w: u16, h: u16) -> (State, RecordingConductor) {
    let (mut state, rec) = conductor_state(Canned::default(), w, h);
    state.conductor.instruments = 2;
    state.conductor.frozen_now = Some(Instant::now());
    // The DAG and pool panes' rows are wide: this test keeps the dock below the editor.
    update(&mut state, Action::FlipDock);
    update(&mut state, Action::OpenPoolPane);
    assert!(matches!(state.windows.focused(), Some(PaneKind::Pool(_))));
    (state, rec)
}

#[test]
fn pool_pane_shows_the_models_ollama_has_loaded_under_its_instrument() {
    let (mut state, _rec) = pool_state(80, 24);
    on_conductor_event(
        &mut state,
        ConductorEvent::Pool(vec![
            ollama("Hot", two_models(), None),
            openai(Some("prewarm is not supported by openai")),
        ]),
    );
    let text = screen(&state);
    assert!(
        text.contains(
            "● qwen2.5-coder:7b   5.1 GB  100% GPU         expires in 4m 12s  configured"
        ),
        "{text}"
    );
    assert!(
        text.contains("○ llama3.2:latest    3.2 GB  52%/48% CPU/GPU  expires in 38s"),
        "{text}"
    );
    assert!(
        text.contains("j/k select  w prewarm  u unload  r refresh"),
        "{text}"
    );
    // The state and the configured model's mark in green; the other model's grey.
    let buf = render(&state);
    let header = text
        .lines()
        .position(|l| l.starts_with("local ("))
        .expect("header");
    let y = header as u16;
    let hot = "local (ollama qwen2.5-coder:7b) ".len() as u16;
    assert_eq!(buf[(hot, y)].fg, Color::Green);
    assert_eq!(buf[(2, y + 3)].symbol(), "●");
    assert_eq!(buf[(2, y + 3)].fg, Color::Green);
    assert_eq!(buf[(2, y + 4)].fg, Color::DarkGray);
    insta::assert_snapshot!(text);
}

#[test]
fn an_ollama_that_is_down_or_idle_says_so() {
    let (mut state, _rec) = pool_state(80, 20);
    // Before Ollama's first answer.
    let mut asking = ollama("Cold", Vec::new(), None);
    asking.residency = Some(Residency::default());
    on_conductor_event(&mut state, ConductorEvent::Pool(vec![asking]));
    assert!(
        screen(&state).contains("loaded models: checking..."),
        "{}",
        screen(&state)
    );
    let mut down = ollama(
        "Failed",
        Vec::new(),
        Some(
            "cannot reach http://127.0.0.1:11434/api/ps: error sending request for url \
             (http://127.0.0.1:11434/api/ps): tcp connect error: connection refused",
        ),
    );
    down.residency = Some(Residency::default());
    on_conductor_event(&mut state, ConductorEvent::Pool(vec![down]));
    let text = screen(&state);
    assert!(
        text.contains("local (ollama qwen2.5-coder:7b) Failed"),
        "{text}"
    );
    assert!(text.contains("loaded models: unknown"), "{text}");
    assert!(
        text.contains("last error: cannot reach http://127.0.0.1:11434/api/ps"),
        "{text}"
    );
    // A long error wraps under its label, so its end (the cause) shows.
    assert!(text.contains("              connection refused"), "{text}");
    on_conductor_event(
        &mut state,
        ConductorEvent::Pool(vec![ollama("Cold", Vec::new(), None)]),
    );
    let text = screen(&state);
    assert!(
        text.contains("local (ollama qwen2.5-coder:7b) Cold"),
        "{text}"
    );
    assert!(text.contains("loaded models: none"), "{text}");
    assert!(!text.contains("last error"), "{text}");
}

#[test]
fn pool_keys_select_prewarm_unload_and_refresh() {
    let (mut state, rec) = pool_state(80, 24);
    on_conductor_event(
        &mut state,
        ConductorEvent::Pool(vec![ollama("Cold", Vec::new(), None), openai(None)]),
    );
    // The pane is on screen: the Conductor polls while it is.
    assert_eq!(*rec.pool_watched.lock().expect("watched"), Some(true));
    calls(&rec);

    press(&mut state, KeyCode::Char('w'));
    assert_eq!(calls(&rec), vec![ConductorCall::Prewarm("local".into())]);
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Prewarming local")
    );
    press(&mut state, KeyCode::Char('j'));
    press(&mut state, KeyCode::Char('u'));
    assert_eq!(calls(&rec), vec![ConductorCall::Unload("remote".into())]);
    // j at the last instrument stays there; k and Up go back.
    press(&mut state, KeyCode::Char('j'));
    press(&mut state, KeyCode::Char('k'));
    press(&mut state, KeyCode::Char('u'));
    assert_eq!(calls(&rec), vec![ConductorCall::Unload("local".into())]);
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Up);
    press(&mut state, KeyCode::Char('r'));
    assert_eq!(calls(&rec), vec![ConductorCall::RefreshPool]);

    // The Conductor answers with Warming (prewarm in flight), then Hot.
    on_conductor_event(
        &mut state,
        ConductorEvent::Pool(vec![ollama("Warming", Vec::new(), None), openai(None)]),
    );
    assert!(screen(&state).contains("local (ollama qwen2.5-coder:7b) Warming"));
    on_conductor_event(
        &mut state,
        ConductorEvent::Pool(vec![ollama("Hot", two_models(), None), openai(None)]),
    );
    assert!(screen(&state).contains("local (ollama qwen2.5-coder:7b) Hot"));

    // Closing the pane stops the polling.
    update(&mut state, Action::ClosePane);
    assert!(!matches!(state.windows.focused(), Some(PaneKind::Pool(_))));
    assert_eq!(*rec.pool_watched.lock().expect("watched"), Some(false));
}

#[test]
fn a_short_pool_pane_scrolls_to_the_selected_instrument() {
    let (mut state, _rec) = pool_state(80, 12);
    on_conductor_event(
        &mut state,
        ConductorEvent::Pool(vec![ollama("Hot", two_models(), None), openai(None)]),
    );
    assert!(
        !screen(&state).contains("remote (openai"),
        "{}",
        screen(&state)
    );
    press(&mut state, KeyCode::Char('j'));
    let text = screen(&state);
    assert!(text.contains("remote (openai gpt-4o-mini) Cold"), "{text}");
}
