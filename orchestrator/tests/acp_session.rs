//! An external agent's session through [`AcpRunner`] / [`AgentHost`], against the
//! scripted agent (tests/fixtures/acp_agent.py, a real child process speaking ACP on
//! stdio, standing in for OpenCode & co; it answers with what it received): @-mentions
//! as ACP content, modes / options / slash commands, MCP servers forwarded, a login
//! the agent needs, and a run loaded again with `session/load` after a restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use symphony_conductor::acp::client::StartOptions;
use symphony_conductor::acp::journal::RunJournal;
use symphony_conductor::acp::runner::{AcpRunner, RunnerOptions};
use symphony_conductor::acp::schema::{
    EnvVariable, McpServer, McpServerHttp, McpServerStdio, StopReason,
};
use symphony_conductor::acp::{AcpAgent, AcpEvent, AgentConfig};
use symphony_conductor::agent::{AgentHost, AgentPrompt, Attachment};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use tokio::sync::mpsc::UnboundedReceiver;

/// Far above any real wait; only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(60);

fn agent(scenario: &str, caps: &str) -> AgentConfig {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acp_agent.py");
    AgentConfig {
        name: "scripted".into(),
        command: "python3".into(),
        args: vec![script.display().to_string()],
        env: [
            ("ACP_SCENARIO".to_owned(), scenario.to_owned()),
            ("ACP_CAPS".to_owned(), caps.to_owned()),
        ]
        .into(),
        default_mode: None,
        default_model: None,
        mcp_servers: Vec::new(),
    }
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(root.join("a.txt"), "hello\nworld\n").unwrap();
    std::fs::write(root.join("lib.rs"), "// lib\nfn shout() {}\n").unwrap();
    (dir, root)
}

fn runner(
    cfg: AgentConfig,
    root: &Path,
    options: RunnerOptions,
) -> (AcpRunner, UnboundedReceiver<ConductorEvent>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let buffers = Arc::new(|_: &Path| None);
    (AcpRunner::with_options(cfg, root, buffers, tx, options), rx)
}

/// Every event of `run` up to its end.
async fn until_finished(
    rx: &mut UnboundedReceiver<ConductorEvent>,
    run: RunId,
) -> Vec<ConductorEvent> {
    let mut seen = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while let Some(ev) = rx.recv().await {
            let done = matches!(&ev, ConductorEvent::RunFinished { run: r, .. } if *r == run);
            seen.push(ev);
            if done {
                break;
            }
        }
    })
    .await
    .expect("the run hung");
    seen
}

fn finished(events: &[ConductorEvent]) -> (RunOutcome, String) {
    match events.last() {
        Some(ConductorEvent::RunFinished {
            outcome, answer, ..
        }) => (outcome.clone(), answer.clone().unwrap_or_default()),
        _ => panic!("not finished: {events:?}"),
    }
}

/// The scripted agent's echo: what it received.
async fn echo(
    host: &dyn AgentHost,
    rx: &mut UnboundedReceiver<ConductorEvent>,
    prompt: AgentPrompt,
) -> Value {
    let run = host.run(prompt);
    let events = until_finished(rx, run).await;
    let (outcome, answer) = finished(&events);
    assert_eq!(outcome, RunOutcome::Succeeded, "{answer}");
    serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

/// Polls `what` until it holds (the agent's updates arrive on their own time).
async fn eventually(what: impl Fn() -> bool) {
    tokio::time::timeout(PATIENCE, async {
        while !what() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("never happened");
}

fn mentions(root: &Path) -> AgentPrompt {
    AgentPrompt {
        text: "make @a.txt loud".into(),
        attachments: vec![
            Attachment::File(root.join("a.txt")),
            Attachment::Selection {
                path: root.join("a.txt"),
                first_line: 1,
                text: "world\n".into(),
            },
            Attachment::Diagnostics {
                path: Some(root.join("a.txt")),
                text: "a.txt:2:1: warning: too quiet".into(),
            },
            Attachment::Symbol {
                name: "shout".into(),
                path: root.join("lib.rs"),
                line: 1,
            },
        ],
    }
}

#[tokio::test]
async fn mentions_go_as_resource_links_and_embedded_resources_when_the_agent_takes_them() {
    let (_d, root) = workspace();
    let caps = r#"{"promptCapabilities":{"embeddedContext":true}}"#;
    let (r, mut rx) = runner(agent("echo", caps), &root, RunnerOptions::default());
    let got = echo(&r, &mut rx, mentions(&root)).await;
    let blocks = got["prompt"].as_array().unwrap();
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["text", "resource_link", "resource", "resource", "resource"]
    );
    let a = format!("file://{}", root.join("a.txt").display());
    assert_eq!(blocks[1]["uri"], a.as_str());
    assert_eq!(blocks[2]["resource"]["uri"], format!("{a}#L2-L2").as_str());
    assert_eq!(blocks[2]["resource"]["text"], "world\n");
    assert_eq!(
        blocks[3]["resource"]["text"],
        "a.txt:2:1: warning: too quiet"
    );
    assert!(
        blocks[3]["resource"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("symphony://diagnostics/")
    );
    assert_eq!(blocks[4]["resource"]["text"], "fn shout() {}\n");
    let text = blocks[0]["text"].as_str().unwrap();
    assert!(text.starts_with("make @a.txt loud"), "{text}");
    assert!(!text.contains("too quiet"), "{text}");
    r.shutdown();
}

#[tokio::test]
async fn mentions_are_written_into_the_text_when_the_agent_takes_no_embedded_context() {
    let (_d, root) = workspace();
    let (r, mut rx) = runner(agent("echo", "{}"), &root, RunnerOptions::default());
    let got = echo(&r, &mut rx, mentions(&root)).await;
    let blocks = got["prompt"].as_array().unwrap();
    let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["text", "resource_link"]);
    let text = blocks[0]["text"].as_str().unwrap();
    assert!(text.contains("from line 2:\n```\nworld\n"), "{text}");
    assert!(
        text.contains("Diagnostics:\na.txt:2:1: warning: too quiet"),
        "{text}"
    );
    assert!(text.contains("Symbol shout is defined in"), "{text}");
    r.shutdown();
}

#[tokio::test]
async fn the_agents_modes_options_and_slash_commands_are_offered_and_switched() {
    let (_d, root) = workspace();
    let (r, mut rx) = runner(agent("echo", "{}"), &root, RunnerOptions::default());
    let host: &dyn AgentHost = &r;
    assert!(host.modes().is_empty(), "nothing before the agent runs");
    r.connect();
    eventually(|| !host.commands().is_empty()).await;
    let cmd = &host.commands()[0];
    assert_eq!(
        (cmd.name.as_str(), cmd.hint.as_deref()),
        ("init", Some("dir"))
    );
    let modes = host.modes();
    assert_eq!(
        modes
            .iter()
            .map(|m| (m.id.as_str(), m.current))
            .collect::<Vec<_>>(),
        [("ask", true), ("code", false)]
    );
    assert_eq!(modes[0].description.as_deref(), Some("answers, no edits"));
    host.set_mode("code");
    eventually(|| host.modes().iter().any(|m| m.id == "code" && m.current)).await;
    let got = echo(
        host,
        &mut rx,
        AgentPrompt {
            text: "hi".into(),
            attachments: vec![],
        },
    )
    .await;
    assert_eq!(got["mode"], "code");
    // A mode the agent does not offer is refused with a notice, nothing sent.
    host.set_mode("yolo");
    let notice = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(ConductorEvent::Notice(n)) = rx.recv().await {
                break n;
            }
        }
    })
    .await
    .expect("no notice");
    assert!(notice.contains("no mode `yolo`"), "{notice}");
    let model = host
        .options()
        .into_iter()
        .find(|o| o.category.as_deref() == Some("model"))
        .unwrap();
    assert!(
        model
            .values
            .iter()
            .any(|v| v.id == "default-model" && v.current)
    );
    host.set_option(&model.id, "small");
    eventually(|| {
        host.options()[0]
            .values
            .iter()
            .any(|v| v.id == "small" && v.current)
    })
    .await;
    r.shutdown();
}

fn mcp() -> Vec<McpServer> {
    vec![
        McpServer::Stdio(
            McpServerStdio::new("files", "/usr/bin/mcp-files")
                .args(vec!["--root".into(), "/w".into()])
                .env(vec![EnvVariable::new("TOKEN", "t")]),
        ),
        McpServer::Http(McpServerHttp::new("web", "http://127.0.0.1:9/mcp")),
    ]
}

async fn mcp_seen(caps: &str) -> Value {
    let (_d, root) = workspace();
    let options = StartOptions {
        mcp_servers: mcp(),
        load_session: None,
    };
    let (agent, mut events) = AcpAgent::start_with(
        &agent("echo", caps),
        &root,
        Arc::new(|_: &Path| None),
        options,
    )
    .await
    .unwrap();
    let answer = agent.prompt("hi", &[]);
    let stop = tokio::time::timeout(PATIENCE, answer)
        .await
        .expect("hung")
        .unwrap();
    assert_eq!(stop.stop_reason, StopReason::EndTurn);
    let mut text = String::new();
    while let Ok(ev) = events.try_recv() {
        if let AcpEvent::Update(u) = ev {
            let mut run = symphony_conductor::acp::AcpRun::default();
            run.apply(&u);
            text.push_str(&run.text);
        }
    }
    let got: Value = serde_json::from_str(&text).unwrap();
    got["mcpServers"].clone()
}

#[tokio::test]
async fn mcp_servers_are_forwarded_in_session_new_only_for_transports_the_agent_takes() {
    let only_stdio = mcp_seen("{}").await;
    let names: Vec<&str> = only_stdio
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["files"]);
    assert_eq!(only_stdio[0]["command"], "/usr/bin/mcp-files");
    assert_eq!(only_stdio[0]["args"][1], "/w");
    assert_eq!(only_stdio[0]["env"][0]["name"], "TOKEN");
    let with_http = mcp_seen(r#"{"mcpCapabilities":{"http":true}}"#).await;
    let names: Vec<&str> = with_http
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["files", "web"]);
    assert_eq!(with_http[1]["type"], "http");
    assert_eq!(with_http[1]["url"], "http://127.0.0.1:9/mcp");
}

#[tokio::test]
async fn a_run_of_an_agent_that_needs_a_login_fails_with_its_methods_and_how_to_log_in() {
    let (_d, root) = workspace();
    let (r, mut rx) = runner(agent("auth", "{}"), &root, RunnerOptions::default());
    let run = r.run("hi", Vec::new());
    let (outcome, _) = finished(&until_finished(&mut rx, run).await);
    let RunOutcome::Failed(msg) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(msg.contains("needs you to log in"), "{msg}");
    assert!(
        msg.contains("Log in with the browser: run `scripted-agent login`"),
        "{msg}"
    );
    assert!(msg.contains("[[agents]] env"), "{msg}");
}

/// A run in flight when Symphony is killed: its journal says which session, unfinished.
async fn interrupted_run(root: &Path, state: &Path) -> (AcpRunner, RunId) {
    let options = RunnerOptions {
        mcp_servers: Vec::new(),
        state_dir: Some(state.to_owned()),
    };
    let (r, mut rx) = runner(agent("hang", "{}"), root, options);
    let run = r.run("make it loud", Vec::new());
    tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(ConductorEvent::Token { .. }) = rx.recv().await {
                break;
            }
        }
    })
    .await
    .expect("the agent never started");
    let record = RunJournal::new(state, "scripted")
        .load(run)
        .expect("not journaled");
    assert_eq!((record.session.as_str(), record.finished), ("s1", false));
    (r, run)
}

#[tokio::test]
async fn after_a_restart_a_run_is_loaded_with_session_load_and_its_updates_replayed() {
    let (_d, root) = workspace();
    let state = tempfile::tempdir().unwrap();
    let (before, run) = interrupted_run(&root, state.path()).await;
    // Symphony starts again: a new runner on the same state dir.
    let caps = r#"{"loadSession":true}"#;
    let options = RunnerOptions {
        mcp_servers: Vec::new(),
        state_dir: Some(state.path().to_owned()),
    };
    let (after, mut rx) = runner(agent("echo", caps), &root, options);
    before.shutdown();
    assert_eq!(after.interrupted(), [run]);
    let host: &dyn AgentHost = &after;
    assert_eq!(host.resume(run), Some(run));
    let events = until_finished(&mut rx, run).await;
    let (outcome, answer) = finished(&events);
    assert_eq!(outcome, RunOutcome::Succeeded);
    assert_eq!(answer, "Earlier answer.");
    assert!(events.iter().any(|e| matches!(e,
        ConductorEvent::RunStarted { nodes, title, .. }
            if title.ends_with("make it loud") && nodes.iter().any(|n| n.id == "Read a.txt #t1"))));
    assert!(events.contains(&ConductorEvent::Node {
        run,
        node: "Edit a.txt #t2".into(),
        status: NodeStatus::Cancelled,
    }));
    assert!(after.interrupted().is_empty());
    assert_eq!(
        host.resume(run),
        None,
        "finished runs are not resumed twice"
    );
    // The loaded session goes on, and new runs get new ids.
    let next = host.run(AgentPrompt {
        text: "again".into(),
        attachments: vec![],
    });
    assert!(next.0 > run.0);
    let (outcome, _) = finished(&until_finished(&mut rx, next).await);
    assert_eq!(outcome, RunOutcome::Succeeded);
    after.shutdown();
}

#[tokio::test]
async fn after_a_restart_a_run_of_an_agent_without_load_session_shows_as_interrupted() {
    let (_d, root) = workspace();
    let state = tempfile::tempdir().unwrap();
    let (before, run) = interrupted_run(&root, state.path()).await;
    let options = RunnerOptions {
        mcp_servers: Vec::new(),
        state_dir: Some(state.path().to_owned()),
    };
    let (after, mut rx) = runner(agent("echo", "{}"), &root, options);
    before.shutdown();
    assert_eq!(after.resume(run), Some(run));
    let events = until_finished(&mut rx, run).await;
    let (outcome, _) = finished(&events);
    assert_eq!(outcome, RunOutcome::Interrupted);
    assert!(events.iter().any(|e| matches!(e,
        ConductorEvent::Notice(n) if n.contains("cannot load an earlier session"))));
    after.shutdown();
}
