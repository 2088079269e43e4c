//! Robustness: bad input never kills the editor or pollutes stdout; stdin closing exits 0;
//! the `--listen` socket is private to the user and survives client reconnects.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::{Editor, kind};
use serde_json::{Value, json};

#[test]
fn unknown_request_gets_invalid_request_error() {
    let state = tempfile::tempdir().expect("state");
    let mut ed = Editor::spawn(state.path());
    let out = ed.send(r#"{"id":4,"method":"no_such_request","params":{}}"#);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["id"], 4);
    assert_eq!(out[0]["error"]["code"], -32600);
    assert_eq!(out[0]["error"]["message"], "Invalid request");
}

#[test]
fn bad_lines_are_ignored_and_the_editor_keeps_serving() {
    let state = tempfile::tempdir().expect("state");
    let mut ed = Editor::spawn(state.path());
    for bad in [
        "this is not json",
        "{\"method\":",
        "[1,2,3]",
        r#"{"method":"no_such_notification","params":{}}"#,
        r#"{"method":"edit","params":{"view_id":"view-id-9","method":"insert","params":{"chars":"x"}}}"#,
        r#"{"method":"edit","params":{"view_id":"view-id-1","method":"no_such_edit","params":{}}}"#,
        r#"{"method":"set_theme","params":{"wrong":1}}"#,
        "",
    ] {
        assert!(ed.send(bad).is_empty(), "no answer to {bad:?}");
    }
    ed.write_raw(b"\xff\xfe not utf8\n");
    let out = ed.send(r#"{"id":1,"method":"new_view","params":{}}"#);
    assert_eq!(out[0], json!({"id": 1, "result": "view-id-1"}));
    let out = ed.send(r#"{"id":2,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
    assert_eq!(out, vec![json!({"id": 2, "result": ""})]);
    let (rest, status) = ed.finish();
    assert!(rest.is_empty(), "and then nothing: {rest:?}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn closing_stdin_exits_zero_and_stdout_only_has_protocol_lines() {
    let state = tempfile::tempdir().expect("state");
    let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
        .env("XDG_STATE_HOME", state.path())
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, r#"{{"method":"client_started","params":{{}}}}"#).expect("write");
    writeln!(stdin, r#"{{"id":0,"method":"new_view","params":{{}}}}"#).expect("write");
    writeln!(stdin, "garbage").expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(!text.is_empty());
    for line in text.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a protocol line ({e}): {line}"));
        assert!(v.get("method").is_some() || v.get("id").is_some());
    }
    assert!(
        state.path().join("symphony/symphony-editor.log").exists(),
        "logs go to the state dir"
    );
}

#[test]
fn help_and_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
        .arg("--version")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("symphony-editor"));
    let out = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--listen"));
}

#[cfg(unix)]
#[test]
fn listen_socket_is_private_and_keeps_buffers_across_clients() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;
    let dir = tempfile::tempdir().expect("dir");
    let sock_dir = dir.path().join("run/symphony");
    let sock = sock_dir.join("editor.sock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
        .arg("--listen")
        .arg(&sock)
        .env("XDG_STATE_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let connect = || {
        for _ in 0..200 {
            if let Ok(s) = UnixStream::connect(&sock) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("socket never appeared");
    };
    let roundtrip = |s: &mut UnixStream, line: &str, want_id: u64| -> Vec<Value> {
        writeln!(s, "{line}").expect("write");
        let mut r = BufReader::new(s.try_clone().expect("clone"));
        let mut got = Vec::new();
        loop {
            let mut l = String::new();
            assert!(r.read_line(&mut l).expect("read") > 0, "socket closed");
            let v: Value = serde_json::from_str(&l).expect("json");
            let done = v.get("id") == Some(&json!(want_id));
            got.push(v);
            if done {
                return got;
            }
        }
    };
    let mut s = connect();
    let mode = std::fs::metadata(&sock)
        .expect("socket")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "socket mode");
    let dmode = std::fs::metadata(&sock_dir)
        .expect("dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dmode, 0o700, "socket dir mode");
    let out = roundtrip(&mut s, r#"{"id":1,"method":"new_view","params":{}}"#, 1);
    assert!(out.iter().any(|m| kind(m) == "update") || out[0]["result"] == "view-id-1");
    writeln!(s, r#"{{"method":"edit","params":{{"view_id":"view-id-1","method":"insert","params":{{"chars":"kept"}}}}}}"#).expect("write");
    drop(s);
    // a new client finds the buffer as it was
    let mut s = connect();
    let out = roundtrip(
        &mut s,
        r#"{"id":2,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#,
        2,
    );
    assert_eq!(out.last().expect("answer")["result"], "kept");
    drop(s);
    let _ = child.kill();
    let _ = child.wait();
    let mut stdout = String::new();
    let _ = std::io::Read::read_to_string(child.stdout.as_mut().expect("stdout"), &mut stdout);
    assert!(stdout.is_empty(), "nothing on stdout in --listen mode");
}

#[test]
fn binary_and_invalid_utf8_files_are_refused_with_an_alert() {
    let dir = tempfile::tempdir().expect("dir");
    let bin = dir.path().join("a.bin");
    std::fs::write(&bin, b"\x7fELF\x00\x01\x02").expect("write");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"ok\n\xff\xfe\n").expect("write");
    let mut ed = Editor::spawn(dir.path());
    for (i, p) in [bin, bad.clone()].iter().enumerate() {
        let out =
            ed.send_value(&json!({"id": i, "method": "new_view", "params": {"file_path": p}}));
        let kinds: Vec<String> = out.iter().map(kind).collect();
        assert_eq!(kinds, ["alert", "error"], "{out:?}");
        assert!(
            !out[0]["params"]["msg"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
    assert_eq!(
        std::fs::read(&bad).expect("read"),
        b"ok\n\xff\xfe\n",
        "file untouched"
    );
    // the editor still works and no view was made
    let out = ed.send(r#"{"id":7,"method":"new_view","params":{}}"#);
    assert_eq!(out[0], json!({"id": 7, "result": "view-id-1"}));
}
