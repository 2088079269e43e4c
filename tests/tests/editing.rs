//! End to end: `symphony` with the real `symphony-editor` in a pseudo-terminal
//! (tmux), driven with keys like a person; the saved file is compared byte for byte.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use symphony_tests::{Sandbox, Terminal, binaries};

/// Polls until the file holds exactly `want` (the save is asynchronous).
fn wait_file(path: &std::path::Path, want: &str) -> Result<()> {
    let deadline = Instant::now() + symphony_tests::WAIT;
    loop {
        let got = std::fs::read(path)?;
        if got == want.as_bytes() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{} holds {:?}, want {want:?}",
                path.display(),
                String::from_utf8_lossy(&got)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start(sandbox: &Sandbox, file: &std::path::Path) -> Result<Terminal> {
    let bins = binaries()?;
    Terminal::start(
        &bins.symphony,
        &[OsStr::new(file)],
        &sandbox.env(&bins),
        &sandbox.work(),
        100,
        30,
    )
}

#[test]
fn type_select_cut_paste_undo_save_and_quit() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("notes.txt", "one\ntwo\n")?;
    let term = start(&sandbox, &file)?;
    term.wait_text("two")?;
    term.type_text("Hello ")?;
    term.wait_text("Hello one")?;
    // Select "Hello" with Shift+Right and cut it.
    term.keys(&["Home"])?;
    for _ in 0..5 {
        term.keys(&["S-Right"])?;
    }
    term.keys(&["C-x"])?;
    term.wait_for("the cut", |s| !s.contains("Hello") && s.contains(" one"))?;
    // Paste it at the end of the line.
    term.keys(&["End", "C-v"])?;
    term.wait_text(" oneHello")?;
    // Undo the paste.
    term.keys(&["C-z"])?;
    term.wait_for("the undo", |s| {
        !s.contains("oneHello") && s.contains(" one")
    })?;
    // Edit the second line too.
    term.keys(&["Down", "End"])?;
    term.type_text("!")?;
    term.wait_text("two!")?;
    term.keys(&["C-s"])?;
    wait_file(&file, " one\ntwo!\n")?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    assert_eq!(std::fs::read(&file)?, b" one\ntwo!\n");
    Ok(())
}

#[test]
fn split_side_by_side_and_edit_in_both_panes() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("shared.txt", "middle\n")?;
    let term = start(&sandbox, &file)?;
    term.wait_text("middle")?;
    term.keys(&["C-b", "%"])?;
    term.wait_for("two panes", |s| s.matches("middle").count() >= 2)?;
    // The new pane has the focus: type at the start of the buffer.
    term.type_text("A")?;
    term.wait_for("A in both panes", |s| s.matches("Amiddle").count() >= 2)?;
    // The other pane, its own cursor: end of the first line.
    term.keys(&["C-b", "Left"])?;
    term.keys(&["C-Home", "End"])?;
    term.type_text("Z")?;
    term.wait_for("Z in both panes", |s| s.matches("AmiddleZ").count() >= 2)?;
    term.keys(&["C-s"])?;
    wait_file(&file, "AmiddleZ\n")?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    assert_eq!(std::fs::read(&file)?, b"AmiddleZ\n");
    Ok(())
}
