//! Crash recovery with a real SIGKILL: type into the real `symphony-editor`, kill
//! it, start it again on the same state directory, and get every keystroke back.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Only a guard against hanging, never a timing assertion.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Editor {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: u64,
}

impl Editor {
    fn spawn(state: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
            .env("XDG_STATE_HOME", state)
            // a refused journal goes to the trash: keep it out of the real home
            .env("XDG_DATA_HOME", state.with_file_name("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start symphony-editor");
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take().expect("stdin");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let mut editor = Editor {
            child,
            stdin,
            rx,
            next_id: 0,
        };
        editor.notify("client_started", json!({}));
        editor
    }

    fn write(&mut self, msg: Value) {
        let mut line = msg.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .expect("write to the editor");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(json!({"method": method, "params": params}));
    }

    /// Sends a request; returns its result and every message that came before it.
    fn request(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        self.next_id += 1;
        let id = self.next_id;
        self.write(json!({"id": id, "method": method, "params": params}));
        let mut before = Vec::new();
        loop {
            let msg = self.recv();
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                let result = msg
                    .get("result")
                    .cloned()
                    .unwrap_or_else(|| panic!("error answer to {method}: {msg}"));
                return (result, before);
            }
            before.push(msg);
        }
    }

    fn recv(&mut self) -> Value {
        match self.rx.recv_timeout(TIMEOUT) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("the editor said nothing for {TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the editor exited"),
        }
    }

    /// Waits for a notification `method` (other messages are skipped).
    fn wait_for(&mut self, method: &str, seen: &mut Vec<Value>) -> Value {
        if let Some(i) = seen.iter().position(|m| m["method"] == method) {
            return seen.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            let msg = self.recv();
            if msg["method"] == method {
                return msg;
            }
            seen.push(msg);
        }
        panic!("no {method} arrived");
    }

    fn contents(&mut self, view: &str) -> String {
        let (result, _) = self.request("debug_get_contents", json!({"view_id": view}));
        result.as_str().expect("contents are a string").to_owned()
    }

    fn new_view(&mut self, path: &Path) -> (String, Vec<Value>) {
        let (view, before) = self.request("new_view", json!({"file_path": path}));
        (view.as_str().expect("view id").to_owned(), before)
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_keystroke_survives_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "original line\n").unwrap();
    let typed = "Hello, wörld!\nsecond line ✓ ";

    // First life: type, make sure every keystroke was answered, then SIGKILL.
    let mut ed = Editor::spawn(&state);
    let (view, _) = ed.new_view(&file);
    let mut updates = 0;
    for ch in typed.chars() {
        let (method, params) = if ch == '\n' {
            ("insert_newline", json!({}))
        } else {
            ("insert", json!({"chars": ch.to_string()}))
        };
        ed.notify(
            "edit",
            json!({"view_id": view, "method": method, "params": params}),
        );
        // Each keystroke is answered by an update before the next one is sent.
        loop {
            let msg = ed.recv();
            if msg["method"] == "update" {
                updates += 1;
                break;
            }
        }
    }
    assert_eq!(updates, typed.chars().count());
    let expected = format!("{typed}original line\n");
    assert_eq!(ed.contents(&view), expected);
    ed.child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    let status = ed.child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "original line\n",
        "nothing was saved"
    );

    // Second life: opening the same file offers the recovered text.
    let mut ed = Editor::spawn(&state);
    let (view, mut seen) = ed.new_view(&file);
    let offer = ed.wait_for("symphony.recovery_available", &mut seen);
    let p = &offer["params"];
    assert_eq!(p["view_id"], json!(view));
    assert_eq!(p["file_path"].as_str().map(Path::new), Some(file.as_path()));
    assert_eq!(p["recovered_len"], json!(expected.len()));
    assert!(p["edits"].as_u64().unwrap() >= 1);
    assert_eq!(
        ed.contents(&view),
        "original line\n",
        "nothing changes before the user accepts"
    );

    ed.notify("symphony.recover", json!({"view_id": view, "accept": true}));
    assert_eq!(ed.contents(&view), expected, "every keystroke is back");
}

#[test]
fn refusing_the_recovery_discards_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let file = tmp.path().join("other.txt");
    std::fs::write(&file, "abc\n").unwrap();

    let mut ed = Editor::spawn(&state);
    let (view, _) = ed.new_view(&file);
    ed.notify(
        "edit",
        json!({"view_id": view, "method": "insert", "params": {"chars": "XYZ"}}),
    );
    assert_eq!(ed.contents(&view), "XYZabc\n");
    ed.child.kill().unwrap();
    ed.child.wait().unwrap();

    let mut ed = Editor::spawn(&state);
    let (view, mut seen) = ed.new_view(&file);
    ed.wait_for("symphony.recovery_available", &mut seen);
    ed.notify(
        "symphony.recover",
        json!({"view_id": view, "accept": false}),
    );
    assert_eq!(ed.contents(&view), "abc\n");
    ed.child.kill().unwrap();
    ed.child.wait().unwrap();

    // Refused once: not offered again.
    let mut ed = Editor::spawn(&state);
    let (view, before) = ed.new_view(&file);
    let (_, after) = ed.request("debug_get_contents", json!({"view_id": view}));
    assert!(
        before
            .iter()
            .chain(&after)
            .all(|m| m["method"] != "symphony.recovery_available"),
        "a refused recovery was offered again"
    );
}

#[test]
fn after_a_save_only_the_later_edits_are_recovered() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let file = tmp.path().join("saved.txt");
    std::fs::write(&file, "base\n").unwrap();

    let mut ed = Editor::spawn(&state);
    let (view, _) = ed.new_view(&file);
    ed.notify(
        "edit",
        json!({"view_id": view, "method": "insert", "params": {"chars": "saved "}}),
    );
    ed.notify("save", json!({"view_id": view, "file_path": file}));
    assert_eq!(ed.contents(&view), "saved base\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "saved base\n");
    ed.notify(
        "edit",
        json!({"view_id": view, "method": "insert", "params": {"chars": "unsaved "}}),
    );
    assert_eq!(ed.contents(&view), "saved unsaved base\n");
    ed.child.kill().unwrap();
    ed.child.wait().unwrap();

    let mut ed = Editor::spawn(&state);
    let (view, mut seen) = ed.new_view(&file);
    let offer = ed.wait_for("symphony.recovery_available", &mut seen);
    assert_eq!(
        offer["params"]["recovered_len"],
        json!("saved unsaved base\n".len())
    );
    ed.notify("symphony.recover", json!({"view_id": view, "accept": true}));
    assert_eq!(ed.contents(&view), "saved unsaved base\n");
}
