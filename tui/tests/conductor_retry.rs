//! A model call retried after a 429, end to end: the REAL Conductor with the
//! real openai instrument against a 127.0.0.1 server that STANDS IN FOR A
//! MODEL (first answer 429 Too Many Requests with `Retry-After: 1`, then
//! OpenAI's SSE stream byte for byte); its events applied to the client's
//! state, the AI and DAG panes drawn while the call waits to retry.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::{ConductorEvent, RunOutcome};
use symphony_tui::action::Action;
use symphony_tui::app::update;
use symphony_tui::conductor::{RecordingConductor, install, on_conductor_event};

/// Serves two connections: a 429, then an SSE answer. Returns the base URL.
fn stand_in_model() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().take(2).enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let reply = if n == 0 {
                let body = r#"{"error":{"message":"slow down","type":"rate_limit"}}"#;
                format!(
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                let mut sse = String::new();
                for t in ["It adds ", "two numbers."] {
                    sse.push_str(&format!(
                        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{t}\"}}}}]}}\n\n"
                    ));
                }
                sse.push_str(
                    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                );
                sse.push_str("data: [DONE]\n\n");
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                     Connection: close\r\n\r\n{sse}"
                )
            };
            let _ = stream.write_all(reply.as_bytes());
            let _ = stream.flush();
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_the_model_shows_the_retry_then_the_answer() {
    let base = stand_in_model();
    let toml_text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{base}\"\n\
         model = \"stand-in\"\nmax_retries = 3\n"
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    config.store_dir = dir.path().join("artifacts");
    let (conductor, mut events) =
        Conductor::start_with(config.clone(), default_factory()).expect("start");

    // The client: the AI and DAG panes, the same instruments configured.
    let (mut state, _) = state_with(Some("src/lib.rs"), 230, 20);
    state.config.conductor = config;
    install(&mut state, Box::new(RecordingConductor::new()));
    update(&mut state, Action::OpenAiPane);
    update(&mut state, Action::OpenDagPane);

    let ctx = EditorContext {
        language: Some("Rust".into()),
        file_text: "fn add(a: i32, b: i32) -> i32 { a + b }\n".into(),
        ..Default::default()
    };
    let run = conductor.run(AiCommand::Explain, ctx);
    let mut while_waiting = None;
    let outcome = loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the run goes on")
            .expect("events");
        let retrying = matches!(ev, ConductorEvent::Retrying { .. });
        let finished = match &ev {
            ConductorEvent::RunFinished {
                run: r, outcome, ..
            } if *r == run => Some(outcome.clone()),
            _ => None,
        };
        on_conductor_event(&mut state, ev);
        if retrying {
            while_waiting = Some(screen(&state));
        }
        if let Some(o) = finished {
            break o;
        }
    };
    assert_eq!(outcome, RunOutcome::Succeeded);
    let s = while_waiting.expect("the Conductor forwarded the retry");
    let line = "retrying in 1.0 s (429 Too Many Requests: slow down, attempt 2/4)";
    assert_eq!(
        s.matches(line).count(),
        2,
        "AI pane and DAG node line:\n{s}"
    );
    let after = screen(&state);
    assert!(!after.contains("retrying"), "{after}");
    assert!(after.contains("It adds two numbers."), "{after}");
}
