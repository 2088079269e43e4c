//! End to end: AI answers put into files, with the real `symphony` and
//! `symphony-editor` in tmux. The model is a scripted OpenAI-compatible server on
//! 127.0.0.1 started by the test: it stands in for a model, answering every chat
//! completion with a streamed (SSE) answer the test chose.
//! - A chat answer's code block goes in at the editor's cursor with alt-y in the
//!   AI pane, and the saved file holds it.
//! - "Write tests" in a project with a `tests/` folder opens `tests/test_stats.py`
//!   (not on disk yet) with the tests as a proposal; accepting it writes the file.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries, wait_file};

const MODULE: &str = "def mean(xs):\n    return sum(xs) / len(xs)\n";

/// A scripted server standing in for a model: every chat completion is `answer`.
fn model_server(answer: &'static str) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = serve(stream, answer);
        }
    });
    Ok(base)
}

fn serve(mut stream: TcpStream, answer: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
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
    let chars: Vec<char> = answer.chars().collect();
    for piece in chars.chunks(8) {
        let text: String = piece.iter().collect();
        let delta = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
            "model": "stand-in", "choices": [{"index": 0, "delta": {"content": text},
            "finish_reason": null}]});
        chunk(&mut stream, delta.to_string())?;
    }
    let end = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
        "model": "stand-in", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 30}});
    chunk(&mut stream, end.to_string())?;
    chunk(&mut stream, "[DONE]".into())?;
    stream.write_all(b"0\r\n\r\n")?;
    stream.flush()
}

/// `pkg/stats.py` open in symphony, the stand-in model configured.
fn start(sandbox: &Sandbox, answer: &'static str) -> Result<(Terminal, std::path::PathBuf)> {
    let base = model_server(answer)?;
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
    std::fs::create_dir_all(sandbox.work().join("pkg"))?;
    let file = sandbox.file("pkg/stats.py", MODULE)?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&file)])?;
    term.wait_text("def mean")?;
    Ok((term, file))
}

const CHAT_ANSWER: &str =
    "Guard the empty list:\n\n```python\nif not xs:\n    return 0.0\n```\n\nThen divide.";

#[test]
fn alt_y_in_the_ai_pane_inserts_the_answers_code_block_and_the_file_holds_it() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let (term, file) = start(&sandbox, CHAT_ANSWER)?;
    // The caret at the start of the body line.
    term.keys(&["C-Home", "Down"])?;
    term.wait_text(" 2:1 ")?;
    term.keys(&["C-b", "C"])?;
    term.type_text("what if xs is empty?")?;
    term.keys(&["Enter"])?;
    term.wait_text("Then divide.")?;
    term.wait_text("code 1/1 python, 2 lines: Alt-Y insert")?;
    term.keys(&["M-y"])?;
    term.wait_text("Code block 1 of 1 inserted at the cursor")?;
    term.keys(&["C-s"])?;
    let want = "def mean(xs):\nif not xs:\n    return 0.0\n    return sum(xs) / len(xs)\n";
    wait_file(&file, want)?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}

const TESTS_ANSWER: &str = "```python\nfrom pkg.stats import mean\n\n\ndef test_mean():\n    assert mean([1, 3]) == 2\n```\n";

#[test]
fn write_tests_with_a_tests_folder_creates_the_test_file_only_on_accept() -> Result<()> {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.work().join("tests"))?;
    let (term, file) = start(&sandbox, TESTS_ANSWER)?;
    let target = sandbox.work().join("tests/test_stats.py");
    term.keys(&["C-b", "T"])?;
    term.wait_text("AI proposal: 1 hunk to review")?;
    let s = term.wait_text("def test_mean():")?;
    assert!(s.contains("test_stats.py"), "{s}");
    assert!(!target.exists(), "nothing is written before the accept");
    term.keys(&["M-A"])?;
    // The accept writes the new file (a save is asynchronous).
    let screen = term.wait_for("the new test file written", |_| target.exists())?;
    assert!(!screen.contains("+def test_mean"), "no hunk left: {screen}");
    wait_file(
        &target,
        "from pkg.stats import mean\n\n\ndef test_mean():\n    assert mean([1, 3]) == 2\n",
    )?;
    assert_eq!(
        std::fs::read_to_string(&file)?,
        MODULE,
        "the module is untouched"
    );
    term.keys(&["C-q"])?;
    term.wait_exit()
}

const NAMED_ANSWER: &str = "Put it in its own file:\n\n```python pkg/guard.py\ndef safe_mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n```\n";

#[test]
fn alt_p_applies_a_block_to_the_file_its_fence_names_written_on_accept() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let (term, _) = start(&sandbox, NAMED_ANSWER)?;
    let target = sandbox.work().join("pkg/guard.py");
    term.keys(&["C-b", "C"])?;
    term.type_text("a safe mean?")?;
    term.keys(&["Enter"])?;
    term.wait_text("code 1/1 python → pkg/guard.py")?;
    term.keys(&["M-p"])?;
    term.wait_text("AI proposal: 1 hunk to review")?;
    assert!(!target.exists(), "nothing is written before the accept");
    term.keys(&["M-A"])?;
    term.wait_for("the named file written", |_| target.exists())?;
    wait_file(
        &target,
        "def safe_mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n",
    )?;
    term.keys(&["C-q"])?;
    term.wait_exit()
}
