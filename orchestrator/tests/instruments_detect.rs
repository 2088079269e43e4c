//! Detection of local backends (a scripted server stands in for Ollama's /api/tags) and
//! the promise that API keys never appear in Debug output, errors or logs.

mod support;

use std::io::Write;
use std::sync::Arc;

use parking_lot::Mutex;
use support::{Framing, ask, config, serve, start};
use symphony_conductor::backends::{self, detect_with};
use symphony_conductor::instrument::InstrumentKind;

const SECRET: &str = "sk-SYMPHONY-SECRET-5f1c2a";

/// A log sink the test can read.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The server stands in for a model server that rejects the key (401) and, on a second
/// instrument, streams an answer; every log line (TRACE, all crates), every Debug
/// rendering and every error is searched for the key.
#[tokio::test]
async fn api_keys_never_appear_in_logs_errors_or_debug_output() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // SAFETY: this test binary sets a variable no other test reads.
    unsafe { std::env::set_var("SYMPHONY_TEST_SECRET_KEY", SECRET) };
    let server = serve(|n, _req, mut conn| async move {
        if n == 0 {
            conn.respond(401, "application/json", &[], r#"{"error":{"message":"invalid x-api-key"}}"#)
                .await;
        } else {
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            conn.send("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
                .await;
            conn.end().await;
        }
    })
    .await;
    let mut seen = String::new();
    for kind in ["anthropic", "openai"] {
        let mut cfg = config(kind, &server.url());
        cfg.api_key_env = Some("SYMPHONY_TEST_SECRET_KEY".into());
        let instrument = backends::build(&cfg).unwrap();
        match kind {
            "anthropic" => {
                let i = backends::AnthropicInstrument::new(&cfg).unwrap();
                seen.push_str(&format!("{i:?}\n"));
            }
            _ => {
                let i = backends::OpenAiInstrument::new(&cfg).unwrap();
                seen.push_str(&format!("{i:?}\n"));
            }
        }
        let (result, events) = start(instrument.as_ref(), ask("x")).finish().await;
        seen.push_str(&format!("{result:?}\n{events:?}\n"));
        if let Err(e) = &result {
            seen.push_str(&format!("{e}\n"));
        }
    }
    let key = backends::ApiKey::from_env("SYMPHONY_TEST_SECRET_KEY").unwrap();
    seen.push_str(&format!("{key:?} {key}\n"));
    assert!(seen.contains("invalid x-api-key"), "{seen}");
    assert!(seen.contains("SYMPHONY_TEST_SECRET_KEY"), "{seen}");

    let logs = String::from_utf8_lossy(&sink.0.lock()).into_owned();
    assert!(!logs.is_empty(), "the subscriber captured the calls' logs");
    assert!(!seen.contains(SECRET), "key in Debug/errors: {seen}");
    assert!(!logs.contains(SECRET), "key in logs: {logs}");
    // The key did reach the servers, in its header.
    let requests = server.requests();
    assert_eq!(requests[0].header("x-api-key"), Some(SECRET));
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
}

/// A scripted server stands in for a local Ollama with two models; the environment has
/// both API key variables: three suggestions, naming variables only.
#[tokio::test]
async fn detects_ollama_and_key_variables() {
    let server = serve(|_, req, conn| async move {
        assert_eq!(req.path, "/api/tags");
        conn.respond(
            200,
            "application/json",
            &[],
            r#"{"models":[{"name":"qwen2.5-coder:7b","size":1},{"name":"llama3.2:1b","size":2}]}"#,
        )
        .await;
    })
    .await;
    let found = detect_with(&server.url(), |var| {
        var == "OPENAI_API_KEY" || var == "ANTHROPIC_API_KEY"
    })
    .await;
    let kinds: Vec<InstrumentKind> = found.iter().map(|d| d.config.kind).collect();
    assert_eq!(
        kinds,
        vec![
            InstrumentKind::Ollama,
            InstrumentKind::Openai,
            InstrumentKind::Anthropic
        ]
    );
    assert_eq!(found[0].config.model, "qwen2.5-coder:7b");
    assert_eq!(
        found[0].config.base_url.as_deref(),
        Some(server.url().as_str())
    );
    assert!(found[0].found.contains("2 models"), "{}", found[0].found);
    assert_eq!(
        found[1].config.api_key_env.as_deref(),
        Some("OPENAI_API_KEY")
    );
    assert_eq!(
        found[2].config.api_key_env.as_deref(),
        Some("ANTHROPIC_API_KEY")
    );
    // Each suggestion builds once its variable exists.
    let text = toml::to_string(&found[0].config).unwrap();
    assert!(text.contains("kind = \"ollama\""), "{text}");
}

/// Nothing listens and no variable is set: nothing is suggested (and it returns quickly
/// enough for a test; no timing is asserted).
#[tokio::test]
async fn detects_nothing_when_nothing_is_there() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    assert!(detect_with(&url, |_| false).await.is_empty());
}
