//! End to end: everyday typing in `symphony` with the real `symphony-editor` in tmux and a
//! small scripted language server (python3, standing in for a real one) installed in a
//! "virtual environment" folder that only `[lsp] path` names. Brackets close themselves,
//! Enter indents after `:` in Python, and the completion popup opens by itself after a
//! pause while typing an identifier, without Ctrl-Space.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries};

/// Answers `initialize` (completion after `.`) and every completion with two names.
const SERVER: &str = r#"#!/usr/bin/env python3
import json, sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
def send(msg):
    body = json.dumps(msg).encode()
    out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    out.flush()
def messages():
    while True:
        length = None
        while True:
            line = inp.readline()
            if not line:
                return
            line = line.strip()
            if not line:
                break
            k, _, v = line.partition(b":")
            if k.lower() == b"content-length":
                length = int(v)
        yield json.loads(inp.read(length))
for msg in messages():
    method = msg.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"capabilities": {
            "textDocumentSync": 2, "completionProvider": {"triggerCharacters": ["."]}}}})
    elif method == "textDocument/completion":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"isIncomplete": False, "items": [
            {"label": "great_value", "kind": 6}, {"label": "grand_total", "kind": 6}]}})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif method == "exit":
        sys.exit(0)
"#;

fn have_python() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Installs the server as `venv/bin/fake-pyls` in the sandbox and names only its folder
/// in `[lsp] path`.
fn configure(sandbox: &Sandbox) -> Result<()> {
    let home = sandbox
        .work()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let bin = home.join("venv/bin");
    std::fs::create_dir_all(&bin)?;
    let exe = bin.join("fake-pyls");
    std::fs::write(&exe, SERVER)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))?;
    let cfg = home.join("config/symphony");
    std::fs::create_dir_all(&cfg)?;
    std::fs::write(
        cfg.join("config.toml"),
        "[lsp]\npath = [\"~/venv/bin\"]\nauto_complete_ms = 150\n\n[lsp.python]\ncommand = \"fake-pyls\"\n",
    )?;
    Ok(())
}

fn start(sandbox: &Sandbox, file: &Path) -> Result<Terminal> {
    sandbox.symphony(&binaries()?, &[OsStr::new(file)])
}

#[test]
fn brackets_close_themselves_and_enter_indents_after_a_colon() -> Result<()> {
    if !have_python() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let sandbox = Sandbox::new()?;
    configure(&sandbox)?;
    let file = sandbox.file("shapes.py", "x = 1\n")?;
    let term = start(&sandbox, &file)?;
    term.wait_text("x = 1")?;
    term.keys(&["C-End"])?;
    term.type_text("def area(")?;
    term.wait_text("def area()")?;
    term.type_text("r):")?;
    term.wait_text("def area(r):")?;
    term.keys(&["Enter"])?;
    term.type_text("return [r")?;
    term.wait_text("    return [r]")?;
    term.save_and_quit(&file, "x = 1\ndef area(r):\n    return [r]\n")
}

#[test]
fn the_completion_popup_opens_by_itself_while_typing_an_identifier() -> Result<()> {
    if !have_python() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let sandbox = Sandbox::new()?;
    configure(&sandbox)?;
    let file = sandbox.file("calc.py", "total = 1\n\n")?;
    let term = start(&sandbox, &file)?;
    term.wait_text("total = 1")?;
    term.keys(&["C-End"])?;
    // The server found through `[lsp] path` must be running before typing means anything:
    // type, wait for the popup, and if it did not come (server still starting) try again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        term.type_text("gr")?;
        let shown = term.wait_for("the popup or its absence", |s| {
            s.contains("great_value") || s.contains("not installed")
        });
        match shown {
            Ok(s) if s.contains("great_value") => break,
            Ok(s) => anyhow::bail!("the server in [lsp] path was not found:\n{s}"),
            Err(_) if std::time::Instant::now() < deadline => {
                term.keys(&["BSpace", "BSpace"])?;
            }
            Err(e) => return Err(e),
        }
    }
    let screen = term.screen()?;
    assert!(screen.contains("grand_total"), "{screen}");
    // Enter takes the selected name.
    term.type_text("e")?;
    term.wait_for("only great_value left", |s| !s.contains("grand_total"))?;
    term.keys(&["Enter"])?;
    term.save_and_quit(&file, "total = 1\n\ngreat_value\n")
}
