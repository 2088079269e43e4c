//! Extensions in the Conductor, with the shipped Python examples as real child
//! processes: the cli-model instrument streams tokens through the `Instrument` trait
//! (and is cancelled for real), the word-count operator runs workflow nodes, and the
//! catalog built from a `Manager` offers both once the user granted them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use symphony_conductor::extension_bridge::{
    ExtensionCatalog, ExtensionInstrument, OperatorError, OperatorRunner,
};
use symphony_conductor::instrument::{
    CancellationToken, ChatMessage, CompletionRequest, FinishReason, Instrument, InstrumentError,
    InstrumentEvent, InstrumentKind, Role,
};
use symphony_extensions::{Host, HostConfig, Manager, Manifest, State};
use tokio::sync::mpsc;

const START: Duration = Duration::from_secs(20);

fn python_available() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions/examples")
}

fn example(name: &str) -> Manifest {
    Manifest::load(&examples_dir().join(name).join("extension.toml")).unwrap()
}

fn config(ws: &Path) -> HostConfig {
    let mut c = HostConfig::new(ws);
    c.request_timeout = Duration::from_secs(20);
    c.backoff = Duration::from_millis(20);
    c.max_backoff = Duration::from_millis(100);
    c
}

fn ask(text: &str) -> CompletionRequest {
    CompletionRequest {
        messages: vec![ChatMessage::new(Role::User, text)],
        ..Default::default()
    }
}

fn tokens_of(rx: &mut mpsc::Receiver<InstrumentEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let InstrumentEvent::Token(t) = ev {
            out.push(t);
        }
    }
    out
}

#[tokio::test]
async fn an_instrument_extension_streams_its_answer_as_token_events() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let host = Host::new(config(ws.path()));
    let m = example("cli-model");
    // `cat` (the default command) answers with the prompt itself.
    let h = host.start(m.clone(), m.permissions.clone());
    h.wait_active(START).await.unwrap();
    let inst = ExtensionInstrument::new(h);
    assert_eq!(inst.name(), "cli-model");
    assert_eq!(inst.kind(), InstrumentKind::Extension);
    assert_eq!(inst.model(), "Command-line model");

    let (tx, mut rx) = mpsc::channel(64);
    let done = inst
        .call(ask("hello\nworld"), tx, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.text, "hello\nworld\n");
    assert_eq!(done.finish, FinishReason::Stop);
    assert_eq!(done.usage.completion_tokens, 2);
    assert!(done.time_to_first_token.is_some());
    assert_eq!(tokens_of(&mut rx), ["hello\n", "world\n"]);

    // Two calls at once each get only their own tokens.
    let (tx1, mut rx1) = mpsc::channel(64);
    let (tx2, mut rx2) = mpsc::channel(64);
    let (a, b) = tokio::join!(
        inst.call(ask("first"), tx1, CancellationToken::new()),
        inst.call(ask("second"), tx2, CancellationToken::new()),
    );
    assert_eq!(a.unwrap().text, "first\n");
    assert_eq!(b.unwrap().text, "second\n");
    assert_eq!(tokens_of(&mut rx1), ["first\n"]);
    assert_eq!(tokens_of(&mut rx2), ["second\n"]);
}

#[tokio::test]
async fn cancelling_an_extension_call_stops_it_and_keeps_the_partial_answer() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let host = Host::new(config(ws.path()));
    let m = example("cli-model");
    let mut settings = serde_json::Map::new();
    // A model that says one line, then thinks for a long time.
    settings.insert(
        "command".into(),
        json!(["sh", "-c", "echo first; sleep 60"]),
    );
    let h = host.start_with(m.clone(), m.permissions.clone(), settings);
    h.wait_active(START).await.unwrap();

    /// Starts a call, waits for its first token, cancels it; returns its error.
    async fn cancel_after_first_token(inst: &ExtensionInstrument) -> InstrumentError {
        let (tx, mut rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        let call = tokio::spawn(inst.call(ask("go"), tx, cancel.clone()));
        let first = tokio::time::timeout(START, rx.recv()).await.unwrap();
        assert_eq!(first, Some(InstrumentEvent::Token("first\n".into())));
        cancel.cancel();
        tokio::time::timeout(START, call)
            .await
            .unwrap()
            .unwrap()
            .unwrap_err()
    }
    let cancelled = InstrumentError::Cancelled {
        partial: "first\n".into(),
    };

    // cli-model stops the command itself when told: no restart, and it answers the
    // next call at once.
    let polite = ExtensionInstrument::new(h.clone()).with_cancel_grace(Duration::from_secs(10));
    assert_eq!(cancel_after_first_token(&polite).await, cancelled);
    assert_eq!(h.stats().restarts, 0);
    let again = h
        .request("invoke", json!({"prompt": "again\n", "command": ["cat"]}))
        .await
        .unwrap();
    assert_eq!(again["text"], "again\n");

    // Without time to stop by itself, the extension (and the command it ran) is
    // killed and comes back.
    let impatient = ExtensionInstrument::new(h.clone()).with_cancel_grace(Duration::ZERO);
    assert_eq!(cancel_after_first_token(&impatient).await, cancelled);
    let state = h
        .wait_for(START, |s| s == State::Active && h.stats().restarts == 1)
        .await;
    assert_eq!(state, State::Active);
    assert_eq!(h.stats().restarts, 1);
}

#[tokio::test]
async fn an_operator_extension_runs_a_workflow_node_from_its_inputs() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.md"), "one TODO\n").unwrap();
    let host = Host::new(config(ws.path()));
    let m = example("word-count");
    // Granted reading buffers only: files stay closed.
    let grant = symphony_extensions::Permissions {
        buffer_read: true,
        ..Default::default()
    };
    let h = host.start(m, grant);
    h.wait_active(START).await.unwrap();
    let op = OperatorRunner::new(h);
    assert_eq!(op.capabilities(), ["count", "count_file"]);

    let mut inputs = BTreeMap::new();
    inputs.insert("a".to_string(), "fix this TODO".to_string());
    inputs.insert("b".to_string(), "and TODO that\nlater".to_string());
    let out = op.run(Some("count"), &inputs, &json!({})).await.unwrap();
    // The inputs are joined by a blank line.
    assert_eq!(out.value, json!({"words": 7, "todos": 2, "lines": 4}));
    // The node's own params win over the inputs.
    let out = op
        .run(None, &inputs, &json!({"text": "just TODO"}))
        .await
        .unwrap();
    assert_eq!(out.value["words"], 2);
    assert!(out.text.contains("\"todos\": 1"), "{}", out.text);

    let err = op
        .run(Some("count_file"), &inputs, &json!({"path": "notes.md"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OperatorError::Remote { code, .. } if code == "permission_denied"),
        "{err}"
    );
    let err = op
        .run(Some("explode"), &inputs, &json!({}))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no capability \"explode\""),
        "{err}"
    );
}

#[tokio::test]
async fn the_catalog_offers_granted_extensions_to_the_pool_and_to_workflows() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let settings = ws.path().join("extensions.toml");
    let manifests = vec![example("cli-model"), example("word-count")];
    let mut manager = Manager::new(
        Host::new(config(ws.path())),
        manifests.clone(),
        settings.clone(),
    )
    .unwrap();
    // Nothing granted yet: both wait for the prompt.
    let (cat, notices) = ExtensionCatalog::start_all(&mut manager);
    assert!(cat.instruments().is_empty());
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].contains("permission prompt"), "{notices:?}");
    assert_eq!(cat.needs_grant(), ["cli-model", "word-count"]);

    for m in &manifests {
        manager.grant(&m.id, m.permissions.clone()).unwrap();
    }
    let (cat, notices) = ExtensionCatalog::start_all(&mut manager);
    assert!(notices.is_empty(), "{notices:?}");
    let pool = cat.instrument_configs();
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].name, "cli-model");
    assert_eq!(pool[0].kind, InstrumentKind::Extension);
    assert_eq!(
        cat.node_kinds(),
        ["ext:word-count/count", "ext:word-count/count_file"]
    );
    manager
        .handle("word-count")
        .unwrap()
        .wait_active(START)
        .await
        .unwrap();
    manager
        .handle("cli-model")
        .unwrap()
        .wait_active(START)
        .await
        .unwrap();

    let mut inputs = BTreeMap::new();
    inputs.insert("selection".to_string(), "a TODO b".to_string());
    let out = cat
        .run_node("ext:word-count", &inputs, &json!({}))
        .await
        .unwrap();
    assert_eq!(out.value["todos"], 1);
    assert!(matches!(
        cat.run_node("ext:nope/count", &inputs, &json!({})).await,
        Err(OperatorError::Unavailable(_))
    ));
    // What a workflow executor calls: text in, text out.
    let text = cat
        .run_node_text(
            "ext:word-count/count",
            &[("a".into(), "x TODO".into()), ("b".into(), "y".into())],
            None,
        )
        .await
        .unwrap();
    assert!(text.contains("\"words\": 3"), "{text}");
    let err = cat
        .run_node_text("ext:word-count/nothing", &[], None)
        .await
        .unwrap_err();
    assert!(err.contains("no capability"), "{err}");
    let inst = cat.instrument("cli-model").unwrap();
    let (tx, _rx) = mpsc::channel(8);
    let done = inst
        .call(ask("pool"), tx, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(done.text, "pool\n");

    // The answer was remembered: a new session's manager starts them without asking.
    let mut again = Manager::new(Host::new(config(ws.path())), manifests, settings).unwrap();
    let (cat, notices) = ExtensionCatalog::start_all(&mut again);
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(cat.node_kinds().len(), 2);
}

#[tokio::test]
async fn an_extension_instrument_in_the_pool_streams_a_commands_tokens() {
    use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
    use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
    use symphony_conductor::events::{ConductorEvent, RunOutcome};

    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let host = Host::new(config(ws.path()));
    let m = example("cli-model");
    let h = host.start(m.clone(), m.permissions.clone());
    h.wait_active(START).await.unwrap();
    let mut cat = ExtensionCatalog::new();
    cat.add(h);

    let mut cfg = ConductorConfig {
        store_dir: ws.path().join("artifacts"),
        ..Default::default()
    };
    let factory = cat.install(&mut cfg, default_factory());
    let (conductor, mut events) = Conductor::start_with(cfg, factory).unwrap();
    let pool = conductor.pool();
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].name, "cli-model");
    assert_eq!(pool[0].kind, "extension");

    let text = "fn answer() -> u32 { 42 }";
    let ctx = EditorContext {
        file_text: text.into(),
        selection: Some(SelectionContext {
            start: 0,
            end: text.len(),
            text: text.into(),
            first_line: 0,
        }),
        language: Some("Rust".into()),
        cwd: ws.path().to_path_buf(),
        ..Default::default()
    };
    let run = conductor.run(AiCommand::Explain, ctx);
    let mut streamed = String::new();
    let outcome = loop {
        let ev = tokio::time::timeout(START, events.recv())
            .await
            .expect("the run ends")
            .expect("events");
        match ev {
            ConductorEvent::Token { run: r, text, .. } if r == run => streamed.push_str(&text),
            ConductorEvent::RunFinished {
                run: r,
                outcome,
                answer,
            } if r == run => break (outcome, answer),
            _ => {}
        }
    };
    assert_eq!(outcome.0, RunOutcome::Succeeded, "{outcome:?}");
    // `cat` answers with the prompt, which quotes the selection.
    assert!(streamed.contains(text), "{streamed}");
}

#[tokio::test]
async fn an_operator_extension_is_a_node_kind_of_user_workflows() {
    use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
    use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
    use symphony_conductor::events::{ConductorEvent, RunOutcome};

    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let host = Host::new(config(ws.path()));
    let m = example("word-count");
    let h = host.start(m.clone(), m.permissions.clone());
    h.wait_active(START).await.unwrap();
    let mut cat = ExtensionCatalog::new();
    cat.add(h);

    let mut cfg: ConductorConfig = toml::from_str(
        r#"
[[workflows]]
name = "count-todos"
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
    )
    .unwrap();
    cfg.store_dir = ws.path().join("artifacts");
    let factory = cat.install(&mut cfg, default_factory());
    let (conductor, mut events) = Conductor::start_with(cfg, factory).unwrap();
    let text = "a TODO and\nanother TODO";
    let ctx = EditorContext {
        file_text: text.into(),
        selection: Some(SelectionContext {
            start: 0,
            end: text.len(),
            text: text.into(),
            first_line: 0,
        }),
        cwd: ws.path().to_path_buf(),
        ..Default::default()
    };
    let run = conductor.run(
        AiCommand::Workflow {
            name: "count-todos".into(),
            instruction: None,
        },
        ctx,
    );
    let (outcome, answer) = loop {
        let ev = tokio::time::timeout(START, events.recv())
            .await
            .expect("the run ends")
            .expect("events");
        if let ConductorEvent::RunFinished {
            run: r,
            outcome,
            answer,
        } = ev
            && r == run
        {
            break (outcome, answer);
        }
    };
    assert_eq!(outcome, RunOutcome::Succeeded);
    let answer = answer.unwrap_or_default();
    assert!(answer.contains("\"todos\": 2"), "{answer}");
    assert!(answer.contains("\"words\": 5"), "{answer}");
}

#[test]
fn an_extension_node_without_an_operator_is_a_configuration_error() {
    use symphony_conductor::conductor::{Conductor, ConductorConfig};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ws = tempfile::tempdir().unwrap();
    let mut cfg: ConductorConfig = toml::from_str(
        "[[workflows]]\nname = \"w\"\n[[workflows.nodes]]\nid = \"n\"\nkind = \"extension\"\n",
    )
    .unwrap();
    cfg.store_dir = ws.path().to_path_buf();
    let err = rt
        .block_on(async { Conductor::start(cfg).map(|_| ()) })
        .unwrap_err();
    assert!(err.to_string().contains("ext:<id>/<method>"), "{err}");
}
