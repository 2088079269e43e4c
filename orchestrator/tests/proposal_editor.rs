//! The two halves of reviewable edits together: a proposal made by `from_replacement`
//! from a `symphony.review.snapshot`, reviewed with `proposal::Review` against the real
//! `symphony-editor` process while the user keeps typing (rebase, conflict, accept one
//! hunk, reject another, apply as one undo group).
//!
//! The editor binary is taken from the cargo target directory this test runs from; when it
//! is not there (only this crate was built) or predates `symphony.review.*`, the test says
//! so and passes without running.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};
use symphony_conductor::command::EditorContext;
use symphony_conductor::proposal::{HunkState, Review, from_replacement};
use symphony_protocol::xi::review::{Applied, Rebased, Snapshot};

/// A guard against hanging, never a timing assertion.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Editor {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: u64,
}

impl Editor {
    fn spawn(bin: &Path, state: &Path) -> Self {
        let mut child = Command::new(bin)
            .env("XDG_STATE_HOME", state)
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
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Editor {
            child,
            stdin,
            rx,
            next_id: 0,
        }
    }

    fn write(&mut self, v: Value) {
        let mut line = v.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).expect("write");
        self.stdin.flush().expect("flush");
    }

    /// Sends a request; its `result`, or its `error` object.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.write(json!({"id": id, "method": method, "params": params}));
        loop {
            let msg = self.rx.recv_timeout(TIMEOUT).expect("the editor answers");
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return match msg.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(msg["result"].clone()),
                };
            }
        }
    }

    fn edit(&mut self, view: &str, method: &str, params: Value) {
        self.write(json!({"method": "edit", "params": {"view_id": view, "method": method, "params": params}}));
    }

    fn contents(&mut self, view: &str) -> String {
        let r = self.request("debug_get_contents", json!({"view_id": view}));
        r.expect("contents").as_str().expect("text").to_owned()
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `symphony-editor` in the target directory of this test executable, if built.
fn editor_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?; // target/<profile>/deps/<test> -> target/<profile>
    let bin = dir.join(format!("symphony-editor{}", std::env::consts::EXE_SUFFIX));
    bin.is_file().then_some(bin)
}

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("the documented shape")
}

const FILE: &str = "fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\nfn sub(a: u32, b: u32) -> u32 {\n    a - b\n}\n\nfn mul(a: u32, b: u32) -> u32 {\n    a * b\n}\n";

#[test]
fn review_a_refactor_while_typing_accept_one_hunk_reject_one_and_undo() {
    let Some(bin) = editor_binary() else {
        eprintln!(
            "skipped: symphony-editor is not built in this target directory (cargo build -p symphony-editor)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ops.rs");
    std::fs::write(&path, FILE).expect("write");
    let mut ed = Editor::spawn(&bin, &dir.path().join("state"));
    ed.write(json!({"method": "client_started", "params": {}}));
    let view = ed
        .request("new_view", json!({"file_path": path}))
        .expect("view")
        .as_str()
        .expect("id")
        .to_owned();
    let snap = match ed.request("symphony.review.snapshot", json!({"view_id": view})) {
        Ok(v) => typed::<Snapshot>(v),
        Err(e) => {
            eprintln!("skipped: this symphony-editor build predates symphony.review.* ({e})");
            return;
        }
    };

    // the workflow read the snapshot and proposes a refactor of the whole file
    let ctx = EditorContext {
        file_text: snap.text.clone(),
        revision: Some(snap.revision),
        buffer: Some(view.clone()),
        ..Default::default()
    };
    let refactor = FILE
        .replace("    a + b\n", "    a.wrapping_add(b)\n")
        .replace("    a - b\n", "    a.wrapping_sub(b)\n")
        .replace("    a * b\n", "    a.wrapping_mul(b)\n");
    let proposal = from_replacement(&ctx, 0, FILE.len(), &refactor);
    assert_eq!(proposal.hunks.len(), 3);
    let mut review = Review::with_base_text(proposal, &snap.text);

    // meanwhile the user adds a comment on top and edits the `sub` body
    ed.edit(&view, "insert", json!({"chars": "// ops\n"}));
    ed.edit(&view, "goto_line", json!({"line": 6}));
    ed.edit(&view, "move_to_right_end_of_line", json!({}));
    ed.edit(&view, "insert", json!({"chars": " - 1"}));
    let typed_text = format!("// ops\n{}", FILE.replace("    a - b\n", "    a - b - 1\n"));
    assert_eq!(ed.contents(&view), typed_text);

    let params = review.rebase_params(&view).expect("a revision");
    let reply: Rebased = typed(
        ed.request(
            "symphony.review.rebase",
            serde_json::to_value(&params).expect("json"),
        )
        .expect("rebased"),
    );
    assert_eq!(
        review.apply_rebase(&reply),
        1,
        "the `sub` hunk is the user's now"
    );
    assert!(matches!(review.hunks()[1].state, HunkState::Conflicted(_)));
    assert_eq!(
        review.hunk_at_line(2),
        Some(0),
        "`add`'s body moved down a line"
    );

    // accept `add`'s hunk, reject `mul`'s; the conflicted one is left alone
    let edits = review.accept(0);
    assert!(review.reject(2));
    let apply = review.apply_params(&view, edits).expect("a revision");
    let applied: Applied = typed(
        ed.request(
            "symphony.review.apply",
            serde_json::to_value(&apply).expect("json"),
        )
        .expect("applied"),
    );
    review.applied(applied.revision);
    let merged = typed_text.replace("    a + b\n", "    a.wrapping_add(b)\n");
    assert_eq!(ed.contents(&view), merged);
    assert!(!review.is_done());
    assert!(review.reject(1));
    assert!(review.is_done());

    // one undo takes the accepted hunk back, byte for byte
    ed.edit(&view, "undo", json!({}));
    assert_eq!(ed.contents(&view), typed_text);
}
