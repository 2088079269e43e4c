//! The `openai` instrument against scripted 127.0.0.1 servers that stand in for an
//! OpenAI-compatible model server, writing its SSE stream byte for byte.

mod support;

use std::time::Duration;

use support::{Framing, Gate, ask, config, serve, start};
use symphony_conductor::backends::{self, OpenAiInstrument};
use symphony_conductor::instrument::{FinishReason, InstrumentError, InstrumentEvent, Usage};

fn delta(text: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]})
    )
}

const FINISH: &str =
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
const USAGE: &str = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14}}\n\n";
const DONE: &str = "data: [DONE]\n\n";

/// The server stands in for a model: it sends token 1, waits until the test has seen
/// it as an event, then sends token 2, the finish chunk, the usage chunk and [DONE].
#[tokio::test]
async fn tokens_arrive_one_by_one_then_usage_and_done() {
    let gate = Gate::new();
    let server_gate = gate.clone();
    let server = serve(move |_, _req, mut conn| {
        let gate = server_gate.clone();
        async move {
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            conn.send(": keep-alive comment\r\n\r\n").await;
            conn.send(delta("Hel")).await;
            gate.wait().await;
            conn.send(delta("lo")).await;
            conn.send(format!("{FINISH}{USAGE}")).await;
            conn.send(DONE).await;
            conn.end().await;
        }
    })
    .await;
    let mut cfg = config("openai", &server.url());
    cfg.extra.insert("top_p".into(), serde_json::json!(0.5));
    let instrument = OpenAiInstrument::new(&cfg).unwrap();
    let mut call = start(&instrument, ask("say hello"));

    assert_eq!(call.next().await, InstrumentEvent::Token("Hel".into()));
    gate.open();
    assert_eq!(call.next_token().await, "lo");
    let (result, rest) = call.finish().await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Hello");
    assert_eq!(completion.finish, FinishReason::Stop);
    assert_eq!(
        completion.usage,
        Usage {
            prompt_tokens: 12,
            completion_tokens: 2
        }
    );
    assert!(completion.time_to_first_token.is_some());
    assert!(completion.elapsed >= completion.time_to_first_token.unwrap());
    assert!(rest.contains(&InstrumentEvent::Usage(completion.usage)));

    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/chat/completions");
    let body = req.json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["model"], "tiny");
    assert_eq!(body["max_tokens"], 32);
    assert_eq!(body["top_p"], 0.5);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "say hello");
    assert_eq!(req.header("authorization"), None);
}

/// The server stands in for a model that fails after one token with an error object.
#[tokio::test]
async fn error_in_the_middle_of_the_stream_keeps_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(delta("Partial ")).await;
        conn.send("data: {\"error\":{\"message\":\"the model ran out of memory\",\"type\":\"server_error\"}}\n\n")
            .await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Stream {
            message: "the model ran out of memory".into(),
            partial: "Partial ".into()
        }
    );
}

/// The server stands in for a rate-limited model: 429 with Retry-After first, then a
/// normal answer on the retry.
#[tokio::test]
async fn a_429_is_retried_after_retry_after_then_succeeds() {
    let server = serve(|n, _req, mut conn| async move {
        if n == 0 {
            conn.respond(
                429,
                "application/json",
                &[("Retry-After", "0")],
                r#"{"error":{"message":"Rate limit reached, slow down","type":"rate_limit"}}"#,
            )
            .await;
            return;
        }
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(format!("{}{FINISH}{DONE}", delta("ok"))).await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let (result, events) = start(&instrument, ask("x")).finish().await;
    assert_eq!(result.unwrap().text, "ok");
    assert_eq!(
        events[0],
        InstrumentEvent::Retrying {
            attempt: 2,
            after: Duration::ZERO,
            reason: "HTTP 429: Rate limit reached, slow down".into()
        }
    );
    assert_eq!(server.requests().len(), 2);
}

/// The server stands in for a model that keeps failing with 503: after the configured
/// retries the error carries the status and the server's message.
#[tokio::test]
async fn errors_carry_the_status_and_the_server_message() {
    let server = serve(|n, _req, conn| async move {
        if n < 2 {
            conn.respond(
                503,
                "application/json",
                &[("Retry-After", "0")],
                r#"{"error":{"message":"loading model"}}"#,
            )
            .await;
        } else {
            conn.respond(
                401,
                "application/json",
                &[],
                r#"{"error":{"message":"Incorrect API key provided"}}"#,
            )
            .await;
        }
    })
    .await;
    let mut cfg = config("openai", &server.url());
    cfg.max_retries = 1;
    let instrument = OpenAiInstrument::new(&cfg).unwrap();
    let (result, events) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Http {
            status: 503,
            message: "loading model".into()
        }
    );
    assert_eq!(events.len(), 1, "one retry: {events:?}");
    // The third connection answers 401: not retried.
    let (result, events) = start(&instrument, ask("x")).finish().await;
    let err = result.unwrap_err();
    assert_eq!(err.to_string(), "HTTP 401: Incorrect API key provided");
    assert!(events.is_empty());
}

/// The server stands in for a model that stalls after one token: the idle timeout fires
/// and the partial answer is kept.
#[tokio::test]
async fn a_stalled_server_times_out_with_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send(delta("slow")).await;
        conn.wait_closed().await;
    })
    .await;
    let mut cfg = config("openai", &server.url());
    cfg.idle_timeout_secs = 1;
    let instrument = OpenAiInstrument::new(&cfg).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Timeout {
            after: Duration::from_secs(1),
            partial: "slow".into()
        }
    );
}

/// The server stands in for a model that stalls; cancelling returns Cancelled with the
/// partial answer and closes the connection (the server sees it close).
#[tokio::test]
async fn cancel_while_stalled_closes_the_connection() {
    let closed = Gate::new();
    let server_closed = closed.clone();
    let server = serve(move |_, _req, mut conn| {
        let closed = server_closed.clone();
        async move {
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            conn.send(delta("half")).await;
            conn.wait_closed().await;
            closed.open();
        }
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let mut call = start(&instrument, ask("x"));
    assert_eq!(call.next_token().await, "half");
    call.cancel.cancel();
    let (result, _) = call.finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Cancelled {
            partial: "half".into()
        }
    );
    tokio::time::timeout(Duration::from_secs(10), closed.wait())
        .await
        .expect("the server saw the connection close");
}

/// The server stands in for a model whose connection drops mid-answer, with a chunked
/// body and with a close-delimited body: Dropped, partial answer kept.
#[tokio::test]
async fn a_connection_dropped_mid_stream_keeps_the_partial_answer() {
    for framing in [Framing::Chunked, Framing::Close] {
        let server = serve(move |_, _req, mut conn| async move {
            conn.head(200, "text/event-stream", framing).await;
            conn.send(delta("cut ")).await;
            conn.send(delta("off")).await;
            conn.drop_connection().await;
        })
        .await;
        let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
        let (result, events) = start(&instrument, ask("x")).finish().await;
        let err = result.unwrap_err();
        assert_eq!(
            err,
            InstrumentError::Dropped {
                partial: "cut off".into()
            },
            "{framing:?}"
        );
        assert_eq!(err.partial(), Some("cut off"));
        let _ = events;
    }
}

/// A configured key variable that is missing is a configuration error naming the
/// variable; a present one is sent as a Bearer token.
#[tokio::test]
async fn the_api_key_comes_from_the_named_variable() {
    let mut cfg = config("openai", "http://127.0.0.1:9");
    cfg.api_key_env = Some("SYMPHONY_TEST_MISSING_KEY_VAR".into());
    let err = backends::build(&cfg).err().expect("missing variable");
    assert!(
        matches!(&err, InstrumentError::Config(m) if m.contains("SYMPHONY_TEST_MISSING_KEY_VAR"))
    );

    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Close).await;
        conn.send(format!("{}{FINISH}{DONE}", delta("hi"))).await;
        conn.end().await;
    })
    .await;
    // SAFETY: this test binary sets a variable no other test reads.
    unsafe { std::env::set_var("SYMPHONY_TEST_OPENAI_KEY", "sk-test-123") };
    let mut cfg = config("openai", &server.url());
    cfg.api_key_env = Some("SYMPHONY_TEST_OPENAI_KEY".into());
    let instrument = backends::build(&cfg).unwrap();
    let (result, _) = start(instrument.as_ref(), ask("x")).finish().await;
    assert_eq!(result.unwrap().text, "hi");
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer sk-test-123")
    );
}

/// Nothing listens: a Connect error naming the endpoint.
#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let instrument = OpenAiInstrument::new(&config("openai", &url)).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    match result.unwrap_err() {
        InstrumentError::Connect { endpoint, .. } => {
            assert_eq!(endpoint, format!("{url}/v1/chat/completions"))
        }
        other => panic!("expected Connect, got {other:?}"),
    }
}

/// The server stands in for a broken model server: every SSE data line is not JSON,
/// then `[DONE]`. The call is an error that quotes the first line, not an empty answer.
#[tokio::test]
async fn a_stream_of_only_non_json_data_lines_is_an_error_not_an_empty_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send("data: <html>oops</html>\n\ndata: still not json\n\n")
            .await;
        conn.send(DONE).await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    let err = result.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("the model server sent no valid events: first line was")
            && text.contains("<html>oops</html>"),
        "{text}"
    );
}

/// The server stands in for a model server that answers 200 with a plain-text page
/// instead of SSE: an error quoting it, not "the connection dropped".
#[tokio::test]
async fn a_body_that_is_neither_sse_nor_json_is_an_error_quoting_it() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(200, "text/plain", &[], "Service starting, try later\n")
            .await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    let text = result.unwrap_err().to_string();
    assert!(
        text.contains("no valid events") && text.contains("Service starting"),
        "{text}"
    );
}

/// Lines that are not JSON among good ones are skipped: the answer still arrives.
#[tokio::test]
async fn a_stray_non_json_line_among_good_ones_is_skipped() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "text/event-stream", Framing::Chunked).await;
        conn.send("data: garbage\n\n").await;
        conn.send(delta("ok")).await;
        conn.send(format!("{FINISH}{DONE}")).await;
        conn.end().await;
    })
    .await;
    let instrument = OpenAiInstrument::new(&config("openai", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(result.unwrap().text, "ok");
}
