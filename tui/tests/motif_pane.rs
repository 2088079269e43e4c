//! Motif panes: the shipped git-status motif (a real Python process) renders into a
//! pane and answers a key; every element of the declarative view draws.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{styles_of, text_of};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use symphony_extensions::view::View;
use symphony_extensions::{Host, HostConfig, Manifest};
use symphony_tui::motif::{MotifClient, MotifPane};

const START: Duration = Duration::from_secs(20);

fn draw(pane: &MotifPane, w: u16, h: u16, focused: bool) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        let area = f.area();
        symphony_tui::motif::draw(pane, area, focused, f.buffer_mut());
    })
    .unwrap();
    t.backend().buffer().clone()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions/examples")
}

fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn the_git_status_motif_renders_into_its_pane_and_answers_a_key() {
    if !have("python3") || !have("git") {
        eprintln!("skipped: python3 or git is not installed");
        return;
    }
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
    std::fs::write(ws.path().join("notes.md"), "y").unwrap();

    let m = Manifest::load(&examples().join("git-status/extension.toml")).unwrap();
    let host = Host::new(HostConfig::new(ws.path()));
    let motif = MotifClient::new(host.start(m.clone(), m.permissions.clone()));
    motif.ready(START).await.unwrap();

    let mut pane = MotifPane::new("git-status");
    let first = draw(&pane, 40, 6, true);
    assert!(
        text_of(&first).starts_with("git-status …"),
        "{}",
        text_of(&first)
    );
    let req = pane.render_request();
    pane.apply(motif.send(req).await);
    let buf = draw(&pane, 40, 6, true);
    insta::assert_snapshot!(
        "motif_git_status",
        format!("{}\n{}", text_of(&buf), styles_of(&buf, 0..6))
    );

    // While focused, `r` goes to the motif, which answers with a new view.
    std::fs::remove_file(ws.path().join("new.txt")).unwrap();
    let r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE);
    let req = pane.key_request(&symphony_tui::motif::key_name(&r).unwrap());
    assert_eq!(req.0, "key");
    assert_eq!(req.1["key"], "r");
    assert!(pane.waiting);
    pane.apply(motif.send(req).await);
    assert!(!pane.waiting);
    let text = text_of(&draw(&pane, 40, 6, false));
    assert!(text.contains("?? notes.md"), "{text}");
    assert!(!text.contains("new.txt"), "{text}");

    // A dead motif shows the reason where the hints were; the old view stays.
    motif.handle().unload(START).await;
    pane.apply(motif.render().await);
    let text = text_of(&draw(&pane, 40, 6, false));
    assert!(text.contains("?? notes.md"), "{text}");
    assert!(text.contains("not running"), "{text}");
}

#[test]
fn every_element_of_a_view_is_drawn() {
    let view: View = serde_json::from_value(serde_json::json!({
        "title": "build",
        "lines": [
            {"text": "3 warnings", "style": "modified"},
            {"text": "1 error", "style": "error"},
            {"text": "plain"}
        ],
        "lists": [{"title": "targets", "items": [
            {"text": "symphony"}, {"text": "symphony-editor", "style": "dim"}
        ], "selected": 1}],
        "gauges": [{"label": "progress", "ratio": 0.5}],
        "sparklines": [{"label": "jobs/s", "values": [1, 3, 7, 2, 8, 4]}],
        "key_hints": [{"key": "enter", "label": "build"}, {"key": "r", "label": "refresh"}]
    }))
    .unwrap();
    let mut pane = MotifPane::new("builder");
    pane.apply(Ok(view));
    let buf = draw(&pane, 36, 11, true);
    insta::assert_snapshot!(
        "motif_every_element",
        format!("{}\n{}", text_of(&buf), styles_of(&buf, 0..11))
    );
    // A small pane cuts the content, never the hints.
    let small = text_of(&draw(&pane, 36, 3, false));
    assert_eq!(small, "build\n3 warnings\nenter build · r refresh\n");
}
