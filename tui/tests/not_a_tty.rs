//! `symphony` started without a terminal (stdin or stdout a pipe or a file)
//! says so in one line and exits 1, without touching the terminal.

use std::process::{Command, Stdio};

/// Runs the real binary with `stdin`/`stdout` as given and an empty HOME.
fn run(args: &[&str], stdin: Stdio, stdout: Stdio) -> (Option<i32>, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_symphony"))
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("RUST_BACKTRACE", "1")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("run symphony");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn symphony_with_stdin_not_a_terminal_prints_one_line_and_exits_1() {
    // A file to edit (`symphony ls` is the session list now, which needs no terminal).
    let (code, stderr) = run(&["notes.txt"], Stdio::null(), Stdio::piped());
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line, no backtrace: {stderr}"
    );
    assert!(
        stderr.starts_with("symphony: standard input is not a terminal;"),
        "{stderr}"
    );
}

#[test]
fn symphony_with_stdout_not_a_terminal_names_standard_output() {
    // stdin is a terminal only when the test runs in one; either way the message
    // names a stream that is not a terminal and nothing else is printed.
    let (code, stderr) = run(&[], Stdio::inherit(), Stdio::piped());
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("symphony: standard input is not a terminal;")
            || stderr.starts_with("symphony: standard output is not a terminal;"),
        "{stderr}"
    );
}
