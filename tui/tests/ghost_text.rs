//! Inline completion in the client: the typing pause, the request it queues, ghost
//! text drawn after the caret (insta snapshots, wide characters, soft wrap), Tab /
//! alt-w / alt-l / Esc, typing that consumes the suggestion, stale answers dropped;
//! several lines pushing the lines below down; one request through a scripted
//! 127.0.0.1 server that stands in for llama.cpp (with the extra chunks of a file
//! left); and a language server asked through the editor (`format = "lsp"`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_protocol::xi::EditNotification as E;
use symphony_tui::action::Action;
use symphony_tui::app::session_events::on_session_event;
use symphony_tui::app::{PortCall, State, update};
use symphony_tui::completion::{Answer, GhostAction};
use symphony_tui::config::Config;
use symphony_tui::session::{SessionEvent, ViewHandle};

fn config(url: &str) -> Config {
    let text = format!(
        "local_echo = false\n\
         [[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{url}\"\nmodel = \"tiny\"\n\
         [completion]\nenabled = true\ninstrument = \"local\"\nformat = \"infill\"\n"
    );
    Config::parse(&text, "config.toml").expect("valid config")
}

/// A Rust file with the caret after `let x = ` on line 2.
fn ghost_state(
    w: u16,
    h: u16,
    url: &str,
) -> (State, std::sync::Arc<std::sync::Mutex<Vec<PortCall>>>) {
    let (mut state, calls) = state_with_config(Some("src/main.rs"), w, h, config(url));
    feed(
        &mut state,
        1,
        plain_lines(&["fn main() {\n", "    let x = ;\n", "}\n", ""]),
    );
    scroll_to(&mut state, 1, 1, 12);
    take(&calls);
    (state, calls)
}

/// Types `s` and lets the pause end: the request it queued (id, middle, suffix).
fn pause(state: &mut State, s: &str) -> (u64, String, String) {
    if !s.is_empty() {
        typed(state, s);
        assert!(state.ghost.due_at.is_some(), "typing starts the pause");
    }
    update(state, Action::Ghost(GhostAction::Due));
    let job = state.ghost.jobs.pop().expect("a request queued");
    (job.id, job.context.middle, job.context.suffix)
}

fn answer(state: &mut State, id: u64, alternatives: &[&str]) {
    update(
        state,
        Action::Ghost(GhostAction::Answer {
            id,
            result: Ok(Answer {
                alternatives: alternatives.iter().map(|s| s.to_string()).collect(),
                prompt_tokens: 31,
                completion_tokens: 5,
                cached: false,
                server_us: None,
            }),
        }),
    );
}

/// The core's answer to a typed edit: the new line and caret.
fn core_has(state: &mut State, line1: &str, col: usize) {
    feed(
        state,
        1,
        serde_json::json!({"ops": [
            {"op": "copy", "n": 1, "ln": 1},
            {"op": "skip", "n": 1},
            {"op": "ins", "n": 1, "lines": [{"text": line1, "ln": 2}]},
            {"op": "copy", "n": 2, "ln": 3}
        ], "pristine": false}),
    );
    scroll_to(state, 1, 1, col);
}

fn inserts(calls: &[PortCall]) -> Vec<String> {
    calls
        .iter()
        .filter_map(|c| match c {
            PortCall::Edit(_, E::Insert { chars }) => Some(chars.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_pause_after_typing_asks_with_the_text_around_the_caret() {
    let (mut state, _) = ghost_state(40, 6, "http://127.0.0.1:9");
    typed(&mut state, "t");
    core_has(&mut state, "    let x = t;\n", 13);
    update(&mut state, Action::Ghost(GhostAction::Due));
    let job = state.ghost.jobs.pop().expect("a request queued");
    assert_eq!(job.context.prefix, "fn main() {\n");
    assert_eq!(job.context.middle, "    let x = t");
    assert_eq!(job.context.suffix, ";\n}\n");
    assert!(
        screen(&state).contains("ghost: waiting"),
        "{}",
        screen(&state)
    );
}

#[test]
fn ghost_text_is_drawn_dim_after_the_caret_over_several_lines() {
    let (mut state, calls) = ghost_state(40, 6, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["two()\n    + 1"]);
    insta::assert_snapshot!(screen(&state));
    insta::assert_snapshot!("ghost_styles", styles_of(&render(&state), 1..3));
    // Nothing reached the buffer.
    assert!(inserts(&take(&calls)).is_empty());
}

#[test]
fn tab_accepts_the_whole_suggestion_as_one_insert_and_indents_otherwise() {
    let (mut state, calls) = ghost_state(40, 6, "http://127.0.0.1:9");
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    let first = take(&calls);
    assert!(
        matches!(
            first.as_slice(),
            [PortCall::Edit(1, E::InsertTab | E::Indent)]
        ),
        "{first:?}"
    );
    scroll_to(&mut state, 1, 1, 12);
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["two()\n    + 1"]);
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    let calls = take(&calls);
    assert_eq!(inserts(&calls), vec!["two()\n    + 1".to_string()]);
    assert_eq!(calls.len(), 1, "one edit, one undo step: {calls:?}");
    assert!(state.ghost.shown.is_none());
}

#[test]
fn alt_w_takes_a_word_alt_l_a_line_and_esc_hides_the_rest() {
    let (mut state, calls) = ghost_state(40, 6, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["two(a, b)\n    + 1\n    + 2"]);
    press(&mut state, KeyCode::Char('w'), KeyModifiers::ALT);
    press(&mut state, KeyCode::Char('l'), KeyModifiers::ALT);
    assert_eq!(
        inserts(&take(&calls)),
        vec!["two".to_string(), "(a, b)\n".to_string()]
    );
    assert_eq!(
        state.ghost.shown.as_ref().map(|g| g.text()),
        Some("    + 1\n    + 2")
    );
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert!(state.ghost.shown.is_none());
    assert!(take(&calls).is_empty(), "Esc only hid the suggestion");
}

#[test]
fn alt_n_shows_the_next_alternative() {
    let (mut state, calls) = ghost_state(40, 6, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["two()", "three()"]);
    press(&mut state, KeyCode::Char('n'), KeyModifiers::ALT);
    assert!(
        screen(&state).contains("let x = three();"),
        "{}",
        screen(&state)
    );
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(inserts(&take(&calls)), vec!["three()".to_string()]);
}

#[test]
fn typing_what_is_shown_consumes_it_without_a_new_request() {
    let (mut state, calls) = ghost_state(40, 6, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["two()"]);
    typed(&mut state, "tw");
    assert_eq!(
        inserts(&take(&calls)),
        vec!["t".to_string(), "w".to_string()]
    );
    assert!(state.ghost.due_at.is_none(), "no new pause, no new request");
    assert!(state.ghost.jobs.is_empty());
    core_has(&mut state, "    let x = tw;\n", 14);
    insta::assert_snapshot!(screen(&state));
    // A character that does not match drops it and starts a new pause.
    typed(&mut state, "x");
    assert!(state.ghost.shown.is_none());
    assert!(state.ghost.due_at.is_some());
}

#[test]
fn another_key_cancels_the_request_in_flight_and_its_late_answer_is_dropped() {
    let (mut state, _) = ghost_state(40, 6, "http://127.0.0.1:9");
    typed(&mut state, "");
    update(&mut state, Action::Ghost(GhostAction::Due));
    let job = state.ghost.jobs.pop().expect("queued");
    press(&mut state, KeyCode::Left, KeyModifiers::NONE);
    assert!(job.cancel.is_cancelled());
    answer(&mut state, job.id, &["late"]);
    assert!(state.ghost.shown.is_none(), "a stale answer is not shown");
}

#[test]
fn an_answer_for_a_caret_that_moved_is_not_shown() {
    let (mut state, _) = ghost_state(40, 6, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    scroll_to(&mut state, 1, 0, 0);
    answer(&mut state, id, &["two()"]);
    assert!(state.ghost.shown.is_none());
}

#[test]
fn wide_characters_in_a_suggestion_never_straddle_the_edge() {
    let (mut state, _) = ghost_state(24, 5, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["\"漢字漢字漢字\""]);
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn with_soft_wrap_a_long_suggestion_continues_on_the_next_rows() {
    let (mut state, _) = ghost_state(24, 6, "http://127.0.0.1:9");
    update(&mut state, Action::ToggleSoftWrap);
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["compute(first, second, 漢字)"]);
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn the_toggle_turns_it_off_and_on() {
    let (mut state, _) = ghost_state(60, 6, "http://127.0.0.1:9");
    press(&mut state, KeyCode::Char('i'), KeyModifiers::ALT);
    typed(&mut state, "t");
    assert!(state.ghost.due_at.is_none());
    assert!(!screen(&state).contains("ghost:"));
    press(&mut state, KeyCode::Char('i'), KeyModifiers::ALT);
    typed(&mut state, "t");
    assert!(state.ghost.due_at.is_some());
}

/// A one-shot HTTP server on 127.0.0.1 that stands in for llama.cpp's `/infill`.
fn infill_server(content: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("length");
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).expect("body");
        let answer =
            serde_json::json!({"content": content, "timings": {"prompt_n": 31, "predicted_n": 5}})
                .to_string();
        let mut stream = reader.into_inner();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        );
        format!("{head}\n{}", String::from_utf8_lossy(&body))
    });
    (url, handle)
}

#[tokio::test]
async fn a_request_runs_on_the_runtime_and_its_answer_becomes_ghost_text() {
    let (url, server) = infill_server("two()");
    let (mut state, calls) = ghost_state(40, 6, &url);
    typed(&mut state, "");
    update(&mut state, Action::Ghost(GhostAction::Due));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for job in state.ghost.jobs.drain(..) {
        symphony_tui::completion::spawn(job, tx.clone());
    }
    let action = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
        .await
        .expect("an answer")
        .expect("an action");
    update(&mut state, action);
    assert_eq!(state.ghost.shown.as_ref().map(|g| g.text()), Some("two()"));
    assert!(
        screen(&state).contains("ghost: 31+5 tok"),
        "{}",
        screen(&state)
    );
    let request = server.join().expect("server");
    assert!(request.starts_with("POST /infill "), "{request}");
    assert!(request.contains(r#""prompt":"    let x = ""#), "{request}");
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(inserts(&take(&calls)), vec!["two()".to_string()]);
}

#[test]
fn a_multi_line_suggestion_pushes_the_lines_below_down_and_is_cut_at_the_pane_bottom() {
    let (mut state, _) = ghost_state(40, 6, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(
        &mut state,
        id,
        &["two()\n    + 1\n    + 2\n    + 3\n    + 4"],
    );
    let shown = screen(&state);
    // Below the caret's line only virtual rows (no line numbers) until the pane ends;
    // the status line is untouched.
    assert!(shown.contains("ghost: 31+5 tok"), "{shown}");
    insta::assert_snapshot!(shown);
    // Accepting is still one insert; hidden, the lines are back where they were.
    press(&mut state, KeyCode::Esc, KeyModifiers::NONE);
    assert!(screen(&state).contains("  3 }"), "{}", screen(&state));
}

#[test]
fn wide_characters_in_a_multi_line_suggestion_keep_the_lines_below() {
    let (mut state, _) = ghost_state(24, 7, "http://127.0.0.1:9");
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["\"漢字\"\n    + \"🎉🎉\""]);
    insta::assert_snapshot!(screen(&state));
}

#[test]
fn with_soft_wrap_the_rows_a_suggestion_continues_on_push_the_next_line_down() {
    let (mut state, _) = ghost_state(24, 7, "http://127.0.0.1:9");
    update(&mut state, Action::ToggleSoftWrap);
    let (id, _, _) = pause(&mut state, "");
    answer(&mut state, id, &["compute(first, second, 漢字)\n    + 1"]);
    insta::assert_snapshot!(screen(&state));
}

#[tokio::test]
async fn the_place_edited_in_a_file_left_goes_with_the_next_request_as_input_extra() {
    let (url, server) = infill_server("two()");
    let (mut state, _calls) = state_with_config(Some("src/lib.rs"), 40, 8, config(&url));
    feed(
        &mut state,
        1,
        plain_lines(&["pub fn two() -> i32 {\n", "    2\n", "}\n", ""]),
    );
    scroll_to(&mut state, 1, 1, 5);
    // Another file opened: leaving lib.rs keeps the lines around its caret.
    update(&mut state, Action::OpenPath("src/main.rs".into()));
    let main = state.focused_view().expect("main.rs");
    assert_ne!(main, 1);
    feed(
        &mut state,
        main,
        plain_lines(&["fn main() {\n", "    let x = ;\n", "}\n", ""]),
    );
    scroll_to(&mut state, main, 1, 12);
    typed(&mut state, "");
    update(&mut state, Action::Ghost(GhostAction::Due));
    let job = state.ghost.jobs.pop().expect("a request queued");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    symphony_tui::completion::spawn(job, tx);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
        .await
        .expect("an answer");
    let request = server.join().expect("server");
    assert!(
        request.contains(
            r#""input_extra":[{"filename":"src/lib.rs","text":"pub fn two() -> i32 {\n    2\n}\n\n"}]"#
        ),
        "lib.rs's lines, byte for byte, and none of main.rs: {request}"
    );
}

fn lsp_config() -> Config {
    let text =
        "local_echo = false\n[completion]\nenabled = true\nformat = \"lsp\"\nmax_lines = 2\n";
    Config::parse(text, "config.toml").expect("valid config")
}

#[test]
fn with_format_lsp_the_pause_asks_the_language_server_through_the_editor() {
    let (mut state, calls) = state_with_config(Some("src/main.rs"), 40, 6, lsp_config());
    feed(
        &mut state,
        1,
        plain_lines(&["fn main() {\n", "    let x = ;\n", "}\n", ""]),
    );
    scroll_to(&mut state, 1, 1, 12);
    take(&calls);
    typed(&mut state, "");
    update(&mut state, Action::Ghost(GhostAction::Due));
    assert!(state.ghost.jobs.is_empty(), "no instrument is asked");
    let asked: Vec<(u64, String)> = take(&calls)
        .into_iter()
        .filter_map(|c| match c {
            PortCall::Request(1, id, method, _) => Some((id, method)),
            _ => None,
        })
        .collect();
    let [(id, method)] = asked.as_slice() else {
        panic!("one request: {asked:?}");
    };
    assert_eq!(method, "symphony.lsp.inline_completion");
    assert!(
        screen(&state).contains("ghost: waiting"),
        "{}",
        screen(&state)
    );
    on_session_event(
        &mut state,
        SessionEvent::Reply {
            view: ViewHandle(1),
            id: *id,
            result: Ok(serde_json::json!({"items": ["two()\n    + 1\n    + 2", "three()"]})),
        },
    );
    assert_eq!(
        state.ghost.shown.as_ref().map(|g| g.text()),
        Some("two()\n    + 1"),
        "the first item, cut to max_lines"
    );
    press(&mut state, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(inserts(&take(&calls)), vec!["two()\n    + 1".to_string()]);
}

#[test]
fn a_language_server_without_inline_completion_shows_as_down() {
    let (mut state, calls) = state_with_config(Some("src/main.rs"), 100, 6, lsp_config());
    feed(&mut state, 1, plain_lines(&["fn main() {\n", ""]));
    take(&calls);
    typed(&mut state, "");
    update(&mut state, Action::Ghost(GhostAction::Due));
    let id = take(&calls)
        .into_iter()
        .find_map(|c| match c {
            PortCall::Request(_, id, _, _) => Some(id),
            _ => None,
        })
        .expect("asked");
    on_session_event(
        &mut state,
        SessionEvent::Reply {
            view: ViewHandle(1),
            id,
            result: Err("no language server for rust: x does not do inline completion".into()),
        },
    );
    assert!(state.ghost.shown.is_none());
    assert!(
        screen(&state).contains("ghost: down (no language server"),
        "{}",
        screen(&state)
    );
}
