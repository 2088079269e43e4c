//! End to end: an agent run in `symphony` with the real `symphony-editor` in a
//! pseudo-terminal (tmux). The agent is the scripted ACP agent of the orchestrator's
//! tests (orchestrator/tests/fixtures/acp_agent.py, a real child process speaking
//! ACP on its stdio; it stands in for an external agent and the model behind it): it
//! reads a.txt, asks permission to edit it, and writes it upper-cased with
//! `fs/write_text_file`. The user starts the task with "AI: agent task…" and an
//! @-mention, allows the edit in the permission box, finds the file (not open before)
//! in "Run changes", reviews the hunk inline and accepts it and saves — or rejects it,
//! and the file stays byte-identical.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries, wait_file};

const ORIGINAL: &str = "hello\nworld\n";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../orchestrator/tests/fixtures/acp_agent.py")
}

fn python_missing() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
}

/// Starts symphony on notes.txt with the scripted agent configured; a.txt is not open.
fn start(sandbox: &Sandbox) -> Result<(Terminal, PathBuf)> {
    let dir = sandbox.work().parent().map(|p| p.join("config/symphony"));
    let dir = dir.ok_or_else(|| anyhow::anyhow!("no config dir"))?;
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[[agents]]\nname = \"scripted\"\ncommand = \"python3\"\nargs = [\"{}\"]\n\
             env = {{ ACP_SCENARIO = \"edit\" }}\n",
            script().display()
        ),
    )?;
    let a = sandbox.file("a.txt", ORIGINAL)?;
    let notes = sandbox.file("notes.txt", "the notes\n")?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&notes)])?;
    term.wait_text("the notes")?;
    Ok((term, a))
}

/// Runs the task, allows the edit, opens a.txt's review from "Run changes".
fn run_task_and_open_review(term: &Terminal) -> Result<()> {
    // One agent configured: no picker, the AI pane's prompt goes to it.
    term.keys(&["C-b", "I"])?;
    term.wait_text("scripted>")?;
    term.type_text("make it loud @a.t")?;
    // Tab completes the mention to the workspace file.
    term.wait_text("Tab: @a.txt")?;
    term.keys(&["Tab"])?;
    term.wait_text("attached: @a.txt")?;
    term.keys(&["Enter"])?;
    // The agent's permission question, with its own options.
    term.wait_text("Allow once: Edit a.txt")?;
    term.wait_text("Reject: Edit a.txt")?;
    term.keys(&["Enter"])?;
    term.wait_text("Done.")?;
    term.wait_text("1 hunk to review")?;
    // a.txt was not open: the run's change list has it, Enter shows its review.
    term.keys(&["C-b", "L"])?;
    term.wait_text("+2 -2")?;
    term.keys(&["Enter"])?;
    term.wait_for("the review of a.txt", |s| {
        s.contains("+HELLO") && s.contains("-hello")
    })?;
    Ok(())
}

#[test]
fn an_acp_agents_write_is_reviewed_in_the_buffer_and_accepting_it_saves_the_change() -> Result<()>
{
    if python_missing() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let sandbox = Sandbox::new()?;
    let (term, a) = start(&sandbox)?;
    run_task_and_open_review(&term)?;
    // Nothing is on disk before the user accepts.
    assert_eq!(std::fs::read_to_string(&a)?, ORIGINAL);
    term.keys(&["M-A"])?;
    term.wait_text("Review done: 1 of 1 hunks accepted")?;
    term.keys(&["C-s"])?;
    wait_file(&a, "HELLO\nWORLD\n")?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    assert_eq!(std::fs::read_to_string(&a)?, "HELLO\nWORLD\n");
    Ok(())
}

#[test]
fn rejecting_an_acp_agents_write_leaves_the_file_byte_identical() -> Result<()> {
    if python_missing() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let sandbox = Sandbox::new()?;
    let (term, a) = start(&sandbox)?;
    run_task_and_open_review(&term)?;
    term.keys(&["M-R"])?;
    term.wait_text("Review done: 0 of 1 hunks accepted")?;
    term.keys(&["C-s"])?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    assert_eq!(std::fs::read(&a)?, ORIGINAL.as_bytes());
    Ok(())
}
