//! The `command` instrument with real programs (`sh`, `cat`) standing in for a model
//! CLI: the prompt goes to stdin, stdout streams back as tokens.

mod support;

use std::time::Duration;

use support::{ask, start};
use symphony_conductor::backends::{self, CommandInstrument};
use symphony_conductor::instrument::{
    ChatMessage, CompletionRequest, InstrumentConfig, InstrumentError, InstrumentEvent, Role,
};

fn command(argv: &[&str]) -> InstrumentConfig {
    let mut cfg: InstrumentConfig =
        toml::from_str("name = \"cli\"\nkind = \"command\"\nmodel = \"script\"").unwrap();
    cfg.command = argv.iter().map(|s| s.to_string()).collect();
    cfg
}

/// `cat` stands in for a model that echoes its prompt: the chat arrives on stdin as
/// plain text and comes back as the answer.
#[tokio::test]
async fn the_prompt_goes_to_stdin_and_stdout_is_the_answer() {
    let instrument = backends::build(&command(&["cat"])).unwrap();
    let (result, _) = start(instrument.as_ref(), ask("hello")).finish().await;
    let completion = result.unwrap();
    assert_eq!(
        completion.text,
        "System:\nYou are terse.\n\nUser:\nhello\n\n"
    );
    assert!(completion.time_to_first_token.is_some());
}

/// A script stands in for a model CLI that prints a first token, then waits until the
/// test has seen it (a file appears) before printing the rest.
#[tokio::test]
async fn stdout_streams_before_the_program_ends() {
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("gate");
    let script = "printf 'first '; while [ ! -e \"$1\" ]; do sleep 0.02; done; printf 'second'";
    let instrument = CommandInstrument::new(&command(&[
        "sh",
        "-c",
        script,
        "sh",
        gate.to_str().unwrap(),
    ]))
    .unwrap();
    let request = CompletionRequest {
        messages: vec![ChatMessage::new(Role::User, "go")],
        ..Default::default()
    };
    let mut call = start(&instrument, request);
    assert_eq!(call.next().await, InstrumentEvent::Token("first ".into()));
    std::fs::write(&gate, "").unwrap();
    let (result, _) = call.finish().await;
    assert_eq!(result.unwrap().text, "first second");
}

/// A script stands in for a slow model CLI; cancel kills it (its pid is gone) and
/// keeps the partial answer.
#[tokio::test]
async fn cancel_kills_the_program() {
    let instrument =
        CommandInstrument::new(&command(&["sh", "-c", "echo $$; exec sleep 30"])).unwrap();
    let mut call = start(&instrument, ask("x"));
    let first = call.next_token().await;
    let pid: u32 = first.trim().parse().expect("the script prints its pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    call.cancel.cancel();
    let (result, _) = call.finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Cancelled { partial: first }
    );
    // The child was killed and reaped: its /proc entry disappears.
    let mut gone = false;
    for _ in 0..200 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(gone, "process {pid} still exists after cancel");
}

/// A script stands in for a model CLI that fails: a non-zero exit is an error with the
/// exit status and the tail of stderr, the partial stdout kept.
#[tokio::test]
async fn a_non_zero_exit_is_an_error_with_the_stderr_tail() {
    let instrument = CommandInstrument::new(&command(&[
        "sh",
        "-c",
        "cat >/dev/null; printf 'partial'; echo 'model not found: tiny' >&2; exit 3",
    ]))
    .unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    match result.unwrap_err() {
        InstrumentError::Stream { message, partial } => {
            assert_eq!(partial, "partial");
            assert!(message.contains("exit status 3"), "{message}");
            assert!(message.ends_with("model not found: tiny"), "{message}");
        }
        other => panic!("expected Stream, got {other:?}"),
    }
}

/// A missing program is a Connect error naming it; an empty command is a Config error.
#[tokio::test]
async fn a_missing_program_and_an_empty_command_are_errors() {
    let instrument = CommandInstrument::new(&command(&["/nonexistent/symphony-test-llm"])).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert!(matches!(
        result.unwrap_err(),
        InstrumentError::Connect { endpoint, .. } if endpoint == "/nonexistent/symphony-test-llm"
    ));
    assert!(matches!(
        CommandInstrument::new(&command(&[])),
        Err(InstrumentError::Config(_))
    ));
}
