//! End to end: `symphony` with the real `symphony-editor` in a pseudo-terminal
//! (tmux), driven with keys like a person; the saved file is compared byte for byte.

use std::ffi::OsStr;

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries};

fn start(sandbox: &Sandbox, file: &std::path::Path) -> Result<Terminal> {
    sandbox.symphony(&binaries()?, &[OsStr::new(file)])
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
    term.save_and_quit(&file, " one\ntwo!\n")?;
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
    term.save_and_quit(&file, "AmiddleZ\n")?;
    assert_eq!(std::fs::read(&file)?, b"AmiddleZ\n");
    Ok(())
}
