//! The shipped examples run through the real host.

mod common;

use std::time::Duration;

use common::{START, examples_dir, quick_config};
use serde_json::json;
use symphony_extensions::discovery::discover;
use symphony_extensions::host::Event;
use symphony_extensions::{ExtensionHandle, ExtensionType, Host, Manifest, Permissions};
use tokio::sync::mpsc::UnboundedReceiver;

fn example(name: &str) -> Manifest {
    Manifest::load(&examples_dir().join(name).join("extension.toml")).unwrap()
}

/// The Rust line-stats example, run from the binary cargo built for the tests.
fn line_stats_rs() -> Manifest {
    let mut m = example("line-stats-rs");
    m.command = env!("CARGO_BIN_EXE_symphony-ext-line-stats").to_string();
    m
}

/// Line-stats answers `count`, and `flood` sends its numbered ticks.
async fn counts_and_floods(ext: &ExtensionHandle, ticks: &mut UnboundedReceiver<Event>) {
    let r = ext
        .request("count", json!({"text": "a b\nc dé\n"}))
        .await
        .unwrap();
    assert_eq!(r, json!({"lines": 2, "words": 4, "chars": 9}));
    assert_eq!(
        ext.request("flood", json!({"n": 3})).await.unwrap(),
        json!(3)
    );
    for i in 0..3 {
        assert_eq!(ticks.recv().await.unwrap().data, json!(i));
    }
}

#[test]
fn every_shipped_example_is_discovered_without_problems() {
    let d = discover(&[examples_dir()]);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    let ids: Vec<(&str, ExtensionType)> = d
        .extensions
        .iter()
        .map(|m| (m.id.as_str(), m.kind))
        .collect();
    assert_eq!(
        ids,
        [
            ("cli-model", ExtensionType::Instrument),
            ("git-status", ExtensionType::Motif),
            ("line-stats", ExtensionType::Operator),
            ("word-count", ExtensionType::Operator),
        ]
    );
}

#[tokio::test]
async fn word_count_counts_words_and_todos_and_reads_files_only_when_granted() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("notes.md"), "one TODO two\nTODO: three\n").unwrap();
    let m = example("word-count");
    let grant = m.permissions.clone();
    let host = Host::new(quick_config(ws.path()));
    let ext = host.start(m.clone(), grant);
    ext.wait_active(START).await.unwrap();
    let r = ext
        .request(
            "count",
            json!({"text": "fix this TODO\nand TODOS later TODO"}),
        )
        .await
        .unwrap();
    assert_eq!(r, json!({"words": 7, "todos": 2, "lines": 2}));
    let r = ext
        .request("count_file", json!({"path": "notes.md"}))
        .await
        .unwrap();
    assert_eq!(r, json!({"words": 5, "todos": 2, "lines": 2}));

    // Without the grant, the same call is refused.
    let ext2 = host.start(m, Permissions::none());
    ext2.wait_active(START).await.unwrap();
    let err = ext2
        .request("count_file", json!({"path": "notes.md"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission_denied"), "{err}");
}

#[tokio::test]
async fn git_status_sends_a_view_of_the_workspace_changes() {
    let ws = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q"]).status.success());
    std::fs::write(ws.path().join("new.txt"), "x").unwrap();
    let m = example("git-status");
    let host = Host::new(quick_config(ws.path()));
    let ext = host.start(m.clone(), m.permissions.clone());
    ext.wait_active(START).await.unwrap();
    let view = ext.request("render", json!({})).await.unwrap();
    assert_eq!(view["title"], "git status");
    assert_eq!(
        view["lines"],
        json!([{"text": "?? new.txt", "style": "untracked"}])
    );
    assert_eq!(view["key_hints"][0]["key"], "r");
    let typed: symphony_extensions::view::View = serde_json::from_value(view).unwrap();
    assert_eq!(typed.lines[0].style.as_deref(), Some("untracked"));
    std::fs::remove_file(ws.path().join("new.txt")).unwrap();
    let view = ext.request("key", json!({"key": "r"})).await.unwrap();
    assert_eq!(view["lines"], json!([{"text": "clean", "style": "dim"}]));
}

#[tokio::test]
async fn cli_model_streams_the_commands_output_as_token_events() {
    let ws = tempfile::tempdir().unwrap();
    let m = example("cli-model");
    let host = Host::new(quick_config(ws.path()));
    let mut tokens = host.subscribe("instrument.*");
    let ext = host.start(m.clone(), m.permissions.clone());
    ext.wait_active(START).await.unwrap();
    // The configured default is `cat`: the prompt comes back line by line.
    let r = ext
        .request("invoke", json!({"prompt": "hello\nworld\n"}))
        .await
        .unwrap();
    assert_eq!(r["tokens"], 2);
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["text"], "hello\nworld\n");
    let mut got = Vec::new();
    for _ in 0..2 {
        let ev = tokio::time::timeout(Duration::from_secs(5), tokens.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ev.topic, "instrument.token");
        assert_eq!(ev.source, "ext:cli-model");
        got.push(ev.data["text"].as_str().unwrap().trim_end().to_string());
    }
    assert_eq!(got, ["hello", "world"]);
    // Any command: here `tr` upper-cases.
    let r = ext
        .request(
            "invoke",
            json!({"prompt": "abc\n", "command": ["tr", "a-z", "A-Z"]}),
        )
        .await
        .unwrap();
    assert_eq!(r["tokens"], 1);
    let ev = tokens.recv().await.unwrap();
    assert_eq!(ev.data["text"], "ABC\n");

    // The user's settings override the manifest's default command.
    let mut settings = serde_json::Map::new();
    settings.insert("command".into(), json!(["rev"]));
    let ext2 = host.start_with(m, Permissions::none(), settings);
    ext2.wait_active(START).await.unwrap();
    let r = ext2
        .request("invoke", json!({"prompt": "abc\n"}))
        .await
        .unwrap();
    assert_eq!(r["tokens"], 1);
    let ev = tokens.recv().await.unwrap();
    assert_eq!(ev.data["text"], "cba\n");
}

#[tokio::test]
async fn the_rust_line_stats_operator_answers_through_the_host() {
    let ws = tempfile::tempdir().unwrap();
    let m = line_stats_rs();
    let host = Host::new(quick_config(ws.path()));
    let mut ticks = host.subscribe("line-stats.*");
    let ext = host.start(m, Permissions::none());
    ext.wait_active(START).await.unwrap();
    counts_and_floods(&ext, &mut ticks).await;
    assert_eq!(
        ext.deactivate(START).await,
        symphony_extensions::State::Inactive
    );
}

#[tokio::test]
async fn line_stats_with_msgpack_agrees_on_messagepack_framing_at_initialize() {
    let ws = tempfile::tempdir().unwrap();
    let mut m = line_stats_rs();
    m.args = vec!["--msgpack".to_string()];
    let host = Host::new(quick_config(ws.path()));
    let mut ticks = host.subscribe("line-stats.*");
    let ext = host.start(m, Permissions::none());
    ext.wait_active(START).await.unwrap();
    // The extension reports the framing it speaks; the reply reaching us at all
    // proves the host reads and writes MessagePack frames too.
    assert_eq!(
        ext.request("framing", json!({})).await.unwrap(),
        json!("msgpack")
    );
    counts_and_floods(&ext, &mut ticks).await;
    assert_eq!(ext.stats().malformed, 0);
    assert_eq!(
        ext.deactivate(START).await,
        symphony_extensions::State::Inactive
    );
}

#[tokio::test]
async fn line_stats_without_the_flag_stays_on_json_lines() {
    let ws = tempfile::tempdir().unwrap();
    let m = line_stats_rs();
    let host = Host::new(quick_config(ws.path()));
    let ext = host.start(m, Permissions::none());
    ext.wait_active(START).await.unwrap();
    assert_eq!(
        ext.request("framing", json!({})).await.unwrap(),
        json!("json")
    );
}
