//! The agent loop against a scripted 127.0.0.1 server that stands in for an
//! OpenAI-compatible model: it answers each request with the next scripted turn
//! (text and `tool_calls` deltas, arguments split over chunks), byte for byte. The
//! tools run for real over a temporary workspace.

mod support;

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::config;
use support::openai_turns::{model, turn};
use symphony_conductor::agent::permissions::{PermissionRequest, RememberedGrants};
use symphony_conductor::agent::{
    Agent, AgentConfig, AgentEvent, AgentOutcome, AgentUi, Decision, NodeKind, NodeStatus,
    ToolRegistry, Workspace,
};
use symphony_conductor::backends::OpenAiInstrument;
use symphony_conductor::instrument::{AgentMessage, CancellationToken, ToolCall, ToolResult};
use tokio::sync::mpsc;

/// A user who answers permission prompts with `decision` and records what was asked.
struct ScriptedUser {
    decision: Decision,
    asked: Mutex<Vec<PermissionRequest>>,
}

impl AgentUi for ScriptedUser {
    fn ask_user(&self, _q: String) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> {
        Box::pin(async { Some("yes".to_string()) })
    }
    fn ask_permission(
        &self,
        request: PermissionRequest,
    ) -> Pin<Box<dyn Future<Output = Decision> + Send>> {
        self.asked.lock().push(request);
        let d = self.decision;
        Box::pin(async move { d })
    }
}

fn user(decision: Decision) -> Arc<ScriptedUser> {
    Arc::new(ScriptedUser {
        decision,
        asked: Mutex::new(Vec::new()),
    })
}

fn agent(server: &support::Server, root: &Path, cfg: AgentConfig, ui: Arc<ScriptedUser>) -> Agent {
    let instrument = Arc::new(OpenAiInstrument::new(&config("openai", &server.url())).unwrap());
    Agent::new(
        instrument,
        ToolRegistry::builtin(),
        Workspace::new(root),
        cfg,
        ui,
    )
}

/// Runs a task and collects its events (the run is bounded by a liveness guard).
async fn run(agent: &mut Agent, task: &str) -> (AgentOutcome, Vec<AgentEvent>) {
    let (tx, mut rx) = mpsc::channel(1024);
    let collect = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(e) = rx.recv().await {
            all.push(e);
        }
        all
    });
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        agent.send(task, tx, CancellationToken::new()),
    )
    .await
    .expect("the run ends within 60 s");
    (outcome, collect.await.unwrap())
}

fn tool_messages(body: &Value) -> Vec<Value> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_agent_renames_a_function_across_two_files_as_proposals() {
    let dir = tempfile::tempdir().unwrap();
    let a = "pub fn old_name() {}\n";
    let b = "use crate::old_name;\nfn main() {\n    old_name();\n}\n";
    std::fs::write(dir.path().join("a.rs"), a).unwrap();
    std::fs::write(dir.path().join("b.rs"), b).unwrap();
    std::fs::write(
        dir.path().join("AGENTS.md"),
        "Run `cargo test` after edits.\n",
    )
    .unwrap();
    let server = model(vec![
        turn(
            "Searching.",
            &[
                ("c1", "grep", json!({"pattern": "old_name"})),
                ("c2", "read_file", json!("{\"path\": ")),
            ],
            100,
        ),
        turn(
            "",
            &[
                ("c3", "read_file", json!({"path": "a.rs"})),
                ("c4", "read_file", json!({"path": "b.rs"})),
            ],
            100,
        ),
        turn("", &[("c5", "run_command", json!({"command": "cat a.rs b.rs | wc -l"}))], 100),
        turn(
            "",
            &[
                ("c6", "edit_file", json!({"path": "a.rs", "search": "fn old_name", "replace": "fn new_name"})),
                ("c7", "edit_file", json!({"path": "b.rs", "search": "crate::old_name", "replace": "crate::new_name"})),
                ("c8", "edit_file", json!({"path": "b.rs", "search": "    old_name();", "replace": "    new_name();"})),
            ],
            100,
        ),
        turn("Renamed old_name to new_name in a.rs and b.rs.", &[], 100),
    ])
    .await;
    let ui = user(Decision::AlwaysAllow);
    let grants_path = dir.path().join("data/symphony/agent-permissions.toml");
    let grants = Arc::new(Mutex::new(RememberedGrants::load(&grants_path).unwrap()));
    let mut agent =
        agent(&server, dir.path(), AgentConfig::default(), ui.clone()).with_grants(grants);

    let (outcome, events) = run(&mut agent, "rename old_name to new_name").await;
    assert_eq!(
        outcome,
        AgentOutcome::Done {
            text: "Renamed old_name to new_name in a.rs and b.rs.".into()
        }
    );

    // The run asked once, with the exact command, and remembered the answer.
    let asked = ui.asked.lock().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].tool, "run_command");
    assert_eq!(asked[0].argument, "cat a.rs b.rs | wc -l");
    let grants_text = std::fs::read_to_string(&grants_path).unwrap();
    assert!(
        grants_text.contains("cat a.rs b.rs | wc -l"),
        "{grants_text}"
    );

    // Nothing was written: the changes are proposals.
    assert_eq!(std::fs::read_to_string(dir.path().join("a.rs")).unwrap(), a);
    assert_eq!(std::fs::read_to_string(dir.path().join("b.rs")).unwrap(), b);
    let changes = agent.changes();
    let files: Vec<_> = changes.files().collect();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].after, "pub fn new_name() {}\n");
    assert_eq!(
        files[1].after,
        "use crate::new_name;\nfn main() {\n    new_name();\n}\n"
    );
    assert_eq!(files[1].counts(), (2, 2));

    // One node per turn and per call, announced live, with their metrics.
    let nodes = agent.nodes();
    let kinds: Vec<NodeKind> = nodes.iter().map(|n| n.kind).collect();
    use NodeKind::{Tool, Turn};
    assert_eq!(
        kinds,
        vec![
            Turn, Tool, Tool, Turn, Tool, Tool, Turn, Tool, Turn, Tool, Tool, Tool, Turn
        ]
    );
    assert_eq!(nodes[0].tokens_in + nodes[0].tokens_out, 100);
    assert_eq!(nodes[0].summary, "calls grep, read_file");
    assert_eq!(nodes[1].summary, "old_name");
    assert_eq!(nodes[1].parent, Some(0));
    assert!(
        matches!(nodes[2].status, NodeStatus::Failed(_)),
        "{:?}",
        nodes[2].status
    );
    assert_eq!(nodes[7].summary, "cat a.rs b.rs | wc -l");
    assert!(
        nodes[7].output.contains("exit status 0\n5"),
        "{}",
        nodes[7].output
    );
    assert!(
        nodes
            .iter()
            .all(|n| n.duration.is_some() && n.result_bytes.is_some())
    );
    for node in nodes {
        let announced: Vec<&NodeStatus> = events
            .iter()
            .filter_map(|e| match e {
                AgentEvent::Node(n) if n.id == node.id => Some(&n.status),
                _ => None,
            })
            .collect();
        assert_eq!(
            announced.first(),
            Some(&&NodeStatus::Running),
            "node {} started live",
            node.id
        );
        assert_eq!(announced.last(), Some(&&node.status));
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Text(t) if t == "Searching."))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::ToolOutput { node: 7, .. }))
    );

    // The project's AGENTS.md is part of the instructions.
    let first = server.requests()[0].json();
    assert_eq!(first["messages"][0]["role"], "system");
    assert!(
        first["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Run `cargo test` after edits.")
    );

    // The results went back to the model: grep's lines, and the malformed call's error.
    let second = server.requests()[1].json();
    let results = tool_messages(&second);
    assert_eq!(results[0]["tool_call_id"], "c1");
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("b.rs:3:     old_name();")
    );
    assert!(
        results[1]["content"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
}

#[tokio::test]
async fn a_denied_call_returns_a_refusal_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = model(vec![
        turn(
            "",
            &[("c1", "run_command", json!({"command": "rm -rf /tmp/x"}))],
            10,
        ),
        turn("I will not run it.", &[], 10),
    ])
    .await;
    let ui = user(Decision::Deny);
    let mut agent = agent(&server, dir.path(), AgentConfig::default(), ui.clone());
    let (outcome, _) = run(&mut agent, "clean up").await;
    assert!(matches!(outcome, AgentOutcome::Done { .. }), "{outcome:?}");
    assert_eq!(ui.asked.lock()[0].argument, "rm -rf /tmp/x");
    assert_eq!(agent.nodes()[1].status, NodeStatus::Refused);
    let refusal = tool_messages(&server.requests()[1].json())[0]["content"].clone();
    assert!(
        refusal
            .as_str()
            .unwrap()
            .starts_with("refused: the user refused this call"),
        "{refusal}"
    );

    // Denied by config: not even asked.
    let cfg = AgentConfig {
        permissions: toml::from_str("run_command = \"deny\"").unwrap(),
        ..Default::default()
    };
    let server = model(vec![
        turn("", &[("c1", "run_command", json!({"command": "ls"}))], 10),
        turn("ok", &[], 10),
    ])
    .await;
    let ui = user(Decision::Allow);
    let mut agent = self::agent(&server, dir.path(), cfg, ui.clone());
    let (outcome, _) = run(&mut agent, "list").await;
    assert!(matches!(outcome, AgentOutcome::Done { .. }));
    assert!(ui.asked.lock().is_empty());
    let refusal = tool_messages(&server.requests()[1].json())[0]["content"].clone();
    assert!(
        refusal.as_str().unwrap().contains("configuration denies"),
        "{refusal}"
    );
}

#[tokio::test]
async fn max_turns_and_the_token_budget_stop_the_run_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let forever = turn("", &[("c", "list_files", json!({}))], 100);
    let server = model(vec![forever.clone()]).await;
    let cfg = AgentConfig {
        max_turns: 3,
        ..Default::default()
    };
    let mut a = agent(&server, dir.path(), cfg, user(Decision::Allow));
    let (outcome, events) = run(&mut a, "loop").await;
    assert_eq!(outcome, AgentOutcome::MaxTurns { turns: 3 });
    assert_eq!(server.requests().len(), 3);
    assert_eq!(
        outcome.message(),
        "agent run stopped: it reached its limit of 3 model turns"
    );
    assert!(matches!(
        events.last(),
        Some(AgentEvent::Finished(AgentOutcome::MaxTurns { .. }))
    ));

    let server = model(vec![forever]).await;
    let cfg = AgentConfig {
        token_budget: Some(150),
        ..Default::default()
    };
    let mut a = agent(&server, dir.path(), cfg, user(Decision::Allow));
    let (outcome, _) = run(&mut a, "loop").await;
    assert_eq!(
        outcome,
        AgentOutcome::OverBudget {
            used: 200,
            budget: 150
        }
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn cancel_during_a_command_kills_it_and_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = model(vec![turn(
        "",
        &[("c1", "run_command", json!({"command": "sleep 300"}))],
        10,
    )])
    .await;
    let cfg = AgentConfig {
        permissions: toml::from_str("run_command = \"allow\"").unwrap(),
        ..Default::default()
    };
    let mut a = agent(&server, dir.path(), cfg, user(Decision::Allow));
    let (tx, mut rx) = mpsc::channel(1024);
    let cancel = CancellationToken::new();
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            while let Some(e) = rx.recv().await {
                if let AgentEvent::Node(n) = &e
                    && n.kind == NodeKind::Tool
                    && n.status == NodeStatus::Running
                {
                    cancel.cancel();
                }
            }
        })
    };
    let outcome = tokio::time::timeout(Duration::from_secs(60), a.send("wait", tx, cancel))
        .await
        .expect("cancel ends the run");
    assert_eq!(outcome, AgentOutcome::Cancelled);
    assert!(
        a.nodes()[1]
            .output
            .starts_with("cancelled; the command was killed")
    );
    watcher.await.unwrap();
}

#[tokio::test]
async fn continue_after_a_crash_resends_the_conversation_and_skips_finished_calls() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("run.json");
    // The journal a killed client left: two calls, the first finished.
    let calls = vec![
        ToolCall {
            id: "c1".into(),
            name: "run_command".into(),
            arguments: json!({"command": "echo one >> log"}).to_string(),
        },
        ToolCall {
            id: "c2".into(),
            name: "run_command".into(),
            arguments: json!({"command": "echo two >> log"}).to_string(),
        },
    ];
    let messages = [
        AgentMessage::System {
            content: "sys".into(),
        },
        AgentMessage::User {
            content: "log twice".into(),
        },
        AgentMessage::Assistant {
            content: String::new(),
            tool_calls: calls,
        },
        AgentMessage::Tool(ToolResult {
            call_id: "c1".into(),
            name: "run_command".into(),
            content: "exit status 0\n".into(),
            is_error: false,
        }),
    ];
    let node = |id: usize, kind: &str, status: &str| json!({"record":"node","node":{"id":id,"kind":kind,"label":"x","summary":"","parent":null,"status":status,"tokens_in":0,"tokens_out":0,"time_to_first_token":null,"tokens_per_sec":null,"duration":null,"result_bytes":null,"input":"","output":""}});
    let mut lines: Vec<Value> = messages
        .iter()
        .map(|m| json!({"record": "message", "message": m}))
        .collect();
    lines.push(node(0, "turn", "done"));
    lines.push(node(1, "tool", "done"));
    lines.push(node(2, "tool", "running"));
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    // The crash tore the last line.
    text.push_str("{\"record\":\"mess");
    std::fs::write(&journal, text).unwrap();
    std::fs::write(dir.path().join("log"), "one\n").unwrap();
    let server = model(vec![turn("Logged twice.", &[], 10)]).await;
    let cfg = AgentConfig {
        permissions: toml::from_str("run_command = \"allow\"").unwrap(),
        ..Default::default()
    };
    let mut a = agent(&server, dir.path(), cfg, user(Decision::Allow))
        .restore(journal.clone())
        .unwrap();
    assert_eq!(a.nodes()[2].status, NodeStatus::Interrupted);
    let (tx, mut rx) = mpsc::channel(1024);
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        a.resume(tx, CancellationToken::new()),
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        AgentOutcome::Done {
            text: "Logged twice.".into()
        }
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("log")).unwrap(),
        "one\ntwo\n"
    );
    let resent = server.requests()[0].json();
    let results = tool_messages(&resent);
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["tool_call_id"], "c2");
    let saved = std::fs::read_to_string(&journal).unwrap();
    let restored = self::agent(
        &server,
        dir.path(),
        AgentConfig::default(),
        user(Decision::Allow),
    )
    .restore(journal.clone())
    .unwrap();
    assert_eq!(restored.messages().len(), 6, "{saved}");
    assert_eq!(restored.nodes()[2].status, NodeStatus::Interrupted);
    assert_eq!(
        restored.nodes().len(),
        5,
        "every record after the torn line was kept"
    );
}
