//! The agent's MCP tools against REAL MCP servers: `mcp-server-time` from PyPI over
//! stdio, and a Streamable HTTP server written on the official Python SDK
//! (tests/fixtures/mcp_http_server.py), both installed by scripts/mcp-deps.sh into
//! ~/.cache/symphony-mcp/venv (SYMPHONY_MCP_VENV overrides); the tests print why and
//! skip when it is missing. The agent runs use a scripted 127.0.0.1 server that stands
//! in for an OpenAI-compatible model (tests/support), answering each request with the
//! next scripted turn byte for byte.

mod support;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::{Framing, config, serve};
use symphony_conductor::agent::permissions::PermissionRequest;
use symphony_conductor::agent::tools::ToolContext;
use symphony_conductor::agent::{
    Agent, AgentConfig, AgentEvent, AgentOutcome, AgentUi, Decision, NodeStatus, Tool,
    ToolRegistry, Workspace,
};
use symphony_conductor::backends::OpenAiInstrument;
use symphony_conductor::instrument::CancellationToken;
use symphony_conductor::mcp::{McpHub, McpServerConfig, McpState};
use tokio::sync::mpsc;

/// How long anything may take on a loaded machine (a liveness guard, not a timing).
const PATIENCE: Duration = Duration::from_secs(120);

/// The venv scripts/mcp-deps.sh installs into, when it is there.
fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("SYMPHONY_MCP_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/symphony-mcp/venv"))
        })?;
    if dir.join("bin/mcp-server-time").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: mcp-server-time is not installed in {} (run scripts/mcp-deps.sh)",
            dir.display()
        );
        None
    }
}

/// `mcp-server-time` as a stdio server named `time`, on UTC.
fn time_server(venv: &Path) -> McpServerConfig {
    McpServerConfig::stdio(
        "time",
        venv.join("bin/mcp-server-time").display().to_string(),
        &["--local-timezone", "UTC"],
    )
}

async fn hub(configs: &[McpServerConfig], root: &Path) -> McpHub {
    tokio::time::timeout(PATIENCE, McpHub::start(configs, root))
        .await
        .expect("the servers start or fail within the patience")
}

fn context(root: &Path) -> ToolContext {
    ToolContext {
        workspace: Arc::new(Workspace::new(root)),
        changes: Arc::default(),
        cancel: CancellationToken::new(),
        output: None,
        ui: user(Decision::Deny),
        command_env: Arc::new(vec!["PATH".into()]),
    }
}

fn tool(hub: &McpHub, name: &str) -> Arc<dyn Tool> {
    let mut registry = ToolRegistry::default();
    hub.register(&mut registry);
    registry
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} is registered; status {:?}", hub.status()))
}

fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid as i32, 0) };
    if r != 0 {
        return false;
    }
    // A zombie (killed, not yet reaped) counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
        .unwrap_or(false)
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A user who answers permission prompts with `decision` and records what was asked.
struct ScriptedUser {
    decision: Decision,
    asked: Mutex<Vec<PermissionRequest>>,
}

impl AgentUi for ScriptedUser {
    fn ask_user(&self, _q: String) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> {
        Box::pin(async { None })
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

/// One scripted OpenAI turn: text, then each call with its arguments split into
/// 7-byte fragments, then finish_reason and usage.
fn turn(text: &str, calls: &[(&str, &str, Value)]) -> String {
    let chunk = |delta: Value, finish: Option<&str>| {
        format!(
            "data: {}\n\n",
            json!({"choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
        )
    };
    let mut out = String::new();
    if !text.is_empty() {
        out += &chunk(json!({"role":"assistant","content":text}), None);
    }
    for (i, (id, name, args)) in calls.iter().enumerate() {
        out += &chunk(
            json!({"tool_calls":[{"index":i,"id":id,"type":"function","function":{"name":name,"arguments":""}}]}),
            None,
        );
        for piece in args.to_string().as_bytes().chunks(7) {
            let frag = String::from_utf8_lossy(piece).into_owned();
            out += &chunk(
                json!({"tool_calls":[{"index":i,"function":{"arguments":frag}}]}),
                None,
            );
        }
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    out += &chunk(json!({}), Some(finish));
    out += &format!(
        "data: {}\n\ndata: [DONE]\n\n",
        json!({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":10}})
    );
    out
}

/// A model answering request `n` with `turns[n]`; `before(n)` runs before it answers.
async fn model(
    turns: Vec<String>,
    before: impl Fn(usize) + Send + Sync + 'static,
) -> support::Server {
    let turns = Arc::new(turns);
    let before = Arc::new(before);
    serve(move |n, _req, mut conn| {
        let turns = turns.clone();
        let before = before.clone();
        async move {
            before(n);
            let body = turns[n.min(turns.len() - 1)].clone();
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            for piece in body.as_bytes().chunks(64) {
                conn.send(piece).await;
            }
            conn.end().await;
        }
    })
    .await
}

fn agent(
    server: &support::Server,
    root: &Path,
    tools: ToolRegistry,
    ui: Arc<ScriptedUser>,
) -> Agent {
    let instrument = Arc::new(OpenAiInstrument::new(&config("openai", &server.url())).unwrap());
    Agent::new(
        instrument,
        tools,
        Workspace::new(root),
        AgentConfig::default(),
        ui,
    )
}

async fn run(agent: &mut Agent, task: &str) -> (AgentOutcome, Vec<AgentEvent>) {
    let (tx, mut rx) = mpsc::channel(1024);
    let collect = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(e) = rx.recv().await {
            all.push(e);
        }
        all
    });
    let outcome = tokio::time::timeout(PATIENCE, agent.send(task, tx, CancellationToken::new()))
        .await
        .expect("the run ends within the patience");
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
async fn the_time_servers_tools_are_listed_and_a_call_returns_the_text_the_server_returns() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(&[time_server(&venv)], dir.path()).await;
    let status = hub.status();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].state, McpState::Ready, "{status:?}");
    assert!(status[0].endpoint.starts_with("stdio: "), "{status:?}");
    assert!(
        status[0]
            .tools
            .contains(&"time__get_current_time".to_string())
            && status[0].tools.contains(&"time__convert_time".to_string()),
        "{status:?}"
    );

    // Offered to the model under <server>__<tool>, with the server's schema as is.
    let convert = tool(&hub, "time__convert_time");
    let spec = convert.spec();
    assert!(
        spec.description.contains("MCP server `time`"),
        "{}",
        spec.description
    );
    assert_eq!(spec.parameters["type"], "object");
    assert!(
        spec.parameters["properties"]["target_timezone"].is_object(),
        "{}",
        spec.parameters
    );
    let args = json!({"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"});
    assert_eq!(
        convert.summary(&args),
        r#"{"source_timezone":"UTC","time":"12:00","target_timezone":"Asia/Tokyo"}"#
    );
    let out = tokio::time::timeout(PATIENCE, convert.run(args, context(dir.path())))
        .await
        .unwrap();
    assert!(!out.is_error, "{}", out.content);
    // The server's own JSON text, passed through.
    let answer: Value = serde_json::from_str(&out.content).expect(&out.content);
    assert_eq!(answer["target"]["timezone"], "Asia/Tokyo", "{answer}");
    assert!(
        answer["target"]["datetime"]
            .as_str()
            .unwrap()
            .contains("T21:00:00"),
        "{answer}"
    );

    // A call the server rejects comes back as an error result, not a failure.
    let bad = tokio::time::timeout(
        PATIENCE,
        convert.run(
            json!({"source_timezone": "Nowhere/City", "time": "12:00", "target_timezone": "UTC"}),
            context(dir.path()),
        ),
    )
    .await
    .unwrap();
    assert!(bad.is_error, "{}", bad.content);

    // Shutdown kills the server's process group.
    let pid = hub.server("time").unwrap().pid().unwrap();
    assert!(alive(pid));
    hub.shutdown().await;
    eventually("the server process is gone after shutdown", || !alive(pid)).await;
    assert_eq!(hub.status()[0].state, McpState::Stopped);
}

#[tokio::test]
async fn an_agent_run_calls_an_mcp_tool_with_permission_and_the_result_reaches_the_model() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(&[time_server(&venv)], dir.path()).await;
    let mut tools = ToolRegistry::builtin();
    hub.register(&mut tools);
    let server = model(
        vec![
            turn(
                "Converting.",
                &[(
                    "c1",
                    "time__convert_time",
                    json!({"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}),
                )],
            ),
            turn("It is 21:00 in Tokyo.", &[]),
        ],
        |_| {},
    )
    .await;
    let ui = user(Decision::Allow);
    let mut agent = agent(&server, dir.path(), tools, ui.clone());
    let (outcome, _events) = run(&mut agent, "what time is noon UTC in Tokyo?").await;
    assert_eq!(
        outcome,
        AgentOutcome::Done {
            text: "It is 21:00 in Tokyo.".into()
        }
    );
    // Asked first (MCP tools default to ask), with the exact arguments.
    let asked = ui.asked.lock().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].tool, "time__convert_time");
    assert!(asked[0].argument.contains("Asia/Tokyo"), "{asked:?}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The first request offered the MCP tools next to the built-ins.
    let offered: Vec<String> = requests[0].json()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        offered.contains(&"time__convert_time".to_string()),
        "{offered:?}"
    );
    assert!(offered.contains(&"read_file".to_string()), "{offered:?}");
    // The server's answer reached the model's next request.
    let results = tool_messages(&requests[1].json());
    assert_eq!(results.len(), 1);
    let content = results[0]["content"].as_str().unwrap();
    assert!(
        content.contains("Asia/Tokyo") && content.contains("T21:00:00"),
        "{content}"
    );
    let node = agent
        .nodes()
        .iter()
        .find(|n| n.label == "time__convert_time")
        .cloned()
        .unwrap();
    assert_eq!(node.status, NodeStatus::Done);
    hub.shutdown().await;
}

#[tokio::test]
async fn a_server_killed_mid_run_gives_an_error_result_and_the_run_goes_on() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(&[time_server(&venv)], dir.path()).await;
    let mut tools = ToolRegistry::builtin();
    hub.register(&mut tools);
    let registered = tools.clone();
    let pid = hub.server("time").unwrap().pid().unwrap();
    let now = json!({"timezone": "UTC"});
    let server = model(
        vec![
            turn("", &[("c1", "time__get_current_time", now.clone())]),
            turn("", &[("c2", "time__get_current_time", now)]),
            turn("The time server is gone; I went on without it.", &[]),
        ],
        move |n| {
            if n == 1 {
                // SAFETY: SIGKILL to the MCP server this test started.
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        },
    )
    .await;
    let mut agent = agent(&server, dir.path(), tools, user(Decision::Allow));
    let (outcome, _events) = run(&mut agent, "what time is it, twice?").await;
    assert_eq!(
        outcome,
        AgentOutcome::Done {
            text: "The time server is gone; I went on without it.".into()
        }
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let first = tool_messages(&requests[1].json());
    let now: Value = serde_json::from_str(first[0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(now["timezone"], "UTC", "{first:?}");
    // The call after the kill is an error result the model reads.
    let second = tool_messages(&requests[2].json());
    let text = second[1]["content"].as_str().unwrap();
    assert!(
        text.contains("MCP server `time`")
            && (text.contains("died") || text.contains("not running")),
        "{text}"
    );
    // And the hub reports the death, with its reason.
    eventually("the hub reports the server dead", || {
        matches!(hub.status()[0].state, McpState::Died(_))
    })
    .await;
    // Its tools stay registered; later calls fail at once with the reason.
    let out = registered
        .get("time__get_current_time")
        .unwrap()
        .run(json!({"timezone": "UTC"}), context(dir.path()))
        .await;
    assert!(
        out.is_error && out.content.contains("not running"),
        "{}",
        out.content
    );
}

#[tokio::test]
async fn servers_that_cannot_start_are_reported_and_the_others_still_offer_their_tools() {
    let dir = tempfile::tempdir().unwrap();
    let missing = McpServerConfig::stdio("ghost", "symphony-no-such-mcp-server", &[]);
    let exits = McpServerConfig::stdio(
        "quitter",
        "sh",
        &["-c", "echo 'config error: no token' >&2; exit 3"],
    );
    let mut off = McpServerConfig::stdio("off", "sh", &[]);
    off.enabled = false;
    let mut configs = vec![missing, exits, off];
    let venv = venv();
    if let Some(venv) = &venv {
        configs.push(time_server(venv));
    }
    let hub = hub(&configs, dir.path()).await;
    let status = hub.status();
    let McpState::Failed(e) = &status[0].state else {
        panic!("{status:?}")
    };
    assert!(e.contains("not installed"), "{e}");
    let McpState::Failed(e) = &status[1].state else {
        panic!("{status:?}")
    };
    assert!(e.contains("config error: no token"), "{e}");
    assert_eq!(status[2].state, McpState::Disabled);
    assert!(status[..3].iter().all(|s| s.tools.is_empty()));
    let mut registry = ToolRegistry::builtin();
    let builtins = registry.specs().len();
    hub.register(&mut registry);
    if venv.is_some() {
        assert_eq!(status[3].state, McpState::Ready, "{status:?}");
        assert_eq!(registry.specs().len(), builtins + status[3].tools.len());
    } else {
        assert_eq!(registry.specs().len(), builtins);
    }
    hub.shutdown().await;
}

/// A free port on 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_streamable_http_server_is_listed_and_called() {
    let Some(venv) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp_http_server.py");
    let mut child = tokio::process::Command::new(venv.join("bin/python"))
        .arg(&script)
        .arg(port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    eventually("the HTTP server listens", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let hub = hub(&[McpServerConfig::http("shouter", &url)], dir.path()).await;
    let status = hub.status();
    assert_eq!(status[0].state, McpState::Ready, "{status:?}");
    assert_eq!(status[0].endpoint, format!("http: {url}"));
    assert_eq!(status[0].tools, ["shouter__shout"]);
    let out = tool(&hub, "shouter__shout")
        .run(json!({"text": "hello"}), context(dir.path()))
        .await;
    assert!(!out.is_error, "{}", out.content);
    assert_eq!(out.content, "HELLO!");
    hub.shutdown().await;
    let _ = child.kill().await;
}
