//! End to end, in tmux with the real binaries and real SIGKILLs: the crash journal is
//! offered after the file changed on disk (and recovering gives the typed text), the
//! recovery question is not answered by typing (Esc or `n` keep the journal), a refused
//! journal is in the trash, two clients on one file keep their own journals, and a
//! journal that cannot be written is shown on screen.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use symphony_tests::{Sandbox, Terminal, WAIT, binaries, kill9};

fn journal_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.state().join("symphony/journal")
}

fn journal_trash(sandbox: &Sandbox) -> PathBuf {
    sandbox
        .state()
        .with_file_name("data")
        .join("symphony/trash/journals")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Polls until some journal holds `text` (what is on screen may be drawn ahead of the
/// editor; the journal is what survives a SIGKILL). Typed keys are journaled one record
/// each: pass the last key as `"k"` (with the quotes).
fn wait_journaled(sandbox: &Sandbox, text: &str) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    loop {
        if files_in(&journal_dir(sandbox))
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(text)))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no journal holds {text:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILLs the client and its editor at once (an SSH drop gone wrong).
fn kill_all(term: &Terminal) -> Result<()> {
    let editor = term.wait_editor(None)?;
    kill9(term.pid()?)?;
    kill9(editor).ok();
    term.wait_exit()
}

/// Starts a client on `file`, types `typed` at the end of its first line, and kills it.
fn type_and_crash(sandbox: &Sandbox, file: &Path, first_line: &str, typed: &str) -> Result<()> {
    let bins = binaries()?;
    let term = sandbox.symphony(&bins, &[OsStr::new(file)])?;
    term.wait_text(first_line)?;
    term.keys(&["End"])?;
    term.type_text(typed)?;
    term.wait_text(&format!("{first_line}{typed}"))?;
    let last = typed
        .chars()
        .last()
        .map(|c| format!("\"{c}\""))
        .unwrap_or_default();
    wait_journaled(sandbox, &last)?;
    kill_all(&term)
}

#[test]
fn after_a_crash_and_an_outside_change_the_journal_is_offered_and_recovers_the_text() -> Result<()>
{
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("notes.txt", "keep\n")?;
    type_and_crash(&sandbox, &file, "keep", "123")?;
    // Another program appends to the file meanwhile.
    std::fs::write(&file, "keep\nfrom outside\n")?;

    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    let screen = term.wait_text("changed on disk")?;
    assert!(screen.contains("Unsaved edits of notes.txt"), "{screen}");
    // A stray keystroke neither answers nor replaces the journal.
    term.type_text("n")?;
    std::thread::sleep(Duration::from_millis(300));
    assert!(term.screen()?.contains("changed on disk"));
    // First choice: the recovered text in a new buffer beside the file.
    term.keys(&["Down", "Enter"])?;
    let screen = term.wait_text("notes.txt (recovered)")?;
    term.wait_text("keep123")?;
    assert!(
        screen.contains("from outside"),
        "the file stays as on disk: {screen}"
    );
    Ok(())
}

#[test]
fn esc_or_n_at_the_recovery_question_keep_the_journal_and_discard_trashes_it() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("kept.txt", "line\n")?;
    type_and_crash(&sandbox, &file, "line", "XYZ")?;

    // `n`, then Esc: nothing is discarded.
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("Unsaved edits of kept.txt")?;
    term.keys(&["n"])?;
    term.keys(&["Escape"])?;
    term.wait_for("the question to go", |s| !s.contains("Unsaved edits"))?;
    assert!(!term.screen()?.contains("lineXYZ"), "not recovered either");
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    drop(term);
    assert_eq!(std::fs::read(&file)?, b"line\n");

    // Asked again; this time discarded on purpose: the journal goes to the trash.
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("Unsaved edits of kept.txt")?;
    term.keys(&["Up", "Enter"])?;
    term.wait_text("in the trash")?;
    let trashed = files_in(&journal_trash(&sandbox));
    assert!(
        trashed
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"Z\"]"))),
        "the refused journal is in the trash: {trashed:?}"
    );
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    drop(term);

    // Not asked again.
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("line")?;
    std::thread::sleep(Duration::from_millis(500));
    assert!(!term.screen()?.contains("Unsaved edits"));
    Ok(())
}

#[test]
fn two_clients_on_one_file_keep_their_own_journals() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("shared.txt", "base\n")?;
    let a = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    a.wait_text("base")?;
    let b = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    // The second client may start with a message over the first line (it goes at the
    // next key).
    b.wait_text("editor: running")?;
    a.keys(&["End"])?;
    a.type_text("A")?;
    a.wait_text("baseA")?;
    b.keys(&["End"])?;
    b.type_text("B")?;
    b.wait_text("baseB")?;
    wait_journaled(&sandbox, "\"A\"")?;
    wait_journaled(&sandbox, "\"B\"")?;
    // A saves: B's journal stays, and B's later typing is journaled.
    a.keys(&["C-s"])?;
    symphony_tests::wait_file(&file, "baseA\n")?;
    b.type_text("b")?;
    wait_journaled(&sandbox, "\"b\"")?;
    kill_all(&b)?;
    drop(b);

    let c = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    c.wait_text("Unsaved edits of shared.txt")?;
    c.wait_text("changed on disk")?;
    c.keys(&["Down", "Enter"])?;
    c.wait_text("baseBb")?;
    Ok(())
}

#[test]
fn a_journal_that_cannot_be_written_is_shown_on_screen() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("risky.txt", "text\n")?;
    // The journal folder is a file: nothing can be journaled.
    let dir = journal_dir(&sandbox);
    std::fs::create_dir_all(dir.parent().expect("parent"))?;
    std::fs::write(&dir, "in the way")?;
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("text")?;
    term.type_text("abc")?;
    term.wait_text("edits are NOT protected: journal failed")?;
    // It stays while typing goes on.
    term.type_text("def")?;
    term.wait_text("abcdef")?;
    assert!(term.screen()?.contains("edits are NOT protected"));
    // Once the folder can be made, the warning goes.
    std::fs::remove_file(&dir)?;
    let deadline = Instant::now() + WAIT;
    while term.screen()?.contains("NOT protected") {
        if Instant::now() > deadline {
            bail!("warning never went; screen:\n{}", term.screen()?);
        }
        term.type_text("g")?;
        std::thread::sleep(Duration::from_millis(300));
    }
    wait_journaled(&sandbox, "abcdef")?;
    Ok(())
}

/// A real full disk: the journal folder on a 64 KiB tmpfs, filled up (needs root to mount;
/// skipped, saying so, otherwise).
#[test]
fn a_full_disk_under_the_journal_is_shown_on_screen() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("full.txt", "text\n")?;
    let dir = journal_dir(&sandbox);
    std::fs::create_dir_all(&dir)?;
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root)");
        return Ok(());
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(dir.clone());
    {
        use std::io::Write;
        let mut f = std::fs::File::create(dir.join("filler"))?;
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
    }
    let term = sandbox.symphony(&bins, &[OsStr::new(&file)])?;
    term.wait_text("text")?;
    term.type_text("abc")?;
    term.wait_text("edits are NOT protected: journal failed: No space left on device")?;
    term.type_text("d")?;
    term.wait_text("abcd")?;
    assert!(term.screen()?.contains("edits are NOT protected"));
    // Space again: the warning goes at a later key, and the journal holds everything.
    std::fs::remove_file(dir.join("filler"))?;
    let deadline = Instant::now() + WAIT;
    while term.screen()?.contains("NOT protected") {
        if Instant::now() > deadline {
            bail!("warning never went; screen:\n{}", term.screen()?);
        }
        term.type_text("e")?;
        std::thread::sleep(Duration::from_millis(300));
    }
    wait_journaled(&sandbox, "abcde")?;
    drop(term);
    Ok(())
}
