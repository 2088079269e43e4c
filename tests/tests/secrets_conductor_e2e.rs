//! End to end: a model server that answers 401 with a body echoing the API key. A
//! scripted HTTP server on 127.0.0.1 stands in for the model. The user runs an AI
//! refactor in the real `symphony` (with the real `symphony-editor`, in tmux): the
//! failure is shown, but the key is neither on the screen nor in any file the
//! client or the editor wrote (symphony.log at DEBUG, the run journal, artifacts).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries};

const KEY: &str = "sk-e2e-echoed-key-0123456789abcdef";

/// Answers every request with 401 and a body that quotes the key.
fn echoing_server() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer_401(stream);
        }
    });
    Ok(base)
}

fn answer_401(mut stream: TcpStream) -> std::io::Result<()> {
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
    let reply = serde_json::json!({"error": {"message":
        format!("Incorrect API key provided: {KEY}. You can find your key at https://example.invalid"),
        "type": "invalid_request_error"}})
    .to_string();
    write!(
        stream,
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
        reply.len()
    )?;
    stream.flush()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn a_401_echoing_the_key_is_shown_without_the_key_and_stored_nowhere() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let base = echoing_server()?;
    let config = sandbox.state().join("../config/symphony");
    std::fs::create_dir_all(&config)?;
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[[instruments]]\nname = \"standin\"\nkind = \"openai\"\nbase_url = \"{base}\"\n\
             model = \"stand-in\"\nmax_retries = 0\napi_key_env = \"SYMPHONY_E2E_KEY\"\n"
        ),
    )?;
    let file = sandbox.file("ops.rs", "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n")?;
    let mut env = sandbox.env(&bins);
    env.push(("SYMPHONY_E2E_KEY".into(), OsString::from(KEY)));
    env.push(("RUST_LOG".into(), OsString::from("debug")));
    let term = Terminal::start(
        &bins.symphony,
        &[file.as_os_str()],
        &env,
        &sandbox.work(),
        100,
        30,
    )?;
    term.wait_text("fn add")?;
    term.keys(&["C-b", "g"])?;
    term.wait_text("No AI runs yet")?;
    term.keys(&["C-b", "Up"])?;
    term.keys(&["C-Home", "S-Down", "S-Down", "S-Down"])?;
    term.keys(&["C-b", "R"])?;
    term.wait_text("Refactor how?")?;
    term.type_text("tidy")?;
    term.keys(&["Enter"])?;
    let screen = term.wait_text("401")?;
    assert!(!screen.contains(KEY), "the key is on the screen:\n{screen}");
    assert!(
        !screen.contains("sk-e2e-echoed"),
        "part of the key is on the screen:\n{screen}"
    );
    term.keys(&["C-q"])?;
    term.wait_exit()?;

    let mut all = Vec::new();
    files(&sandbox.state(), &mut all);
    files(&sandbox.state().join("../data"), &mut all);
    let log = sandbox.state().join("symphony/symphony.log");
    let log_text = std::fs::read_to_string(&log)?;
    assert!(
        log_text.contains("401"),
        "the failure is logged:\n{log_text}"
    );
    let journals = all
        .iter()
        .filter(|p| p.to_string_lossy().contains("conductor/runs"))
        .count();
    assert!(journals > 0, "no run journal among {all:?}");
    for p in &all {
        let bytes = std::fs::read(p)?;
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key is in {}",
            p.display()
        );
    }
    Ok(())
}
