//! Test helpers: drive the real `symphony-editor` binary over stdio, and a front-end line
//! cache that applies `update` ops exactly as XI_PROTOCOL.md describes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);
/// Id of the sync request sent after every line; its error response ends a step.
const SYNC_BASE: u64 = 1_000_000_000;

/// A running editor process.
pub struct Editor {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<String>,
    sync: u64,
}

impl Editor {
    /// Starts the binary with its state (logs, journal) under `state_dir`.
    pub fn spawn(state_dir: &Path) -> Self {
        Self::spawn_with(state_dir, |_| {})
    }

    /// [`Editor::spawn`] with more environment variables (e.g. `XDG_DATA_HOME`).
    pub fn spawn_with_env(state_dir: &Path, env: &[(&str, &Path)]) -> Self {
        Self::spawn_with(state_dir, |c| {
            c.envs(env.iter().map(|(k, v)| (*k, *v)));
        })
    }

    /// Starts the binary as the user `uid`/`gid` (the test runs as root), with its
    /// state under `state_dir` (which that user must be able to write).
    pub fn spawn_as(state_dir: &Path, uid: u32, gid: u32) -> Self {
        use std::os::unix::process::CommandExt;
        Self::spawn_with(state_dir, |c| {
            c.uid(uid).gid(gid).env("HOME", state_dir);
        })
    }

    fn spawn_with(state_dir: &Path, setup: impl FnOnce(&mut Command)) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_symphony-editor"));
        setup(&mut command);
        let mut child = command
            .env("XDG_STATE_HOME", state_dir)
            // These tests compare the wire with upstream xi: no language server may add
            // its `symphony.lsp.*` messages (tests/lsp_*.rs cover those).
            .env("SYMPHONY_LSP", "off")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn symphony-editor");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Editor {
            child,
            stdin,
            rx,
            sync: SYNC_BASE,
        }
    }

    /// Writes raw bytes (a line should end with `\n`).
    pub fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    /// Sends one line and returns every message the editor wrote in answer, in order
    /// (everything before the answer to a sync request sent right after it).
    pub fn send(&mut self, line: &str) -> Vec<Value> {
        self.sync += 1;
        let sync = self.sync;
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(
            json!({"id": sync, "method": "symphony.sync", "params": {}})
                .to_string()
                .as_bytes(),
        );
        bytes.push(b'\n');
        self.write_raw(&bytes);
        let mut out = Vec::new();
        loop {
            let line = self.next_line().expect("editor answered before the sync");
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            if v.get("id") == Some(&json!(sync)) {
                assert!(v.get("error").is_some(), "sync answered with an error");
                return out;
            }
            out.push(v);
        }
    }

    /// Sends a JSON value as a line.
    pub fn send_value(&mut self, v: &Value) -> Vec<Value> {
        self.send(&v.to_string())
    }

    /// Waits for the next line (None at end of output).
    pub fn next_line(&mut self) -> Option<String> {
        match self.rx.recv_timeout(TIMEOUT) {
            Ok(l) => Some(l),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("editor did not answer within {TIMEOUT:?}"),
        }
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
        let status = self.child.wait().expect("wait");
        assert!(!status.success(), "killed, not exited");
    }

    /// Closes stdin; returns whatever else was written and the exit status.
    pub fn finish(mut self) -> (Vec<String>, ExitStatus) {
        self.stdin.take();
        let mut rest = Vec::new();
        while let Some(l) = self.next_line() {
            rest.push(l);
        }
        let status = self.child.wait().expect("wait");
        (rest, status)
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Method name of a message, or "response" / "error".
pub fn kind(v: &Value) -> String {
    match v.get("method").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None if v.get("error").is_some() => "error".into(),
        None => "response".into(),
    }
}

/// One line in the front end's cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CachedLine {
    /// Text with its line break.
    pub text: String,
    /// Cursor columns.
    pub cursor: Vec<u64>,
    /// Relative style triples.
    pub styles: Vec<i64>,
}

/// A front end's line cache for one view.
#[derive(Debug, Clone, Default)]
pub struct LineCache {
    /// `None`: not known.
    pub lines: Vec<Option<CachedLine>>,
    /// Last annotations.
    pub annotations: Vec<Value>,
    /// Last pristine flag.
    pub pristine: bool,
}

impl LineCache {
    /// Applies one `update` params object (`{"ops", "pristine", "annotations"}`).
    pub fn apply(&mut self, update: &Value) {
        let mut new = Vec::new();
        let mut old = 0usize;
        for op in update["ops"].as_array().expect("ops") {
            let n = op["n"].as_u64().expect("n") as usize;
            match op["op"].as_str().expect("op") {
                "copy" => {
                    assert!(
                        old + n <= self.lines.len(),
                        "copy past the end of the old cache"
                    );
                    new.extend(self.lines[old..old + n].iter().cloned());
                    old += n;
                }
                "skip" => {
                    assert!(
                        old + n <= self.lines.len(),
                        "skip past the end of the old cache"
                    );
                    old += n;
                }
                "invalidate" => new.extend(std::iter::repeat_n(None, n)),
                "ins" => {
                    let lines = op["lines"].as_array().expect("ins lines");
                    assert_eq!(lines.len(), n);
                    for l in lines {
                        new.push(Some(CachedLine {
                            text: l["text"].as_str().expect("ins line text").to_string(),
                            cursor: cursors(l),
                            styles: styles(l).unwrap_or_default(),
                        }));
                    }
                }
                "update" => {
                    let lines = op["lines"].as_array().expect("update lines");
                    assert_eq!(lines.len(), n);
                    assert!(
                        old + n <= self.lines.len(),
                        "update past the end of the old cache"
                    );
                    for (i, l) in lines.iter().enumerate() {
                        let mut line = self.lines[old + i].clone();
                        if let Some(line) = line.as_mut() {
                            line.cursor = cursors(l);
                            if let Some(s) = styles(l) {
                                line.styles = s;
                            }
                        }
                        new.push(line);
                    }
                    old += n;
                }
                other => panic!("unknown op {other}"),
            }
        }
        self.lines = new;
        self.annotations = update["annotations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        self.pristine = update["pristine"].as_bool().expect("pristine");
    }

    /// Checks every valid line against the real text; returns how many were valid.
    pub fn check_against(&self, text: &str) -> usize {
        let real: Vec<&str> = text.split_inclusive('\n').collect();
        let mut real: Vec<String> = real.into_iter().map(str::to_string).collect();
        if text.is_empty() || text.ends_with('\n') {
            real.push(String::new());
        }
        assert_eq!(
            self.lines.len(),
            real.len(),
            "cache has {} lines, text has {}",
            self.lines.len(),
            real.len()
        );
        let mut valid = 0;
        for (i, (c, r)) in self.lines.iter().zip(&real).enumerate() {
            if let Some(c) = c {
                assert_eq!(&c.text, r, "line {i} differs");
                valid += 1;
            }
        }
        valid
    }

    /// Cursor positions as (line, col) over valid lines.
    pub fn cursors(&self) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if let Some(l) = l {
                out.extend(l.cursor.iter().map(|c| (i, *c)));
            }
        }
        out
    }
}

fn cursors(l: &Value) -> Vec<u64> {
    l.get("cursor")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn styles(l: &Value) -> Option<Vec<i64>> {
    l.get("styles")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
}

/// Parses a transcript into (direction, message) pairs; `>>` is true.
pub fn transcript(text: &str) -> Vec<(bool, Value)> {
    text.lines()
        .filter_map(|l| {
            let (dir, rest) = if let Some(r) = l.strip_prefix(">> ") {
                (true, r)
            } else if let Some(r) = l.strip_prefix("<< ") {
                (false, r)
            } else {
                return None;
            };
            Some((
                dir,
                serde_json::from_str(rest).expect("transcript line is JSON"),
            ))
        })
        .collect()
}
