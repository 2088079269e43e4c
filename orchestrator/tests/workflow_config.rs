//! `[[workflows]]` in config.toml: parsed from TOML, and every invalid workflow refused
//! with an error naming the workflow and the node.

mod conductor_support;

use conductor_support::*;
use symphony_conductor::conductor::{Conductor, ConductorConfig};

fn start_err(toml_text: &str) -> String {
    let mut config: ConductorConfig = match toml::from_str(toml_text) {
        Ok(c) => c,
        Err(e) => return format!("toml: {e}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    config.store_dir = dir.path().to_path_buf();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    match Conductor::start_with(config, factory(vec![Scripted::tokens("local", &[])])) {
        Ok(_) => "started".into(),
        Err(e) => e.to_string(),
    }
}

const INSTRUMENT: &str = r#"
[[instruments]]
name = "local"
kind = "command"
command = ["true"]
"#;

#[test]
fn a_valid_workflow_parses_and_starts() {
    let text = format!(
        r#"{INSTRUMENT}
[[workflows]]
name = "tidy"
description = "tidy the selection"
answer = "model"

[[workflows.nodes]]
id = "ctx"
kind = "context"

[[workflows.nodes]]
id = "ask"
kind = "prompt"
depends_on = ["ctx"]
template = "Tidy this {{{{language}}}}: {{{{selection}}}} ({{{{ctx}}}})"

[[workflows.nodes]]
id = "model"
kind = "model"
depends_on = ["ask"]
"#
    );
    assert_eq!(start_err(&text), "started");
}

#[test]
fn a_cycle_is_named() {
    let text = format!(
        r#"{INSTRUMENT}
[[workflows]]
name = "loop"
[[workflows.nodes]]
id = "a"
kind = "extract"
depends_on = ["c"]
[[workflows.nodes]]
id = "b"
kind = "extract"
depends_on = ["a"]
[[workflows.nodes]]
id = "c"
kind = "extract"
depends_on = ["b"]
"#
    );
    let err = start_err(&text);
    assert!(err.contains("workflow \"loop\""), "{err}");
    assert!(err.contains("a → b → c → a"), "{err}");
}

#[test]
fn bad_nodes_name_the_workflow_and_the_node() {
    let cases = [
        (
            "id = \"p\"\nkind = \"prompt\"",
            "node \"p\": a prompt node needs a `template`",
        ),
        (
            "id = \"m\"\nkind = \"model\"\ninstrument = \"gpt\"\ndepends_on = [\"first\"]",
            "node \"m\": unknown instrument `gpt` (configured: local)",
        ),
        (
            "id = \"s\"\nkind = \"shell\"",
            "node \"s\": a shell node needs a `command`",
        ),
        (
            "id = \"x\"\nkind = \"extract\"\ndepends_on = [\"nowhere\"]",
            "node \"x\": depends on `nowhere`, which is not a node",
        ),
        (
            "id = \"p\"\nkind = \"prompt\"\ntemplate = \"{{selektion}}\"",
            "node \"p\": the template uses {{selektion}}",
        ),
        (
            "id = \"first\"\nkind = \"context\"",
            "node \"first\": this id is used by two nodes",
        ),
    ];
    for (node, want) in cases {
        let text = format!(
            "{INSTRUMENT}\n[[workflows]]\nname = \"broken\"\n[[workflows.nodes]]\nid = \"first\"\nkind = \"context\"\n[[workflows.nodes]]\n{node}\n"
        );
        let err = start_err(&text);
        assert!(
            err.starts_with("configuration: workflow \"broken\""),
            "{err}"
        );
        assert!(err.contains(want), "want {want:?} in {err}");
    }
}

#[test]
fn unknown_fields_and_kinds_are_refused_by_the_parser() {
    let err = start_err(&format!(
        "{INSTRUMENT}\n[[workflows]]\nname = \"w\"\n[[workflows.nodes]]\nid = \"a\"\nkind = \"teleport\"\n"
    ));
    assert!(
        err.starts_with("toml:") && err.contains("teleport"),
        "{err}"
    );
    let err = start_err(&format!(
        "{INSTRUMENT}\n[[workflows]]\nname = \"w\"\n[[workflows.nodes]]\nid = \"a\"\nkind = \"context\"\ntemplat = \"x\"\n"
    ));
    assert!(err.contains("templat"), "{err}");
}

#[test]
fn a_model_node_without_any_instrument_is_refused() {
    let err = start_err(
        "[[workflows]]\nname = \"w\"\n[[workflows.nodes]]\nid = \"p\"\nkind = \"prompt\"\ntemplate = \"hi\"\n[[workflows.nodes]]\nid = \"m\"\nkind = \"model\"\ndepends_on = [\"p\"]\n",
    );
    assert!(err.contains("node \"m\": no instrument"), "{err}");
}

#[test]
fn the_documented_example_parses_and_validates() {
    // The example in `WorkflowConfig`'s documentation.
    let text = r#"
[[instruments]]
name = "local"
kind = "command"
command = ["true"]

[[instruments]]
name = "remote"
kind = "command"
command = ["true"]

[[workflows]]
name = "best-of-two"
description = "Ask two models, keep the first answer that compiles"
answer = "pick"

[[workflows.nodes]]
id = "ctx"
kind = "context"

[[workflows.nodes]]
id = "ask"
kind = "prompt"
depends_on = ["ctx"]
template = "Rewrite this {{language}} code: {{instruction}}\n{{selection}}"

[[workflows.nodes]]
id = "local"
kind = "model"
instrument = "local"
depends_on = ["ask"]

[[workflows.nodes]]
id = "remote"
kind = "model"
instrument = "remote"
depends_on = ["ask"]

[[workflows.nodes]]
id = "pick"
kind = "pick"
command = "rustfmt --check \"$SYMPHONY_CANDIDATE\""
depends_on = ["local", "remote"]

[[workflows.nodes]]
id = "edit"
kind = "diff"
depends_on = ["pick"]
"#;
    let config: ConductorConfig = toml::from_str(text).expect("parses");
    let names: Vec<String> = config.instruments.iter().map(|i| i.name.clone()).collect();
    let plan = config.workflows[0]
        .plan(&names, Some("local"))
        .expect("validates");
    let order: Vec<&str> = plan.dag.topological_order().map(|n| &*n.id).collect();
    assert_eq!(order, ["ctx", "ask", "local", "remote", "pick", "edit"]);
}
