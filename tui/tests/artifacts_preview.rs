//! The artifacts pane's preview renders the selected artifact by its kind
//! (a conversation as turns, a diff coloured, text as text, unknown JSON
//! pretty-printed), never as raw JSON: screens as insta snapshots
//! (TestBackend), artifacts from a recording Conductor.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use symphony_conductor::events::{ArtifactHit, RunId};
use symphony_tui::action::Action;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::Canned;

/// A 140x18 state whose artifacts pane (wide enough for a side preview)
/// found one artifact of `kind` with `text` and previews it.
fn previewing(kind: &str, title: &str, text: &str) -> State {
    let (mut state, rec) = common::conductor_state(
        Canned {
            hits: vec![ArtifactHit {
                id: "a1".into(),
                kind: kind.into(),
                title: title.into(),
                snippet: String::new(),
                tags: Vec::new(),
                pinned: false,
                run: Some(RunId(1)),
            }],
            texts: vec![("a1".into(), text.into())],
            ..Default::default()
        },
        140,
        18,
    );
    update(&mut state, Action::OpenArtifactsPane);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    // The search and the preview's text arrive as the Conductor's answers.
    answered(&mut state, &rec);
    state
}

/// The foreground colour of the first cell of the row that contains `text`.
fn fg_of_row(buf: &Buffer, text: &str) -> Option<Color> {
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        if let Some(byte) = row.find(text) {
            let x = row[..byte].chars().count() as u16;
            return Some(buf[(x, y)].fg);
        }
    }
    None
}

#[test]
fn a_conversation_artifact_previews_as_speaker_labelled_turns() {
    let json = r#"{
  "id": "c1",
  "title": "Why checked_add",
  "messages": [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Why use checked_add here?"},
    {"role": "assistant", "content": "Because a + b can overflow an i32."}
  ]
}"#;
    let state = previewing("conversation", "chat · model", json);
    let text = screen(&state);
    assert!(!text.contains("\"role\""), "no raw JSON:\n{text}");
    insta::assert_snapshot!(text);
    let buf = render(&state);
    assert_eq!(fg_of_row(&buf, "You:"), Some(Color::Cyan));
    assert_eq!(fg_of_row(&buf, "Model:"), Some(Color::Green));
}

#[test]
fn a_diff_artifact_previews_with_added_and_removed_lines_coloured() {
    let diff = "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n fn add(a: i32, b: i32) -> i32 {\n-    a + b\n+    a.checked_add(b).unwrap_or(i32::MAX)\n }\n";
    let state = previewing("diff", "refactor: use checked_add · diff", diff);
    insta::assert_snapshot!(screen(&state));
    let buf = render(&state);
    assert_eq!(fg_of_row(&buf, "-    a + b"), Some(Color::Red));
    assert_eq!(fg_of_row(&buf, "+    a.checked_add"), Some(Color::Green));
    assert_eq!(fg_of_row(&buf, "@@ -1,3"), Some(Color::Cyan));
}

#[test]
fn prompt_and_response_artifacts_preview_as_wrapped_text() {
    let state = previewing(
        "response",
        "explain: add · model",
        "It adds two numbers and returns their sum, which overflows on large inputs.\n",
    );
    insta::assert_snapshot!("response", screen(&state));
    let state = previewing(
        "prompt",
        "explain: add · prompt",
        "Explain this code:\nfn add(a: i32, b: i32) -> i32",
    );
    insta::assert_snapshot!("prompt", screen(&state));
}

#[test]
fn an_unknown_json_artifact_previews_pretty_printed() {
    let state = previewing(
        "metrics",
        "run 1 · metrics",
        r#"{"tokens":1234,"nodes":["context","model"]}"#,
    );
    let text = screen(&state);
    assert!(text.contains("\"tokens\": 1234"), "{text}");
    insta::assert_snapshot!(text);
}
