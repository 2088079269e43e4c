//! The built-in AI commands end to end through the Conductor, with a scripted instrument
//! standing in for a model (see conductor_support): explain streams tokens in order and
//! answers, refactor proposes hunks that turn the base text into the expected text,
//! artifacts are searchable by run tag, chat continues a stored conversation, commit
//! messages read `git diff --staged`, API keys never reach artifacts.

mod conductor_support;

use conductor_support::*;
use symphony_conductor::command::{AiCommand, EditorContext, SelectionContext};
use symphony_conductor::conductor::ConductorConfig;
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunOutcome};
use symphony_conductor::instrument::Role;
use symphony_conductor::proposal::Proposal;

fn rust_file() -> (String, SelectionContext) {
    let file = "use std::io;\n\nfn add(a: i32, b: i32) -> i32 {\n    a+b\n}\n\nfn main() {}\n";
    let start = file.find("fn add").expect("fn add");
    let end = file.find("\n\nfn main").expect("main") + 1;
    let sel = SelectionContext {
        start,
        end,
        text: file[start..end].to_string(),
        first_line: 2,
    };
    (file.to_string(), sel)
}

fn ctx_with_selection() -> EditorContext {
    let (file, sel) = rust_file();
    EditorContext {
        path: Some("src/lib.rs".into()),
        buffer: Some("buf-1".into()),
        language: Some("Rust".into()),
        revision: Some(7),
        file_text: file,
        selection: Some(sel),
        diagnostics: Vec::new(),
        cwd: std::env::temp_dir(),
    }
}

fn apply(base: &str, p: &Proposal) -> String {
    let mut out = base.to_string();
    for h in p.hunks.iter().rev() {
        assert_eq!(
            &base[h.start..h.end],
            h.old_text,
            "hunk old_text matches the base"
        );
        out.replace_range(h.start..h.end, &h.new_text);
    }
    out
}

#[tokio::test]
async fn explain_streams_tokens_in_order_and_finishes_with_the_answer() {
    let script = ["`add` ", "returns ", "the ", "sum ", "of ", "a ", "and b."];
    let model = Scripted::tokens("local", &script);
    let mut h = Harness::with(model.clone());
    let run = h.conductor.run(AiCommand::Explain, ctx_with_selection());
    let events = h.until_finished(run).await;

    let started = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::RunStarted { run: r, nodes, .. } if *r == run => Some(nodes.clone()),
            _ => None,
        })
        .expect("RunStarted");
    let ids: Vec<&str> = started.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["context", "prompt", "model"]);
    assert_eq!(started[2].instrument.as_deref(), Some("local"));

    assert_eq!(tokens(&events, "model"), script);
    let (outcome, answer) = finished(&events);
    assert_eq!(outcome, RunOutcome::Succeeded);
    assert_eq!(answer.as_deref(), Some(script.concat().as_str()));

    // The model node ran, then finished, around its tokens.
    let pos = |pred: &dyn Fn(&ConductorEvent) -> bool| events.iter().position(pred);
    let running = pos(&|e| {
        matches!(e, ConductorEvent::Node { node, status: NodeStatus::Running { .. }, .. } if node == "model")
    })
    .expect("model Running");
    let first_token = pos(&|e| matches!(e, ConductorEvent::Token { .. })).expect("a token");
    let done = pos(&|e| {
        matches!(e, ConductorEvent::Node { node, status: NodeStatus::Done, .. } if node == "model")
    })
    .expect("model Done");
    assert!(running < first_token && first_token < done, "{events:#?}");

    // The prompt carried the selection and the language.
    let req = model.requests.lock()[0].clone();
    let user = &req.messages.last().expect("a message").content;
    assert!(
        user.contains("fn add(a: i32, b: i32)") && user.contains("Rust"),
        "{user}"
    );
    assert_eq!(req.messages[0].role, Role::System);

    // The pool entry is Hot with one sample and a free slot.
    let pool = h.conductor.pool();
    assert_eq!(pool[0].state, "Hot");
    assert_eq!(pool[0].slots_used, 0);
    assert!(pool[0].p50_latency.is_some());
    assert_eq!(
        h.conductor.node_output(run, "model").as_deref(),
        answer.as_deref()
    );
}

#[tokio::test]
async fn refactor_proposes_hunks_that_turn_the_base_into_the_expected_text() {
    let reply = [
        "Here it is:\n```rust\nfn add(a: i32, ",
        "b: i32) -> i32 {\n    a + b\n}\n```\n",
        "Formatted the sum.",
    ];
    let mut h = Harness::with(Scripted::tokens("local", &reply));
    let ctx = ctx_with_selection();
    let base = ctx.file_text.clone();
    let run = h.conductor.run(
        AiCommand::Refactor {
            instruction: "format the sum".into(),
        },
        ctx,
    );
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events).0, RunOutcome::Succeeded, "{events:#?}");
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { run: r, proposal } if *r == run => Some(proposal.clone()),
            _ => None,
        })
        .expect("a proposal");
    assert_eq!(proposal.base_revision, Some(7));
    assert_eq!(proposal.buffer.as_deref(), Some("buf-1"));
    assert_eq!(proposal.hunks.len(), 1, "{proposal:#?}");
    assert_eq!(proposal.hunks[0].old_text, "    a+b\n");
    assert_eq!(
        apply(&base, &proposal),
        "use std::io;\n\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\nfn main() {}\n"
    );
    assert_eq!(
        h.conductor.node_output(run, "extract").as_deref(),
        Some("fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n")
    );
    let diff = h.conductor.node_output(run, "diff").expect("diff output");
    assert!(
        diff.contains("-    a+b") && diff.contains("+    a + b"),
        "{diff}"
    );
}

#[tokio::test]
async fn artifacts_are_searchable_by_run_tag_and_kind() {
    let mut h = Harness::with(Scripted::tokens("local", &["```\nfn add() {}\n```"]));
    let run = h.conductor.run(
        AiCommand::Refactor {
            instruction: "rename".into(),
        },
        ctx_with_selection(),
    );
    let events = h.until_finished(run).await;
    let announced: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            ConductorEvent::Artifact { hit, .. } => Some(hit.kind.clone()),
            _ => None,
        })
        .collect();
    for kind in ["prompt", "response", "diff"] {
        assert!(
            announced.iter().any(|k| k == kind),
            "{kind} in {announced:?}"
        );
    }
    let hits = h
        .conductor
        .search_artifacts(&format!("tag:run:{}", run.0), 20);
    let mut kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["diff", "prompt", "response"]);
    assert!(hits.iter().all(|h| h.run == Some(run)));
    let diffs = h
        .conductor
        .search_artifacts(&format!("kind:diff tag:run:{}", run.0), 20);
    assert_eq!(diffs.len(), 1);
    let text = h.conductor.artifact_text(&diffs[0].id).expect("diff text");
    assert!(text.contains("+fn add() {}"), "{text}");
    // Words search content too.
    let by_word = h.conductor.search_artifacts("rename", 20);
    assert!(by_word.iter().any(|x| x.kind == "prompt"), "{by_word:?}");
    h.conductor.pin_artifact(&diffs[0].id, true);
    h.conductor.tag_artifact(&diffs[0].id, "keep");
    let kept = h.conductor.search_artifacts("tag:keep", 5);
    assert_eq!(kept.len(), 1);
    assert!(kept[0].pinned);
}

/// The client's reads of the store: `fetch_artifacts` and `fetch_artifact_text` return at
/// once and their answers arrive as events carrying the caller's request number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_searches_and_texts_arrive_as_events_with_their_request_number() {
    let mut h = Harness::with(Scripted::tokens("local", &["```\nfn add() {}\n```"]));
    let run = h.conductor.run(
        AiCommand::Refactor {
            instruction: "rename".into(),
        },
        ctx_with_selection(),
    );
    h.until_finished(run).await;
    h.conductor
        .fetch_artifacts(&format!("kind:diff tag:run:{}", run.0), 20, 7);
    let events = h
        .until(|e| matches!(e, ConductorEvent::ArtifactHits { .. }))
        .await;
    let Some(ConductorEvent::ArtifactHits { request, hits }) = events.last() else {
        panic!("an ArtifactHits event: {events:?}");
    };
    assert_eq!(*request, 7);
    assert_eq!(hits.len(), 1, "{hits:?}");
    h.conductor.fetch_artifact_text(&hits[0].id, 8);
    h.conductor.fetch_artifact_text("no-such-artifact", 9);
    let mut texts = Vec::new();
    while texts.len() < 2 {
        let events = h
            .until(|e| matches!(e, ConductorEvent::ArtifactText { .. }))
            .await;
        if let Some(ConductorEvent::ArtifactText { request, text, .. }) = events.last() {
            texts.push((*request, text.clone()));
        }
    }
    texts.sort_by_key(|t| t.0);
    assert_eq!(texts[0].0, 8);
    assert!(
        texts[0]
            .1
            .as_deref()
            .is_some_and(|t| t.contains("+fn add() {}")),
        "{texts:?}"
    );
    assert_eq!(texts[1], (9, None));
}

#[tokio::test]
async fn chat_keeps_conversations_and_continues_one_by_id() {
    let model = Scripted::new(
        "local",
        vec![
            Behaviour::Tokens(vec!["It adds ".into(), "two numbers.".into()]),
            Behaviour::Tokens(vec!["Use checked_add.".into()]),
        ],
    );
    let mut h = Harness::with(model.clone());
    let run = h.conductor.run(
        AiCommand::Chat {
            message: "what does add do?".into(),
            conversation: None,
        },
        ctx_with_selection(),
    );
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("It adds two numbers.".into()))
    );
    let convs = h.conductor.conversations();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0].kind, "conversation");
    assert_eq!(convs[0].title, "what does add do?");
    let cid = convs[0]
        .tags
        .iter()
        .find_map(|t| t.strip_prefix("conversation:"))
        .expect("conversation tag")
        .to_string();

    let run2 = h.conductor.run(
        AiCommand::Chat {
            message: "and on overflow?".into(),
            conversation: Some(cid.clone()),
        },
        ctx_with_selection(),
    );
    let events = h.until_finished(run2).await;
    assert_eq!(finished(&events).0, RunOutcome::Succeeded);
    let req = model.requests.lock()[1].clone();
    let contents: Vec<(Role, &str)> = req
        .messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    // System (with the file), the earlier exchange, then the new message.
    assert_eq!(contents[0].0, Role::System);
    assert!(contents[0].1.contains("fn main() {}"));
    assert_eq!(
        &contents[1..],
        &[
            (Role::User, "what does add do?"),
            (Role::Assistant, "It adds two numbers."),
            (Role::User, "and on overflow?"),
        ]
    );
    let convs = h.conductor.conversations();
    assert_eq!(
        convs.len(),
        1,
        "one conversation, latest version: {convs:?}"
    );
    let text = h.conductor.artifact_text(&convs[0].id).expect("text");
    assert!(
        text.contains("Use checked_add.") && text.contains("It adds"),
        "{text}"
    );
}

#[tokio::test]
async fn commit_message_reads_the_staged_diff() {
    let repo = tempfile::tempdir().expect("tempdir");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .output()
    };
    if git(&["init", "-q"])
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!("skipped: git is not available");
        return;
    }
    std::fs::write(repo.path().join("notes.txt"), "remember the milk\n").expect("write");
    git(&["add", "notes.txt"]).expect("git add");
    let model = Scripted::tokens("local", &["Add notes\n\nA reminder."]);
    let mut h = Harness::with(model.clone());
    let ctx = EditorContext {
        cwd: repo.path().to_path_buf(),
        ..Default::default()
    };
    let run = h.conductor.run(AiCommand::CommitMessage, ctx);
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (
            RunOutcome::Succeeded,
            Some("Add notes\n\nA reminder.".into())
        )
    );
    let req = model.requests.lock()[0].clone();
    let user = &req.messages.last().expect("message").content;
    assert!(user.contains("+remember the milk"), "{user}");

    // Nothing staged: the context node fails with a clear reason.
    git(&[
        "commit",
        "-q",
        "-m",
        "x",
        "--no-gpg-sign",
        "--author",
        "t <t@t>",
    ])
    .ok();
    let run = h.conductor.run(
        AiCommand::CommitMessage,
        EditorContext {
            cwd: repo.path().to_path_buf(),
            ..Default::default()
        },
    );
    let events = h.until_finished(run).await;
    if let (RunOutcome::Failed(why), _) = finished(&events) {
        assert!(why.contains("context"), "{why}");
    }
}

#[tokio::test]
async fn api_keys_never_reach_artifacts() {
    let var = "SYMPHONY_TEST_SECRET_KEY_H2";
    let key = "sk-test-0123456789abcdef";
    // SAFETY: a variable only this test reads, set before the Conductor starts.
    unsafe { std::env::set_var(var, key) };
    let model = Scripted::tokens("local", &["the key is ", key]);
    let mut cfg = instrument_config("local", 1);
    cfg.api_key_env = Some(var.into());
    let config = ConductorConfig {
        instruments: vec![cfg],
        ..Default::default()
    };
    let mut h = Harness::start(config, vec![model]);
    let mut ctx = ctx_with_selection();
    ctx.file_text.push_str(&format!("// {key}\n"));
    let run = h.conductor.run(AiCommand::Explain, ctx);
    h.until_finished(run).await;
    let hits = h
        .conductor
        .search_artifacts(&format!("tag:run:{}", run.0), 20);
    assert!(hits.len() >= 2);
    for hit in hits {
        let text = h.conductor.artifact_text(&hit.id).expect("text");
        assert!(!text.contains(key), "{} holds the key", hit.kind);
    }
}

#[tokio::test]
async fn no_instrument_configured_explains_how_to_configure_one() {
    let mut h = Harness::start(ConductorConfig::default(), vec![]);
    let notice = h
        .until(|e| matches!(e, ConductorEvent::Notice(_)))
        .await
        .pop();
    let Some(ConductorEvent::Notice(text)) = notice else {
        panic!("a notice")
    };
    assert!(text.contains("[[instruments]]"), "{text}");
    let run = h.conductor.run(AiCommand::Explain, ctx_with_selection());
    let events = h.until_finished(run).await;
    match finished(&events).0 {
        RunOutcome::Failed(why) => assert!(why.contains("No AI instrument"), "{why}"),
        other => panic!("{other:?}"),
    }
}
