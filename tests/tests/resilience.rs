//! End to end: SIGKILL `symphony-editor` in the middle of a session; the
//! client says so, restarts it, and no keystroke is lost.

use std::ffi::OsStr;

use anyhow::Result;
use symphony_tests::{Sandbox, binaries, kill9};

#[test]
fn killing_the_editor_loses_no_keystroke() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("survive.txt", "base\n")?;
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("base")?;
    let first = term.wait_editor(None)?;
    term.keys(&["End"])?;
    term.type_text("abc")?;
    term.wait_text("baseabc")?;

    kill9(first)?;
    // The user is told (a message that stays until the next key).
    term.wait_for("the restart notice", |s| {
        s.to_lowercase().contains("restart")
    })?;
    // Typing goes on, and nothing typed before is lost.
    term.type_text("def")?;
    term.wait_text("baseabcdef")?;
    let second = term.wait_editor(Some(first))?;
    assert_ne!(first, second);

    term.type_text("!")?;
    term.wait_text("baseabcdef!")?;
    term.save_and_quit(&file, "baseabcdef!\n")?;
    assert_eq!(std::fs::read(&file)?, b"baseabcdef!\n");
    Ok(())
}

#[test]
fn killing_the_editor_with_a_split_keeps_both_panes_edits() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("split.txt", "mid\n")?;
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("mid")?;
    term.keys(&["C-b", "%"])?;
    term.wait_for("two panes", |s| s.matches("mid").count() >= 2)?;
    term.type_text("A")?;
    term.wait_for("A in both", |s| s.matches("Amid").count() >= 2)?;
    term.keys(&["C-b", "Left"])?;
    term.keys(&["C-Home", "End"])?;
    term.type_text("Z")?;
    term.wait_for("Z in both", |s| s.matches("AmidZ").count() >= 2)?;

    let first = term.wait_editor(None)?;
    kill9(first)?;
    term.type_text("Y")?;
    term.keys(&["C-b", "Right"])?;
    term.type_text("B")?;
    // (A message about the restart may cover the other pane's first line.)
    term.wait_text("ABmidZY")?;
    term.wait_editor(Some(first))?;
    term.save_and_quit(&file, "ABmidZY\n")?;
    Ok(())
}

#[test]
fn after_the_client_itself_is_killed_the_next_start_offers_the_journal() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("journal.txt", "keep\n")?;
    let start = || sandbox.symphony(&bins, &[OsStr::new(&file)]);
    let term = start()?;
    term.wait_text("keep")?;
    term.keys(&["End"])?;
    term.type_text("123")?;
    term.wait_text("keep123")?;
    let editor = term.wait_editor(None)?;
    // The whole client goes away at once (an SSH drop gone wrong).
    kill9(term.pid()?)?;
    kill9(editor).ok();
    term.wait_exit()?;
    assert_eq!(std::fs::read(&file)?, b"keep\n", "nothing saved yet");
    drop(term);

    let term = start()?;
    term.wait_text("Recover")?;
    // The question is answered deliberately (issue 12 item 10): first choice, Enter.
    term.keys(&["Down", "Enter"])?;
    term.wait_text("keep123")?;
    term.save_and_quit(&file, "keep123\n")?;
    Ok(())
}

/// Kills the editor each time the client brings it back, until the client stops
/// trying (after 5 quick restarts) and says so.
fn stop_the_editor(term: &symphony_tests::Terminal) -> Result<()> {
    // Killed again each time it comes back: after 5 restarts the client stops trying.
    let mut editor = term.wait_editor(None)?;
    for _ in 0..6 {
        kill9(editor)?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if term.screen()?.contains("editor stopped") {
                break;
            }
            if let Some(pid) = term.editor_pid()?
                && pid != editor
            {
                editor = pid;
                break;
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "no restart, no stop");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        if term.screen()?.contains("editor stopped") {
            break;
        }
    }
    term.wait_text("editor stopped")?;
    Ok(())
}

#[test]
fn a_client_killed_while_the_editor_is_stopped_offers_the_typing_at_the_next_start() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("orphan.txt", "base\n")?;
    let start = || sandbox.symphony(&bins, &[OsStr::new(&file)]);
    let term = start()?;
    term.wait_text("base")?;
    term.keys(&["End"])?;
    term.type_text("1")?;
    term.wait_text("base1")?;
    stop_the_editor(&term)?;
    // Typed while nothing but the client has it, then the client dies too.
    term.type_text("23")?;
    term.wait_text("base123")?;
    let journals = sandbox.state().join("symphony").join("client-journal");
    // (Kept on disk by the client as it takes them.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_dir(&journals).is_ok_and(|d| {
        d.flatten()
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("\"3\"")))
    }) {
        anyhow::ensure!(std::time::Instant::now() < deadline, "no client journal");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    kill9(term.pid()?)?;
    term.wait_exit()?;
    drop(term);
    assert_eq!(std::fs::read(&file)?, b"base\n", "nothing saved");

    let term = start()?;
    term.wait_text("Recover")?;
    term.keys(&["Down", "Enter"])?;
    term.wait_text("base123")?;
    term.save_and_quit(&file, "base123\n")?;
    Ok(())
}

#[test]
fn after_the_editor_stops_for_good_typing_goes_on_and_ctrl_b_r_brings_it_back() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("stopped.txt", "base\n")?;
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("base")?;
    term.keys(&["End"])?;
    term.type_text("1")?;
    term.wait_text("base1")?;
    stop_the_editor(&term)?;
    term.wait_text("editor stopped: saving needs it back")?;
    term.wait_text("palette 'Restart editor'")?;
    // Keys are still taken; Ctrl-S says why it cannot save.
    term.type_text("23")?;
    term.keys(&["C-s"])?;
    term.wait_text("saving needs it back")?;
    assert_eq!(std::fs::read(&file)?, b"base\n", "nothing saved");
    term.keys(&["C-b", "r"])?;
    term.wait_text("base123")?;
    term.wait_text("editor: running")?;
    term.save_and_quit(&file, "base123\n")?;
    Ok(())
}
