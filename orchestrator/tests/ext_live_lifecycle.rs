//! The lives of instrument and operator extensions in a running Conductor, with
//! real child processes (a small Python fixture on the shipped `symphony_ext.py`,
//! and the word-count example): `instrument.prewarm` / `instrument.unload` are
//! forwarded to an extension that answers them; an extension that dies for good
//! leaves the pool and a later run fails naming it; one that cannot start fails the
//! call that needed it with the reason, in bounded time; a lazily activated operator
//! starts when a workflow node first needs it.

use std::path::{Path, PathBuf};

mod ext_support;

use ext_support::{
    Finished, WAIT, ask, ask_workflow, finish, host, python_available, start, until,
};
use serde_json::json;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::Conductor;
use symphony_conductor::events::{ConductorEvent, RunOutcome};
use symphony_conductor::extension_bridge::{ExtensionCatalog, SharedManager, share};
use symphony_extensions::{Manager, Manifest};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../extensions/examples")
        .canonicalize()
        .unwrap()
}

/// An instrument that logs `started`, `prewarm` and `unload` to `<log>`, answers
/// `ok:<prompt>`, exits at once when `<log>.die` exists, and dies on `crash`.
const FIXTURE: &str = r#"
import os, sys
sys.path.insert(0, sys.argv[1])
from symphony_ext import Extension
LOG = sys.argv[2]
def log(s):
    with open(LOG, "a") as f:
        f.write(s + "\n")
if os.path.exists(LOG + ".die"):
    sys.exit(3)
ext = Extension("fixture")
@ext.method("invoke")
def invoke(p):
    return {"text": "ok:" + (p.get("prompt") or "")}
@ext.method("instrument.prewarm")
def prewarm(p):
    log("prewarm")
@ext.method("instrument.unload")
def unload(p):
    log("unload")
@ext.method("crash")
def crash(p):
    os._exit(1)
log("started")
ext.run()
"#;

/// The fixture as extension `id` (log in `dir/<id>.log`); `program` replaces
/// python3 (a missing program never starts).
fn fixture(dir: &Path, id: &str, program: &str) -> (Manifest, PathBuf) {
    let folder = dir.join(id);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("main.py"), FIXTURE).unwrap();
    let log = dir.join(format!("{id}.log"));
    let toml = format!(
        "id = \"{id}\"\nname = \"Fixture\"\nversion = \"0.1.0\"\ntype = \"instrument\"\n\
         command = \"{program}\"\nargs = [\"${{ext_dir}}/main.py\", \"{}\", \"{}\"]\n\
         capabilities = [\"invoke\"]\n",
        examples().display(),
        log.display()
    );
    std::fs::write(folder.join("extension.toml"), toml).unwrap();
    (Manifest::load(&folder.join("extension.toml")).unwrap(), log)
}

fn logged(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn manager(ws: &Path, manifests: Vec<Manifest>) -> SharedManager {
    let ids: Vec<String> = manifests.iter().map(|m| m.id.clone()).collect();
    let mut m = Manager::new(host(ws), manifests, ws.join("extensions.toml")).unwrap();
    // Every extension asks once before its first run: answered here.
    for id in ids {
        m.grant(&id, symphony_extensions::Permissions::none())
            .unwrap();
    }
    share(m)
}

fn state(conductor: &Conductor, name: &str) -> Option<String> {
    conductor
        .pool()
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.state)
}

#[tokio::test]
async fn prewarm_and_unload_are_forwarded_to_an_extension_that_answers_them() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let (m, log) = fixture(ws.path(), "fx-warm", "python3");
    let manager = manager(ws.path(), vec![m]);
    let (catalog, _) = ExtensionCatalog::activate(&manager);
    let (conductor, mut events) = start(ws.path(), &catalog, &ask_workflow("fx-warm", "hello"));
    assert_eq!(state(&conductor, "fx-warm").as_deref(), Some("Cold"));
    assert!(logged(&log).is_empty(), "not started at start-up");

    conductor.prewarm("fx-warm");
    assert!(until(|| state(&conductor, "fx-warm").as_deref() == Some("Hot")).await);
    assert!(
        until(|| logged(&log) == ["started", "prewarm"]).await,
        "{:?}",
        logged(&log)
    );

    let run = conductor.run(ask(None), EditorContext::default());
    let Finished {
        outcome, answer, ..
    } = finish(&mut events, run).await;
    assert_eq!(outcome, RunOutcome::Succeeded);
    assert_eq!(answer.as_deref(), Some("ok:hello\n"));

    conductor.unload("fx-warm");
    assert!(until(|| state(&conductor, "fx-warm").as_deref() == Some("Cold")).await);
    assert!(
        until(|| logged(&log) == ["started", "prewarm", "unload"]).await,
        "{:?}",
        logged(&log)
    );
    let inst = catalog.extension_instrument("fx-warm").unwrap();
    assert!(!inst.is_running());
    let row = conductor
        .pool()
        .into_iter()
        .find(|s| s.name == "fx-warm")
        .unwrap();
    assert_eq!(row.last_error, None);

    // The next call starts it again by itself.
    let run = conductor.run(ask(None), EditorContext::default());
    assert_eq!(
        finish(&mut events, run).await.outcome,
        RunOutcome::Succeeded
    );
    assert_eq!(logged(&log).last().map(String::as_str), Some("started"));
}

#[tokio::test]
async fn an_extension_that_dies_for_good_leaves_the_pool_and_a_run_names_it() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let (m, log) = fixture(ws.path(), "fx-dies", "python3");
    let manager = manager(ws.path(), vec![m]);
    let (catalog, _) = ExtensionCatalog::activate(&manager);
    let (conductor, mut events) = start(ws.path(), &catalog, &ask_workflow("fx-dies", "hello"));
    let run = conductor.run(ask(None), EditorContext::default());
    assert_eq!(
        finish(&mut events, run).await.outcome,
        RunOutcome::Succeeded
    );

    // From now on it exits as soon as it starts: after its restarts it is Failed.
    std::fs::write(log.with_extension("log.die"), "").unwrap();
    let h = catalog
        .extension_instrument("fx-dies")
        .unwrap()
        .handle()
        .unwrap();
    let _ = h.request("crash", json!({})).await;
    assert!(
        until(|| state(&conductor, "fx-dies").is_none()).await,
        "it leaves the pool: {:?}",
        conductor.pool()
    );
    assert!(catalog.extension_instrument("fx-dies").is_none());
    // The AI pane is told why.
    let notice = loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(ConductorEvent::Notice(n))) if n.contains("fx-dies") => break n,
            Ok(Some(_)) => {}
            other => panic!("no notice: {other:?}"),
        }
    };
    assert!(notice.contains("left the pool"), "{notice}");
    assert!(notice.contains("gave up after"), "{notice}");
    let run = conductor.run(ask(None), EditorContext::default());
    match finish(&mut events, run).await.outcome {
        RunOutcome::Failed(why) => {
            assert!(why.contains("fx-dies"), "{why}");
            assert!(why.contains("stopped for good"), "{why}");
        }
        other => panic!("the run should fail: {other:?}"),
    }
}

#[tokio::test]
async fn an_extension_that_cannot_start_fails_its_first_call_with_the_reason() {
    let ws = tempfile::tempdir().unwrap();
    let (m, _log) = fixture(
        ws.path(),
        "fx-missing",
        "/nonexistent/symphony-no-such-program",
    );
    let manager = manager(ws.path(), vec![m]);
    let (catalog, _) = ExtensionCatalog::activate(&manager);
    let (conductor, mut events) = start(ws.path(), &catalog, &ask_workflow("fx-missing", "hello"));
    assert_eq!(state(&conductor, "fx-missing").as_deref(), Some("Cold"));
    let run = conductor.run(ask(None), EditorContext::default());
    match finish(&mut events, run).await.outcome {
        RunOutcome::Failed(why) => {
            assert!(why.contains("extension fx-missing"), "{why}");
            assert!(why.contains("did not start"), "{why}");
        }
        other => panic!("the run should fail: {other:?}"),
    }
}

#[tokio::test]
async fn a_lazy_operator_starts_when_a_workflow_node_first_needs_it() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let wc = Manifest::load(&examples().join("word-count/extension.toml")).unwrap();
    std::fs::write(
        ws.path().join("extensions.toml"),
        "[extensions.word-count.grant]\nbuffer_read = true\n",
    )
    .unwrap();
    let manager = manager(ws.path(), vec![wc]);
    let (catalog, notices) = ExtensionCatalog::activate(&manager);
    assert!(notices.is_empty(), "{notices:?}");
    let op = catalog.operator("word-count").expect("catalogued");
    assert!(
        !op.is_running(),
        "on_commands only: not started at start-up"
    );
    assert!(manager.lock().handle("word-count").is_none());

    let (conductor, mut events) = start(
        ws.path(),
        &catalog,
        r#"
[[workflows]]
name = "count"
answer = "count"
[[workflows.nodes]]
id = "text"
kind = "prompt"
template = "{{selection}}"
[[workflows.nodes]]
id = "count"
kind = "extension"
command = "ext:word-count/count"
depends_on = ["text"]
"#,
    );
    let text = "one TODO two";
    let ctx = EditorContext {
        file_text: text.into(),
        selection: Some(SelectionContext {
            start: 0,
            end: text.len(),
            text: text.into(),
            first_line: 0,
        }),
        ..Default::default()
    };
    let run = conductor.run(
        AiCommand::Workflow {
            name: "count".into(),
            instruction: None,
        },
        ctx,
    );
    let Finished {
        outcome, answer, ..
    } = finish(&mut events, run).await;
    assert_eq!(outcome, RunOutcome::Succeeded);
    assert!(answer.unwrap_or_default().contains("\"todos\": 1"));
    assert!(op.is_running());
}
