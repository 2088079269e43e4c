//! End to end: the tool-pane dock with the real binaries in tmux. The AI pane
//! opens in the dock, the dock hides and comes back, moves below the editor,
//! and its side and visibility are still there after a restart (kept in
//! `$XDG_STATE_HOME/symphony/dock.toml`).

use std::ffi::OsStr;

use anyhow::Result;
use symphony_tests::{Sandbox, binaries};

/// The row of the screen holding `text`.
fn row_of(screen: &str, text: &str) -> Option<usize> {
    screen.lines().position(|l| l.contains(text))
}

#[test]
fn the_dock_hides_moves_below_and_is_remembered_across_a_restart() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("notes.txt", "alpha\nbeta\n")?;
    let bins = binaries()?;
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("beta")?;
    term.keys(&["C-b", "a"])?;
    // On the right: the AI pane's title on the editor's first row.
    term.wait_for("the AI pane beside the editor", |s| {
        s.lines()
            .next()
            .is_some_and(|l| l.contains("alpha") && l.contains("AI ·"))
    })?;
    term.keys(&["C-b", "t"])?;
    term.wait_for("the dock hidden", |s| {
        !s.contains("AI ·") && s.contains("alpha")
    })?;
    term.keys(&["C-b", "t"])?;
    term.wait_text("AI ·")?;
    term.keys(&["C-b", "|"])?;
    term.wait_for(
        "the dock below the editor",
        |s| matches!((row_of(s, "alpha"), row_of(s, "AI ·")), (Some(a), Some(b)) if b > a + 2),
    )?;
    term.keys(&["C-b", "t"])?;
    term.wait_for("the dock hidden", |s| !s.contains("AI ·"))?;
    let kept = sandbox.state().join("symphony/dock.toml");
    symphony_tests::wait_file(
        &kept,
        "side = \"bottom\"\nsize = 0.5\nvisible = false\nzoomed = false\n",
    )?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;

    // Restarted: the dock opens below, as it was left.
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("beta")?;
    term.keys(&["C-b", "a"])?;
    term.wait_for(
        "the AI pane below the editor after a restart",
        |s| matches!((row_of(s, "alpha"), row_of(s, "AI ·")), (Some(a), Some(b)) if b > a + 2),
    )?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}
