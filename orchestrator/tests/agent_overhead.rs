//! Measures the agent's own overhead per tool call: from the node of a finished model
//! call starting to the next one (permission check, argument parsing, node events,
//! the journal write, the result appended), with a tool that does no work. A scripted
//! 127.0.0.1 server stands in for an OpenAI-compatible model. The figures are printed,
//! not asserted (`cargo test -p symphony-conductor --release --test agent_overhead -- --nocapture`).
//! The test also shows that a tool from outside the built-ins (as MCP tools will be)
//! registers and is called like any other.

mod support;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Framing, config, serve};
use symphony_conductor::agent::permissions::PermissionRequest;
use symphony_conductor::agent::tools::{Access, ToolFuture};
use symphony_conductor::agent::{
    Agent, AgentConfig, AgentEvent, AgentOutcome, AgentUi, Decision, NodeKind, NodeStatus, Tool,
    ToolContext, ToolOutput, ToolRegistry, Workspace,
};
use symphony_conductor::backends::OpenAiInstrument;
use symphony_conductor::instrument::{CancellationToken, ToolSpec};
use tokio::sync::mpsc;

const CALLS: usize = 300;

struct Noop;

impl Tool for Noop {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "noop".into(),
            description: "does nothing".into(),
            parameters: json!({"type": "object"}),
        }
    }
    fn access(&self) -> Access {
        Access::Read
    }
    fn summary(&self, _args: &Value) -> String {
        String::new()
    }
    fn run(&self, _args: Value, _ctx: ToolContext) -> ToolFuture {
        Box::pin(async { ToolOutput::ok("ok") })
    }
}

struct Nobody;

impl AgentUi for Nobody {
    fn ask_user(&self, _q: String) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> {
        Box::pin(async { None })
    }
    fn ask_permission(
        &self,
        _r: PermissionRequest,
    ) -> Pin<Box<dyn Future<Output = Decision> + Send>> {
        Box::pin(async { Decision::Deny })
    }
}

fn turn_with_calls(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out += &format!(
            "data: {}\n\n",
            json!({"choices":[{"index":0,"delta":{"tool_calls":[{"index":i,"id":format!("c{i}"),"type":"function","function":{"name":"noop","arguments":"{}"}}]},"finish_reason":null}]})
        );
    }
    out += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n";
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_tool_call_overhead_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let calls = Arc::new(turn_with_calls(CALLS));
    let server = serve(move |n, _req, mut conn| {
        let calls = calls.clone();
        async move {
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            if n == 0 {
                conn.send(calls.as_bytes()).await;
            } else {
                conn.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"done\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n").await;
            }
            conn.end().await;
        }
    })
    .await;
    let mut tools = ToolRegistry::builtin();
    tools.register(Arc::new(Noop));
    let instrument = Arc::new(OpenAiInstrument::new(&config("openai", &server.url())).unwrap());
    let mut agent = Agent::new(
        instrument,
        tools,
        Workspace::new(dir.path()),
        AgentConfig::default(),
        Arc::new(Nobody),
    )
    .with_journal(dir.path().join("run.jsonl"))
    .unwrap();
    let (tx, mut rx) = mpsc::channel(4096);
    let stamps = tokio::spawn(async move {
        let mut starts = Vec::new();
        while let Some(e) = rx.recv().await {
            if let AgentEvent::Node(n) = e
                && n.status == NodeStatus::Running
            {
                starts.push((n.kind, Instant::now()));
            }
        }
        starts
    });
    let outcome = tokio::time::timeout(
        Duration::from_secs(120),
        agent.send("go", tx, CancellationToken::new()),
    )
    .await
    .expect("the run ends");
    assert_eq!(
        outcome,
        AgentOutcome::Done {
            text: "done".into()
        }
    );
    let starts = stamps.await.unwrap();
    let tool_starts: Vec<Instant> = starts
        .iter()
        .filter(|(k, _)| *k == NodeKind::Tool)
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(tool_starts.len(), CALLS);
    let mut gaps: Vec<Duration> = tool_starts.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    let p = |q: f64| gaps[((gaps.len() - 1) as f64 * q) as usize];
    println!(
        "agent overhead per tool call over {} calls (journal on): p50 {:?}, p90 {:?}, p99 {:?}",
        gaps.len(),
        p(0.5),
        p(0.9),
        p(0.99)
    );
}
