//! API keys and private files, with the Conductor and the REAL openai instrument
//! against a 127.0.0.1 server that STANDS IN FOR A MODEL (conductor_support::sse):
//! a server that answers 401 with a body echoing the key, and one that streams the
//! key back as tokens. The key reaches neither the events (what the panes draw), the
//! run journal, the artifacts nor the log file; and a run leaves only private files.

mod conductor_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use conductor_support::sse::{Reply, SseServer, serve};
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::{ConductorEvent, RunOutcome};
use tokio::sync::mpsc;

const KEY_VAR: &str = "SYMPHONY_TEST_ECHOED_KEY";
const KEY: &str = "sk-test-ECHOED-0123456789abcdef";

struct Started {
    conductor: Conductor,
    events: mpsc::UnboundedReceiver<ConductorEvent>,
}

fn start(server: &SseServer, dir: &Path) -> Started {
    let toml_text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"stand-in\"\napi_key_env = \"{KEY_VAR}\"\nmax_retries = 0\nmax_concurrency = 1\n",
        server.base_url()
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    config.store_dir = dir.join("artifacts");
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    Started { conductor, events }
}

async fn until_finished(
    events: &mut mpsc::UnboundedReceiver<ConductorEvent>,
    run: symphony_conductor::events::RunId,
) -> Vec<ConductorEvent> {
    let mut out = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .expect("the Conductor went silent (hang)")
            .expect("event channel open");
        let done = matches!(&ev, ConductorEvent::RunFinished { run: r, .. } if *r == run);
        out.push(ev);
        if done {
            return out;
        }
    }
}

fn ctx() -> EditorContext {
    EditorContext {
        language: Some("Rust".into()),
        path: Some("main.rs".into()),
        revision: Some(1),
        file_text: "fn main() {}\n".into(),
        ..Default::default()
    }
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// One test: the key variable and the global log subscriber are process-wide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_api_key_is_never_shown_stored_or_logged_and_the_store_is_private() {
    // SAFETY: the only test in this binary; nothing else reads the environment yet.
    unsafe { std::env::set_var(KEY_VAR, KEY) };
    let dir = tempfile::tempdir().expect("tempdir");
    let log_dir = dir.path().join("state/symphony");
    let guard = symphony_logfile::init(
        &log_dir,
        "symphony.log",
        symphony_logfile::Options {
            default_filter: "debug".into(),
            ..Default::default()
        }
        .redact(symphony_conductor::backends::secret::redact_changed),
    )
    .expect("logging starts");

    let server = serve(vec![
        Reply::Status(401, format!("Incorrect API key provided: {KEY}.")),
        Reply::Stream(
            [
                "your key is sk-test-EC",
                "HOED-0123456789abcdef",
                ", keep it safe",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ])
    .await;
    let mut s = start(&server, dir.path());

    // 1. The 401 echoing the key: the node fails with the server's message, redacted.
    let run = s.conductor.run(AiCommand::Explain, ctx());
    let events = until_finished(&mut s.events, run).await;
    let outcome = events.iter().find_map(|e| match e {
        ConductorEvent::RunFinished { outcome, .. } => Some(outcome.clone()),
        _ => None,
    });
    let shown = format!("{events:?}");
    assert!(
        matches!(outcome, Some(RunOutcome::Failed(_))),
        "{outcome:?}"
    );
    assert!(shown.contains("Incorrect API key provided"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!shown.contains(KEY), "the key is in the events: {shown}");

    // 2. The key streamed back as tokens, split across two chunks.
    let run = s.conductor.run(AiCommand::Explain, ctx());
    let events = until_finished(&mut s.events, run).await;
    let shown = format!("{events:?}");
    assert!(shown.contains("keep it safe"), "{shown}");
    assert!(!shown.contains(KEY), "the key is in the events: {shown}");
    assert!(!shown.contains("HOED-0123456789abcdef"), "{shown}");

    // The pool pane's last error neither.
    let pool = format!("{:?}", s.conductor.pool());
    assert!(!pool.contains(KEY), "{pool}");

    drop(s);
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(guard);

    let mut all = Vec::new();
    files(dir.path(), &mut all);
    assert!(
        all.iter().any(|(p, _)| p.ends_with("symphony.log")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|(p, _)| p.to_string_lossy().contains("conductor/runs")),
        "a run journal was written: {:?}",
        all.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, bytes) in &all {
        assert!(!contains(bytes, KEY), "the key is in {}", path.display());
    }
    let log = std::fs::read_to_string(log_dir.join("symphony.log")).expect("log");
    assert!(
        log.contains("[redacted]") || !log.contains("Incorrect API key"),
        "{log}"
    );

    // Item 5: everything the run left under the store is private.
    let mut seen = 0;
    check_private(&s_store(dir.path()), &mut seen);
    check_private(&log_dir, &mut seen);
    assert!(seen > 5, "only {seen} entries checked");
}

fn s_store(dir: &Path) -> std::path::PathBuf {
    dir.join("artifacts")
}

fn check_private(dir: &Path, seen: &mut usize) {
    let mode = |p: &Path| {
        std::fs::symlink_metadata(p)
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    *seen += 1;
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            check_private(&p, seen);
        } else {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            *seen += 1;
        }
    }
}
