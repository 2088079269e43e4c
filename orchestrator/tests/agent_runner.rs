//! Symphony's agent as an `AgentHost` (`AgentRunner`): prompts become Conductor runs
//! against a scripted 127.0.0.1 server that stands in for an OpenAI-compatible model
//! (it answers each request with the next scripted turn, byte for byte). The tools run
//! for real over a temporary workspace; the test plays the client: it reads the
//! Conductor events and answers pick nodes with `choose`.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::openai_turns::{model, turn};
use symphony_conductor::acp::fs::BufferText;
use symphony_conductor::agent::bridge::{PERMISSION_KIND, QUESTION_KIND};
use symphony_conductor::agent::{
    AgentHost, AgentPrompt, AgentRunner, AgentRunnerSettings, AgentSettings,
};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use symphony_conductor::instrument::InstrumentConfig;
use tokio::sync::mpsc;

fn settings(server: &support::Server, dir: &Path) -> AgentRunnerSettings {
    AgentRunnerSettings {
        instruments: vec![InstrumentConfig {
            name: "scripted".into(),
            ..support::config("openai", &server.url())
        }],
        instrument: Some("scripted".into()),
        agent: AgentSettings::default(),
        grants_file: Some(dir.join("data/agent-permissions.toml")),
        journal_dir: Some(dir.join("data/agent-runs")),
    }
}

fn no_buffers() -> BufferText {
    Arc::new(|_: &Path| None)
}

/// The client side of a run: every event, with a hand that answers questions.
struct Client {
    rx: mpsc::UnboundedReceiver<ConductorEvent>,
    seen: Vec<ConductorEvent>,
}

impl Client {
    /// Waits for the next event (generous: the machine may be loaded).
    async fn next(&mut self) -> ConductorEvent {
        let ev = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("an event within 60 s")
            .expect("the runner is alive");
        self.seen.push(ev.clone());
        ev
    }

    /// Reads events until `run` finishes; `on_pick` answers each permission node.
    async fn until_finished(
        &mut self,
        host: &dyn AgentHost,
        run: RunId,
        mut on_pick: impl FnMut(&str, &[String]) -> usize,
    ) -> RunOutcome {
        loop {
            match self.next().await {
                ConductorEvent::Candidates {
                    run: r,
                    node,
                    candidates,
                } if r == run => {
                    let i = on_pick(&node, &candidates);
                    host.choose(run, &node, i);
                }
                ConductorEvent::RunFinished {
                    run: r, outcome, ..
                } if r == run => return outcome,
                _ => {}
            }
        }
    }

    fn added(&self, run: RunId) -> Vec<(String, String, Vec<String>)> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                ConductorEvent::NodeAdded { run: r, node } if *r == run => {
                    Some((node.id.clone(), node.kind.clone(), node.depends_on.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn last_status(&self, run: RunId, node: &str) -> Option<NodeStatus> {
        self.seen.iter().rev().find_map(|e| match e {
            ConductorEvent::Node {
                run: r,
                node: n,
                status,
            } if *r == run && n == node => Some(status.clone()),
            _ => None,
        })
    }
}

fn runner(settings: AgentRunnerSettings, root: &Path) -> (AgentRunner, Client) {
    let (tx, rx) = mpsc::unbounded_channel();
    let runner = AgentRunner::new(settings, root, no_buffers(), tx);
    (
        runner,
        Client {
            rx,
            seen: Vec::new(),
        },
    )
}

fn prompt(text: &str) -> AgentPrompt {
    AgentPrompt {
        text: text.into(),
        attachments: Vec::new(),
    }
}

/// The proposals the run sent, last one per file, as (file name, new text).
fn proposed_texts(seen: &[ConductorEvent], root: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for e in seen {
        if let ConductorEvent::Proposal { proposal, .. } = e {
            let path = proposal.path.clone().expect("a proposal names its file");
            let old = std::fs::read_to_string(&path).unwrap();
            let new = apply(&old, proposal);
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.retain(|(n, _)| *n != name);
            out.push((name, new));
        }
    }
    out.sort();
    out
}

/// Applies every hunk of `proposal` to `old` (what "accept all" gives).
fn apply(old: &str, proposal: &symphony_conductor::proposal::Proposal) -> String {
    let mut text = old.to_owned();
    let mut hunks: Vec<_> = proposal.hunks.iter().collect();
    hunks.sort_by_key(|h| std::cmp::Reverse(h.start));
    for h in hunks {
        assert_eq!(text[h.start..h.end], h.old_text);
        text.replace_range(h.start..h.end, &h.new_text);
    }
    text
}

#[tokio::test]
async fn the_agent_runner_renames_a_function_in_two_files_as_reviewable_proposals() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let a = "pub fn old_name() {}\n";
    let b = "use crate::old_name;\nfn main() {\n    old_name();\n}\n";
    std::fs::write(root.join("a.rs"), a).unwrap();
    std::fs::write(root.join("b.rs"), b).unwrap();
    let server = model(vec![
        turn(
            "Searching.",
            &[("c1", "grep", json!({"pattern": "old_name"}))],
            100,
        ),
        turn(
            "",
            &[
                ("c2", "read_file", json!({"path": "a.rs"})),
                ("c3", "read_file", json!({"path": "b.rs"})),
            ],
            100,
        ),
        turn(
            "",
            &[("c4", "run_command", json!({"command": "cat a.rs b.rs | wc -l"}))],
            100,
        ),
        turn(
            "",
            &[
                (
                    "c5",
                    "edit_file",
                    json!({"path": "a.rs", "search": "fn old_name", "replace": "fn new_name"}),
                ),
                (
                    "c6",
                    "write_file",
                    json!({"path": "b.rs", "content": "use crate::new_name;\nfn main() {\n    new_name();\n}\n"}),
                ),
            ],
            100,
        ),
        turn("Renamed old_name to new_name in a.rs and b.rs.", &[], 100),
    ])
    .await;
    let (host, mut client) = runner(settings(&server, &root), &root);
    let run = AgentHost::run(&host, prompt("rename old_name to new_name"));
    let mut asked = Vec::new();
    let outcome = client
        .until_finished(&host, run, |node, candidates| {
            asked.push((node.to_owned(), candidates.to_vec()));
            0 // Allow once
        })
        .await;
    assert_eq!(outcome, RunOutcome::Succeeded);

    // The command was asked about once, with the exact command and three options.
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        asked[0].1,
        [
            "Allow once: run_command cat a.rs b.rs | wc -l",
            "Always allow: run_command cat a.rs b.rs | wc -l",
            "Deny: run_command cat a.rs b.rs | wc -l",
        ]
    );
    assert_eq!(client.last_status(run, &asked[0].0), Some(NodeStatus::Done));

    // One node per turn and per call, each under the node it follows.
    let added = client.added(run);
    let ids: Vec<&str> = added.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "turn 1",
            "grep old_name #2",
            "turn 3",
            "read_file a.rs #4",
            "read_file b.rs #5",
            "turn 6",
            "run_command cat a.rs b.rs | wc -l #7",
            "permission #1",
            "turn 8",
            "edit_file a.rs #9",
            "write_file b.rs #10",
            "turn 11",
        ]
    );
    let by_id = |id: &str| added.iter().find(|(i, _, _)| i == id).unwrap().clone();
    assert_eq!(by_id("turn 1").1, "model");
    assert_eq!(by_id("grep old_name #2").2, ["turn 1"]);
    assert_eq!(by_id("read_file b.rs #5").2, ["turn 3"]);
    assert_eq!(by_id("turn 3").2, ["grep old_name #2"]);
    let perm = by_id("permission #1");
    assert_eq!(perm.1, PERMISSION_KIND);
    assert_eq!(perm.2, ["run_command cat a.rs b.rs | wc -l #7"]);
    for (id, _, _) in &added {
        assert_eq!(
            client.last_status(run, id),
            Some(NodeStatus::Done),
            "node {id}"
        );
    }

    // The model's text streamed into its turn.
    assert!(client.seen.iter().any(|e| matches!(e,
        ConductorEvent::Token { node, text, .. } if node == "turn 1" && text == "Searching.")));
    assert!(client.seen.iter().any(|e| matches!(e,
        ConductorEvent::RunFinished { answer: Some(a), .. }
            if a == "Renamed old_name to new_name in a.rs and b.rs.")));

    // Two proposals, one per file, with the expected new texts; the disk is untouched.
    assert_eq!(
        proposed_texts(&client.seen, &root),
        [
            ("a.rs".to_string(), "pub fn new_name() {}\n".to_string()),
            (
                "b.rs".to_string(),
                "use crate::new_name;\nfn main() {\n    new_name();\n}\n".to_string()
            ),
        ]
    );
    assert_eq!(std::fs::read_to_string(root.join("a.rs")).unwrap(), a);
    assert_eq!(std::fs::read_to_string(root.join("b.rs")).unwrap(), b);

    // The command ran (allowed once): its output reached the model.
    let fourth = server.requests()[3].json();
    let results: Vec<_> = fourth["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .cloned()
        .collect();
    let last = results.last().unwrap();
    assert_eq!(last["tool_call_id"], "c4");
    assert!(last["content"].as_str().unwrap().contains("5"), "{last}");
    // The runner keeps each node's details for the client.
    let nodes = host.nodes(run);
    assert_eq!(nodes.len(), 11);
    assert_eq!(nodes[0].tokens_in + nodes[0].tokens_out, 100);
}

#[tokio::test]
async fn a_denied_command_goes_back_to_the_model_and_the_run_goes_on_then_a_follow_up_sees_the_history()
 {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let server = model(vec![
        turn(
            "",
            &[("c1", "run_command", json!({"command": "rm -rf build"}))],
            10,
        ),
        turn("I will leave build alone.", &[], 10),
        turn("Still here.", &[], 10),
    ])
    .await;
    let (host, mut client) = runner(settings(&server, &root), &root);
    let run = AgentHost::run(&host, prompt("clean up"));
    let outcome = client.until_finished(&host, run, |_, _| 2).await;
    assert_eq!(outcome, RunOutcome::Succeeded);
    let second = server.requests()[1].json();
    let refusal = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .unwrap();
    assert!(
        refusal["content"]
            .as_str()
            .unwrap()
            .contains("the user refused this call"),
        "{refusal}"
    );
    assert!(matches!(
        client.last_status(run, "run_command rm -rf build #2"),
        Some(NodeStatus::Failed(_))
    ));

    // A follow-up continues the conversation; a new conversation starts without it.
    let follow = AgentHost::run(&host, prompt("are you there?"));
    assert_eq!(
        client.until_finished(&host, follow, |_, _| 2).await,
        RunOutcome::Succeeded
    );
    let third = server.requests()[2].json();
    let texts: Vec<String> = third["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(texts.iter().any(|t| t == "clean up"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "are you there?"), "{texts:?}");
    host.new_conversation();
    let fresh = AgentHost::run(&host, prompt("hello"));
    client.until_finished(&host, fresh, |_, _| 2).await;
    let fourth = server.requests()[3].json();
    assert_eq!(fourth["messages"].as_array().unwrap().len(), 2, "{fourth}");
}

#[tokio::test]
async fn ask_user_is_a_question_node_answered_by_answer() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let server = model(vec![
        turn(
            "",
            &[("c1", "ask_user", json!({"question": "Which crate?"}))],
            10,
        ),
        turn("Working on it.", &[], 10),
    ])
    .await;
    let (host, mut client) = runner(settings(&server, &root), &root);
    let run = AgentHost::run(&host, prompt("fix the build"));
    let node = loop {
        if let ConductorEvent::NodeAdded { node, .. } = client.next().await
            && node.kind == QUESTION_KIND
        {
            assert_eq!(node.depends_on, ["ask_user Which crate? #2"]);
            break node.id;
        }
    };
    loop {
        if let ConductorEvent::Token { node: n, text, .. } = client.next().await
            && n == node
        {
            assert_eq!(text, "Which crate?");
            break;
        }
    }
    host.answer(run, &node, "tui".into());
    assert_eq!(
        client.until_finished(&host, run, |_, _| 2).await,
        RunOutcome::Succeeded
    );
    let second = server.requests()[1].json();
    assert!(
        second.to_string().contains("\"content\":\"tui\""),
        "{second}"
    );
}

#[tokio::test]
async fn an_instrument_without_tools_ends_the_run_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let settings = AgentRunnerSettings {
        instruments: vec![InstrumentConfig {
            name: "shell".into(),
            command: vec!["cat".into()],
            ..support::config("command", "")
        }],
        ..Default::default()
    };
    let (host, mut client) = runner(settings, &root);
    let run = AgentHost::run(&host, prompt("do it"));
    let outcome = client.until_finished(&host, run, |_, _| 2).await;
    let RunOutcome::Failed(message) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(message.contains("cannot call tools"), "{message}");

    let (host, mut client) = runner(AgentRunnerSettings::default(), &root);
    let run = AgentHost::run(&host, prompt("do it"));
    let outcome = client.until_finished(&host, run, |_, _| 2).await;
    assert!(
        matches!(&outcome, RunOutcome::Failed(m) if m.contains("no instrument is configured")),
        "{outcome:?}"
    );
}
