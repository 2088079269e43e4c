//! Runs survive a restart: a run's journal and its nodes' outputs are on disk, so a new
//! Conductor on the same store lists the run, shows its failed or interrupted node, retries
//! it (with the finished nodes' outputs read back from the artifact store) and opens node
//! outputs. The model is the REAL openai instrument against a 127.0.0.1 server that speaks
//! OpenAI's SSE byte for byte and STANDS IN FOR A MODEL (conductor_support::sse); "killed
//! mid-node" is a real child process killed with SIGKILL while the model streams.

mod conductor_support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use conductor_support::sse::{Reply, serve};
use conductor_support::*;
use parking_lot::Mutex;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, RunSummary, default_factory};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};

const FILE: &str = "fn main() {\n    let x = 1 ;\n}\n";

/// A Conductor with one openai instrument at `url` (one retry on 5xx) on the store in `store`.
fn open(store: &Path, url: &str) -> Harness {
    let toml_text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{url}\"\nmodel = \"stand-in\"\nmax_retries = 1\nmax_concurrency = 1\n"
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    config.store_dir = store.to_path_buf();
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    Harness {
        conductor,
        events,
        // Unused: the store is the caller's, shared by the Conductors of the test.
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

/// The editor context: `main.rs` at revision 7 with `    let x = 1 ;` selected.
fn ctx() -> EditorContext {
    let start = FILE.find("    let").expect("let");
    let end = FILE.find("}\n").expect("}");
    EditorContext {
        language: Some("Rust".into()),
        path: Some("main.rs".into()),
        buffer: Some("buffer-id-1".into()),
        revision: Some(7),
        file_text: FILE.into(),
        selection: Some(SelectionContext {
            start,
            end,
            text: FILE[start..end].into(),
            first_line: 1,
        }),
        ..Default::default()
    }
}

fn summary(c: &Conductor, run: RunId) -> RunSummary {
    c.recent_runs()
        .into_iter()
        .find(|r| r.run == run)
        .unwrap_or_else(|| panic!("run {run:?} is listed: {:#?}", c.recent_runs()))
}

fn status_of(s: &RunSummary, node: &str) -> NodeStatus {
    s.nodes
        .iter()
        .find(|n| n.info.id == node)
        .map(|n| n.status.clone())
        .unwrap_or_else(|| panic!("node {node} in {s:#?}"))
}

#[tokio::test]
async fn a_failed_model_node_is_retried_after_a_restart_and_proposes_against_the_read_revision() {
    // Two 500s: the call and its one retry fail; then the server is "fixed".
    let server = serve(vec![
        Reply::Status(500, "overloaded".into()),
        Reply::Status(500, "overloaded".into()),
        Reply::Stream(vec![
            "```rust\n".into(),
            "    let x = 1;\n".into(),
            "```".into(),
        ]),
    ])
    .await;
    let store = tempfile::tempdir().expect("tempdir");
    let store = store.path().join("artifacts");

    // First session: the model node fails, retries exhausted.
    let mut h = open(&store, &server.base_url());
    let run = h.conductor.run(
        AiCommand::Refactor {
            instruction: "fix spacing".into(),
        },
        ctx(),
    );
    let events = h.until_finished(run).await;
    assert!(
        matches!(finished(&events).0, RunOutcome::Failed(ref why) if why.contains("500")),
        "{events:#?}"
    );
    assert_eq!(server.requests.lock().len(), 2, "the call and one retry");
    drop(h);

    // Second session on the same store: the run is listed with its failed node.
    let mut h = open(&store, &server.base_url());
    let s = summary(&h.conductor, run);
    assert_eq!(s.title, "refactor: fix spacing");
    assert!(!s.interrupted);
    assert_eq!(s.revision, Some(7));
    assert_eq!(s.path.as_deref(), Some(Path::new("main.rs")));
    assert!(matches!(s.outcome, Some(RunOutcome::Failed(_))), "{s:#?}");
    assert_eq!(status_of(&s, "context"), NodeStatus::Done);
    assert_eq!(status_of(&s, "prompt"), NodeStatus::Done);
    match status_of(&s, "model") {
        NodeStatus::Failed(why) => {
            assert!(why.contains("500") && why.contains("overloaded"), "{why}")
        }
        other => panic!("model: {other:?}"),
    }
    assert!(
        matches!(
            status_of(&s, "extract"),
            NodeStatus::Skipped | NodeStatus::Cancelled
        ),
        "{s:#?}"
    );
    // The prompt's output opens from the store.
    let prompt = h
        .conductor
        .node_output(run, "prompt")
        .expect("prompt output");
    assert!(
        prompt.contains("fix spacing") && prompt.contains("let x = 1 ;"),
        "{prompt}"
    );

    h.conductor.retry_node(run, "model");
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events).0, RunOutcome::Succeeded, "{events:#?}");
    assert!(
        events.iter().any(|e| matches!(e, ConductorEvent::RunStarted { run: r, nodes, title } if *r == run && nodes.len() == 5 && title == "retry model: refactor: fix spacing")),
        "{events:#?}"
    );
    // The kept nodes show Done at once.
    assert!(events.iter().any(|e| matches!(e, ConductorEvent::Node { node, status: NodeStatus::Done, .. } if node == "prompt")));
    assert_eq!(
        tokens(&events, "model").concat(),
        "```rust\n    let x = 1;\n```"
    );
    let ran = |node: &str| {
        events.iter().any(|e| {
            matches!(e, ConductorEvent::Node { node: n, status: NodeStatus::Running { .. }, .. } if n == node)
        })
    };
    assert!(
        !ran("context") && !ran("prompt"),
        "kept nodes did not run: {events:#?}"
    );
    assert!(ran("model") && ran("extract"));
    // The model got the same prompt as before the restart (read back from the store).
    let requests = server.requests.lock().clone();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2], requests[0]);
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .expect("a proposal");
    assert_eq!(
        proposal.base_revision,
        Some(7),
        "targets the revision the run read"
    );
    let mut out = FILE.to_owned();
    for hk in proposal.hunks.iter().rev() {
        out.replace_range(hk.start..hk.end, &hk.new_text);
    }
    assert_eq!(out, "fn main() {\n    let x = 1;\n}\n");
    drop(h);

    // Third session: the run is listed as succeeded, and its outputs still open.
    let h = open(&store, &server.base_url());
    let s = summary(&h.conductor, run);
    assert_eq!(s.outcome, Some(RunOutcome::Succeeded));
    assert!(
        s.nodes
            .iter()
            .all(|n| n.status == NodeStatus::Done && n.has_output),
        "{s:#?}"
    );
    assert_eq!(
        h.conductor.node_output(run, "extract").as_deref(),
        Some("    let x = 1;\n")
    );
    let diff = h.conductor.node_output(run, "diff").expect("diff output");
    assert!(
        diff.contains("-    let x = 1 ;") && diff.contains("+    let x = 1;"),
        "{diff}"
    );
    // A new run numbers after the old ones.
    let mut h = h;
    let next = h.conductor.run(AiCommand::Explain, ctx());
    assert!(next > run);
    h.until_finished(next).await;
    // Node outputs do not crowd the artifact search.
    let hits = h.conductor.search_artifacts("let", 20);
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.kind != "node-output"), "{hits:#?}");
}

/// Env var naming the store of the child process of the kill test.
const CHILD_STORE: &str = "SYMPHONY_RESTART_TEST_STORE";
/// Env var naming the model server's URL for the child process.
const CHILD_URL: &str = "SYMPHONY_RESTART_TEST_URL";
/// What the child prints once the model streams.
const CHILD_STREAMING: &str = "CHILD-MODEL-STREAMING";

/// Not a test on its own: the child process of
/// `a_run_killed_mid_node_is_interrupted_after_a_restart_and_can_be_retried` (does
/// nothing unless that test started it). It runs Explain and stalls in the model node
/// until killed.
#[tokio::test]
async fn child_process_runs_until_killed() {
    let (Ok(store), Ok(url)) = (std::env::var(CHILD_STORE), std::env::var(CHILD_URL)) else {
        return;
    };
    let mut h = open(Path::new(&store), &url);
    let run = h.conductor.run(AiCommand::Explain, ctx());
    h.until(|e| matches!(e, ConductorEvent::Token { run: r, .. } if *r == run))
        .await;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{CHILD_STREAMING}");
    let _ = out.flush();
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

#[tokio::test]
async fn a_run_killed_mid_node_is_interrupted_after_a_restart_and_can_be_retried() {
    let server = serve(vec![
        Reply::Stall(vec!["It ".into()]),
        Reply::Stream(vec!["It prints ".into(), "hi.".into()]),
    ])
    .await;
    let store = tempfile::tempdir().expect("tempdir");
    let store = store.path().join("artifacts");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_process_runs_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_STORE, &store)
        .env(CHILD_URL, server.base_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("stdout");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let lines = seen.clone();
    let streaming = tokio::task::spawn_blocking(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return false };
            let found = line.contains(CHILD_STREAMING);
            lines.lock().push(line);
            if found {
                return true;
            }
        }
        false
    })
    .await
    .expect("reader");
    assert!(streaming, "the child never streamed: {:#?}", seen.lock());
    child.kill().expect("SIGKILL"); // TerminateProcess on Windows
    let _ = child.wait();

    // A new Conductor on the same store: the run was interrupted in its model node.
    let mut h = open(&store, &server.base_url());
    let runs = h.conductor.recent_runs();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    let s = runs[0].clone();
    // Interrupted is a state of its own, not a failure with a message.
    assert!(s.interrupted, "{s:#?}");
    assert_eq!(s.outcome, Some(RunOutcome::Interrupted), "{s:#?}");
    assert_eq!(status_of(&s, "prompt"), NodeStatus::Done);
    assert_eq!(status_of(&s, "model"), NodeStatus::Interrupted, "{s:#?}");
    assert_eq!(h.conductor.node_output(s.run, "model"), None);
    // The text it read comes back from the journal's store (the selection).
    assert_eq!(
        h.conductor.run_source(s.run).as_deref(),
        Ok("    let x = 1 ;\n")
    );

    h.conductor.retry_node(s.run, "model");
    let events = h.until_finished(s.run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("It prints hi.".into()))
    );
    assert_eq!(
        h.conductor.node_output(s.run, "model").as_deref(),
        Some("It prints hi.")
    );
    let s = summary(&h.conductor, s.run);
    assert!(!s.interrupted);
    assert_eq!(s.answer.as_deref(), Some("It prints hi."));
}

/// Collects what the Conductor logs.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_corrupt_journal_is_skipped_with_a_warning_and_a_torn_last_line_is_ignored() {
    let server = serve(vec![Reply::Stream(vec!["It prints.".into()])]).await;
    let store = tempfile::tempdir().expect("tempdir");
    let store = store.path().join("artifacts");
    let mut h = open(&store, &server.base_url());
    let run = h.conductor.run(AiCommand::Explain, ctx());
    h.until_finished(run).await;
    drop(h);

    let runs = store.join("conductor").join("runs");
    std::fs::write(
        runs.join("41.jsonl"),
        "{\"t\":\"manifest\",\"run\": garbage\n",
    )
    .expect("corrupt journal");
    std::fs::write(runs.join("42.jsonl"), "").expect("empty journal");
    // A crash in the middle of a write: a torn last line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(runs.join(format!("{}.jsonl", run.0)))
        .expect("journal");
    f.write_all(b"{\"t\":\"node\",\"node\":\"mod")
        .expect("torn line");
    drop(f);

    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let h = tracing::subscriber::with_default(subscriber, || open(&store, &server.base_url()));
    let listed: Vec<RunId> = h.conductor.recent_runs().iter().map(|r| r.run).collect();
    assert_eq!(listed, vec![run], "only the readable run is listed");
    let s = summary(&h.conductor, run);
    assert_eq!(s.outcome, Some(RunOutcome::Succeeded));
    assert_eq!(status_of(&s, "model"), NodeStatus::Done);
    assert_eq!(
        h.conductor.node_output(run, "model").as_deref(),
        Some("It prints.")
    );
    let logged = String::from_utf8_lossy(&logs.0.lock()).into_owned();
    assert!(
        logged.contains("WARN") && logged.contains("41.jsonl") && logged.contains("42.jsonl"),
        "{logged}"
    );
    // New runs number after every journal on disk, readable or not.
    let mut h = h;
    let next = h.conductor.run(AiCommand::Explain, ctx());
    assert!(next.0 > 42, "{next:?}");
    h.until_finished(next).await;
}

#[tokio::test]
async fn a_run_whose_instrument_is_gone_after_a_restart_says_why_it_cannot_be_retried() {
    let server = serve(vec![Reply::Status(503, "loading model".into())]).await;
    let store = tempfile::tempdir().expect("tempdir");
    let store = store.path().join("artifacts");
    let mut h = open(&store, &server.base_url());
    let run = h.conductor.run(AiCommand::Explain, ctx());
    h.until_finished(run).await;
    drop(h);

    // The user renamed the instrument in config.toml.
    let toml_text = format!(
        "[[instruments]]\nname = \"renamed\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"stand-in\"\n",
        server.base_url()
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    config.store_dir = store.clone();
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    let mut h = Harness {
        conductor,
        events,
        dir: tempfile::tempdir().expect("tempdir"),
    };
    let s = summary(&h.conductor, run);
    assert!(matches!(status_of(&s, "model"), NodeStatus::Failed(why) if why.contains("503")));
    h.conductor.retry_node(run, "model");
    let events = h
        .until(|e| matches!(e, ConductorEvent::Notice(n) if n.contains("cannot run again")))
        .await;
    let Some(ConductorEvent::Notice(why)) = events.last() else {
        unreachable!()
    };
    assert!(
        why.contains("unknown instrument `local`") && why.contains("renamed"),
        "{why}"
    );
}
