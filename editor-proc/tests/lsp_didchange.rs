//! The `didChange` for a one-character edit in a big buffer is incremental: a few hundred
//! bytes, not the buffer. Checked on the function that builds it (100 MB buffer) and end to
//! end: the real editor binary talking to a tiny recording language server (python3) that
//! logs the size of every message it receives.

mod lsp_script;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use symphony_editor::lsp::jsonrpc::frame_bytes;
use symphony_editor::lsp::position::Encoding;
use symphony_editor::lsp::sync::did_change;
use xi_rope::{DeltaBuilder, Interval, Rope};

/// `n` bytes of Python-ish lines.
fn big_text(n: usize) -> String {
    let line = "value_with_a_longer_name = compute(alpha, beta, gamma)  # é\n";
    let mut s = String::with_capacity(n + line.len());
    while s.len() < n {
        s.push_str(line);
    }
    s
}

#[test]
fn one_char_edit_in_a_100_mb_buffer_sends_bytes_not_megabytes() {
    let text = Rope::from(big_text(100 << 20));
    let at = text.offset_of_line(text.line_of_offset(text.len() / 2)) + 5;
    let mut b = DeltaBuilder::new(text.len());
    b.replace(Interval::new(at, at), Rope::from("x"));
    let delta = b.build();
    let uri = "file:///tmp/big.py";
    let msg = did_change(uri, 2, &text, &delta, Encoding::Utf16);
    let bytes = frame_bytes(&msg);
    assert!(bytes.len() < 300, "didChange is {} bytes", bytes.len());
    let line = text.line_of_offset(at) as u64;
    assert_eq!(
        msg["params"]["contentChanges"],
        json!([{"range": {"start": {"line": line, "character": 5},
                          "end": {"line": line, "character": 5}}, "text": "x"}])
    );
}

/// A language server that records `method length` of each message it receives in `log`.
const RECORDER: &str = r#"
import json, sys
log = open(sys.argv[1], "a", buffering=1)
doc_path = sys.argv[1] + ".doc"
doc = ""

def offset(text, pos):
    # LSP positions in UTF-16 code units (the default encoding)
    lines = text.split("\n")
    line_no = pos["line"]
    start = sum(len(l) + 1 for l in lines[:line_no])
    line = lines[line_no] if line_no < len(lines) else ""
    units, i = 0, 0
    while i < len(line) and units < pos["character"]:
        units += 2 if ord(line[i]) > 0xFFFF else 1
        i += 1
    return min(start + i, len(text))

def save_doc():
    if len(sys.argv) < 3:  # only when asked to keep the document
        return
    with open(doc_path + ".tmp", "w", encoding="utf-8") as f:
        f.write(doc)
    import os
    os.replace(doc_path + ".tmp", doc_path)
for msg, length in messages():
    log.write("%s %d\n" % (msg.get("method", "response"), length))
    if msg.get("method") == "initialize":
        # a malformed frame first: the client must skip it and carry on
        out.write(b"Content-Length: 3\r\n\r\n{x}")
        send({"jsonrpc": "2.0", "id": msg["id"],
              "result": {"capabilities": {"textDocumentSync": 2}}})
    elif msg.get("method") == "textDocument/didOpen":
        doc = msg["params"]["textDocument"]["text"]
        save_doc()
    elif msg.get("method") == "textDocument/didChange":
        for c in msg["params"]["contentChanges"]:
            if "range" in c:
                a = offset(doc, c["range"]["start"])
                b = offset(doc, c["range"]["end"])
                doc = doc[:a] + c["text"] + doc[b:]
            else:
                doc = c["text"]
        save_doc()
    elif msg.get("method") == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif msg.get("method") == "exit":
        sys.exit(0)
"#;

#[test]
fn the_editor_sends_a_small_did_change_for_a_one_char_edit_in_a_big_file() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipping: python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("recorder.py");
    lsp_script::write_server(&script, RECORDER);
    let log = dir.path().join("lsp.log");
    let cfg = dir.path().join("config/symphony");
    std::fs::create_dir_all(&cfg).expect("mkdir");
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "[lsp.python]\ncommand = \"python3\"\nargs = [{:?}, {:?}]\n",
            script.display().to_string(),
            log.display().to_string()
        ),
    )
    .expect("config");
    let file = dir.path().join("big.py");
    std::fs::write(&file, big_text(16 << 20)).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut send = |v: Value| {
        stdin.write_all(format!("{v}\n").as_bytes()).expect("write");
    };
    send(json!({"id": 1, "method": "new_view", "params": {"file_path": file}}));
    let view = loop {
        let v: Value =
            serde_json::from_str(&lines.next().expect("line").expect("io")).expect("json");
        if v["id"] == 1 {
            break v["result"].as_str().expect("view").to_string();
        }
    };
    // wait for the server to have the document, then type one character
    let recorded = |what: &str| -> Vec<(String, usize)> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (m, n) = l.split_once(' ')?;
                Some((m.to_string(), n.parse().ok()?))
            })
            .filter(|(m, _)| m == what)
            .collect()
    };
    let wait = |what: &str| {
        let until = Instant::now() + Duration::from_secs(60);
        while recorded(what).is_empty() {
            assert!(Instant::now() < until, "the server never got {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait("textDocument/didOpen");
    let open_len = recorded("textDocument/didOpen")[0].1;
    assert!(
        open_len > 16 << 20,
        "didOpen carries the text ({open_len} bytes)"
    );
    send(
        json!({"method": "edit", "params": {"view_id": view, "method": "insert",
        "params": {"chars": "x"}}}),
    );
    wait("textDocument/didChange");
    let changes = recorded("textDocument/didChange");
    assert_eq!(changes.len(), 1);
    assert!(changes[0].1 < 300, "didChange is {} bytes", changes[0].1);
    drop(stdin);
    // quitting shuts the server down
    let status = child.wait().expect("wait");
    assert!(status.success());
    let shut = recorded("shutdown");
    assert_eq!(
        shut.len(),
        1,
        "shutdown sent once: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_eq!(recorded("exit").len(), 1, "exit sent once");
}

/// Starts the editor with the recorder as the Python server; returns it, the log path,
/// and a line reader.
struct Session {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    log: std::path::PathBuf,
    next_id: u64,
}

impl Session {
    fn start(dir: &std::path::Path) -> Session {
        let script = dir.join("recorder.py");
        lsp_script::write_server(&script, RECORDER);
        let log = dir.join("lsp.log");
        let cfg = dir.join("config/symphony");
        std::fs::create_dir_all(&cfg).expect("mkdir");
        std::fs::write(
            cfg.join("config.toml"),
            format!(
                "[lsp.python]\ncommand = \"python3\"\nargs = [{:?}, {:?}, \"track\"]\n",
                script.display().to_string(),
                log.display().to_string()
            ),
        )
        .expect("config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Session {
            child,
            stdin,
            lines,
            log,
            next_id: 1,
        }
    }

    fn send(&mut self, v: Value) {
        self.stdin
            .write_all(format!("{v}\n").as_bytes())
            .expect("write");
        self.stdin.flush().expect("flush");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"id": id, "method": method, "params": params}));
        loop {
            let line = self.lines.next().expect("line").expect("io");
            let v: Value = serde_json::from_str(&line).expect("json");
            if v["id"] == id && v.get("method").is_none() {
                return v;
            }
        }
    }

    fn edit(&mut self, view: &str, method: &str, params: Value) {
        self.send(
            json!({"method": "edit", "params": {"view_id": view, "method": method,
            "params": params}}),
        );
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_servers_copy_of_the_document_follows_every_kind_of_edit() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipping: python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("doc.py");
    std::fs::write(&file, "alpha = 1\nbeta = 2\ngamma = 3\n").expect("write");
    let mut s = Session::start(dir.path());
    let view = s.request("new_view", json!({"file_path": file}))["result"]
        .as_str()
        .expect("view")
        .to_string();
    // multi-byte and astral characters (UTF-16 surrogate pairs), newlines, several carets,
    // deletions, undo/redo, a paste over a selection
    s.edit(&view, "insert", json!({"chars": "é😀"}));
    s.edit(&view, "add_selection_below", json!({}));
    s.edit(&view, "add_selection_below", json!({}));
    s.edit(&view, "insert", json!({"chars": "x😀"}));
    s.edit(&view, "delete_backward", json!({}));
    s.edit(&view, "collapse_selections", json!({}));
    s.edit(&view, "insert_newline", json!({}));
    s.edit(&view, "undo", json!({}));
    s.edit(&view, "redo", json!({}));
    s.edit(&view, "move_to_end_of_document", json!({}));
    s.edit(
        &view,
        "move_to_beginning_of_line_and_modify_selection",
        json!({}),
    );
    s.edit(&view, "move_up_and_modify_selection", json!({}));
    s.edit(&view, "paste", json!({"chars": "pasted 😀\nlines ü\n"}));
    s.edit(&view, "delete_word_backward", json!({}));
    let want = s.request("debug_get_contents", json!({"view_id": view}))["result"]
        .as_str()
        .expect("text")
        .to_string();
    // the edits did happen: carets on several lines, a surrogate pair deleted, a paste
    assert!(
        want.matches('x').count() >= 2 && !want.contains("x😀"),
        "{want:?}"
    );
    assert!(
        want.contains("é😀") && want.contains("pasted 😀\nlines"),
        "{want:?}"
    );
    let doc = s.log.with_extension("log.doc");
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let have = std::fs::read_to_string(&doc).unwrap_or_default();
        if have == want {
            break;
        }
        assert!(
            Instant::now() < until,
            "the server has {have:?}, the editor {want:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // closing the last view of the file closes the document in the server
    s.send(json!({"method": "close_view", "params": {"view_id": view}}));
    let until = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&s.log)
        .unwrap_or_default()
        .contains("textDocument/didClose")
    {
        assert!(Instant::now() < until, "no didClose");
        std::thread::sleep(Duration::from_millis(20));
    }
}
