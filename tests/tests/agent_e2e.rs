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
    // Symphony's own agent and the configured one: the picker, then the prompt.
    term.keys(&["C-b", "I"])?;
    term.wait_text("external agent (ACP)")?;
    term.type_text("scripted")?;
    term.keys(&["Enter"])?;
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
fn an_acp_agents_write_is_reviewed_in_the_buffer_and_accepting_it_saves_the_change() -> Result<()> {
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

// ---- Symphony's own agent, on a scripted model ----

mod ours {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{Value, json};

    pub const A: &str = "pub fn total() -> i32 {\n    1\n}\n";
    pub const B: &str = "fn main() {\n    println!(\"{}\", total());\n}\n\nfn twice() -> i32 {\n    total() * 2\n}\n";
    /// a.rs accepted.
    pub const A_AFTER: &str = "pub fn sum() -> i32 {\n    1\n}\n";
    /// b.rs: the first hunk accepted, the second rejected.
    pub const B_AFTER: &str =
        "fn main() {\n    println!(\"{}\", sum());\n}\n\nfn twice() -> i32 {\n    total() * 2\n}\n";

    /// One model turn as an OpenAI-compatible server streams it: text, then each
    /// tool call with its arguments split into 5-byte fragments, then the finish.
    fn turn(text: &str, calls: &[(&str, &str, Value)]) -> String {
        let chunk = |delta: Value, finish: Option<&str>| {
            format!(
                "data: {}\n\n",
                json!({"choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
            )
        };
        let mut out = String::new();
        if !text.is_empty() {
            out += &chunk(json!({"role":"assistant","content":text}), None);
        }
        for (i, (id, name, args)) in calls.iter().enumerate() {
            out += &chunk(
                json!({"tool_calls":[{"index":i,"id":id,"type":"function","function":{"name":name,"arguments":""}}]}),
                None,
            );
            for piece in args.to_string().as_bytes().chunks(5) {
                let frag = String::from_utf8_lossy(piece).into_owned();
                out += &chunk(
                    json!({"tool_calls":[{"index":i,"function":{"arguments":frag}}]}),
                    None,
                );
            }
        }
        let finish = if calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        };
        out += &chunk(json!({}), Some(finish));
        out += &format!(
            "data: {}\n\ndata: [DONE]\n\n",
            json!({"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":20}})
        );
        out
    }

    /// The rename, turn by turn: grep, read both files, run a command (asked), edit
    /// both files, then the summary.
    fn turns() -> Vec<String> {
        vec![
            turn(
                "Looking for it. ",
                &[("c1", "grep", json!({"pattern": "total"}))],
            ),
            turn(
                "",
                &[
                    ("c2", "read_file", json!({"path": "a.rs"})),
                    ("c3", "read_file", json!({"path": "b.rs"})),
                ],
            ),
            turn(
                "",
                &[(
                    "c4",
                    "run_command",
                    json!({"command": "grep -c total a.rs b.rs"}),
                )],
            ),
            turn(
                "Renaming. ",
                &[
                    (
                        "c5",
                        "edit_file",
                        json!({"path": "a.rs", "search": "pub fn total()", "replace": "pub fn sum()"}),
                    ),
                    (
                        "c6",
                        "edit_file",
                        json!({"path": "b.rs",
                            "search": "    println!(\"{}\", total());\n}\n\nfn twice() -> i32 {\n    total() * 2\n",
                            "replace": "    println!(\"{}\", sum());\n}\n\nfn twice() -> i32 {\n    sum() * 2\n"}),
                    ),
                ],
            ),
            turn("Renamed total to sum in a.rs and b.rs.", &[]),
        ]
    }

    /// A scripted OpenAI-compatible server on 127.0.0.1 (it stands in for a model):
    /// chat completion `n` gets turn `n` (the last one again past the end); anything
    /// else gets 404. Returns the base URL.
    pub fn model_server() -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let turns = Arc::new(turns());
        let n = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (turns, n) = (turns.clone(), n.clone());
                std::thread::spawn(move || serve(stream, &turns, &n));
            }
        });
        Ok(base)
    }

    fn serve(mut stream: TcpStream, turns: &[String], n: &AtomicUsize) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut first = String::new();
        reader.read_line(&mut first)?;
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
        if !(first.starts_with("POST") && first.contains("chat/completions")) {
            stream.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )?;
            return stream.flush();
        }
        let i = n.fetch_add(1, Ordering::SeqCst).min(turns.len() - 1);
        stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
              transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        )?;
        for piece in turns[i].as_bytes().chunks(64) {
            write!(stream, "{:x}\r\n", piece.len())?;
            stream.write_all(piece)?;
            stream.write_all(b"\r\n")?;
            stream.flush()?;
        }
        stream.write_all(b"0\r\n\r\n")?;
        stream.flush()
    }
}

/// Picks `name` in "Run changes" (filtering on it) and waits for its review.
fn review_file(term: &Terminal, name: &str, shows: &str) -> Result<()> {
    term.keys(&["C-b", "L"])?;
    term.wait_text("Run changes")?;
    term.type_text(name)?;
    term.keys(&["Enter"])?;
    term.wait_text(shows)?;
    Ok(())
}

#[test]
fn symphonys_agent_renames_a_function_in_two_files_reviewed_hunk_by_hunk() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let base = ours::model_server()?;
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
    let a = sandbox.file("a.rs", ours::A)?;
    let b = sandbox.file("b.rs", ours::B)?;
    let notes = sandbox.file("notes.txt", "the notes\n")?;
    let term = sandbox.symphony(&binaries()?, &[OsStr::new(&notes)])?;
    term.wait_text("the notes")?;
    // Only Symphony's agent: no picker.
    term.keys(&["C-b", "I"])?;
    term.wait_text("Symphony>")?;
    term.type_text("rename total to sum")?;
    term.keys(&["Enter"])?;
    // run_command asks first, with the exact command.
    term.wait_text("1. Allow once: run_command grep")?;
    term.wait_text("3. Deny: run_command grep")?;
    term.keys(&["Enter"])?;
    term.wait_text("Renamed total to sum in a.rs and b.rs.")?;
    // Nothing is on disk before the user accepts.
    assert_eq!(std::fs::read_to_string(&a)?, ours::A);
    assert_eq!(std::fs::read_to_string(&b)?, ours::B);
    // a.rs: accept it all, save.
    review_file(&term, "a.rs", "+pub fn sum()")?;
    term.keys(&["M-A"])?;
    term.wait_text("Review done: 1 of 1 hunks accepted")?;
    term.keys(&["C-s"])?;
    wait_file(&a, ours::A_AFTER)?;
    // b.rs: accept the first hunk, reject the second, save.
    review_file(&term, "b.rs", "+    sum() * 2")?;
    term.keys(&["C-Home"])?;
    term.wait_text(" 1:1 ")?;
    term.keys(&["M-a"])?;
    term.wait_for("the first hunk applied", |s| {
        s.contains("println!(\"{}\", sum());") && !s.contains("+    println!")
    })?;
    term.keys(&["M-r"])?;
    term.wait_text("Review done: 1 of 2 hunks accepted")?;
    term.keys(&["C-s"])?;
    wait_file(&b, ours::B_AFTER)?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    assert_eq!(std::fs::read_to_string(&a)?, ours::A_AFTER);
    assert_eq!(std::fs::read_to_string(&b)?, ours::B_AFTER);
    Ok(())
}

#[test]
fn an_acp_agent_reads_the_unsaved_buffer_and_its_write_is_reviewed_there() -> Result<()> {
    if python_missing() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let sandbox = Sandbox::new()?;
    let (term, a) = start(&sandbox)?;
    // a.txt open with an unsaved edit: the agent reads what the user sees.
    term.keys(&["C-o"])?;
    term.type_text("a.txt")?;
    term.keys(&["Enter"])?;
    term.wait_text("hello")?;
    term.type_text("hey ")?;
    term.wait_text("hey hello")?;
    term.keys(&["C-b", "I"])?;
    term.wait_text("external agent (ACP)")?;
    term.type_text("scripted")?;
    term.keys(&["Enter"])?;
    term.wait_text("scripted>")?;
    term.type_text("make it loud")?;
    term.keys(&["Enter"])?;
    term.wait_text("Allow once: Edit a.txt")?;
    term.keys(&["Enter"])?;
    term.wait_for("the review in the open buffer", |s| {
        s.contains("+HEY HELLO") && s.contains("-hey hello")
    })?;
    term.keys(&["C-b", "Left"])?;
    term.keys(&["M-A"])?;
    term.wait_text("Review done: 1 of 1 hunks accepted")?;
    term.keys(&["C-s"])?;
    wait_file(&a, "HEY HELLO\nWORLD\n")?;
    term.keys(&["C-q"])?;
    term.wait_exit()?;
    Ok(())
}
