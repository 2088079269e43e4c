//! The client end to end with a real motif: "Extensions: open the motif panes" asks
//! for the git-status motif's permissions, `y` remembers them and opens its pane, the
//! view arrives through the loop's events, and a key typed in the focused pane goes
//! to the motif, whose new view replaces the old one.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{screen, state_with};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use symphony_extensions::Manifest;
use symphony_extensions::config::ExtensionsConfig;
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::{State, update};
use symphony_tui::motif::{MotifEvent, on_event, start_with};
use symphony_tui::panes::PaneKind;
use tokio::sync::mpsc::UnboundedReceiver;

fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn press(state: &mut State, ev: Event) {
    for a in event_to_actions(state, ev) {
        update(state, a);
    }
}

/// Runs the loop's part until the focused motif pane has an answer.
async fn settle(state: &mut State, rx: &mut UnboundedReceiver<MotifEvent>) {
    let waiting = |s: &State| matches!(s.windows.focused(), Some(PaneKind::Motif(m)) if m.waiting);
    while waiting(state) {
        let ev = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("the motif answers")
            .expect("events");
        on_event(state, ev);
    }
}

#[tokio::test]
async fn a_motif_pane_opens_after_the_grant_renders_and_takes_keys() {
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
    let manifest = Manifest::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../extensions/examples/git-status/extension.toml"),
    )
    .unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let settings = config_dir.path().join("extensions.toml");

    let (mut state, _) = state_with(Some("a.txt"), 70, 14);
    state.cwd = ws.path().to_path_buf();
    let mut rx = start_with(&mut state, vec![manifest.clone()], settings.clone());

    update(&mut state, Action::ExtOpenMotifs);
    let text = screen(&state);
    assert!(text.contains("asks to:"), "{text}");
    assert!(text.contains("• run programs"), "{text}");
    // Keys go to the prompt, not the editor.
    press(&mut state, key('x'));
    assert!(state.motifs.prompt.is_some());
    press(&mut state, key('y'));
    assert!(state.motifs.prompt.is_none());
    let saved = ExtensionsConfig::load(&settings).unwrap();
    assert_eq!(
        saved.grant_for(&manifest),
        Some(manifest.permissions.clone())
    );

    // The pane opened in the dock beside the editor, has the focus, and shows the view.
    assert!(matches!(state.windows.focused(), Some(PaneKind::Motif(_))));
    let focus = state.windows.focus();
    assert!(
        state.windows.current().in_dock(focus),
        "the motif pane opens in the tool-pane dock, not as a split of the editor"
    );
    settle(&mut state, &mut rx).await;
    let text = screen(&state);
    assert!(text.contains("git status"), "{text}");
    assert!(text.contains("?? new.txt"), "{text}");
    assert!(text.contains("r refresh"), "{text}");

    // `r` in the focused pane goes to the motif.
    std::fs::remove_file(ws.path().join("new.txt")).unwrap();
    press(&mut state, key('r'));
    settle(&mut state, &mut rx).await;
    let text = screen(&state);
    assert!(text.contains("clean"), "{text}");
    assert!(!text.contains("new.txt"), "{text}");

    // Closing its pane stops the motif's process.
    assert_eq!(motif_processes("git-status/main.py"), 1);
    update(&mut state, Action::ClosePane);
    assert!(!matches!(state.windows.focused(), Some(PaneKind::Motif(_))));
    let mut left = motif_processes("git-status/main.py");
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = motif_processes("git-status/main.py");
    }
    assert_eq!(left, 0, "the motif still runs after its pane closed");
}

/// Live (not zombie) child processes of this test whose command line contains `needle`.
fn motif_processes(needle: &str) -> usize {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // "pid (comm) state ppid ...": after the last ')'.
            let rest: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            rest.first().is_some_and(|s| *s != "Z")
                && rest.get(1) == Some(&me.as_str())
                && String::from_utf8_lossy(&cmdline).contains(needle)
        })
        .count()
}

#[tokio::test]
async fn an_ungranted_operator_is_asked_about_at_start_and_joins_the_catalog() {
    if !have("python3") {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let manifest = Manifest::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../extensions/examples/word-count/extension.toml"),
    )
    .unwrap();
    let (mut state, _) = state_with(None, 70, 14);
    state.cwd = ws.path().to_path_buf();
    let settings = config_dir.path().join("extensions.toml");
    let _rx = start_with(&mut state, vec![manifest.clone()], settings.clone());
    // The prompt is up at once.
    let text = screen(&state);
    assert!(
        text.contains("\"Word count\" (word-count) asks to:"),
        "{text}"
    );
    assert!(text.contains("• read editor buffers"), "{text}");
    assert!(
        state
            .motifs
            .catalog()
            .unwrap()
            .operator("word-count")
            .is_none()
    );
    press(&mut state, key('y'));
    assert!(state.motifs.prompt.is_none());
    let catalog = state.motifs.catalog().unwrap();
    assert_eq!(
        catalog.node_kinds(),
        ["ext:word-count/count", "ext:word-count/count_file"]
    );
    let saved = ExtensionsConfig::load(&settings).unwrap();
    assert_eq!(
        saved.grant_for(&manifest),
        Some(manifest.permissions.clone())
    );
}
