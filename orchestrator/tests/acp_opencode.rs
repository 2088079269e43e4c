//! The ACP client against the real OpenCode (`opencode-ai` from the npm registry,
//! installed by this test into `~/.cache/symphony/opencode` when missing; the test is
//! skipped with the reason printed when it cannot be): the handshake, and whole turns
//! against a scripted OpenAI-compatible server on 127.0.0.1 that STANDS IN FOR A MODEL
//! (it streams the tool calls a model would make: read the file, then edit it).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use symphony_conductor::acp::runner::{AcpRunner, PERMISSION_NODE};
use symphony_conductor::acp::{AcpAgent, AgentConfig};
use symphony_conductor::events::{ConductorEvent, RunOutcome};

fn opencode() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let prefix = Path::new(&home).join(".cache/symphony/opencode");
    let bin = prefix.join("node_modules/.bin/opencode");
    if bin.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "opencode-ai"])
        .current_dir(&prefix)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if !out.status.success() || !bin.exists() {
        return Err(format!(
            "npm install opencode-ai failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(bin)
}

/// OpenCode in `acp` mode with its own state in the scratch `home` (the test leaves
/// the user's alone), plus `extra` variables.
fn opencode_config(bin: &Path, home: &Path, extra: Vec<(String, String)>) -> AgentConfig {
    let mut env: std::collections::BTreeMap<String, String> = [
        ("HOME".to_owned(), home.display().to_string()),
        (
            "XDG_DATA_HOME".to_owned(),
            home.join("data").display().to_string(),
        ),
        (
            "XDG_CONFIG_HOME".to_owned(),
            home.join("config").display().to_string(),
        ),
        (
            "XDG_STATE_HOME".to_owned(),
            home.join("state").display().to_string(),
        ),
        (
            "XDG_CACHE_HOME".to_owned(),
            home.join("cache").display().to_string(),
        ),
    ]
    .into();
    env.extend(extra);
    AgentConfig {
        name: "opencode".into(),
        command: bin.display().to_string(),
        args: vec!["acp".into()],
        env,
        default_mode: None,
        default_model: None,
        mcp_servers: Vec::new(),
    }
}

#[tokio::test]
async fn the_real_opencode_opens_a_session_in_the_workspace() {
    let bin = match opencode() {
        Ok(b) => b,
        Err(reason) => {
            println!("skipped: OpenCode is not available: {reason}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = opencode_config(&bin, home.path(), Vec::new());
    let started = tokio::time::timeout(
        Duration::from_secs(120),
        AcpAgent::start(&config, dir.path(), Arc::new(|_: &Path| None)),
    )
    .await
    .expect("OpenCode's handshake hung");
    let (agent, _events) = match started {
        Ok(a) => a,
        Err(e) => panic!("OpenCode did not start: {e}"),
    };
    let info = agent.info().agent_info.as_ref().map(|i| i.name.clone());
    assert_eq!(info.as_deref(), Some("OpenCode"));
    assert!(!agent.session().session_id.0.is_empty());
    assert!(!agent.info().auth_methods.is_empty());
    agent.kill();
}

/// One streamed chat-completions chunk.
fn chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    let v = serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "created": 0,
        "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {v}\n\n")
}

/// The model's next step, from what the conversation holds so far: read the file, then
/// edit it, then say it is done. A request without tools (a title) gets a short text.
fn next_step(body: &serde_json::Value, file: &Path) -> Vec<String> {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let tool_results = messages.iter().filter(|m| m["role"] == "tool").count();
    let has_tools = body["tools"].as_array().is_some_and(|t| !t.is_empty());
    let call = |id: &str, name: &str, args: serde_json::Value| {
        vec![
            chunk(
                serde_json::json!({"role": "assistant", "tool_calls": [{"index": 0, "id": id,
                    "type": "function", "function": {"name": name, "arguments": ""}}]}),
                None,
            ),
            chunk(
                serde_json::json!({"tool_calls": [{"index": 0,
                    "function": {"arguments": args.to_string()}}]}),
                None,
            ),
            chunk(serde_json::json!({}), Some("tool_calls")),
        ]
    };
    let text = |t: &str| {
        vec![
            chunk(serde_json::json!({"role": "assistant", "content": t}), None),
            chunk(serde_json::json!({}), Some("stop")),
        ]
    };
    if !has_tools {
        return text("Loud file");
    }
    match tool_results {
        0 => call("call_read", "read", serde_json::json!({"filePath": file})),
        1 => call(
            "call_edit",
            "edit",
            serde_json::json!({"filePath": file, "oldString": "hello\nworld", "newString": "HELLO\nWORLD"}),
        ),
        _ => text("Done."),
    }
}

/// A whole OpenCode turn through [`AcpRunner`]: the permission pick answered with
/// option `pick` (0 allow once, 2 reject). `None` when OpenCode is not available.
async fn opencode_turn(pick: usize) -> Option<(Vec<ConductorEvent>, PathBuf, Vec<u8>)> {
    let bin = match opencode() {
        Ok(b) => b,
        Err(reason) => {
            println!("skipped: OpenCode is not available: {reason}");
            return None;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let file = root.join("a.txt");
    std::fs::write(&file, "hello\nworld\n").unwrap();
    let target = file.clone();
    // Stands in for a model: OpenAI-compatible streaming chat completions on 127.0.0.1.
    let server = support::serve(move |_, req, mut conn| {
        let steps = if req.path.ends_with("/chat/completions") {
            Some(next_step(&req.json(), &target))
        } else {
            None
        };
        async move {
            match steps {
                Some(steps) => {
                    conn.head(200, "text/event-stream", support::Framing::Chunked)
                        .await;
                    for s in steps {
                        conn.send(s).await;
                    }
                    conn.send("data: [DONE]\n\n").await;
                    conn.end().await;
                }
                None => conn.respond(404, "application/json", &[], "{}").await,
            }
        }
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let config_file = home.path().join("opencode.json");
    let config_json = serde_json::json!({
        "$schema": "https://opencode.ai/config.json",
        "provider": {"scripted": {
            "npm": "@ai-sdk/openai-compatible",
            "name": "Scripted model",
            "options": {"baseURL": format!("{}/v1", server.url()), "apiKey": "test"},
            "models": {"m": {"name": "M", "tool_call": true}}}},
        "model": "scripted/m",
        "small_model": "scripted/m",
        "permission": {"edit": "ask"},
        "share": "disabled",
        "autoupdate": false,
    });
    std::fs::write(&config_file, config_json.to_string()).unwrap();
    let extra = vec![
        (
            "OPENCODE_CONFIG".to_owned(),
            config_file.display().to_string(),
        ),
        ("OPENCODE_DISABLE_MODELS_FETCH".to_owned(), "1".to_owned()),
        ("OPENCODE_DISABLE_AUTOUPDATE".to_owned(), "1".to_owned()),
        ("OPENCODE_DISABLE_LSP_DOWNLOAD".to_owned(), "1".to_owned()),
        (
            "OPENCODE_DISABLE_DEFAULT_PLUGINS".to_owned(),
            "1".to_owned(),
        ),
    ];
    let config = opencode_config(&bin, home.path(), extra);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = AcpRunner::new(config, &root, Arc::new(|_: &Path| None), tx);
    let run = runner.run("make a.txt loud", Vec::new());
    let mut seen = Vec::new();
    let finished = tokio::time::timeout(Duration::from_secs(300), async {
        while let Some(ev) = rx.recv().await {
            if let ConductorEvent::Candidates { run: r, node, .. } = &ev
                && *r == run
                && node == PERMISSION_NODE
            {
                runner.choose(run, PERMISSION_NODE, pick);
            }
            let done = matches!(ev, ConductorEvent::RunFinished { .. });
            seen.push(ev);
            if done {
                break;
            }
        }
    })
    .await;
    runner.shutdown();
    if finished.is_err() {
        panic!(
            "OpenCode's turn did not finish; model requests: {}; events: {seen:?}",
            server.requests().len()
        );
    }
    let disk = std::fs::read(&file).unwrap();
    drop(dir);
    Some((seen, file, disk))
}

#[tokio::test]
async fn the_real_opencode_reads_asks_and_its_allowed_edit_is_a_proposal_with_the_new_text() {
    let Some((events, file, disk)) = opencode_turn(0).await else {
        return;
    };
    // OpenCode's own edit tool also writes the file once allowed (it does not write
    // through the client); printed for the record, the review holds the proposal.
    println!(
        "after the allowed edit, a.txt on disk is {:?}",
        String::from_utf8_lossy(&disk)
    );
    let Some(ConductorEvent::RunFinished { outcome, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(outcome, &RunOutcome::Succeeded, "{events:?}");
    let asked = events.iter().find_map(|e| match e {
        ConductorEvent::Candidates { candidates, .. } => Some(candidates.clone()),
        _ => None,
    });
    let asked = asked.unwrap_or_else(|| panic!("no permission asked: {events:?}"));
    assert!(asked[0].starts_with("Allow once"), "{asked:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ConductorEvent::RunStarted { nodes, .. }
            if nodes.iter().any(|n| n.kind == "read"))),
        "no read node: {events:?}"
    );
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no proposal: {events:?}"));
    assert_eq!(proposal.path.as_deref(), Some(file.as_path()));
    let new: String = proposal.hunks.iter().map(|h| h.new_text.as_str()).collect();
    assert_eq!(new, "HELLO\nWORLD\n");
}

#[tokio::test]
async fn the_real_opencode_with_its_edit_rejected_leaves_the_file_byte_identical() {
    let Some((events, _, disk)) = opencode_turn(2).await else {
        return;
    };
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ConductorEvent::Candidates { .. })),
        "no permission asked: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ConductorEvent::Proposal { .. })),
        "{events:?}"
    );
    assert_eq!(disk, b"hello\nworld\n");
}
