//! The Conductor with the REAL openai instrument (crate::backends) against a 127.0.0.1
//! server that speaks OpenAI's SSE byte for byte and STANDS IN FOR A MODEL
//! (conductor_support::sse): streaming, a refactor proposal, cancel closing the
//! connection, and an HTTP error failing the node and the pool entry.

mod conductor_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use conductor_support::sse::{Reply, SseServer, serve};
use conductor_support::*;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunOutcome};

fn start(server: &SseServer) -> Harness {
    let toml_text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"stand-in\"\nmax_retries = 0\nmax_concurrency = 1\n",
        server.base_url()
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    config.store_dir = dir.path().join("artifacts");
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    Harness {
        conductor,
        events,
        dir,
    }
}

fn ctx() -> EditorContext {
    let file = "fn main() {\n    let x = 1 ;\n}\n";
    let start = file.find("    let").expect("let");
    let end = file.find("}\n").expect("}");
    EditorContext {
        language: Some("Rust".into()),
        path: Some("main.rs".into()),
        revision: Some(1),
        file_text: file.into(),
        selection: Some(SelectionContext {
            start,
            end,
            text: file[start..end].into(),
            first_line: 1,
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn explain_streams_the_servers_tokens_in_order() {
    let script: Vec<String> = ["Binds ", "`x` ", "to ", "1."].map(String::from).to_vec();
    let server = serve(vec![Reply::Stream(script.clone())]).await;
    let mut h = start(&server);
    let run = h.conductor.run(AiCommand::Explain, ctx());
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some(script.concat())),
        "{events:#?}"
    );
    assert_eq!(tokens(&events, "model"), script);
    let body = server.requests.lock()[0].clone();
    let v: serde_json::Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(v["stream"], true);
    assert_eq!(v["model"], "stand-in");
    assert!(body.contains("let x = 1 ;"), "{body}");
    assert_eq!(h.conductor.pool()[0].state, "Hot");
}

#[tokio::test]
async fn refactor_through_the_openai_instrument_proposes_the_edit() {
    let server = serve(vec![Reply::Stream(vec![
        "```rust\n".into(),
        "    let x = 1;\n".into(),
        "```".into(),
    ])])
    .await;
    let mut h = start(&server);
    let c = ctx();
    let base = c.file_text.clone();
    let run = h.conductor.run(
        AiCommand::Refactor {
            instruction: "fix spacing".into(),
        },
        c,
    );
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events).0, RunOutcome::Succeeded, "{events:#?}");
    let p = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .expect("proposal");
    let mut out = base.clone();
    for hk in p.hunks.iter().rev() {
        out.replace_range(hk.start..hk.end, &hk.new_text);
    }
    assert_eq!(out, "fn main() {\n    let x = 1;\n}\n");
}

#[tokio::test]
async fn cancel_closes_the_connection_and_frees_the_slot() {
    let server = serve(vec![Reply::Stall(vec!["Thinking".into()])]).await;
    let mut h = start(&server);
    let run = h.conductor.run(AiCommand::Explain, ctx());
    h.until(|e| matches!(e, ConductorEvent::Token { .. })).await;
    h.conductor.cancel(run);
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events), (RunOutcome::Cancelled, None));
    // The server sees the hang-up (bounded wait: a hang guard, not a timing assertion).
    for _ in 0..200 {
        if server.hung_up.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(server.hung_up.load(Ordering::SeqCst), "connection closed");
    assert_eq!(h.conductor.pool()[0].slots_used, 0);
}

#[tokio::test]
async fn an_http_error_fails_the_node_and_the_pool_entry_with_the_servers_message() {
    let server = serve(vec![Reply::Status(500, "out of GPU memory".into())]).await;
    let mut h = start(&server);
    let run = h.conductor.run(AiCommand::Explain, ctx());
    let events = h.until_finished(run).await;
    let failed = events.iter().rev().find_map(|e| match e {
        ConductorEvent::Node {
            node,
            status: NodeStatus::Failed(why),
            ..
        } if node == "model" => Some(why.clone()),
        _ => None,
    });
    let why = failed.expect("model failed");
    assert!(
        why.contains("500") && why.contains("out of GPU memory"),
        "{why}"
    );
    let pool = h.conductor.pool();
    assert_eq!(pool[0].state, "Failed");
    assert!(
        pool[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("out of GPU memory"))
    );
}
