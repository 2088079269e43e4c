//! ACP client against a scripted agent (tests/fixtures/acp_agent.py, a real child
//! process speaking NDJSON JSON-RPC on stdio, standing in for OpenCode & co): the
//! handshake, streamed updates, file reads from the buffer, writes as proposals,
//! permissions, terminals, and every failure a real agent may show.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use symphony_conductor::acp::schema::{PermissionOptionKind, StopReason, ToolCallStatus};
use symphony_conductor::acp::{AcpAgent, AcpError, AcpEvent, AcpRun, AgentConfig};
use tokio::sync::mpsc::UnboundedReceiver;

/// Far above any real wait; only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(60);

fn agent(scenario: &str) -> AgentConfig {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acp_agent.py");
    AgentConfig {
        name: "scripted".into(),
        command: "python3".into(),
        args: vec![script.display().to_string()],
        env: [("ACP_SCENARIO".to_owned(), scenario.to_owned())].into(),
        default_mode: None,
        default_model: None,
        mcp_servers: Vec::new(),
    }
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(root.join("a.txt"), "hello\nworld\n").unwrap();
    (dir, root)
}

fn no_buffers() -> symphony_conductor::acp::fs::BufferText {
    Arc::new(|_: &Path| None)
}

async fn start(scenario: &str, root: &Path) -> (AcpAgent, UnboundedReceiver<AcpEvent>) {
    match tokio::time::timeout(
        PATIENCE,
        AcpAgent::start(&agent(scenario), root, no_buffers()),
    )
    .await
    {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => panic!("start failed: {e}"),
        Err(_) => panic!("start hung"),
    }
}

/// Runs one prompt, answering permission questions with `permit`, folding updates.
async fn turn(
    agent: &AcpAgent,
    events: &mut UnboundedReceiver<AcpEvent>,
    permit: impl Fn(&symphony_conductor::acp::PermissionAsk) -> Option<PermissionOptionKind>,
) -> (Result<StopReason, String>, AcpRun, Vec<AcpEvent>) {
    let mut run = AcpRun::default();
    let mut others = Vec::new();
    let prompt = agent.prompt("make it loud", &[]);
    tokio::pin!(prompt);
    let result = tokio::time::timeout(PATIENCE, async {
        loop {
            tokio::select! {
                r = &mut prompt => break r.map(|r| r.stop_reason).map_err(|e| e.to_string()),
                Some(ev) = events.recv() => match ev {
                    AcpEvent::Update(u) => run.apply(&u),
                    AcpEvent::Permission(ask) => match permit(&ask) {
                        Some(kind) => {
                            let id = ask.option_of(kind).unwrap();
                            ask.choose(&id);
                        }
                        None => ask.reject(),
                    },
                    other => others.push(other),
                },
            }
        }
    })
    .await
    .expect("the turn hung");
    // Events sent before the answer may still be queued.
    while let Ok(ev) = events.try_recv() {
        match ev {
            AcpEvent::Update(u) => run.apply(&u),
            other => others.push(other),
        }
    }
    (result, run, others)
}

#[tokio::test]
async fn an_agent_edit_reads_the_file_asks_permission_and_becomes_a_proposal_not_a_disk_write() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("edit", &root).await;
    let (stop, run, others) = turn(&agent, &mut events, |_| {
        Some(PermissionOptionKind::AllowOnce)
    })
    .await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert_eq!(run.text, "Working on it. Done.");
    assert_eq!(run.node("t1").unwrap().status, ToolCallStatus::Completed);
    assert_eq!(run.node("t1").unwrap().content, ["hello\nworld\n"]);
    let edit = run.node("t2").unwrap();
    assert_eq!(edit.status, ToolCallStatus::Completed);
    assert_eq!(edit.diffs[0].2, "HELLO\nWORLD\n");
    let proposal = others
        .iter()
        .find_map(|e| match e {
            AcpEvent::Proposal(p) => Some(p),
            _ => None,
        })
        .expect("no proposal");
    assert_eq!(proposal.path, root.join("a.txt"));
    assert_eq!(proposal.proposal.hunks.len(), 1);
    assert_eq!(proposal.proposal.hunks[0].new_text, "HELLO\nWORLD\n");
    // Never silently to disk.
    assert_eq!(
        std::fs::read_to_string(root.join("a.txt")).unwrap(),
        "hello\nworld\n"
    );
}

#[tokio::test]
async fn a_read_answers_from_the_open_buffer_with_its_unsaved_changes() {
    let (_d, root) = workspace();
    let a = root.join("a.txt");
    let buffers: symphony_conductor::acp::fs::BufferText =
        Arc::new(move |p: &Path| (p == a).then(|| "unsaved text\n".to_owned()));
    let (agent, mut events) = AcpAgent::start(&agent("edit"), &root, buffers)
        .await
        .unwrap();
    let (_, run, _) = turn(&agent, &mut events, |_| None).await;
    assert_eq!(run.node("t1").unwrap().content, ["unsaved text\n"]);
}

#[tokio::test]
async fn a_rejected_permission_writes_nothing_and_the_agent_is_told() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("edit", &root).await;
    let (stop, run, others) = turn(&agent, &mut events, |_| None).await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert_eq!(run.node("t2").unwrap().status, ToolCallStatus::Failed);
    assert!(run.text.ends_with("Permission rejected."), "{}", run.text);
    assert!(!others.iter().any(|e| matches!(e, AcpEvent::Proposal(_))));
    assert_eq!(
        std::fs::read(root.join("a.txt")).unwrap(),
        b"hello\nworld\n"
    );
}

#[tokio::test]
async fn a_write_outside_the_workspace_is_refused() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("outside", &root).await;
    let (stop, run, others) = turn(&agent, &mut events, |_| None).await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert!(run.text.contains("outside the workspace"), "{}", run.text);
    assert!(!others.iter().any(|e| matches!(e, AcpEvent::Proposal(_))));
    assert!(!Path::new("/etc/symphony-acp-test").exists());
}

#[tokio::test]
async fn unknown_update_kinds_and_non_protocol_lines_are_ignored_and_the_turn_goes_on() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("malformed", &root).await;
    let (stop, run, others) = turn(&agent, &mut events, |_| {
        Some(PermissionOptionKind::AllowOnce)
    })
    .await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert_eq!(run.text, "Working on it. Done.");
    assert!(
        others
            .iter()
            .any(|e| matches!(e, AcpEvent::Ignored { kind } if kind == "mystery_update"))
    );
    assert!(
        others
            .iter()
            .any(|e| matches!(e, AcpEvent::Malformed(l) if l.contains("Loading agent config")))
    );
}

#[tokio::test]
async fn a_crash_mid_turn_ends_the_prompt_with_the_agents_last_words() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("crash", &root).await;
    let (stop, run, others) = turn(&agent, &mut events, |_| None).await;
    let err = stop.unwrap_err();
    assert!(err.contains("exited") && err.contains("boom"), "{err}");
    assert_eq!(run.text, "Working on it. ");
    // Stderr may be read just after stdout closes; the exit event names the agent's end.
    let mut saw_exit = others.iter().any(|e| matches!(e, AcpEvent::Exited { .. }));
    while !saw_exit {
        match tokio::time::timeout(PATIENCE, events.recv()).await {
            Ok(Some(AcpEvent::Exited { .. })) => saw_exit = true,
            Ok(Some(_)) => {}
            _ => panic!("no exit event"),
        }
    }
}

#[tokio::test]
async fn cancel_during_a_tool_call_answers_its_permission_cancelled_and_ends_cancelled() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("cancel", &root).await;
    let mut run = AcpRun::default();
    let prompt = agent.prompt("build", &[]);
    tokio::pin!(prompt);
    let stop = tokio::time::timeout(PATIENCE, async {
        let mut pending = Vec::new();
        loop {
            tokio::select! {
                r = &mut prompt => break r,
                Some(ev) = events.recv() => match ev {
                    AcpEvent::Update(u) => run.apply(&u),
                    AcpEvent::Permission(ask) => {
                        // The user presses Esc instead of answering.
                        pending.push(ask);
                        agent.cancel();
                    }
                    _ => {}
                },
            }
        }
    })
    .await
    .expect("cancel hung")
    .unwrap();
    assert_eq!(stop.stop_reason, StopReason::Cancelled);
    while let Ok(ev) = events.try_recv() {
        if let AcpEvent::Update(u) = ev {
            run.apply(&u);
        }
    }
    assert_eq!(run.node("t9").unwrap().status, ToolCallStatus::Failed);
    assert!(
        run.text.contains("permission outcome: cancelled"),
        "{}",
        run.text
    );
}

#[tokio::test]
async fn a_terminal_runs_the_command_with_output_and_exit_status() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("terminal", &root).await;
    let (stop, run, others) = turn(&agent, &mut events, |_| None).await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert!(run.text.contains("exit 4 output 'hi\\n'"), "{}", run.text);
    assert_eq!(run.node("t5").unwrap().terminals.len(), 1);
    assert!(
        others
            .iter()
            .any(|e| matches!(e, AcpEvent::TerminalOutput { text, .. } if text.contains("hi")))
    );
}

#[tokio::test]
async fn a_flood_of_updates_is_all_delivered() {
    let (_d, root) = workspace();
    let (agent, mut events) = start("flood", &root).await;
    let (stop, run, _) = turn(&agent, &mut events, |_| None).await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert_eq!(run.text.len(), "Working on it. ".len() + 5000);
}

#[tokio::test]
async fn an_agent_that_needs_a_login_says_how() {
    let (_d, root) = workspace();
    let err = AcpAgent::start(&agent("auth"), &root, no_buffers())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, AcpError::AuthRequired { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("log in") && msg.contains("Log in with the browser"),
        "{msg}"
    );
}

#[tokio::test]
async fn an_agent_that_is_not_installed_is_named_with_the_fix() {
    let (_d, root) = workspace();
    let mut cfg = agent("edit");
    cfg.command = "symphony-no-such-agent".into();
    let err = AcpAgent::start(&cfg, &root, no_buffers())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("is not installed"), "{err}");
}

#[tokio::test]
async fn an_agent_that_dies_before_initialize_is_reported_not_awaited() {
    let (_d, root) = workspace();
    let mut cfg = agent("edit");
    cfg.command = "sh".into();
    cfg.args = vec![
        "-c".into(),
        "echo 'no such subcommand: acp' >&2; exit 2".into(),
    ];
    let err = tokio::time::timeout(PATIENCE, AcpAgent::start(&cfg, &root, no_buffers()))
        .await
        .expect("hung")
        .err()
        .unwrap();
    assert!(matches!(err, AcpError::Crashed { .. }), "{err}");
}

#[tokio::test]
async fn the_configured_default_model_is_picked_through_the_agents_model_option() {
    let (_d, root) = workspace();
    let mut cfg = agent("model");
    cfg.default_model = Some("small".into());
    let (agent, mut events) = AcpAgent::start(&cfg, &root, no_buffers()).await.unwrap();
    let (stop, run, _) = turn(&agent, &mut events, |_| None).await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    assert_eq!(run.text, "model=small");
}

/// Runs one prompt through an [`AcpRunner`], answering its permission pick with
/// option `pick`; returns every Conductor event of the run.
async fn runner_turn(
    scenario: &str,
    root: &Path,
    pick: usize,
) -> Vec<symphony_conductor::events::ConductorEvent> {
    use symphony_conductor::acp::runner::{AcpRunner, PERMISSION_NODE};
    use symphony_conductor::events::ConductorEvent;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = AcpRunner::new(agent(scenario), root, no_buffers(), tx);
    let run = runner.run("make it loud", Vec::new());
    let mut seen = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while let Some(ev) = rx.recv().await {
            if let ConductorEvent::Candidates { run: r, node, .. } = &ev {
                assert_eq!((*r, node.as_str()), (run, PERMISSION_NODE));
                runner.choose(run, PERMISSION_NODE, pick);
            }
            let done = matches!(ev, ConductorEvent::RunFinished { .. });
            seen.push(ev);
            if done {
                break;
            }
        }
    })
    .await
    .expect("the run hung");
    runner.shutdown();
    seen
}

#[tokio::test]
async fn an_agent_run_in_the_panes_shows_nodes_asks_through_a_pick_and_proposes_the_edit() {
    use symphony_conductor::events::{ConductorEvent, RunOutcome};
    let (_d, root) = workspace();
    let events = runner_turn("edit", &root, 0).await;
    let Some(ConductorEvent::RunFinished {
        outcome, answer, ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(outcome, &RunOutcome::Succeeded);
    assert_eq!(answer.as_deref(), Some("Working on it. Done."));
    let candidates = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Candidates { candidates, .. } => Some(candidates.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(candidates[0], "Allow once: Edit a.txt");
    assert_eq!(candidates.len(), 3);
    assert!(events.iter().any(|e| matches!(e,
        ConductorEvent::RunStarted { nodes, .. } if nodes.iter().any(|n| n.id == "Edit a.txt #t2" && n.kind == "edit"))));
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal),
            _ => None,
        })
        .expect("no proposal");
    assert_eq!(proposal.hunks[0].new_text, "HELLO\nWORLD\n");
    assert_eq!(
        std::fs::read(root.join("a.txt")).unwrap(),
        b"hello\nworld\n"
    );
}

#[tokio::test]
async fn rejecting_in_the_pick_leaves_the_file_byte_identical_and_proposes_nothing() {
    use symphony_conductor::events::ConductorEvent;
    let (_d, root) = workspace();
    let events = runner_turn("edit", &root, 2).await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ConductorEvent::Proposal { .. }))
    );
    let Some(ConductorEvent::RunFinished { answer, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(
        answer.as_deref(),
        Some("Working on it. Permission rejected.")
    );
    assert_eq!(
        std::fs::read(root.join("a.txt")).unwrap(),
        b"hello\nworld\n"
    );
}

#[tokio::test]
async fn an_agent_that_is_not_installed_fails_its_run_with_the_fix() {
    use symphony_conductor::acp::runner::AcpRunner;
    use symphony_conductor::events::{ConductorEvent, RunOutcome};
    let (_d, root) = workspace();
    let mut cfg = agent("edit");
    cfg.command = "symphony-no-such-agent".into();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = AcpRunner::new(cfg, &root, no_buffers(), tx);
    runner.run("hi", Vec::new());
    let outcome = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(ConductorEvent::RunFinished { outcome, .. }) = rx.recv().await {
                break outcome;
            }
        }
    })
    .await
    .expect("hung");
    assert!(matches!(outcome, RunOutcome::Failed(m) if m.contains("is not installed")));
}

#[tokio::test]
async fn session_new_passes_the_mcp_servers_the_agent_accepts() {
    use symphony_conductor::mcp::McpServerConfig;
    let (_d, root) = workspace();
    let servers = vec![
        McpServerConfig::stdio("time", "python3", &["-m", "mcp_server_time"]),
        McpServerConfig::http("remote", "http://127.0.0.1:9/mcp"),
    ];
    // An agent without mcpCapabilities.http gets the stdio server only (every agent
    // must take stdio ones), with its command as an absolute path.
    let mut cfg = agent("mcp");
    cfg.mcp_servers = servers.clone();
    let (plain, mut events) = AcpAgent::start(&cfg, &root, no_buffers()).await.unwrap();
    let (stop, run, _) = turn(&plain, &mut events, |_| None).await;
    assert_eq!(stop, Ok(StopReason::EndTurn));
    let (name, rest) = run.text.split_once(":stdio:").unwrap();
    assert_eq!(name, "mcp=time");
    assert!(
        rest.starts_with('/') && rest.ends_with("python3"),
        "{}",
        run.text
    );
    // One that takes HTTP servers gets both.
    let mut cfg = agent("mcp-http");
    cfg.mcp_servers = servers;
    let (http, mut events) = AcpAgent::start(&cfg, &root, no_buffers()).await.unwrap();
    let (_, run, _) = turn(&http, &mut events, |_| None).await;
    assert!(
        run.text.ends_with(",remote:http:http://127.0.0.1:9/mcp"),
        "{}",
        run.text
    );
}
