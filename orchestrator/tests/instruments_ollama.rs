//! The `ollama` instrument against scripted 127.0.0.1 servers that stand in for Ollama,
//! writing its NDJSON stream and management answers byte for byte.

mod support;

use std::time::Duration;

use support::{Framing, Gate, ask, config, serve, start};
use symphony_conductor::backends::OllamaInstrument;
use symphony_conductor::backends::ollama::{LoadedModel, OllamaModel};
use symphony_conductor::instrument::{FinishReason, InstrumentError, InstrumentEvent, Usage};

fn line(text: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({"model":"tiny","created_at":"2026-11-24T08:00:00Z","message":{"role":"assistant","content":text},"done":false})
    )
}

const DONE: &str = "{\"model\":\"tiny\",\"created_at\":\"2026-11-24T08:00:01Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,\"total_duration\":123456,\"prompt_eval_count\":9,\"eval_count\":3}\n";

/// The server stands in for a model: line 1, a pause until the test has seen it, then
/// the rest and the final `done: true` line with the counts.
#[tokio::test]
async fn tokens_arrive_one_by_one_then_counts() {
    let gate = Gate::new();
    let server_gate = gate.clone();
    let server = serve(move |_, _req, mut conn| {
        let gate = server_gate.clone();
        async move {
            conn.head(200, "application/x-ndjson", Framing::Chunked)
                .await;
            conn.send(line("Hi")).await;
            gate.wait().await;
            // A line split across two chunks.
            let rest = format!("{}{DONE}", line(" there"));
            let (a, b) = rest.split_at(17);
            conn.send(a).await;
            conn.send(b).await;
            conn.end().await;
        }
    })
    .await;
    let mut cfg = config("ollama", &server.url());
    cfg.extra
        .insert("options".into(), serde_json::json!({"num_ctx": 4096}));
    let instrument = OllamaInstrument::new(&cfg).unwrap();
    let mut call = start(&instrument, ask("hello"));
    assert_eq!(call.next().await, InstrumentEvent::Token("Hi".into()));
    gate.open();
    assert_eq!(call.next_token().await, " there");
    let (result, rest) = call.finish().await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Hi there");
    assert_eq!(completion.finish, FinishReason::Stop);
    let usage = Usage {
        prompt_tokens: 9,
        completion_tokens: 3,
    };
    assert_eq!(completion.usage, usage);
    assert!(rest.contains(&InstrumentEvent::Usage(usage)));

    let req = &server.requests()[0];
    assert_eq!(req.path, "/api/chat");
    let body = req.json();
    assert_eq!(body["model"], "tiny");
    assert_eq!(body["stream"], true);
    assert_eq!(body["options"]["num_predict"], 32);
    assert_eq!(body["options"]["num_ctx"], 4096);
    assert_eq!(body["messages"][1]["content"], "hello");
}

/// The server stands in for a model that reports an error line mid-stream.
#[tokio::test]
async fn an_error_line_mid_stream_keeps_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "application/x-ndjson", Framing::Chunked)
            .await;
        conn.send(line("Some")).await;
        conn.send(
            "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n",
        )
        .await;
        conn.end().await;
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Stream {
            message: "an error was encountered while running the model: unexpected EOF".into(),
            partial: "Some".into()
        }
    );
}

/// The server stands in for a busy Ollama: 429 with its `{"error": ".."}` shape, then
/// a normal answer; and a 404 for an unknown model is not retried.
#[tokio::test]
async fn a_429_is_retried_and_a_404_shows_the_message() {
    let server = serve(|n, req, mut conn| async move {
        if req.json()["model"] == "missing" {
            conn.respond(
                404,
                "application/json",
                &[],
                r#"{"error":"model \"missing\" not found, try pulling it first"}"#,
            )
            .await;
            return;
        }
        if n == 0 {
            conn.respond(
                429,
                "application/json",
                &[("Retry-After", "0")],
                r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
            )
            .await;
            return;
        }
        conn.head(200, "application/x-ndjson", Framing::Chunked)
            .await;
        conn.send(format!("{}{DONE}", line("done"))).await;
        conn.end().await;
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let (result, events) = start(&instrument, ask("x")).finish().await;
    assert_eq!(result.unwrap().text, "done");
    assert!(matches!(
        &events[0],
        InstrumentEvent::Retrying { attempt: 2, reason, .. } if reason.contains("server busy")
    ));

    let mut request = ask("x");
    request.model = Some("missing".into());
    let (result, events) = start(&instrument, request).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Http {
            status: 404,
            message: "model \"missing\" not found, try pulling it first".into()
        }
    );
    assert!(events.is_empty());
}

/// The server stands in for a model that stalls after one line: idle timeout.
#[tokio::test]
async fn a_stalled_server_times_out_with_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "application/x-ndjson", Framing::Chunked)
            .await;
        conn.send(line("zzz")).await;
        conn.wait_closed().await;
    })
    .await;
    let mut cfg = config("ollama", &server.url());
    cfg.idle_timeout_secs = 1;
    let instrument = OllamaInstrument::new(&cfg).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Timeout {
            after: Duration::from_secs(1),
            partial: "zzz".into()
        }
    );
}

/// The server stands in for a model that stalls; cancel closes the connection.
#[tokio::test]
async fn cancel_while_stalled_closes_the_connection() {
    let closed = Gate::new();
    let server_closed = closed.clone();
    let server = serve(move |_, _req, mut conn| {
        let closed = server_closed.clone();
        async move {
            conn.head(200, "application/x-ndjson", Framing::Chunked)
                .await;
            conn.send(line("begun")).await;
            conn.wait_closed().await;
            closed.open();
        }
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let mut call = start(&instrument, ask("x"));
    assert_eq!(call.next_token().await, "begun");
    call.cancel.cancel();
    let (result, _) = call.finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Cancelled {
            partial: "begun".into()
        }
    );
    tokio::time::timeout(Duration::from_secs(10), closed.wait())
        .await
        .expect("the server saw the connection close");
}

/// The server stands in for a model whose connection drops in the middle of a line.
#[tokio::test]
async fn a_connection_dropped_mid_stream_keeps_the_partial_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "application/x-ndjson", Framing::Chunked)
            .await;
        conn.send(line("kept")).await;
        let next = line(" never");
        conn.send(&next[..10]).await;
        conn.drop_connection().await;
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    assert_eq!(
        result.unwrap_err(),
        InstrumentError::Dropped {
            partial: "kept".into()
        }
    );
}

/// The server stands in for Ollama's management API: /api/tags, /api/ps, and
/// keep_alive requests on /api/generate for prewarming ("5m") and unloading (0).
#[tokio::test]
async fn lists_models_loaded_models_prewarms_and_unloads() {
    let server = serve(|_, req, conn| async move {
        match req.path.as_str() {
            "/api/tags" => conn.respond(200, "application/json", &[], r#"{"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","modified_at":"2026-11-01T10:00:00Z","size":4683087332,"digest":"abc","details":{"family":"qwen2"}},{"name":"llama3.2:1b","size":1321098329}]}"#).await,
            "/api/ps" => conn.respond(200, "application/json", &[], r#"{"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b","size":5137025024,"digest":"abc","expires_at":"2026-11-24T08:05:00Z","size_vram":0}]}"#).await,
            "/api/generate" => conn.respond(200, "application/json", &[], r#"{"model":"tiny","created_at":"2026-11-24T08:00:00Z","response":"","done":true}"#).await,
            _ => conn.respond(404, "text/plain", &[], "404 page not found").await,
        }
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let models = instrument.list_models().await.unwrap();
    assert_eq!(
        models,
        vec![
            OllamaModel {
                name: "qwen2.5-coder:7b".into(),
                size: 4683087332,
                modified_at: Some("2026-11-01T10:00:00Z".into())
            },
            OllamaModel {
                name: "llama3.2:1b".into(),
                size: 1321098329,
                modified_at: None
            }
        ]
    );
    let loaded = instrument.loaded_models().await.unwrap();
    assert_eq!(
        loaded,
        vec![LoadedModel {
            name: "qwen2.5-coder:7b".into(),
            size: 5137025024,
            size_vram: 0,
            expires_at: Some("2026-11-24T08:05:00Z".into())
        }]
    );
    instrument.prewarm().await.unwrap();
    instrument.unload().await.unwrap();
    let requests = server.requests();
    let keep_alive: Vec<serde_json::Value> = requests
        .iter()
        .filter(|r| r.path == "/api/generate")
        .map(|r| r.json())
        .collect();
    assert_eq!(keep_alive.len(), 2);
    assert_eq!(keep_alive[0]["keep_alive"], "5m");
    assert_eq!(keep_alive[0]["prompt"], "");
    assert_eq!(keep_alive[0]["model"], "tiny");
    assert_eq!(keep_alive[1]["keep_alive"], 0);
}

/// Through the `Instrument` trait (as the Pool Manager calls it): Ollama reports its
/// loaded models and can prewarm and unload; the server stands in for Ollama. Other
/// backends answer with the typed "not supported" error without touching the network.
#[tokio::test]
async fn residency_through_the_instrument_trait() {
    use symphony_conductor::instrument::Instrument;
    let server = serve(|_, req, conn| async move {
        match req.path.as_str() {
            "/api/ps" => conn.respond(200, "application/json", &[], r#"{"models":[{"name":"tiny:latest","model":"tiny:latest","size":1000,"digest":"d","expires_at":"2026-11-24T08:05:00.5+01:00","size_vram":400}]}"#).await,
            "/api/generate" => conn.respond(200, "application/json", &[], r#"{"model":"tiny","created_at":"2026-11-24T08:00:00Z","response":"","done":true,"done_reason":"unload"}"#).await,
            _ => conn.respond(404, "text/plain", &[], "404 page not found").await,
        }
    })
    .await;
    let ollama: Box<dyn Instrument> =
        Box::new(OllamaInstrument::new(&config("ollama", &server.url())).unwrap());
    assert!(ollama.supports_residency());
    let loaded = ollama.loaded_models().await.unwrap();
    assert_eq!(loaded[0].name, "tiny:latest");
    assert_eq!((loaded[0].size, loaded[0].size_vram), (1000, 400));
    ollama.prewarm().await.unwrap();
    ollama.unload().await.unwrap();
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/api/ps", "/api/generate", "/api/generate"]);

    let openai = symphony_conductor::backends::build(&config("openai", &server.url())).unwrap();
    assert!(!openai.supports_residency());
    assert_eq!(
        openai.prewarm().await.unwrap_err(),
        InstrumentError::Unsupported {
            operation: "prewarm".into(),
            kind: "openai".into()
        }
    );
    assert_eq!(
        openai.unload().await.unwrap_err().to_string(),
        "unload is not supported by openai"
    );
    assert!(openai.loaded_models().await.is_err());
    assert_eq!(server.requests().len(), 3, "nothing was sent for openai");
}

/// The server stands in for a broken Ollama: every NDJSON line is not JSON. The call is
/// an error the user sees, quoting the first line, not "done" with an empty answer.
#[tokio::test]
async fn a_stream_of_only_non_json_lines_is_an_error_not_an_empty_answer() {
    let server = serve(|_, _req, mut conn| async move {
        conn.head(200, "application/x-ndjson", Framing::Chunked)
            .await;
        conn.send("not json at all\nnor this\n").await;
        conn.end().await;
    })
    .await;
    let instrument = OllamaInstrument::new(&config("ollama", &server.url())).unwrap();
    let (result, _) = start(&instrument, ask("x")).finish().await;
    let text = result.unwrap_err().to_string();
    assert!(
        text.contains("the model server sent no valid events: first line was")
            && text.contains("not json at all"),
        "{text}"
    );
}
