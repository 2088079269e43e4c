//! End to end with a real language server: `symphony` and `symphony-editor`
//! in tmux with python-lsp-server (pylsp) behind them. Diagnostics show as a
//! gutter sign, Ctrl-Space after `os.` offers `path` and Enter inserts it, F12
//! on a call lands on the `def` line and Alt-Left comes back.
//!
//! pylsp comes from `scripts/lsp-deps.sh` (a virtualenv at
//! ~/.cache/symphony-lsp/venv), `$SYMPHONY_PYLSP`, or `PATH`; without it
//! every test here prints why and passes.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries, wait_file};

/// Where pylsp is, if installed.
fn pylsp() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SYMPHONY_PYLSP").map(PathBuf::from)
        && p.is_file()
    {
        return Some(p);
    }
    let venv = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/symphony-lsp/venv/bin/pylsp"))
        .filter(|p| p.is_file());
    venv.or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("pylsp"))
                .find(|p| p.is_file())
        })
    })
}

/// Starts symphony on `file` with pylsp's directory first on `PATH`
/// (the editor's default Python server is the `pylsp` command).
fn start(sandbox: &Sandbox, file: &Path, pylsp: &Path) -> Result<Terminal> {
    let bins = binaries()?;
    let mut env = sandbox.env(&bins);
    if let Some(dir) = pylsp.parent() {
        for (k, v) in env.iter_mut() {
            if k == "PATH" {
                let mut p = OsString::from(dir);
                p.push(":");
                p.push(&*v);
                *v = p;
            }
        }
    }
    Terminal::start(
        &bins.symphony,
        &[OsStr::new(file)],
        &env,
        &sandbox.work(),
        100,
        30,
    )
}

macro_rules! need_pylsp {
    () => {
        match pylsp() {
            Some(p) => p,
            None => {
                eprintln!(
                    "skipped: pylsp is not installed (run scripts/lsp-deps.sh, or set SYMPHONY_PYLSP)"
                );
                return Ok(());
            }
        }
    };
}

/// The status line (the last row).
fn status(screen: &str) -> &str {
    screen.trim_end_matches('\n').lines().last().unwrap_or("")
}

#[test]
fn an_undefined_name_gets_a_gutter_sign_and_its_message() -> Result<()> {
    let pylsp = need_pylsp!();
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("main.py", "x = 1\n\nprint(undefined_thing)\n")?;
    let term = start(&sandbox, &file, &pylsp)?;
    term.wait_text("undefined_thing")?;
    let screen = term.wait_for("the sign on the line with the undefined name", |s| {
        s.lines()
            .any(|l| l.starts_with('●') && l.contains("print(undefined_thing)"))
    })?;
    // Only that line has a sign.
    assert!(
        !screen
            .lines()
            .any(|l| l.starts_with('●') && l.contains("x = 1")),
        "{screen}"
    );
    // On that line the status line says what is wrong.
    term.keys(&["Down", "Down"])?;
    term.wait_for("the message in the status line", |s| {
        status(s).contains("undefined name")
    })?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}

#[test]
fn ctrl_space_after_os_dot_offers_path_and_enter_inserts_it() -> Result<()> {
    let pylsp = need_pylsp!();
    let sandbox = Sandbox::new()?;
    let file = sandbox.file("comp.py", "import os\n\n")?;
    let term = start(&sandbox, &file, &pylsp)?;
    // (A start-up message may cover the first row until the first key.)
    term.wait_for("the file", |s| status(s).contains("comp.py"))?;
    term.keys(&["C-End"])?;
    term.wait_text("import os")?;
    term.type_text("os.")?;
    term.wait_text("os.")?;
    term.keys(&["C-Space"])?;
    // The popup lists os's names (upper-case constants sort first).
    term.wait_for("the completion popup", |s| {
        s.lines().filter(|l| l.trim_end().ends_with(" var")).count() >= 3
    })?;
    // Filtered as you type: `path` is offered, first.
    term.type_text("pat")?;
    term.wait_text("os.pat")?;
    term.wait_for("`path` in the completion popup", |s| {
        s.lines().any(|l| l.contains(" path "))
            && !s
                .lines()
                .any(|l| l.contains(" sep ") || l.contains(" getcwd "))
    })?;
    term.keys(&["Enter"])?;
    term.wait_for("os.path inserted", |s| {
        s.lines().any(|l| l.trim_end().ends_with("os.path"))
    })?;
    term.keys(&["C-s"])?;
    wait_file(&file, "import os\n\nos.path\n")?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}

#[test]
fn f12_on_a_call_jumps_to_the_def_line_and_alt_left_comes_back() -> Result<()> {
    let pylsp = need_pylsp!();
    let sandbox = Sandbox::new()?;
    let file = sandbox.file(
        "defs.py",
        "import sys\n\n\ndef greet(name):\n    return 'hi ' + name\n\n\ngreet('x')\n",
    )?;
    let term = start(&sandbox, &file, &pylsp)?;
    term.wait_text("greet('x')")?;
    // The caret on `greet` of the call (line 8).
    term.keys(&["C-End", "Up", "Right"])?;
    term.wait_for("the caret on line 8", |s| status(s).contains("8:2 "))?;
    // F12 may come before the server is ready: ask until it answers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        term.keys(&["F12"])?;
        let landed = term.wait_for("the jump", |s| {
            status(s).contains("4:5 ") || status(s).contains("No definition")
        });
        if let Ok(s) = &landed
            && status(s).contains("4:5 ")
        {
            break;
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("F12 never landed on the def line: {}", term.screen()?);
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    term.keys(&["M-Left"])?;
    term.wait_for("back on the call", |s| status(s).contains("8:2 "))?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}

#[test]
fn ctrl_k_shows_the_docstring_in_a_hover_popup() -> Result<()> {
    let pylsp = need_pylsp!();
    let sandbox = Sandbox::new()?;
    let file = sandbox.file(
        "hover.py",
        "def greet():\n    \"\"\"Says hello to the whole room.\"\"\"\n\n\ngreet()\n",
    )?;
    let term = start(&sandbox, &file, &pylsp)?;
    term.wait_for("the file", |s| status(s).contains("hover.py"))?;
    term.keys(&["C-End", "Up", "Right"])?;
    term.wait_for("the caret on the call", |s| status(s).contains("5:2 "))?;
    // Ask until the server is up (the first answer may be empty).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        term.keys(&["C-k"])?;
        let shown = term.wait_for("the hover popup", |s| {
            s.contains("Says hello to the whole room") && s.contains('┌')
                || s.contains("Nothing to show")
        });
        if shown.as_ref().is_ok_and(|s| s.contains('┌')) {
            break;
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("no hover popup: {}", term.screen()?);
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    // Esc closes it; the text is untouched.
    term.keys(&["Escape"])?;
    term.wait_for("the popup gone", |s| !s.contains('┌'))?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}
