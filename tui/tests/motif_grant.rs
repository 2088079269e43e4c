//! The first-activation permission prompt: what it shows, `n` refusing without
//! remembering, `y` granting, remembering in the settings file and starting.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::text_of;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use symphony_extensions::config::ExtensionsConfig;
use symphony_extensions::{Host, HostConfig, Manager, Manifest, StartOutcome};
use symphony_tui::grant::{GrantAnswer, GrantPrompt, render};
use symphony_tui::keymap::Keymap;

fn word_count() -> Manifest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions/examples/word-count");
    Manifest::load(&dir.join("extension.toml")).unwrap()
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn manager(ws: &Path, settings: PathBuf) -> Manager {
    Manager::new(Host::new(HostConfig::new(ws)), vec![word_count()], settings).unwrap()
}

#[test]
fn the_prompt_lists_what_the_extension_asks_for() {
    let prompt = GrantPrompt::new(&word_count());
    let mut t = Terminal::new(TestBackend::new(64, 12)).unwrap();
    t.draw(|f| {
        let area = f.area();
        render(&prompt, area, f.buffer_mut());
    })
    .unwrap();
    insta::assert_snapshot!("grant_prompt", text_of(t.backend().buffer()));
    assert_eq!(
        prompt.handle_key(&Keymap::default_keymap(), &key('y')),
        Some(GrantAnswer::Allow),
        "y allows"
    );
    assert_eq!(
        prompt.handle_key(&Keymap::default_keymap(), &key('n')),
        Some(GrantAnswer::Refuse)
    );
    assert_eq!(
        prompt.handle_key(
            &Keymap::default_keymap(),
            &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)
        ),
        Some(GrantAnswer::Refuse)
    );
    assert_eq!(
        prompt.handle_key(&Keymap::default_keymap(), &key('x')),
        None
    );
}

#[tokio::test]
async fn yes_is_remembered_in_the_settings_and_no_asks_again() {
    let ws = tempfile::tempdir().unwrap();
    let settings = ws.path().join("config/extensions.toml");
    let mut mgr = manager(ws.path(), settings.clone());

    let outcome = mgr.start("word-count");
    let prompt = GrantPrompt::for_outcome(&mgr, &outcome).expect("a prompt");
    assert_eq!(prompt.name, "Word count");
    assert_eq!(
        prompt.lines(),
        [
            "read files: **/*.md, **/*.txt, **/*.rs",
            "read editor buffers"
        ]
    );

    // n: not started, nothing written, asked again.
    let answer = prompt
        .handle_key(&Keymap::default_keymap(), &key('n'))
        .unwrap();
    assert!(prompt.apply(answer, &mut mgr).unwrap().is_none());
    assert!(!settings.exists());
    assert!(mgr.handle("word-count").is_none());
    assert!(matches!(
        mgr.start("word-count"),
        StartOutcome::NeedsGrant { .. }
    ));

    // y: granted, saved, started.
    let answer = prompt
        .handle_key(&Keymap::default_keymap(), &key('y'))
        .unwrap();
    let started = prompt.apply(answer, &mut mgr).unwrap();
    assert!(matches!(started, Some(StartOutcome::Started(_))));
    let saved = ExtensionsConfig::load(&settings).unwrap();
    assert_eq!(
        saved.grant_for(&word_count()),
        Some(word_count().permissions)
    );

    // The next session does not ask.
    let mut next = manager(ws.path(), settings);
    let outcome = next.start("word-count");
    assert!(GrantPrompt::for_outcome(&next, &outcome).is_none());
    assert!(matches!(outcome, StartOutcome::Started(_)));
    for m in [&mut mgr, &mut next] {
        m.stop("word-count", Duration::from_secs(10)).await;
    }
}
