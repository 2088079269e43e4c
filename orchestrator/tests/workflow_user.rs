//! User workflows run by the Conductor, with scripted instruments standing in for models
//! (see conductor_support): fan-out to two instruments and a pick by command, a pick by
//! the user's choice, a shell node, and an apply_diff node.

mod conductor_support;

use conductor_support::*;
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::ConductorConfig;
use symphony_conductor::events::{ConductorEvent, NodeStatus, RunOutcome};

fn config(workflow: &str, instruments: &[&str]) -> ConductorConfig {
    let mut text = String::new();
    for i in instruments {
        text.push_str(&format!(
            "[[instruments]]\nname = \"{i}\"\nkind = \"command\"\ncommand = [\"true\"]\n"
        ));
    }
    text.push_str(workflow);
    toml::from_str(&text).expect("valid config")
}

fn run_cmd(name: &str, instruction: Option<&str>) -> AiCommand {
    AiCommand::Workflow {
        name: name.into(),
        instruction: instruction.map(str::to_owned),
    }
}

fn has_sh() -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success())
}

const FAN_OUT: &str = r#"
[[workflows]]
name = "best-of-two"
answer = "pick"

[[workflows.nodes]]
id = "ask"
kind = "prompt"
template = "Write a greeting: {{instruction}}"

[[workflows.nodes]]
id = "fast"
kind = "model"
instrument = "fast"
depends_on = ["ask"]

[[workflows.nodes]]
id = "careful"
kind = "model"
instrument = "careful"
depends_on = ["ask"]

[[workflows.nodes]]
id = "code"
kind = "extract"
depends_on = ["fast"]

[[workflows.nodes]]
id = "pick"
kind = "pick"
command = "grep -q hello \"$SYMPHONY_CANDIDATE\""
depends_on = ["code", "careful"]
"#;

#[tokio::test]
async fn fan_out_to_two_instruments_and_pick_the_first_that_passes_a_command() {
    if !has_sh() {
        eprintln!("skipped: no sh");
        return;
    }
    let fast = Scripted::tokens("fast", &["```\ngoodbye\n```"]);
    let careful = Scripted::tokens("careful", &["hello ", "world"]);
    let mut h = Harness::start(
        config(FAN_OUT, &["fast", "careful"]),
        vec![fast.clone(), careful.clone()],
    );
    let run = h.conductor.run(
        run_cmd("best-of-two", Some("be warm")),
        EditorContext::default(),
    );
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("hello world".into())),
        "{events:#?}"
    );
    // Both instruments were asked the same rendered prompt.
    for m in [&fast, &careful] {
        let req = m.requests.lock()[0].clone();
        assert_eq!(req.messages[0].content, "Write a greeting: be warm");
    }
    assert_eq!(tokens(&events, "fast"), ["```\ngoodbye\n```"]);
    assert_eq!(tokens(&events, "careful"), ["hello ", "world"]);
    let started = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::RunStarted { nodes, .. } => Some(nodes.clone()),
            _ => None,
        })
        .expect("RunStarted");
    assert_eq!(started.len(), 5);
    // The pick's log is an artifact of the run.
    let logs = h
        .conductor
        .search_artifacts(&format!("kind:log tag:run:{}", run.0), 5);
    assert_eq!(logs.len(), 1);
    let log = h.conductor.artifact_text(&logs[0].id).expect("log");
    assert!(
        log.contains("candidate 0 (code)") && log.contains("candidate 1 (careful)"),
        "{log}"
    );
}

#[tokio::test]
async fn a_pick_that_no_candidate_passes_fails_with_the_reason() {
    if !has_sh() {
        eprintln!("skipped: no sh");
        return;
    }
    let fast = Scripted::tokens("fast", &["nope"]);
    let careful = Scripted::tokens("careful", &["nah"]);
    let mut h = Harness::start(config(FAN_OUT, &["fast", "careful"]), vec![fast, careful]);
    let run = h
        .conductor
        .run(run_cmd("best-of-two", None), EditorContext::default());
    let events = h.until_finished(run).await;
    let status = events.iter().rev().find_map(|e| match e {
        ConductorEvent::Node { node, status, .. } if node == "pick" => Some(status.clone()),
        _ => None,
    });
    match status {
        Some(NodeStatus::Failed(why)) => assert!(why.contains("no candidate passed"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_pick_without_command_waits_for_the_users_choice() {
    let wf = r#"
[[workflows]]
name = "choose"
answer = "pick"
[[workflows.nodes]]
id = "ask"
kind = "prompt"
template = "name a colour"
[[workflows.nodes]]
id = "a"
kind = "model"
instrument = "one"
depends_on = ["ask"]
[[workflows.nodes]]
id = "b"
kind = "model"
instrument = "two"
depends_on = ["ask"]
[[workflows.nodes]]
id = "pick"
kind = "pick"
depends_on = ["a", "b"]
"#;
    let mut h = Harness::start(
        config(wf, &["one", "two"]),
        vec![
            Scripted::tokens("one", &["red"]),
            Scripted::tokens("two", &["blue"]),
        ],
    );
    let run = h
        .conductor
        .run(run_cmd("choose", None), EditorContext::default());
    let events = h
        .until(|e| matches!(e, ConductorEvent::Candidates { .. }))
        .await;
    let Some(ConductorEvent::Candidates {
        node, candidates, ..
    }) = events.last().cloned()
    else {
        panic!("candidates")
    };
    assert_eq!(node, "pick");
    assert_eq!(candidates, ["red", "blue"]);
    h.conductor.choose(run, "pick", 1);
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("blue".into()))
    );
}

#[tokio::test]
async fn shell_and_apply_diff_nodes_turn_a_model_diff_into_a_proposal() {
    if !has_sh() {
        eprintln!("skipped: no sh");
        return;
    }
    let wf = r#"
[[workflows]]
name = "patch"
[[workflows.nodes]]
id = "ask"
kind = "prompt"
template = "diff for {{path}}"
[[workflows.nodes]]
id = "model"
kind = "model"
depends_on = ["ask"]
[[workflows.nodes]]
id = "upper"
kind = "shell"
command = "sed 's/THREE/3/'"
depends_on = ["model"]
[[workflows.nodes]]
id = "apply"
kind = "apply_diff"
depends_on = ["upper"]
"#;
    let reply = "```diff\n--- a/f\n+++ b/f\n@@ -2,2 +2,2 @@\n two\n-three\n+THREE\n```\n";
    let mut h = Harness::start(
        config(wf, &["local"]),
        vec![Scripted::tokens("local", &[reply])],
    );
    let ctx = EditorContext {
        file_text: "one\ntwo\nthree\nfour\n".into(),
        path: Some("f".into()),
        revision: Some(3),
        ..Default::default()
    };
    let run = h.conductor.run(run_cmd("patch", None), ctx);
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events).0, RunOutcome::Succeeded, "{events:#?}");
    let proposal = events
        .iter()
        .find_map(|e| match e {
            ConductorEvent::Proposal { proposal, .. } => Some(proposal.clone()),
            _ => None,
        })
        .expect("proposal");
    assert_eq!(proposal.base_revision, Some(3));
    assert_eq!(proposal.hunks.len(), 1);
    assert_eq!(proposal.hunks[0].old_text, "three\n");
    assert_eq!(proposal.hunks[0].new_text, "3\n");
    let shell_out = h.conductor.node_output(run, "upper").expect("shell output");
    assert!(shell_out.contains("+3"), "{shell_out}");
}

#[tokio::test]
async fn an_unknown_workflow_fails_its_run_with_a_clear_reason() {
    let mut h = Harness::with(Scripted::tokens("local", &["x"]));
    let run = h
        .conductor
        .run(run_cmd("nope", None), EditorContext::default());
    let events = h.until_finished(run).await;
    match finished(&events).0 {
        RunOutcome::Failed(why) => assert!(why.contains("no workflow named \"nope\""), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn two_model_nodes_on_one_cold_instrument_both_run() {
    let wf = r#"
[[workflows]]
name = "twice"
[[workflows.nodes]]
id = "ask"
kind = "prompt"
template = "say something"
[[workflows.nodes]]
id = "a"
kind = "model"
depends_on = ["ask"]
[[workflows.nodes]]
id = "b"
kind = "model"
depends_on = ["ask"]
"#;
    let model = Scripted::tokens("local", &["same"]);
    let mut h = Harness::start(config(wf, &["local"]), vec![model.clone()]);
    let run = h
        .conductor
        .run(run_cmd("twice", None), EditorContext::default());
    let events = h.until_finished(run).await;
    assert_eq!(finished(&events).0, RunOutcome::Succeeded, "{events:#?}");
    assert_eq!(model.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(h.conductor.node_output(run, "a").as_deref(), Some("same"));
    assert_eq!(h.conductor.node_output(run, "b").as_deref(), Some("same"));
    assert_eq!(h.conductor.pool()[0].state, "Hot");
}
