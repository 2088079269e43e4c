//! The real `symphony-editor` fed 250,000 bad protocol lines: its log directory stays
//! under the rotation cap (3 files of 8 MB), repeated warnings are rate-limited with a
//! "suppressed N similar messages" line, and the log files are private.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const LINES: usize = 250_000;
const CAP: u64 = 3 * 8 * 1024 * 1024;

#[test]
fn a_flood_of_bad_lines_leaves_the_log_under_its_cap() {
    let state = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
        .env("XDG_STATE_HOME", state.path())
        .env("SYMPHONY_LSP", "off")
        .env("RUST_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn symphony-editor");
    let mut stdin = child.stdin.take().expect("stdin");
    let filler = "x".repeat(150);
    let mut batch = String::new();
    for i in 0..LINES {
        match i % 3 {
            0 => batch.push_str(&format!("not json {i} {filler}\n")),
            1 => batch.push_str(&format!("{{\"method\":{i},\"params\":\"{filler}\"}}\n")),
            _ => batch.push_str(&format!(
                "{{\"id\":\"{i}\",\"method\":\"nope\",\"params\":{{}}}}\n"
            )),
        }
        if batch.len() > 1 << 20 {
            stdin.write_all(batch.as_bytes()).expect("write");
            batch.clear();
        }
    }
    stdin.write_all(batch.as_bytes()).expect("write");
    drop(stdin);
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}");

    let dir = state.path().join("symphony");
    let mut total = 0;
    let mut text = String::new();
    for e in std::fs::read_dir(&dir).expect("log dir").flatten() {
        let meta = e.metadata().expect("stat");
        if e.file_name()
            .to_string_lossy()
            .starts_with("symphony-editor.log")
        {
            total += meta.len();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{:?}", e.path());
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    println!("{LINES} bad lines: the log directory holds {total} bytes");
    assert!(total <= CAP, "{total} bytes of logs");
    assert!(text.contains("suppressed"), "no rate-limit line");
    assert!(text.contains("ignoring"), "the first warnings are kept");
    let dir_mode = std::fs::metadata(&dir).expect("stat").permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
}
