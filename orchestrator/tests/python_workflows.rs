//! Python workflows with the REAL embedded interpreter and the REAL openai instrument
//! against a 127.0.0.1 server that STANDS IN FOR A MODEL (conductor_support::sse): two
//! model calls fanned out with asyncio.gather and a proposed edit; an exception, a
//! syntax error and a wrong return type failing only their run with the traceback; an
//! infinite loop stopped by cancel; a changed file picked up without a restart.
#![cfg(feature = "python")]

mod conductor_support;

use std::path::Path;
use std::time::Duration;

use conductor_support::sse::{Reply, SseServer, serve};
use conductor_support::*;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunOutcome};

fn start(server: &SseServer, files: &[(&str, &str)]) -> Harness {
    let toml_text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"stand-in\"\nmax_retries = 0\nmax_concurrency = 2\n",
        server.base_url()
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    let flows = dir.path().join("config").join("workflows");
    std::fs::create_dir_all(&flows).expect("workflows dir");
    for (name, text) in files {
        std::fs::write(flows.join(name), text).expect("write workflow");
    }
    config.store_dir = dir.path().join("artifacts");
    config.python_dirs = vec![flows];
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    Harness {
        conductor,
        events,
        dir,
    }
}

fn flows(h: &Harness) -> std::path::PathBuf {
    h.dir.path().join("config").join("workflows")
}

fn ctx(dir: &Path) -> EditorContext {
    let file = "def f():\n    return 1\n";
    let start = file.find("    return").expect("return");
    EditorContext {
        language: Some("Python".into()),
        path: Some(dir.join("f.py")),
        revision: Some(3),
        file_text: file.into(),
        selection: Some(SelectionContext {
            start,
            end: file.len(),
            text: file[start..].into(),
            first_line: 1,
        }),
        cwd: dir.to_path_buf(),
        ..Default::default()
    }
}

fn workflow(name: &str) -> AiCommand {
    AiCommand::Workflow {
        name: name.into(),
        instruction: None,
    }
}

/// Polls until the palette lists `name` (the loader runs off the caller's thread).
async fn until_listed(h: &Harness, name: &str, desc: Option<&str>) {
    for _ in 0..200 {
        if h.conductor
            .workflows()
            .iter()
            .any(|(n, d)| n == name && d.as_deref() == desc)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "workflow {name} ({desc:?}) never listed: {:?}",
        h.conductor.workflows()
    );
}

const TWO_MODELS: &str = r#"
import asyncio
import symphony

@symphony.workflow(name="py-two-models", description="Two opinions, one edit")
async def two(ctx):
    a, b = await asyncio.gather(
        ctx.model("first opinion on " + ctx.language),
        ctx.model("second opinion:\n" + ctx.selection),
    )
    ctx.artifact("note", a + "|" + b, ["py-test"])
    ctx.propose_edit(ctx.file_path, ctx.file.replace("return 1", "return " + a.strip()))
    return a + " / " + b
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_workflow_fans_out_two_model_calls_and_proposes_an_edit() {
    let server = serve(vec![
        Reply::Stream(vec!["4".into(), "2".into()]),
        Reply::Stream(vec!["fine".into()]),
    ])
    .await;
    let mut h = start(&server, &[("two.py", TWO_MODELS)]);
    until_listed(&h, "py-two-models", Some("Two opinions, one edit")).await;
    let run = h
        .conductor
        .run(workflow("py-two-models"), ctx(h.dir.path()));
    let events = h.until_finished(run).await;
    let (outcome, answer) = finished(&events);
    assert_eq!(outcome, RunOutcome::Succeeded, "{events:#?}");
    let answer = answer.expect("an answer");
    assert!(answer == "42 / fine" || answer == "fine / 42", "{answer}");
    let added: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            ConductorEvent::NodeAdded { node, .. } => Some((node.id.clone(), node.kind.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        vec![
            ("model-1".into(), "model".into()),
            ("model-2".into(), "model".into()),
            ("artifact-3".into(), "artifact".into()),
            ("edit-4".into(), "edit".into()),
        ]
    );
    for node in ["model-1", "model-2", "edit-4"] {
        assert!(
            events.iter().any(|e| matches!(e,
                ConductorEvent::Node { node: n, status: NodeStatus::Done, .. } if n == node)),
            "{node} not Done"
        );
    }
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .expect("a proposal");
    assert_eq!(proposal.hunks.len(), 1);
    assert_eq!(server.requests.lock().len(), 2);
    // Each model call streamed into the AI pane under its own node.
    assert!(!tokens(&events, "model-1").is_empty());
    assert!(!h.conductor.search_artifacts("tag:py-test", 5).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_exception_fails_only_its_run_with_the_traceback() {
    let server = serve(vec![Reply::Stream(vec!["ok".into()])]).await;
    let bad = "import symphony\n\n@symphony.workflow(name='py-raises')\nasync def f(ctx):\n    raise ValueError('no good ' + ctx.language)\n";
    let good = "import symphony\n\n@symphony.workflow(name='py-fine')\nasync def f(ctx):\n    return await ctx.model('hi')\n";
    let mut h = start(&server, &[("bad.py", bad), ("good.py", good)]);
    until_listed(&h, "py-fine", None).await;
    until_listed(&h, "py-raises", None).await;
    let run = h.conductor.run(workflow("py-raises"), ctx(h.dir.path()));
    let events = h.until_finished(run).await;
    let (outcome, _) = finished(&events);
    let RunOutcome::Failed(why) = outcome else {
        panic!("not failed: {outcome:?}")
    };
    assert!(why.contains("Traceback"), "{why}");
    assert!(why.contains("ValueError: no good Python"), "{why}");
    assert!(why.contains("bad.py\", line 5"), "{why}");
    let run = h.conductor.run(workflow("py-fine"), ctx(h.dir.path()));
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("ok".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_wrong_return_type_fails_the_run_naming_the_type() {
    let server = serve(vec![Reply::Stream(vec!["ok".into()])]).await;
    let src =
        "import symphony\n\n@symphony.workflow(name='py-int')\nasync def f(ctx):\n    return 42\n";
    let mut h = start(&server, &[("int.py", src)]);
    until_listed(&h, "py-int", None).await;
    let run = h.conductor.run(workflow("py-int"), ctx(h.dir.path()));
    let events = h.until_finished(run).await;
    let (outcome, _) = finished(&events);
    let RunOutcome::Failed(why) = outcome else {
        panic!("not failed: {outcome:?}")
    };
    assert!(why.contains("must return a str or None, not int"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_syntax_error_is_a_notice_and_the_good_files_still_load() {
    let server = serve(vec![Reply::Stream(vec!["ok".into()])]).await;
    let broken = "import symphony\n\n@symphony.workflow(name='py-broken')\nasync def f(ctx)\n    return 'x'\n";
    let good = "import symphony\n\n@symphony.workflow(name='py-after-broken')\nasync def f(ctx):\n    return 'y'\n";
    let mut h = start(&server, &[("broken.py", broken), ("after.py", good)]);
    let events = h
        .until(|e| matches!(e, ConductorEvent::Notice(n) if n.contains("broken.py")))
        .await;
    let Some(ConductorEvent::Notice(notice)) = events.last() else {
        panic!("no notice")
    };
    assert!(notice.contains("SyntaxError"), "{notice}");
    assert!(notice.contains("line 4"), "{notice}");
    until_listed(&h, "py-after-broken", None).await;
    assert!(
        !h.conductor
            .workflows()
            .iter()
            .any(|(n, _)| n == "py-broken")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_infinite_loop_is_interrupted_by_cancel() {
    let server = serve(vec![Reply::Stream(vec!["ok".into()])]).await;
    let spin = "import symphony\n\n@symphony.workflow(name='py-spin')\nasync def f(ctx):\n    n = 0\n    while True:\n        n += 1\n";
    let good = "import symphony\n\n@symphony.workflow(name='py-after-spin')\nasync def f(ctx):\n    return await ctx.model('hi')\n";
    let mut h = start(&server, &[("spin.py", spin), ("after.py", good)]);
    until_listed(&h, "py-spin", None).await;
    until_listed(&h, "py-after-spin", None).await;
    let run = h.conductor.run(workflow("py-spin"), ctx(h.dir.path()));
    h.until(|e| {
        matches!(e, ConductorEvent::Node { run: r, node, status: NodeStatus::Running { .. } }
            if *r == run && node == "python")
    })
    .await;
    h.conductor.cancel(run);
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events).0, RunOutcome::Cancelled);
    // The loop thread is free again: another workflow runs to its end.
    let next = h
        .conductor
        .run(workflow("py-after-spin"), ctx(h.dir.path()));
    let events = h.until_finished(next).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("ok".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_file_changed_on_disk_is_picked_up_without_restart() {
    let server = serve(vec![Reply::Stream(vec!["ok".into()])]).await;
    let v1 = "import symphony\n\n@symphony.workflow(name='py-edited', description='one')\nasync def f(ctx):\n    return 'v1'\n";
    let mut h = start(&server, &[("edited.py", v1)]);
    until_listed(&h, "py-edited", Some("one")).await;
    let run = h.conductor.run(workflow("py-edited"), ctx(h.dir.path()));
    assert_eq!(
        finished(&h.until_finished(run).await).1.as_deref(),
        Some("v1")
    );
    // A different size and a later time: the loader sees the change.
    std::thread::sleep(Duration::from_millis(20));
    let v2 = v1.replace("'one'", "'two, longer'").replace("'v1'", "'v2'");
    std::fs::write(flows(&h).join("edited.py"), v2).expect("rewrite");
    until_listed(&h, "py-edited", Some("two, longer")).await;
    let run = h.conductor.run(workflow("py-edited"), ctx(h.dir.path()));
    assert_eq!(
        finished(&h.until_finished(run).await).1.as_deref(),
        Some("v2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_python_files_load_only_once_the_workspace_is_trusted() {
    use symphony_extensions::trust::{Decision, TrustStore};
    let server = serve(vec![Reply::Stream(vec!["ok".into()])]).await;
    let workspace = tempfile::tempdir().expect("workspace");
    let flows = workspace.path().join(".symphony").join("workflows");
    std::fs::create_dir_all(&flows).expect("dir");
    let src = "import symphony\n\n@symphony.workflow(name='py-from-workspace')\nasync def f(ctx):\n    return 'ws'\n";
    std::fs::write(flows.join("ws.py"), src).expect("write");
    let mut h = start(&server, &[]);
    let trust_file = h.dir.path().join("trust.toml");
    // A Conductor for the workspace (the harness's own has none), with its own trust file.
    let toml_text = format!(
        "[[instruments]]\nname = \"local\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\n",
        server.base_url()
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    config.store_dir = h.dir.path().join("artifacts-ws");
    config.python_workspace = Some(workspace.path().to_path_buf());
    config.python_trust_file = Some(trust_file.clone());
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    h.conductor = conductor;
    h.events = events;
    // Untrusted: a few scans go by and the workflow is not there.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        !h.conductor
            .workflows()
            .iter()
            .any(|(n, _)| n == "py-from-workspace"),
        "an untrusted workspace's Python was loaded"
    );
    let mut store = TrustStore::load(&trust_file).expect("trust file");
    store
        .decide(workspace.path(), Decision::Trusted)
        .expect("trust");
    until_listed(&h, "py-from-workspace", None).await;
    let run = h
        .conductor
        .run(workflow("py-from-workspace"), ctx(h.dir.path()));
    assert_eq!(
        finished(&h.until_finished(run).await).1.as_deref(),
        Some("ws")
    );
}
