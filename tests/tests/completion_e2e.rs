//! End to end: inline completion in `symphony` with the real `symphony-editor` in tmux.
//! The model is a scripted llama.cpp-style `/infill` server on 127.0.0.1 started by the
//! test (it stands in for a model, answering after 30 ms). The user types, pauses, sees
//! the ghost text, presses Tab and saves: the file holds the accepted text.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use symphony_tests::{Sandbox, binaries, wait_file};

const FILE: &str = "fn main() {\n    let x = \n}\n";
const WANT: &str = "fn main() {\n    let x = two_plus(1);\n}\n";

/// The stand-in model: every `POST /infill` gets `wo_plus(1);` after 30 ms; the
/// request bodies are kept.
fn infill_server(seen: Arc<Mutex<Vec<String>>>) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                let _ = serve(stream, &seen);
            });
        }
    });
    Ok(base)
}

fn serve(mut stream: TcpStream, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut length = 0usize;
        let mut request_line = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if request_line.is_empty() {
                request_line = line.clone();
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
        let body = String::from_utf8_lossy(&body).to_string();
        if let Ok(mut s) = seen.lock() {
            s.push(format!("{}{body}", request_line));
        }
        std::thread::sleep(Duration::from_millis(30));
        let answer = serde_json::json!({"content": "wo_plus(1);", "timings": {"prompt_n": 12, "prompt_ms": 1.0, "predicted_n": 4, "predicted_ms": 2.0}}).to_string();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
            answer.len()
        )?;
        stream.flush()?;
    }
}

#[test]
fn type_pause_tab_save_and_the_file_holds_the_accepted_text() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let base = infill_server(seen.clone())?;
    let dir = sandbox.work().parent().map(|p| p.join("config/symphony"));
    let dir = dir.ok_or_else(|| anyhow::anyhow!("no config dir"))?;
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[[instruments]]\nname = \"standin\"\nkind = \"openai\"\nbase_url = \"{base}\"\n\
             model = \"stand-in\"\n\n[completion]\nenabled = true\ninstrument = \"standin\"\n\
             format = \"infill\"\ndebounce_ms = 100\n"
        ),
    )?;
    let file = sandbox.file("main.rs", FILE)?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&file)])?;
    term.wait_text("let x =")?;
    term.keys(&["Down", "End"])?;
    term.wait_text(" 2:13 ")?;
    term.type_text("t")?;
    // The pause passes; the ghost text comes on screen after the caret.
    term.wait_text("let x = two_plus(1);")?;
    term.wait_text("ghost: 12+4 tok")?;
    term.keys(&["Tab"])?;
    // Accepted: the caret is after it (the editor says so).
    term.wait_text(" 2:25 ")?;
    term.save_and_quit(&file, WANT)?;
    wait_file(&file, WANT)?;
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let first = seen.first().cloned().unwrap_or_default();
    assert!(first.starts_with("POST /infill "), "{seen:?}");
    assert!(first.contains(r#""prompt":"    let x = t""#), "{seen:?}");
    Ok(())
}
