//! The `anthropic` instrument against scripted 127.0.0.1 servers that stand in for
//! Anthropic's Messages API, writing its SSE event stream byte for byte.

mod support;

use std::time::Duration;

use support::{Framing, Gate, ask, config, serve, start};
use symphony_conductor::backends::AnthropicInstrument;
use symphony_conductor::instrument::{FinishReason, InstrumentError, InstrumentEvent, Usage};

const START: &str = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"tiny\",\"stop_reason\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\r\n\r\n\
event: content_block_start\r\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\r\n\r\n\
event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n";

fn delta(text: &str) -> String {
    format!(
        "event: content_block_delta\r\ndata: {}\r\n\r\n",
        serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}})
    )
}

const END: &str = "event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n\
event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}\r\n\r\n\
event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n";

/// The server stands in for a model: message_start, token 1, a pause until the test
/// has seen token 1, token 2, then message_delta with usage and message_stop.
#[tokio::test]
async fn tokens_arrive_one_by_one_then_usage_and_stop() {
    let gate = Gate::new();
    let server_gate = gate.clone();
    let server = serve(move |_, _req, mut conn| {
        let gate = server_gate.clone();
        async move {
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            conn.send(START).await;
            conn.send(delta("Bon")).await;
            gate.wait().await;
            conn.send(delta("jour")).await;
            conn.send(END).await;
            conn.end().await;
        }
    })
    .await;
    // SAFETY: this test binary sets a variable no other test reads.
    unsafe { std::env::set_var("SYMPHONY_TEST_ANTHROPIC_KEY", "sk-ant-test") };
    let mut cfg = config("anthropic", &server.url());
    cfg.api_key_env = Some("SYMPHONY_TEST_ANTHROPIC_KEY".into());
    let instrument = AnthropicInstrument::new(&cfg).unwrap();
    let mut call = start(&instrument, ask("greet"));

    assert_eq!(call.next_token().await, "Bon");
    gate.open();
    assert_eq!(call.next_token().await, "jour");
    let (result, rest) = call.finish().await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Bonjour");
    assert_eq!(completion.finish, FinishReason::Length);
    let usage = Usage {
        prompt_tokens: 25,
        completion_tokens: 2,
    };
    assert_eq!(completion.usage, usage);
    assert!(rest.contains(&InstrumentEvent::Usage(usage)));
    assert!(completion.time_to_first_token.is_some());

    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.header("authorization"), None);
    let body = req.json();
    assert_eq!(body["system"], "You are terse.");
    assert_eq!(
        body["messages"],
        serde_json::json!([{"role": "user", "content": "greet"}])
    );
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 32);
}

/// The server stands in for an overloaded model that sends an `error` event mid-stream.
#[tokio::test]
async fn an_error_event_mid_stream_keeps_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(START).await;
        conn.send(delta("Half")).await;
        conn.send("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
            .await;
        conn.end().await;
    })
    .await;
    let instrument = AnthropicInstrument::new(&config("anthropic", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Stream {
            message: "Overloaded".into(),
            partial: "Half".into()
        }
    );
}

/// The server stands in for a rate-limited model: 429 (Anthropic's error shape), then
/// a normal answer.
#[tokio::test]
async fn a_429_is_retried_then_succeeds() {
    let server = serve(|n, _req, mut conn| async move {
        if n == 0 {
            conn.respond(
                429,
                "application/json",
                &[("retry-after", "0")],
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#,
            )
            .await;
            return;
        }
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(format!("{START}{}{END}", delta("fine"))).await;
        conn.end().await;
    })
    .await;
    let instrument = AnthropicInstrument::new(&config("anthropic", &server.url())).unwrap();
    let (result, events) = start(&instrument, ask("x")).finish().await;
    assert_eq!(result.unwrap().text, "fine");
    match &events[0] {
        InstrumentEvent::Retrying {
            attempt, reason, ..
        } => {
            assert_eq!(*attempt, 2);
            assert!(
                reason.starts_with("HTTP 429: Number of request tokens"),
                "{reason}"
            );
        }
        other => panic!("expected Retrying first, got {other:?}"),
    }
}

/// The server stands in for a model that stalls after one token: idle timeout.
#[tokio::test]
async fn a_stalled_server_times_out_with_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(START).await;
        conn.send(delta("wait")).await;
        conn.wait_closed().await;
    })
    .await;
    let mut cfg = config("anthropic", &server.url());
    cfg.idle_timeout_secs = 1;
    let instrument = AnthropicInstrument::new(&cfg).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Timeout {
            after: Duration::from_secs(1),
            partial: "wait".into()
        }
    );
}

/// The server stands in for a model that stalls (pings only); cancel closes the
/// connection and keeps the partial answer.
#[tokio::test]
async fn cancel_while_stalled_closes_the_connection() {
    let closed = Gate::new();
    let server_closed = closed.clone();
    let server = serve(move |_, _req, mut conn| {
        let closed = server_closed.clone();
        async move {
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            conn.send(START).await;
            conn.send(delta("so far")).await;
            conn.wait_closed().await;
            closed.open();
        }
    })
    .await;
    let instrument = AnthropicInstrument::new(&config("anthropic", &server.url())).unwrap();
    let mut call = start(&instrument, ask("x"));
    assert_eq!(call.next_token().await, "so far");
    call.cancel.cancel();
    let (result, _) = call.finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Cancelled {
            partial: "so far".into()
        }
    );
    tokio::time::timeout(Duration::from_secs(10), closed.wait())
        .await
        .expect("the server saw the connection close");
}

/// The server stands in for a model whose connection drops before message_stop.
#[tokio::test]
async fn a_connection_dropped_mid_stream_keeps_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(START).await;
        conn.send(delta("lost ")).await;
        conn.send(delta("here")).await;
        conn.drop_connection().await;
    })
    .await;
    let instrument = AnthropicInstrument::new(&config("anthropic", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Dropped {
            partial: "lost here".into()
        }
    );
}
