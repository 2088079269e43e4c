//! A model stream that yields no valid event ends the run as a failure the user sees,
//! quoting the first line, not as "done" with an empty answer. A scripted HTTP server
//! on 127.0.0.1 stands in for a broken OpenAI-compatible model server: its SSE data
//! lines are all not JSON (then `[DONE]`).

use std::time::Duration;

use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunOutcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn broken_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                // Read the head and the body (the client sends both at once or soon).
                loop {
                    let Ok(n) = sock.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&got[..p]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if got.len() >= p + 4 + len {
                            break;
                        }
                    }
                }
                let body = "data: <html>Bad gateway</html>\n\ndata: {not json\n\ndata: [DONE]\n\n";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_stream_without_one_valid_event_fails_the_run_with_what_came() {
    let base = broken_server().await;
    let text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{base}\"\nmodel = \"m\"\nmax_retries = 0\n"
    );
    let mut config: ConductorConfig = toml::from_str(&text).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    config.store_dir = dir.path().join("artifacts");
    let (conductor, mut events) = Conductor::start_with(config, default_factory()).expect("start");
    let ctx = EditorContext {
        file_text: "fn main() {}\n".into(),
        ..Default::default()
    };
    let run = conductor.run(AiCommand::Explain, ctx);
    let mut seen = Vec::new();
    let outcome = loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("the Conductor went silent")
            .expect("events open");
        if let ConductorEvent::RunFinished {
            run: r,
            outcome,
            answer,
        } = &ev
            && *r == run
        {
            break (outcome.clone(), answer.clone());
        }
        seen.push(ev);
    };
    let failed_node = seen.iter().find_map(|e| match e {
        ConductorEvent::Node {
            status: NodeStatus::Failed(why),
            ..
        } => Some(why.clone()),
        _ => None,
    });
    assert!(matches!(outcome.0, RunOutcome::Failed(_)), "{outcome:?}");
    let why = failed_node.expect("a node failed");
    assert!(
        why.contains("the model server sent no valid events: first line was")
            && why.contains("<html>Bad gateway</html>"),
        "{why}"
    );
}
