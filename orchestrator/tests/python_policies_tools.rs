//! Python policies and tools with the REAL embedded interpreter. Two 127.0.0.1 servers
//! speaking OpenAI's SSE STAND IN FOR TWO MODELS (conductor_support::sse): a policy routes
//! model calls (of a Python workflow and of a TOML workflow) to the second instrument, a
//! fallback policy moves a failed call to it, and a `@symphony.tool` function shows its
//! schema and is called with JSON. Policies are process-wide, so they live in this
//! test binary only.
#![cfg(feature = "python")]

mod conductor_support;

use std::time::Duration;

use conductor_support::sse::{Reply, SseServer, serve};
use conductor_support::*;
use symphony_conductor::command::{AiCommand, EditorContext};
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::RunOutcome;
use symphony_conductor::python::PythonConductor;

const POLICIES: &str = r#"
import symphony

@symphony.policy("instrument")
def route(node, prompt, instruments, default):
    if "hard" in prompt and "second" in instruments:
        return "second"
    return None

@symphony.policy("fallback")
def fallback(node, instrument, error, attempt, instruments):
    return "second" if instrument == "broken" else None

@symphony.policy("score")
def score(candidates):
    return [len(c) for c in candidates]

@symphony.workflow(name="py-routed")
async def routed(ctx):
    return await ctx.model("a hard question")

@symphony.workflow(name="py-fallback")
async def fell(ctx):
    return await ctx.model("easy", instrument="broken")
"#;

fn instrument(name: &str, server: &SseServer) -> String {
    format!(
        "[[instruments]]\nname = \"{name}\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\nmax_retries = 0\n",
        server.base_url()
    )
}

async fn start(first: &SseServer, second: &SseServer, broken: &SseServer) -> Harness {
    let toml_text = format!(
        "default_instrument = \"local\"\n{}{}{}\n[[workflows]]\nname = \"toml-routed\"\nanswer = \"m\"\n[[workflows.nodes]]\nid = \"p\"\nkind = \"prompt\"\ntemplate = \"a hard one\"\n[[workflows.nodes]]\nid = \"m\"\nkind = \"model\"\ndepends_on = [\"p\"]\n\n[[workflows]]\nname = \"toml-scored\"\nanswer = \"pick\"\n[[workflows.nodes]]\nid = \"p\"\nkind = \"prompt\"\ntemplate = \"easy\"\n[[workflows.nodes]]\nid = \"a\"\nkind = \"model\"\ninstrument = \"local\"\ndepends_on = [\"p\"]\n[[workflows.nodes]]\nid = \"b\"\nkind = \"model\"\ninstrument = \"second\"\ndepends_on = [\"p\"]\n[[workflows.nodes]]\nid = \"pick\"\nkind = \"pick\"\ndepends_on = [\"a\", \"b\"]\n",
        instrument("local", first),
        instrument("second", second),
        instrument("broken", broken)
    );
    let mut config: ConductorConfig = toml::from_str(&toml_text).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    let flows = dir.path().join("workflows");
    std::fs::create_dir_all(&flows).expect("dir");
    std::fs::write(flows.join("policies.py"), POLICIES).expect("write");
    config.store_dir = dir.path().join("artifacts");
    config.python_dirs = vec![flows];
    let (conductor, events) = Conductor::start_with(config, default_factory()).expect("start");
    let h = Harness {
        conductor,
        events,
        dir,
    };
    for _ in 0..200 {
        if h.conductor
            .workflows()
            .iter()
            .any(|(n, _)| n == "py-routed")
        {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("policies.py never loaded");
}

fn workflow(name: &str) -> AiCommand {
    AiCommand::Workflow {
        name: name.into(),
        instruction: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_policy_routes_model_calls_to_a_second_instrument() {
    let first = serve(vec![Reply::Stream(vec!["from first".into()])]).await;
    let second = serve(vec![Reply::Stream(vec!["from second".into()])]).await;
    let broken = serve(vec![Reply::Status(500, "down".into())]).await;
    let mut h = start(&first, &second, &broken).await;
    let ctx = EditorContext::default();
    let run = h.conductor.run(workflow("py-routed"), ctx.clone());
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("from second".into()))
    );
    // The same policy chooses for the model nodes of TOML workflows.
    let run = h.conductor.run(workflow("toml-routed"), ctx);
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("from second".into()))
    );
    assert_eq!(first.requests.lock().len(), 0);
    assert_eq!(second.requests.lock().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_fallback_policy_moves_a_failed_call_to_another_instrument() {
    let first = serve(vec![Reply::Stream(vec!["from first".into()])]).await;
    let second = serve(vec![Reply::Stream(vec!["rescued".into()])]).await;
    let broken = serve(vec![Reply::Status(500, "down".into())]).await;
    let mut h = start(&first, &second, &broken).await;
    let run = h
        .conductor
        .run(workflow("py-fallback"), EditorContext::default());
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("rescued".into()))
    );
    assert_eq!(broken.requests.lock().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_score_policy_picks_the_best_fan_out_candidate_without_asking() {
    let first = serve(vec![Reply::Stream(vec!["short".into()])]).await;
    let second = serve(vec![Reply::Stream(vec!["a much longer answer".into()])]).await;
    let broken = serve(vec![Reply::Status(500, "down".into())]).await;
    let mut h = start(&first, &second, &broken).await;
    let run = h
        .conductor
        .run(workflow("toml-scored"), EditorContext::default());
    let events = h.until_finished(run).await;
    assert_eq!(
        finished(&events),
        (RunOutcome::Succeeded, Some("a much longer answer".into()))
    );
    assert!(
        !events.iter().any(|e| matches!(
            e,
            symphony_conductor::events::ConductorEvent::Candidates { .. }
        )),
        "the user was asked although a score policy decides"
    );
}

const TOOLS: &str = r#"
import symphony

@symphony.tool
def count_words(text: str, minimum: int = 1, words: list[str] | None = None) -> dict:
    """Counts the words of a text.

    Args:
        text: the text to count in
        minimum: shortest word counted
    """
    found = [w for w in text.split() if len(w) >= minimum]
    return {"count": len(found)}

@symphony.tool(name="explode")
def boom(x: int) -> int:
    """Always fails."""
    raise RuntimeError("tool went bang")
"#;

#[test]
fn python_tool_signature_and_docstring_become_its_schema_and_it_is_called_with_json() {
    let py = PythonConductor::start().expect("interpreter");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tools.py");
    std::fs::write(&path, TOOLS).expect("write");
    py.load(&path).expect("loads");
    let tools = py.tools();
    let count = tools
        .iter()
        .find(|t| t.name == "count_words")
        .expect("count_words");
    assert_eq!(count.description, "Counts the words of a text.");
    assert_eq!(
        count.schema,
        serde_json::json!({
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "the text to count in"},
                "minimum": {"type": "integer", "description": "shortest word counted"},
                "words": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["text"],
        })
    );
    let out = count
        .call(&serde_json::json!({"text": "a bb ccc", "minimum": 2}))
        .expect("call");
    assert_eq!(out, serde_json::json!({"count": 2}));
    let boom = tools.iter().find(|t| t.name == "explode").expect("explode");
    let err = boom.call(&serde_json::json!({"x": 1})).expect_err("raises");
    assert!(
        err.to_string().contains("RuntimeError: tool went bang"),
        "{err}"
    );
    // Wrong arguments are an error too, not a crash.
    let err = count
        .call(&serde_json::json!({"nope": 1}))
        .expect_err("bad args");
    assert!(err.to_string().contains("TypeError"), "{err}");
}
