//! A request made while the language server is still starting waits in a queue, and
//! its columns are computed before the server has said which position encoding it
//! speaks. When it answers `initialize` with UTF-8 (clangd does), the queued request must
//! go out in UTF-8 columns, not the UTF-16 default. The real editor binary talks to a
//! tiny Python language server that holds its `initialize` answer until the test has
//! made the request, then answers hovers with the position it received.

mod lsp_script;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// Answers `initialize` (UTF-8 positions, hover) only once the file `argv[1]` exists;
/// answers a hover with the position it asked about.
const SLOW_UTF8_SERVER: &str = r#"
import json, os, sys, time
go = sys.argv[1]
for msg, length in messages():
    method = msg.get("method")
    if method == "initialize":
        deadline = time.time() + 60
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.01)
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {
            "capabilities": {"textDocumentSync": 2, "hoverProvider": True,
                             "positionEncoding": "utf-8"}}})
    elif method == "textDocument/hover":
        p = msg["params"]["position"]
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {
            "contents": "line=%d character=%d" % (p["line"], p["character"])}})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif method == "exit":
        sys.exit(0)
"#;

#[test]
fn a_hover_asked_before_the_server_is_ready_goes_out_in_its_encoding() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipping: python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("slow_utf8.py");
    lsp_script::write_server(&script, SLOW_UTF8_SERVER);
    let go = dir.path().join("go");
    let cfg = dir.path().join("config/symphony");
    std::fs::create_dir_all(&cfg).expect("mkdir");
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "[lsp.python]\ncommand = \"python3\"\nargs = [{:?}, {:?}]\n",
            script.display().to_string(),
            go.display().to_string()
        ),
    )
    .expect("config");
    let file = dir.path().join("wide.py");
    // `foo` starts at UTF-8 byte 13, UTF-16 column 10.
    std::fs::write(&file, "x = \"é✓\"; foo\n").expect("write");
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
        stdin.flush().expect("flush");
    };
    let mut answer = |id: u64| -> Value {
        loop {
            let line = lines.next().expect("line").expect("io");
            let v: Value = serde_json::from_str(&line).expect("json");
            if v["id"] == id && v.get("method").is_none() {
                return v;
            }
        }
    };
    send(json!({"id": 1, "method": "new_view", "params": {"file_path": file}}));
    let view = answer(1)["result"].as_str().expect("view").to_string();
    let edit = |method: &str| json!({"method": "edit", "params": {"view_id": view, "method": method, "params": {}}});
    send(edit("move_to_right_end_of_line"));
    for _ in 0..3 {
        send(edit("move_left"));
    }
    // The server has not answered `initialize`: the hover waits in the queue.
    send(json!({"id": 2, "method": "symphony.lsp.hover", "params": {"view_id": view}}));
    // Once a later request is answered, the hover has been read and queued.
    send(json!({"id": 3, "method": "symphony.lsp.workspace_diagnostics", "params": {}}));
    answer(3);
    std::fs::write(&go, "").expect("go");
    let hover = answer(2);
    assert_eq!(
        hover["result"]["contents"], "line=0 character=13",
        "the queued hover's column is in the server's UTF-8: {hover}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
