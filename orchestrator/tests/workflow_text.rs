//! The text operators workflows use: code-block extraction and prompt templates.

use std::collections::HashMap;

use proptest::prelude::*;
use symphony_conductor::workflow::template::{render, variables};
use symphony_conductor::workflow::text::{extract_code_block, value_text};

#[test]
fn the_first_fenced_block_is_kept_with_its_language_tag_dropped() {
    let reply = "Sure.\n\n```python\ndef f():\n    return 1\n```\n\n```\nsecond\n```\n";
    assert_eq!(extract_code_block(reply), "def f():\n    return 1\n");
}

#[test]
fn tilde_fences_and_indented_fences_count() {
    assert_eq!(extract_code_block("~~~\nx = 1\n~~~"), "x = 1\n");
    assert_eq!(
        extract_code_block("  ```rust\n  let a = 1;\n  ```"),
        "  let a = 1;\n"
    );
}

#[test]
fn an_unterminated_block_runs_to_the_end_and_no_block_keeps_everything() {
    assert_eq!(extract_code_block("```\nfn a() {}\n"), "fn a() {}\n");
    assert_eq!(extract_code_block("just words\n"), "just words\n");
}

#[test]
fn chat_messages_read_as_their_contents() {
    let v = serde_json::json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]);
    assert_eq!(value_text(&v), "be brief\n\nhi");
    assert_eq!(value_text(&serde_json::json!("plain")), "plain");
}

#[test]
fn templates_fill_known_names_and_list_them_in_order() {
    let vars = HashMap::from([
        ("selection".to_string(), "a+b".to_string()),
        ("language".to_string(), "Rust".to_string()),
    ]);
    let t = "Fix {{ selection }} ({{language}}) {{unknown}}!";
    assert_eq!(render(t, &vars), "Fix a+b (Rust) !");
    assert_eq!(variables(t), ["selection", "language", "unknown"]);
    // A value that looks like a placeholder is not expanded again.
    let tricky = HashMap::from([("selection".to_string(), "{{language}}".to_string())]);
    assert_eq!(render("{{selection}}", &tricky), "{{language}}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn text_without_placeholders_renders_unchanged(s in "[^{}]{0,200}") {
        prop_assert_eq!(render(&s, &HashMap::new()), s);
    }

    #[test]
    fn a_fenced_body_comes_back_whole(body in "([a-z =;()]{0,20}\n){0,8}") {
        let reply = format!("intro\n```\n{body}```\noutro");
        prop_assert_eq!(extract_code_block(&reply), body);
    }
}
