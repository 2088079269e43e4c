//! The Conductor-to-screen part of "token on the socket -> token on screen":
//! a `ConductorEvent::Token` applied to the client's state, then the whole
//! frame drawn (ratatui TestBackend, diff included) with the token in it.
//! The client is the real `symphony` library state with an editor pane and
//! the AI pane showing a streamed reply of about 2 KB; no editor process.
//!
//! Run: `cargo bench -p symphony-benches --bench tui_conductor -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use symphony_conductor::events::{ConductorEvent, NodeInfo, RunId};
use symphony_tui::action::Action;
use symphony_tui::app::{RecordingPort, State, update};
use symphony_tui::conductor::{RecordingConductor, install, on_conductor_event};
use symphony_tui::config::Config;
use symphony_tui::ui::draw;

const BASE_REPLY: usize = 2048;

fn state() -> State {
    let mut state = State::new(Config::default(), Box::new(RecordingPort::new()), None);
    update(&mut state, Action::TerminalResized(120, 40));
    install(&mut state, Box::new(RecordingConductor::new()));
    state.conductor.instruments = 1;
    update(&mut state, Action::OpenAiPane);
    on_conductor_event(
        &mut state,
        ConductorEvent::RunStarted {
            run: RunId(1),
            title: "explain: main".into(),
            nodes: vec![NodeInfo {
                id: "model".into(),
                kind: "model".into(),
                depends_on: Vec::new(),
                instrument: Some("local".into()),
            }],
        },
    );
    let mut reply = String::new();
    while reply.len() < BASE_REPLY {
        reply.push_str("The function reads the file, splits it in lines and counts them.\n");
    }
    reply.push_str("```rust\nfn main() {}\n```\n");
    token(&mut state, &reply);
    state
}

fn token(state: &mut State, text: &str) {
    on_conductor_event(
        state,
        ConductorEvent::Token {
            run: RunId(1),
            node: "model".into(),
            text: text.into(),
        },
    );
}

/// Keeps the streamed reply near its base size so every iteration is alike.
fn trim(state: &mut State) {
    if let Some(e) = state.conductor.chat.last_mut()
        && e.text.len() > BASE_REPLY + 4096
    {
        e.text.truncate(BASE_REPLY);
    }
}

fn token_to_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("tui_conductor");
    let mut s = state();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    // The token is on screen after one event and one frame.
    token(&mut s, " MARKER");
    terminal.draw(|f| draw(&s, f)).expect("draw");
    let shown = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect::<String>();
    assert!(shown.contains("MARKER"), "the token is drawn");
    group.bench_function("token_event_applied", |b| {
        b.iter(|| {
            token(&mut s, black_box(" tok"));
            trim(&mut s);
        })
    });
    group.bench_function("token_event_to_frame_drawn", |b| {
        b.iter(|| {
            token(&mut s, black_box(" tok"));
            trim(&mut s);
            terminal.draw(|f| draw(&s, f)).expect("draw");
        })
    });
    group.finish();
}

criterion_group!(benches, token_to_frame);
criterion_main!(benches);
