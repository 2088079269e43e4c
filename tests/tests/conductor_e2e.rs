//! End to end: an AI refactor in `symphony` with the real `symphony-editor` in
//! a pseudo-terminal (tmux). The model is a scripted OpenAI-compatible server
//! on 127.0.0.1 started by the test: it stands in for a model, answering
//! every chat completion with the same streamed (SSE) code block. The user
//! selects a function, runs refactor, watches the DAG pane, reviews the
//! inline diff, accepts one hunk and rejects the other, saves; the file must
//! hold exactly the expected merge. A second test types elsewhere in the
//! buffer while the model is still answering (the proposal is rebased).

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries, wait_file};

const FILE: &str = "fn main() {\n    println!(\"{}\", add(1, 2));\n}\n\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";

/// What the stand-in model answers: a doc comment (hunk 1) and a changed
/// body line (hunk 2).
const ANSWER: &str = "Here it is:\n\n```rust\n/// Adds two numbers.\nfn add(a: i32, b: i32) -> i32 {\n    a.checked_add(b).expect(\"overflow\")\n}\n```\n";

/// The merge after accepting the doc comment and rejecting the body change.
const MERGED: &str = "fn main() {\n    println!(\"{}\", add(1, 2));\n}\n\n/// Adds two numbers.\nfn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";

/// A scripted OpenAI-compatible server (it stands in for a model): every
/// `POST /v1/chat/completions` gets [`ANSWER`] as SSE chunks, after `gate`
/// says go (when given). Returns the base URL.
fn model_server(gate: Option<mpsc::Receiver<()>>) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(g) = &gate {
                let _ = g.recv_timeout(Duration::from_secs(30));
            }
            let _ = serve(stream);
        }
    });
    Ok(base)
}

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    stream.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
          transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    )?;
    let chunk = |s: &mut TcpStream, data: String| -> std::io::Result<()> {
        let event = format!("data: {data}\n\n");
        write!(s, "{:x}\r\n{event}\r\n", event.len())?;
        s.flush()
    };
    // A few characters per chunk, like tokens.
    let chars: Vec<char> = ANSWER.chars().collect();
    for piece in chars.chunks(6) {
        let text: String = piece.iter().collect();
        let delta = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
            "model": "stand-in", "choices": [{"index": 0, "delta": {"content": text},
            "finish_reason": null}]});
        chunk(&mut stream, delta.to_string())?;
        std::thread::sleep(Duration::from_millis(5));
    }
    let end = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
        "model": "stand-in", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 30}});
    chunk(&mut stream, end.to_string())?;
    chunk(&mut stream, "[DONE]".into())?;
    stream.write_all(b"0\r\n\r\n")?;
    stream.flush()
}

fn start(sandbox: &Sandbox, base: &str) -> Result<(Terminal, std::path::PathBuf)> {
    let dir = sandbox.work().parent().map(|p| p.join("config/symphony"));
    let dir = dir.ok_or_else(|| anyhow::anyhow!("no config dir"))?;
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[[instruments]]\nname = \"standin\"\nkind = \"openai\"\nbase_url = \"{base}\"\n\
             model = \"stand-in\"\nmax_retries = 0\n"
        ),
    )?;
    let file = sandbox.file("ops.rs", FILE)?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&file)])?;
    term.wait_text("fn add")?;
    Ok((term, file))
}

/// Opens the DAG pane, selects `add` and runs refactor with an instruction.
fn run_refactor(term: &Terminal) -> Result<()> {
    term.keys(&["C-b", "g"])?;
    term.wait_text("No AI runs yet")?;
    // The DAG pane opens in the dock on the right; the editor is to its left.
    term.keys(&["C-b", "Left"])?;
    // Select the three lines of `add`.
    term.keys(&["C-Home"])?;
    for _ in 0..4 {
        term.keys(&["Down"])?;
    }
    for _ in 0..3 {
        term.keys(&["S-Down"])?;
    }
    term.keys(&["C-b", "R"])?;
    term.wait_text("Refactor how?")?;
    term.type_text("use checked_add")?;
    term.keys(&["Enter"])?;
    term.wait_text("refactor: use checked_add")?;
    Ok(())
}

/// Accepts the doc comment, rejects the body change, saves, quits.
fn review_and_save(term: &Terminal, file: &std::path::Path, want: &str) -> Result<()> {
    term.wait_text("Review run #")?;
    // The DAG pane shows the run done with all its nodes.
    term.wait_text("5/5")?;
    // From the top, the first hunk is the doc comment.
    term.keys(&["C-Home"])?;
    // The caret must be there (the editor says so) before the key acts on it.
    term.wait_text(" 1:1 ")?;
    term.keys(&["M-a"])?;
    term.wait_for("the doc comment applied", |s| {
        s.contains("/// Adds two numbers.") && !s.contains("+/// Adds")
    })?;
    term.keys(&["M-r"])?;
    term.wait_text("Review done: 1 of 2 hunks accepted")?;
    term.keys(&["C-s"])?;
    wait_file(file, want)?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}

#[test]
fn refactor_review_accept_one_hunk_reject_another_and_save() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let base = model_server(None)?;
    let (term, file) = start(&sandbox, &base)?;
    run_refactor(&term)?;
    review_and_save(&term, &file, MERGED)?;
    assert_eq!(std::fs::read_to_string(&file)?, MERGED);
    Ok(())
}

#[test]
fn typing_elsewhere_during_the_run_is_kept_and_the_proposal_rebased() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let (go, gate) = mpsc::channel();
    let base = model_server(Some(gate))?;
    let (term, file) = start(&sandbox, &base)?;
    run_refactor(&term)?;
    // While the model has not answered yet, edit `main` (above `add`).
    term.keys(&["C-b", "Left"])?;
    term.keys(&["C-Home", "Down", "End"])?;
    term.type_text(" // three")?;
    term.wait_text("add(1, 2)); // three")?;
    go.send(())?;
    let want = MERGED.replace("add(1, 2));", "add(1, 2)); // three");
    review_and_save(&term, &file, &want)?;
    assert_eq!(std::fs::read_to_string(&file)?, want);
    Ok(())
}
