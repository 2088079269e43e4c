//! LSP 3.18 inline completion through the real editor process: the client's
//! `symphony.lsp.inline_completion` becomes `textDocument/inlineCompletion` at the
//! primary caret (an automatic trigger), and the server's items come back as the text
//! each adds after the caret (the part of a range before the caret taken off). A tiny
//! Python language server stands in for one that offers inline completion (a Copilot
//! language server, for example); one that does not offer it gets no request.

mod lsp_script;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::{Value, json};

/// Offers `inlineCompletionProvider` when `argv[1]` is "yes"; answers with items that
/// echo the position, the trigger kind and whether the client said it can show them.
const INLINE_SERVER: &str = r#"
offer = sys.argv[1] == "yes"
client_can = False
for msg, length in messages():
    method = msg.get("method")
    if method == "initialize":
        caps = msg["params"]["capabilities"].get("textDocument", {})
        client_can = "inlineCompletion" in caps
        my = {"textDocumentSync": 2}
        if offer:
            my["inlineCompletionProvider"] = True
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"capabilities": my}})
    elif method == "textDocument/inlineCompletion":
        p = msg["params"]["position"]
        kind = msg["params"]["context"]["triggerKind"]
        start = {"line": p["line"], "character": p["character"] - 2}
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"items": [
            {"insertText": "foo(%d, %d, %s)\n    bar()" % (p["character"], kind, client_can),
             "range": {"start": start, "end": p}},
            {"insertText": "xyz()", "range": {"start": start, "end": p}},
            {"insertText": {"kind": "snippet", "value": "${1:one}"}},
        ]}})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif method == "exit":
        sys.exit(0)
    elif "id" in msg and method:
        send({"jsonrpc": "2.0", "id": msg["id"],
              "error": {"code": -32601, "message": "no " + method}})
"#;

struct Editor {
    child: Child,
    stdin: ChildStdin,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    _dir: tempfile::TempDir,
    view: String,
}

impl Editor {
    /// The editor with `x = fo` open in a Python file served by the script, the caret
    /// at the end of the line.
    fn start(offer: &str) -> Option<Editor> {
        if Command::new("python3").arg("--version").output().is_err() {
            eprintln!("skipping: python3 is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("inline.py");
        lsp_script::write_server(&script, INLINE_SERVER);
        let cfg = dir.path().join("config/symphony");
        std::fs::create_dir_all(&cfg).expect("mkdir");
        std::fs::write(
            cfg.join("config.toml"),
            format!(
                "[lsp.python]\ncommand = \"python3\"\nargs = [{:?}, {offer:?}]\n",
                script.display().to_string(),
            ),
        )
        .expect("config");
        let file = dir.path().join("a.py");
        std::fs::write(&file, "x = fo\n").expect("write");
        let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut e = Editor {
            child,
            stdin,
            lines,
            _dir: dir,
            view: String::new(),
        };
        e.send(json!({"id": 1, "method": "new_view", "params": {"file_path": file}}));
        e.view = e.answer(1)["result"].as_str().expect("view").to_string();
        let view = e.view.clone();
        e.send(json!({"method": "edit", "params": {"view_id": view,
            "method": "move_to_right_end_of_line", "params": {}}}));
        Some(e)
    }

    fn send(&mut self, v: Value) {
        self.stdin
            .write_all(format!("{v}\n").as_bytes())
            .expect("write");
        self.stdin.flush().expect("flush");
    }

    fn answer(&mut self, id: u64) -> Value {
        loop {
            let line = self.lines.next().expect("line").expect("io");
            let v: Value = serde_json::from_str(&line).expect("json");
            if v["id"] == id && v.get("method").is_none() {
                return v;
            }
        }
    }

    fn inline_completion(&mut self, id: u64) -> Value {
        let view = self.view.clone();
        self.send(json!({"id": id, "method": "symphony.lsp.inline_completion",
            "params": {"view_id": view}}));
        self.answer(id)
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_server_offering_inline_completion_answers_with_the_text_after_the_caret() {
    let Some(mut editor) = Editor::start("yes") else {
        return;
    };
    let answer = editor.inline_completion(2);
    assert_eq!(
        answer["result"]["items"],
        json!(["o(6, 2, True)\n    bar()", "one"]),
        "the caret's position, an automatic trigger, the client's capability; `fo` \
         already typed taken off, `xyz()` (it would change `fo`) left out: {answer}"
    );
}

#[test]
fn a_server_without_inline_completion_gets_no_request_and_the_client_hears_why() {
    let Some(mut editor) = Editor::start("no") else {
        return;
    };
    // Asked before `initialize` is answered, the request waits and goes out (the
    // server refuses it); once its capabilities are known, it is not sent.
    let mut answer = Value::Null;
    for id in 2..600 {
        answer = editor.inline_completion(id);
        if answer["error"]["code"] == -32803 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(answer["error"]["code"], -32803, "{answer}");
    let msg = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("inline completion"), "{answer}");
}
