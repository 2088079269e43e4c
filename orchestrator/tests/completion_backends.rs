//! Inline-completion backends against scripted 127.0.0.1 servers that stand in for a
//! model (llama.cpp's `/infill`, an OpenAI-compatible `/v1/completions`, Ollama's
//! `/api/generate`): request bodies compared byte for byte, answers written as the
//! real servers write them; a slow server, a 500 and a refused connection.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Gate, config, serve};
use symphony_conductor::completion::{
    CompletionConfig, ExtraChunk, FimClient, FimContext, FimFormat,
};
use symphony_conductor::instrument::{CancellationToken, InstrumentError, Usage};

fn ctx() -> FimContext {
    FimContext {
        prefix: "fn main() {\n".into(),
        middle: "    let x = ".into(),
        suffix: "\n}".into(),
        extra: vec![ExtraChunk {
            filename: "lib.rs".into(),
            text: "pub fn two() -> i32 { 2 }".into(),
        }],
        indent: 4,
    }
}

fn completion(format: FimFormat) -> CompletionConfig {
    CompletionConfig {
        enabled: true,
        format: Some(format),
        n_predict: 16,
        ..Default::default()
    }
}

const INFILL_ANSWER: &str = r#"{"index":0,"content":"two();\n    x","tokens":[],"id_slot":0,"stop":true,"model":"tiny","tokens_predicted":5,"tokens_evaluated":31,"truncated":false,"tokens_cached":0,"timings":{"prompt_n":31,"prompt_ms":4.5,"predicted_n":5,"predicted_ms":2.5}}"#;

/// The server stands in for llama.cpp's llama-server answering `/infill`.
#[tokio::test]
async fn infill_sends_what_llama_vim_sends_and_reads_content_and_timings() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(200, "application/json; charset=utf-8", &[], INFILL_ANSWER)
            .await;
    })
    .await;
    let client = FimClient::new(
        &completion(FimFormat::Infill),
        &config("openai", &server.url()),
    )
    .unwrap();
    let s = client
        .complete(&ctx(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.text(), "two();\n    x");
    assert_eq!(
        s.usage,
        Usage {
            prompt_tokens: 31,
            completion_tokens: 5
        }
    );
    assert_eq!(s.server_ms, Some(7.0));
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/infill");
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        r#"{"input_prefix":"fn main() {\n","input_suffix":"\n}","input_extra":[{"filename":"lib.rs","text":"pub fn two() -> i32 { 2 }"}],"prompt":"    let x = ","n_predict":16,"n_indent":4,"top_k":40,"top_p":0.9,"samplers":["top_k","top_p","infill"],"stream":false,"cache_prompt":true,"t_max_prompt_ms":500,"t_max_predict_ms":1000}"#
    );
}

/// The server stands in for an OpenAI-compatible FIM model (vLLM, LM Studio).
#[tokio::test]
async fn openai_sends_prompt_and_suffix_and_reads_every_choice() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(
            200,
            "application/json",
            &[],
            r#"{"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny","choices":[{"index":0,"text":"2;","finish_reason":"stop"},{"index":1,"text":"two();","finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}"#,
        )
        .await;
    })
    .await;
    let mut cfg = completion(FimFormat::Openai);
    cfg.alternatives = 2;
    let client = FimClient::new(&cfg, &config("openai", &server.url())).unwrap();
    let s = client
        .complete(&ctx(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.alternatives, vec!["2;".to_string(), "two();".to_string()]);
    assert_eq!(s.usage.prompt_tokens, 12);
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/completions");
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        r#"{"model":"tiny","max_tokens":16,"temperature":0.1,"n":2,"stream":false,"prompt":"fn main() {\n    let x = ","suffix":"\n}"}"#
    );
}

/// The server stands in for a model behind `/v1/completions` that needs its own FIM
/// tokens in the prompt (no `suffix` field).
#[tokio::test]
async fn a_prompt_template_carries_the_models_fim_tokens() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(
            200,
            "application/json",
            &[],
            r#"{"choices":[{"index":0,"text":"2;"}]}"#,
        )
        .await;
    })
    .await;
    let mut cfg = completion(FimFormat::OpenaiTemplate);
    cfg.template = "<PRE> {prefix} <SUF>{suffix} <MID>".into();
    let client = FimClient::new(&cfg, &config("openai", &server.url())).unwrap();
    let s = client
        .complete(&ctx(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.text(), "2;");
    assert_eq!(
        String::from_utf8_lossy(&server.requests()[0].body),
        r#"{"model":"tiny","max_tokens":16,"temperature":0.1,"n":1,"stream":false,"prompt":"<PRE> fn main() {\n    let x =  <SUF>\n} <MID>"}"#
    );
}

/// The server stands in for Ollama answering `/api/generate` with a suffix.
#[tokio::test]
async fn ollama_generate_sends_the_suffix_and_reads_counts() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(
            200,
            "application/json; charset=utf-8",
            &[],
            r#"{"model":"tiny","created_at":"2026-12-07T08:00:00Z","response":"2;","done":true,"done_reason":"stop","total_duration":3000000,"prompt_eval_count":20,"eval_count":2}"#,
        )
        .await;
    })
    .await;
    let client = FimClient::new(
        &completion(FimFormat::Ollama),
        &config("ollama", &server.url()),
    )
    .unwrap();
    let s = client
        .complete(&ctx(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(s.text(), "2;");
    assert_eq!(s.usage.completion_tokens, 2);
    assert_eq!(s.server_ms, Some(3.0));
    let req = &server.requests()[0];
    assert_eq!(req.path, "/api/generate");
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        r#"{"model":"tiny","prompt":"fn main() {\n    let x = ","suffix":"\n}","stream":false,"options":{"num_predict":16,"temperature":0.1}}"#
    );
}

/// The server stands in for a model; asking twice for the same place asks it once.
#[tokio::test]
async fn the_same_prefix_and_suffix_is_answered_from_the_cache() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(200, "application/json", &[], INFILL_ANSWER)
            .await;
    })
    .await;
    let client = FimClient::new(
        &completion(FimFormat::Infill),
        &config("openai", &server.url()),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    let first = client.complete(&ctx(), &cancel).await.unwrap();
    let second = client.complete(&ctx(), &cancel).await.unwrap();
    assert!(!first.cached && second.cached);
    assert_eq!(first.text(), second.text());
    let mut moved = ctx();
    moved.middle.push('t');
    client.complete(&moved, &cancel).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

/// The server stands in for a slow model: the user typed on, so the request is
/// cancelled; the connection is dropped at once and no answer comes back.
#[tokio::test]
async fn a_slow_server_is_dropped_when_the_request_is_cancelled() {
    let gate = Gate::new();
    let server_gate = gate.clone();
    let server = serve(move |_, _req, conn| {
        let gate = server_gate.clone();
        async move {
            gate.open();
            conn.wait_closed().await;
        }
    })
    .await;
    let client = Arc::new(
        FimClient::new(
            &completion(FimFormat::Infill),
            &config("openai", &server.url()),
        )
        .unwrap(),
    );
    let cancel = CancellationToken::new();
    let call = {
        let (client, cancel) = (client.clone(), cancel.clone());
        tokio::spawn(async move { client.complete(&ctx(), &cancel).await })
    };
    gate.wait().await;
    cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("a cancelled request ends")
        .expect("joined");
    assert!(
        matches!(result, Err(InstrumentError::Cancelled { .. })),
        "{result:?}"
    );
}

/// The server stands in for a broken model server: a 500 is reported, not retried.
#[tokio::test]
async fn a_500_is_reported_with_the_servers_message_and_not_retried() {
    let server = serve(|_, _req, conn| async move {
        conn.respond(
            500,
            "application/json",
            &[],
            r#"{"error":{"code":500,"message":"the model has no FIM tokens","type":"server_error"}}"#,
        )
        .await;
    })
    .await;
    let client = FimClient::new(
        &completion(FimFormat::Infill),
        &config("openai", &server.url()),
    )
    .unwrap();
    let err = client
        .complete(&ctx(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        InstrumentError::Http {
            status: 500,
            message: "the model has no FIM tokens".into()
        }
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_says_which_server_is_down() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let client = FimClient::new(&completion(FimFormat::Infill), &config("openai", &url)).unwrap();
    let err = client
        .complete(&ctx(), &CancellationToken::new())
        .await
        .unwrap_err();
    match err {
        InstrumentError::Connect { endpoint, .. } => {
            assert_eq!(endpoint, format!("{url}/infill"))
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[test]
fn a_body_over_the_size_limit_is_refused_before_sending() {
    let mut cfg = completion(FimFormat::Infill);
    cfg.max_request_bytes = 100;
    let client = FimClient::new(&cfg, &config("openai", "http://127.0.0.1:9")).unwrap();
    assert!(matches!(
        client.body(&ctx()),
        Err(InstrumentError::Config(_))
    ));
}
