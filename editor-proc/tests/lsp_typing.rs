//! Typing with a language server: the server's completion trigger characters reach the
//! client in `symphony.lsp.status`, and an auto-closed `(` (the editor inserts `()`) still
//! asks for signature help, which a `)` typed over the closer closes. The real editor
//! binary talks to a small scripted Python language server standing in for a real one.

mod lsp_script;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Offers completions after `.` and `>`, signature help after `(`.
const SERVER: &str = r#"
for msg, length in messages():
    method = msg.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"capabilities": {
            "textDocumentSync": 2,
            "completionProvider": {"triggerCharacters": [".", ">"]},
            "signatureHelpProvider": {"triggerCharacters": ["("]}}}})
    elif method == "textDocument/signatureHelp":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {
            "signatures": [{"label": "greet(name)", "parameters": [{"label": [6, 10]}]}],
            "activeSignature": 0, "activeParameter": 0}})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif method == "exit":
        sys.exit(0)
"#;

const WAIT: Duration = Duration::from_secs(60);

struct Ed {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    _dir: tempfile::TempDir,
}

impl Ed {
    fn start(file_text: &str) -> Option<(Ed, String)> {
        if Command::new("python3").arg("--version").output().is_err() {
            eprintln!("skipping: python3 is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("server.py");
        lsp_script::write_server(&script, SERVER);
        let cfg = dir.path().join("config/symphony");
        std::fs::create_dir_all(&cfg).expect("mkdir");
        std::fs::write(
            cfg.join("config.toml"),
            format!(
                "[lsp.python]\ncommand = \"python3\"\nargs = [{:?}]\n",
                script.display().to_string()
            ),
        )
        .expect("config");
        let file = dir.path().join("t.py");
        std::fs::write(&file, file_text).expect("write");
        let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        let mut ed = Ed {
            child,
            stdin,
            rx,
            _dir: dir,
        };
        ed.send(json!({"id": 1, "method": "new_view", "params": {"file_path": file}}));
        let view = ed.wait_for("the view", |v| v["id"] == 1)["result"]
            .as_str()
            .expect("view id")
            .to_string();
        Some((ed, view))
    }

    fn send(&mut self, v: Value) {
        self.stdin
            .write_all(format!("{v}\n").as_bytes())
            .expect("write");
        self.stdin.flush().expect("flush");
    }

    fn edit(&mut self, view: &str, method: &str, params: Value) {
        self.send(
            json!({"method": "edit", "params": {"view_id": view, "method": method, "params": params}}),
        );
    }

    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no {what} within {WAIT:?}");
    }
}

impl Drop for Ed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_running_status_names_the_servers_completion_trigger_characters() {
    let Some((mut ed, _view)) = Ed::start("import os\n") else {
        return;
    };
    let running = ed.wait_for("running status", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "running"
    });
    assert_eq!(
        running["params"]["completion_triggers"],
        json!([".", ">"]),
        "{running}"
    );
}

#[test]
fn an_auto_closed_paren_asks_for_signature_help_and_typing_over_the_closer_closes_it() {
    let Some((mut ed, view)) = Ed::start("def greet(name):\n    pass\n\n") else {
        return;
    };
    ed.wait_for("running status", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "running"
    });
    ed.edit(&view, "move_to_end_of_document", json!({}));
    ed.edit(&view, "insert", json!({"chars": "greet"}));
    ed.edit(&view, "insert", json!({"chars": "("}));
    let sh = ed.wait_for("signature help", |v| {
        v["method"] == "symphony.lsp.signature_help" && v["params"]["label"] != ""
    });
    assert_eq!(sh["params"]["label"], "greet(name)", "{sh}");
    ed.send(json!({"id": 7, "method": "debug_get_contents", "params": {"view_id": view}}));
    let text = ed.wait_for("the text", |v| v["id"] == 7);
    assert_eq!(
        text["result"], "def greet(name):\n    pass\n\ngreet()",
        "the ( was auto-closed"
    );
    ed.edit(&view, "insert", json!({"chars": ")"}));
    let closed = ed.wait_for("signature help closed", |v| {
        v["method"] == "symphony.lsp.signature_help" && v["params"]["label"] == ""
    });
    assert_eq!(closed["params"]["view_id"], view.as_str());
    ed.send(json!({"id": 8, "method": "debug_get_contents", "params": {"view_id": view}}));
    let text = ed.wait_for("the text", |v| v["id"] == 8);
    assert_eq!(
        text["result"], "def greet(name):\n    pass\n\ngreet()",
        "the ) was typed over"
    );
}
