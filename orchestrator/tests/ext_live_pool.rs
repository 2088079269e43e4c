//! Instrument extensions joining and leaving a running Conductor, with the shipped
//! cli-model example as a real child process: granted mid-session it joins the pool
//! and a workflow (or a built-in command) calls it at once; disabled it leaves the pool and a later run fails
//! naming it; not `on_startup` it stays Cold with no process until its first call or
//! a prewarm, and an unload stops its process for real (and cancels a running call).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::Conductor;
use symphony_conductor::events::{ConductorEvent, InstrumentStatus, RunOutcome};
use symphony_conductor::extension_bridge::{ExtensionCatalog, SharedManager};
use symphony_extensions::{Manager, Manifest};
use tokio::sync::mpsc::UnboundedReceiver;

mod ext_support;

use ext_support::{Finished, WAIT, ask, ask_workflow, finish, host, python_available, start};

fn cli_model_main() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../extensions/examples/cli-model/main.py")
        .canonicalize()
        .unwrap()
}

/// An instrument extension `id` running the cli-model example (the answer is the
/// prompt, through `command`); `tag` marks its command line so this test can count
/// its own processes.
fn model_extension(dir: &Path, id: &str, command: &str, tag: &str) -> Manifest {
    let folder = dir.join(id);
    std::fs::create_dir_all(&folder).unwrap();
    let toml = format!(
        "id = \"{id}\"\nname = \"Model {id}\"\nversion = \"0.1.0\"\ntype = \"instrument\"\n\
         command = \"python3\"\nargs = [\"{}\", \"{tag}\"]\ncapabilities = [\"invoke\"]\n\
         [permissions]\nspawn = true\n\
         [config.command]\ntype = \"string_list\"\ndefault = {command}\n",
        cli_model_main().display()
    );
    std::fs::write(folder.join("extension.toml"), toml).unwrap();
    Manifest::load(&folder.join("extension.toml")).unwrap()
}

fn context(ws: &Path, text: &str) -> EditorContext {
    EditorContext {
        file_text: text.into(),
        selection: Some(SelectionContext {
            start: 0,
            end: text.len(),
            text: text.into(),
            first_line: 0,
        }),
        cwd: ws.to_path_buf(),
        ..Default::default()
    }
}

fn row(conductor: &Conductor, name: &str) -> Option<InstrumentStatus> {
    conductor.pool().into_iter().find(|s| s.name == name)
}

/// Waits until the pool row of `name` is in `state`; its last state otherwise.
async fn wait_state(conductor: &Conductor, name: &str, state: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = row(conductor, name).map(|r| r.state).unwrap_or_default();
        if now == state || tokio::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Live (not zombie) child processes of this test whose command line contains `needle`.
fn processes(needle: &str) -> usize {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // "pid (comm) state ppid ...": after the last ')'.
            let rest: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            rest.first().is_some_and(|s| *s != "Z")
                && rest.get(1) == Some(&me.as_str())
                && String::from_utf8_lossy(&cmdline).contains(needle)
        })
        .count()
}

/// Waits until `count` processes carry `needle`; the last count otherwise.
async fn wait_processes(needle: &str, count: usize) -> usize {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let n = processes(needle);
        if n == count || tokio::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A session: the shared manager, its live catalog and a Conductor given it.
struct Session {
    manager: SharedManager,
    catalog: ExtensionCatalog,
    conductor: Conductor,
    events: UnboundedReceiver<ConductorEvent>,
    settings: PathBuf,
    manifests: Vec<Manifest>,
}

fn session(ws: &Path, manifests: Vec<Manifest>, config: &str) -> Session {
    let settings = ws.join("extensions.toml");
    let manager = Manager::new(host(ws), manifests.clone(), settings.clone()).unwrap();
    let manager: SharedManager = Arc::new(Mutex::new(manager));
    let (catalog, _notices) = ExtensionCatalog::activate(&manager);
    let (conductor, events) = start(ws, &catalog, config);
    Session {
        manager,
        catalog,
        conductor,
        events,
        settings,
        manifests,
    }
}

#[tokio::test]
async fn an_instrument_granted_mid_session_joins_the_running_pool_and_leaves_it_when_disabled() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let tag = "--tag=granted-mid-session";
    let m = model_extension(ws.path(), "echo-model", "[\"cat\"]", tag);
    let mut s = session(
        ws.path(),
        vec![m.clone()],
        &ask_workflow("echo-model", "{{selection}}"),
    );
    // Not granted yet: waiting for the prompt, not in the pool, no process.
    assert_eq!(s.catalog.needs_grant(), ["echo-model"]);
    assert!(row(&s.conductor, "echo-model").is_none());
    assert_eq!(processes(tag), 0);

    // The user answers the prompt: it joins the running Conductor's pool.
    s.manager
        .lock()
        .grant("echo-model", m.permissions.clone())
        .unwrap();
    let report = s.catalog.sync(&s.manager);
    assert_eq!(report.added, ["echo-model"]);
    let r = row(&s.conductor, "echo-model").expect("in the pool at once");
    assert_eq!(r.kind, "extension");
    assert_eq!(r.state, "Cold");

    // A workflow naming it runs on it right away.
    let text = "fn joined() {}";
    let run = s.conductor.run(ask(None), context(ws.path(), text));
    let Finished {
        outcome, streamed, ..
    } = finish(&mut s.events, run).await;
    assert_eq!(outcome, RunOutcome::Succeeded, "{streamed}");
    assert!(streamed.contains(text), "{streamed}");
    assert_eq!(wait_state(&s.conductor, "echo-model", "Hot").await, "Hot");
    assert_eq!(processes(tag), 1);
    // So do the built-in commands, though no instrument was configured at start.
    let run = s
        .conductor
        .run(AiCommand::Explain, context(ws.path(), text));
    let Finished {
        outcome, streamed, ..
    } = finish(&mut s.events, run).await;
    assert_eq!(outcome, RunOutcome::Succeeded, "{streamed}");
    assert!(streamed.contains(text), "{streamed}");

    // Disabled elsewhere (`symphony ext disable`): it leaves the pool, its process
    // stops, and a run naming it fails saying which extension is gone.
    symphony_extensions::config::disable(&s.settings, &s.manifests, "echo-model").unwrap();
    s.manager.lock().reload_config().unwrap();
    let report = s.catalog.sync(&s.manager);
    assert_eq!(report.removed, ["echo-model"]);
    assert!(row(&s.conductor, "echo-model").is_none());
    assert_eq!(wait_processes(tag, 0).await, 0, "its process is gone");
    let run = s.conductor.run(ask(None), context(ws.path(), text));
    let outcome = finish(&mut s.events, run).await.outcome;
    match outcome {
        RunOutcome::Failed(why) => {
            assert!(why.contains("echo-model"), "{why}");
            assert!(why.contains("disabled or uninstalled"), "{why}");
        }
        other => panic!("the run should fail: {other:?}"),
    }
}

#[tokio::test]
async fn a_lazy_instrument_starts_on_its_first_call_and_the_pool_keys_start_and_stop_it() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let tag = "--tag=lazy-instrument";
    // Its model says one line, then thinks for a long time (until cancelled).
    let m = model_extension(
        ws.path(),
        "slow-model",
        "[\"sh\", \"-c\", \"cat; sleep 60\"]",
        tag,
    );
    std::fs::write(
        ws.path().join("extensions.toml"),
        "[extensions.slow-model]\nenabled = true\n[extensions.slow-model.grant]\nspawn = true\n",
    )
    .unwrap();
    let mut s = session(
        ws.path(),
        vec![m],
        &ask_workflow("slow-model", "{{selection}}"),
    );
    // Granted, not on_startup: in the pool, Cold, no process.
    assert!(s.catalog.needs_grant().is_empty());
    assert_eq!(row(&s.conductor, "slow-model").unwrap().state, "Cold");
    assert_eq!(processes(tag), 0, "not started before it is needed");

    // The first call starts it and waits for it; the pool goes Hot.
    let run = s
        .conductor
        .run(ask(None), context(ws.path(), "first words"));
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut streamed = String::new();
    while !streamed.contains("first words") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no token: {streamed}"
        );
        if let Ok(Some(ConductorEvent::Token { text, .. })) =
            tokio::time::timeout(WAIT, s.events.recv()).await
        {
            streamed.push_str(&text);
        }
    }
    assert_eq!(processes(tag), 1);
    assert_eq!(wait_state(&s.conductor, "slow-model", "Hot").await, "Hot");

    // `u` while the call runs: its run is cancelled, the process stops, Cold.
    s.conductor.unload("slow-model");
    let outcome = finish(&mut s.events, run).await.outcome;
    assert_eq!(outcome, RunOutcome::Cancelled, "as Esc would");
    assert_eq!(wait_processes(tag, 0).await, 0, "unload stops the process");
    assert_eq!(wait_state(&s.conductor, "slow-model", "Cold").await, "Cold");
    // The extension was told to stop the call (so it answered the unload at once).
    let h = s
        .catalog
        .extension_instrument("slow-model")
        .unwrap()
        .handle()
        .unwrap();
    assert_eq!(h.stats().timeouts, 0, "no request went unanswered");

    // `w` starts it again: Hot with its process running.
    s.conductor.prewarm("slow-model");
    assert_eq!(wait_state(&s.conductor, "slow-model", "Hot").await, "Hot");
    assert_eq!(
        wait_processes(tag, 1).await,
        1,
        "prewarm starts the process"
    );
    let r = row(&s.conductor, "slow-model").unwrap();
    assert_eq!(r.last_error, None, "instrument.prewarm unknown is fine");

    // And `u` again, with nothing running: Cold, no process.
    s.conductor.unload("slow-model");
    assert_eq!(wait_state(&s.conductor, "slow-model", "Cold").await, "Cold");
    assert_eq!(wait_processes(tag, 0).await, 0);
    drop(s.manager);
}
