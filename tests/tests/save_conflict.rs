//! End to end: saves that ask. Another program appends to the open file; Ctrl-S asks
//! (overwrite / reload / diff) instead of overwriting, and the status line warns until it
//! is resolved. Save As over an existing file asks first. Real binaries in tmux.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries, wait_file};

fn start(sandbox: &Sandbox, file: &Path) -> Result<Terminal> {
    sandbox.symphony(&binaries()?, &[OsStr::new(file)])
}

/// Types "mine " at the start of the file, then another program appends a line.
fn edit_then_append_behind(term: &Terminal, file: &Path) -> Result<()> {
    term.wait_text("one")?;
    term.type_text("mine ")?;
    term.wait_text("mine one")?;
    let mut f = std::fs::OpenOptions::new().append(true).open(file)?;
    f.write_all(b"theirs\n")?;
    drop(f);
    // the watcher tells the client; the status line keeps the warning
    term.wait_text("[changed on disk]")?;
    Ok(())
}

#[test]
fn ctrl_s_asks_before_overwriting_a_file_changed_on_disk_and_overwrite_wins() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("w.txt", "one\n")?;
    let term = start(&sandbox, &file)?;
    edit_then_append_behind(&term, &file)?;
    term.keys(&["C-s"])?;
    term.wait_text("changed on disk: [o]verwrite")?;
    assert_eq!(
        std::fs::read_to_string(&file)?,
        "one\ntheirs\n",
        "nothing written before the answer"
    );
    // typing that is not an answer does not answer
    term.type_text("x")?;
    term.wait_text("[o]verwrite")?;
    assert_eq!(std::fs::read_to_string(&file)?, "one\ntheirs\n");
    term.keys(&["o"])?;
    wait_file(&file, "mine one\n")?;
    term.wait_for("the warning to go", |s| !s.contains("[changed on disk]"))?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}

#[test]
fn ctrl_s_after_an_external_change_can_reload_the_file() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("w.txt", "one\n")?;
    let term = start(&sandbox, &file)?;
    edit_then_append_behind(&term, &file)?;
    term.keys(&["C-s"])?;
    term.wait_text("[r]eload")?;
    term.keys(&["r"])?;
    term.wait_for("the file from disk", |s| {
        s.contains("theirs") && !s.contains("mine one") && !s.contains("[changed on disk]")
    })?;
    assert_eq!(std::fs::read_to_string(&file)?, "one\ntheirs\n");
    // the reloaded buffer is clean: quitting does not ask
    term.keys(&["C-q"])?;
    term.wait_exit()
}

#[test]
fn the_diff_answer_shows_both_sides() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("w.txt", "one\n")?;
    let term = start(&sandbox, &file)?;
    edit_then_append_behind(&term, &file)?;
    term.keys(&["C-s"])?;
    term.wait_text("[d]iff")?;
    term.keys(&["d"])?;
    term.wait_for("the diff", |s| {
        s.contains("-theirs") && s.contains("+mine one")
    })?;
    assert_eq!(std::fs::read_to_string(&file)?, "one\ntheirs\n");
    Ok(())
}

#[test]
fn save_as_over_an_existing_file_asks_first() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("a.txt", "mine\n")?;
    let other = sandbox.file("b.txt", "precious\n")?;
    let term = start(&sandbox, &file)?;
    term.wait_text("mine")?;
    let save_as_b = |term: &Terminal| -> Result<()> {
        term.keys(&["M-s"])?;
        term.wait_text("Save as: a.txt")?;
        term.keys(&["BSpace", "BSpace", "BSpace", "BSpace", "BSpace"])?;
        term.type_text("b.txt")?;
        term.keys(&["Enter"])?;
        term.wait_text("b.txt already exists: [o]verwrite")?;
        Ok(())
    };
    save_as_b(&term)?;
    assert_eq!(std::fs::read_to_string(&other)?, "precious\n");
    // Esc keeps the other file
    term.keys(&["Escape"])?;
    term.wait_for("the question to go", |s| !s.contains("already exists"))?;
    assert_eq!(std::fs::read_to_string(&other)?, "precious\n");
    // asked again, overwrite
    save_as_b(&term)?;
    term.keys(&["o"])?;
    wait_file(&other, "mine\n")?;
    term.wait_text("Saved")?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}
