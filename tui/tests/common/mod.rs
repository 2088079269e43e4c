//! Helpers shared by the screen and behaviour tests: a state on a recording
//! editor port, updates built from JSON, and rendering to text plus styles.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use serde_json::Value;
use symphony_conductor::events::{ConductorEvent, NodeInfo};
use symphony_protocol::xi::{StyleDef, Update};
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, RecordingPort, State, update};
use symphony_tui::conductor::{
    Canned, ConductorCall, RecordingConductor, install, on_conductor_event,
};
use symphony_tui::config::Config;
use symphony_tui::session::{SessionEvent, ViewHandle};
use symphony_tui::terminal::{Output, Screen};
use symphony_tui::ui::colors::ColorMode;
use symphony_tui::ui::{draw, draw_screen};

/// The working directory the tests pretend to be in (nothing is read from it).
pub const CWD: &str = "/home/demo/project";

/// A state of `w` x `h` cells showing `file` (relative to [`CWD`]) in one pane.
pub fn state_with(file: Option<&str>, w: u16, h: u16) -> (State, Arc<Mutex<Vec<PortCall>>>) {
    state_with_config(file, w, h, Config::default())
}

/// Same, with a config.
pub fn state_with_config(
    file: Option<&str>,
    w: u16,
    h: u16,
    config: Config,
) -> (State, Arc<Mutex<Vec<PortCall>>>) {
    let port = RecordingPort::new();
    let calls = port.calls.clone();
    let path = file.map(|f| PathBuf::from(CWD).join(f));
    let mut state = State::new(config, Box::new(port), path);
    state.cwd = PathBuf::from(CWD);
    state.color_mode = ColorMode::TrueColor;
    update(&mut state, Action::TerminalResized(w, h));
    on_session_event(
        &mut state,
        SessionEvent::State(symphony_tui::session::EditorState::Running),
    );
    (state, calls)
}

/// Applies an `update` given as the wire JSON to a view.
pub fn feed(state: &mut State, view: u64, update: Value) {
    let update: Update = serde_json::from_value(update).expect("update JSON");
    on_session_event(
        state,
        SessionEvent::Update {
            view: ViewHandle(view),
            update,
        },
    );
}

/// A full update inserting `lines` (texts with their `\n`), no styles.
pub fn plain_lines(texts: &[&str]) -> Value {
    let lines: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"text": t, "ln": i + 1}))
        .collect();
    serde_json::json!({"ops": [{"op": "ins", "n": lines.len(), "lines": lines}], "pristine": true})
}

/// Sends a `def_style`.
pub fn def_style(state: &mut State, id: u64, fg: u32, weight: Option<u16>, italic: Option<bool>) {
    on_session_event(
        state,
        SessionEvent::DefStyle(StyleDef {
            id,
            fg_color: Some(fg),
            bg_color: None,
            weight,
            italic,
            underline: None,
        }),
    );
}

/// Moves a view's caret as the core does.
pub fn scroll_to(state: &mut State, view: u64, line: usize, col: usize) {
    on_session_event(
        state,
        SessionEvent::ScrollTo {
            view: ViewHandle(view),
            line,
            col,
        },
    );
}

/// Draws the state and returns the buffer.
pub fn render(state: &State) -> Buffer {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal.draw(|f| draw(state, f)).expect("draw");
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row, trailing spaces kept as `|` ends.
pub fn screen(state: &State) -> String {
    let buf = render(state);
    text_of(&buf)
}

/// The text of a buffer.
pub fn text_of(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The styled runs of a buffer (cells whose style is not the default), one
/// line per run: `row y: x0..x1 style`.
pub fn styles_of(buf: &Buffer, rows: std::ops::Range<u16>) -> String {
    let mut out = String::new();
    for y in rows {
        let mut run: Option<(u16, Style)> = None;
        for x in 0..=buf.area.width {
            let style = if x < buf.area.width {
                buf[(x, y)].style()
            } else {
                Style::default()
            };
            match run {
                Some((start, s)) if s != style => {
                    if s != Style::default() {
                        out.push_str(&format!("row {y}: {start}..{x} {}\n", describe(s)));
                    }
                    run = Some((x, style));
                }
                None => run = Some((x, style)),
                _ => {}
            }
        }
    }
    out
}

fn describe(s: Style) -> String {
    let mut parts = Vec::new();
    if let Some(fg) = s.fg {
        parts.push(format!("fg={fg}"));
    }
    if let Some(bg) = s.bg {
        parts.push(format!("bg={bg}"));
    }
    if !s.add_modifier.is_empty() {
        parts.push(format!("{:?}", s.add_modifier));
    }
    parts.join(" ")
}

/// The calls made on the port since the last `take`.
pub fn take(calls: &Arc<Mutex<Vec<PortCall>>>) -> Vec<PortCall> {
    std::mem::take(&mut *calls.lock().expect("calls"))
}

/// A `w` x `h` state with a small Rust file (`src/lib.rs`) in the first pane
/// and a recording Conductor answering from `canned`, on a frozen clock.
pub fn conductor_state(canned: Canned, w: u16, h: u16) -> (State, RecordingConductor) {
    let (mut state, _) = state_with(Some("src/lib.rs"), w, h);
    feed(
        &mut state,
        1,
        plain_lines(&[
            "fn add(a: i32, b: i32) -> i32 {\n",
            "    a + b\n",
            "}\n",
            "",
        ]),
    );
    let rec = RecordingConductor::new();
    *rec.canned.lock().expect("canned") = canned;
    state.conductor.frozen_now = Some(std::time::Instant::now());
    install(&mut state, Box::new(rec.clone()));
    // What the Conductor answers at start (the stored conversations).
    answered(&mut state, &rec);
    state.conductor.instruments = 1;
    (state, rec)
}

/// A key pressed, through the real input path.
pub fn press(state: &mut State, code: KeyCode, mods: KeyModifiers) {
    for a in event_to_actions(state, Event::Key(KeyEvent::new(code, mods))) {
        update(state, a);
    }
}

/// Text typed key by key.
pub fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// The calls made on a recording Conductor since the last `calls`.
pub fn calls(rec: &RecordingConductor) -> Vec<ConductorCall> {
    std::mem::take(&mut *rec.calls.lock().expect("calls"))
}

/// The recording Conductor's answers to the client's reads (searches, artifact
/// texts) delivered as its events, until none is left (an answer can ask for more).
pub fn answered(state: &mut State, rec: &RecordingConductor) {
    loop {
        let answers = rec.take_answers();
        if answers.is_empty() {
            break;
        }
        for e in answers {
            on_conductor_event(state, e);
        }
    }
}

/// A Conductor event applied to the state.
pub fn ev(state: &mut State, e: ConductorEvent) {
    on_conductor_event(state, e);
}

/// A node as a run announces it.
pub fn node(id: &str, kind: &str, deps: &[&str], instrument: Option<&str>) -> NodeInfo {
    NodeInfo {
        id: id.into(),
        kind: kind.into(),
        depends_on: deps.iter().map(|d| (*d).into()).collect(),
        instrument: instrument.map(Into::into),
    }
}

/// A screen the size of `state`'s terminal (writing into memory) with its first
/// whole frame drawn.
pub fn screen_for(state: &State) -> Screen<Vec<u8>> {
    let (w, h) = state.size;
    let mut screen = Screen::new(Output::with_size(Vec::new(), w, h)).expect("screen");
    screen
        .draw(|area, buf| draw_screen(state, area, buf))
        .expect("first frame");
    screen
}
