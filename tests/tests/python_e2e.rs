//! End to end: a Python workflow in `symphony` with the real `symphony-editor` in a
//! pseudo-terminal (tmux). The model is a scripted OpenAI-compatible server on 127.0.0.1
//! started by the test: it STANDS IN FOR A MODEL, answering a name or a doc line depending
//! on the prompt. The workflow file in `$XDG_CONFIG_HOME/symphony/workflows/` makes two
//! model calls with `asyncio.gather` and proposes an edit; the user runs it from the
//! workflow picker, sees its nodes in the DAG pane, accepts the proposal and saves.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::Result;
use symphony_tests::{Sandbox, binaries, wait_file};

const FILE: &str = "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
const WANT: &str = "/// Adds two numbers.\nfn sum(a: i32, b: i32) -> i32 {\n    a + b\n}\n";

const WORKFLOW: &str = r#"
import asyncio
import symphony

@symphony.workflow(name="py-rename", description="Two model calls, one edit")
async def rename(ctx):
    name, doc = await asyncio.gather(
        ctx.model("A better name for add?"),
        ctx.model("A doc line for:\n" + ctx.file),
    )
    new = ctx.file.replace("fn add", "/// " + doc.strip() + "\nfn " + name.strip())
    ctx.propose_edit(ctx.file_path, new)
    return "renamed to " + name.strip()
"#;

/// The stand-in model: `sum` to the naming prompt, a doc line to any other, as one SSE
/// response per connection.
fn model_server() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = answer(stream);
            });
        }
    });
    Ok(base)
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
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
    let text = if String::from_utf8_lossy(&body).contains("better name") {
        "sum"
    } else {
        "Adds two numbers."
    };
    let delta = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
        "model": "stand-in", "choices": [{"index": 0, "delta": {"content": text},
        "finish_reason": null}]});
    let end = serde_json::json!({"id": "c1", "object": "chat.completion.chunk",
        "model": "stand-in", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n\
         data: {delta}\n\ndata: {end}\n\ndata: [DONE]\n\n"
    )?;
    stream.flush()
}

#[test]
fn python_workflow_two_model_calls_and_a_proposed_edit_reviewed_and_saved() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let base = model_server()?;
    let config = sandbox
        .work()
        .parent()
        .map(|p| p.join("config/symphony"))
        .ok_or_else(|| anyhow::anyhow!("no config dir"))?;
    std::fs::create_dir_all(config.join("workflows"))?;
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[[instruments]]\nname = \"standin\"\nkind = \"openai\"\nbase_url = \"{base}\"\n\
             model = \"stand-in\"\nmax_retries = 0\n"
        ),
    )?;
    std::fs::write(config.join("workflows/rename.py"), WORKFLOW)?;
    let file = sandbox.file("ops.rs", FILE)?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&file)])?;
    term.wait_text("fn add")?;
    term.keys(&["C-b", "g"])?;
    term.wait_text("No AI runs yet")?;
    term.keys(&["C-b", "Up"])?;
    // The picker lists the Python workflow (loaded off the UI thread). The Conductor
    // starts off the first frame, so on a loaded machine the picker is asked again
    // until it opens.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        term.keys(&["C-b", "W"])?;
        let opened = Instant::now() + Duration::from_secs(2);
        while Instant::now() < opened && !term.screen()?.contains("Run a workflow") {
            std::thread::sleep(Duration::from_millis(100));
        }
        if term.screen()?.contains("Run a workflow") {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "no picker:\n{}", term.screen()?);
    }
    term.wait_text("py-rename")?;
    term.type_text("py-rename")?;
    term.keys(&["Enter"])?;
    term.wait_text("Review run #")?;
    // The DAG pane shows the workflow's calls as nodes of the run.
    term.wait_for("the ctx calls in the DAG pane", |s| {
        s.contains("model-1") && s.contains("model-2") && s.contains("edit-3")
    })?;
    term.keys(&["M-A"])?;
    term.wait_for("the proposal applied", |s| {
        s.contains("fn sum") && !s.contains("+fn sum")
    })?;
    term.keys(&["C-s"])?;
    wait_file(&file, WANT)?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    assert_eq!(std::fs::read_to_string(&file)?, WANT);
    Ok(())
}
