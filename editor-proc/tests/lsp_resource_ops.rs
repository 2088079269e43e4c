//! Workspace edits that create, rename and delete files, as rust-analyzer sends them to
//! rename a module (`documentChanges` mixing `RenameFile` with text edits of the new file).
//! The real `symphony-editor` binary talks to a small scripted Python language server that
//! stands in for rust-analyzer: it answers `textDocument/rename` with a workspace edit the
//! test wrote to a file, and logs every message it receives. Checked: the disk (renamed
//! file, created file, deleted one in the trash with its original path recorded), the
//! `symphony.file_moved` notification, the buffer's unsaved edits following it to the new
//! path (save, crash journal), the server's `didClose`/`didOpen`, and a failing step that
//! stops the rest.

mod lsp_script;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Logs every message it receives (one JSON line each) to `argv[1]`; answers a rename with
/// the JSON read from `argv[2]`, and code actions with one action whose edit is that JSON
/// and one whose command sends that JSON back through `workspace/applyEdit`.
const SCRIPTED_SERVER: &str = r#"
import json, sys
log = open(sys.argv[1], "a", buffering=1)
for msg, length in messages():
    log.write(json.dumps(msg) + "\n")
    method = msg.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"capabilities": {
            "textDocumentSync": {"openClose": True, "change": 2, "save": {}},
            "renameProvider": True, "codeActionProvider": True}}})
    elif method == "textDocument/rename":
        with open(sys.argv[2]) as f:
            send({"jsonrpc": "2.0", "id": msg["id"], "result": json.load(f)})
    elif method == "textDocument/codeAction":
        with open(sys.argv[2]) as f:
            send({"jsonrpc": "2.0", "id": msg["id"], "result": [{"title": "Move to a new file",
                "kind": "refactor.move", "edit": json.load(f)},
                {"title": "Run the move", "command": "move", "arguments": []}]})
    elif method == "workspace/executeCommand":
        # the edit comes back through workspace/applyEdit; answer once the client replied
        command_id = msg["id"]
        with open(sys.argv[2]) as f:
            send({"jsonrpc": "2.0", "id": 9000, "method": "workspace/applyEdit",
                  "params": {"edit": json.load(f)}})
    elif method is None and msg.get("id") == 9000:
        send({"jsonrpc": "2.0", "id": command_id, "result": None})
    elif method == "shutdown":
        send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
    elif method == "exit":
        sys.exit(0)
"#;

const WAIT: Duration = Duration::from_secs(60);

/// A Cargo project with the scripted server configured for Rust, and the editor's
/// config/state/data (trash) folders, all in one temp dir.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Option<Self> {
        if Command::new("python3").arg("--version").output().is_err() {
            eprintln!("skipping: python3 is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let p = Project { dir };
        lsp_script::write_server(&p.path("server.py"), SCRIPTED_SERVER);
        let cfg = p.path("config/symphony");
        std::fs::create_dir_all(&cfg).expect("mkdir");
        std::fs::write(
            cfg.join("config.toml"),
            format!(
                "[lsp.rust]\ncommand = \"python3\"\nargs = [{:?}, {:?}, {:?}]\n",
                p.path("server.py").display().to_string(),
                p.path("server.log").display().to_string(),
                p.path("answer.json").display().to_string(),
            ),
        )
        .expect("config");
        std::fs::create_dir_all(p.path("proj/src")).expect("mkdir");
        std::fs::write(p.path("proj/Cargo.toml"), "[package]\nname = \"p\"\n").expect("toml");
        Some(p)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn uri(&self, rel: &str) -> String {
        format!("file://{}", self.path(rel).display())
    }

    fn trash(&self) -> PathBuf {
        self.path("data/symphony/trash")
    }

    /// The messages the server received so far.
    fn server_log(&self) -> Vec<Value> {
        std::fs::read_to_string(self.path("server.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until the server has received a message `pred` accepts; returns it.
    fn wait_server(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(m) = self.server_log().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "the server never got {what}: {:#?}",
                self.server_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The items in the trash (without their records), with their recorded origins.
    fn trashed(&self) -> Vec<(PathBuf, String)> {
        let Ok(rd) = std::fs::read_dir(self.trash()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "trashinfo") {
                continue;
            }
            let info = format!("{}.trashinfo", p.display());
            out.push((p, std::fs::read_to_string(info).unwrap_or_default()));
        }
        out
    }
}

/// The real editor, its output read on a thread.
struct Editor {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: u64,
}

impl Editor {
    fn spawn(p: &Project) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
            .env("XDG_CONFIG_HOME", p.path("config"))
            .env("XDG_STATE_HOME", p.path("state"))
            .env("XDG_DATA_HOME", p.path("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
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
            next_id: 1,
        }
    }

    fn send(&mut self, v: Value) {
        self.stdin
            .write_all(format!("{v}\n").as_bytes())
            .expect("write");
        self.stdin.flush().expect("flush");
    }

    /// Sends a request; returns its answer and every message written before it.
    fn request(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"id": id, "method": method, "params": params}));
        let mut before = Vec::new();
        loop {
            let v = self.rx.recv_timeout(WAIT).expect("the editor answered");
            if v["id"] == id && v.get("method").is_none() {
                return (v, before);
            }
            before.push(v);
        }
    }

    /// Every message until the editor has handled all that was sent before.
    fn sync(&mut self) -> Vec<Value> {
        self.request("symphony.sync", json!({})).1
    }

    fn open(&mut self, path: &Path) -> String {
        let (v, _) = self.request("new_view", json!({"file_path": path}));
        v["result"].as_str().expect("view id").to_string()
    }

    fn edit(&mut self, view: &str, method: &str, params: Value) {
        self.send(json!({"method": "edit",
            "params": {"view_id": view, "method": method, "params": params}}));
    }

    fn save(&mut self, view: &str, path: &Path) -> Vec<Value> {
        self.send(json!({"method": "save", "params": {"view_id": view, "file_path": path}}));
        self.sync()
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn methods<'a>(msgs: &'a [Value], method: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    msgs.iter().filter(move |m| m["method"] == method)
}

fn alerts(msgs: &[Value]) -> Vec<String> {
    methods(msgs, "alert")
        .filter_map(|m| m["params"]["msg"].as_str().map(str::to_string))
        .collect()
}

/// `pub fn f() {}` -> `g` on line `line`: the `f` at UTF-16 column 7.
fn rename_f_edit(uri: &str, line: u64) -> Value {
    json!({"textDocument": {"uri": uri, "version": null}, "edits": [{
        "range": {"start": {"line": line, "character": 7}, "end": {"line": line, "character": 8}},
        "newText": "g"}]})
}

/// Opens `src/old_mod.rs` and types an unsaved first line into it; waits until the
/// server has it open.
fn open_with_unsaved_edit(p: &Project, ed: &mut Editor) -> String {
    let view = ed.open(&p.path("proj/src/old_mod.rs"));
    ed.edit(&view, "insert", json!({"chars": "// unsaved\n"}));
    ed.sync();
    let uri = p.uri("proj/src/old_mod.rs");
    p.wait_server("the unsaved edit", |m| {
        m["params"]["textDocument"]["uri"] == uri
            && (m["method"] == "textDocument/didChange"
                || (m["method"] == "textDocument/didOpen"
                    && m["params"]["textDocument"]["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("// unsaved"))))
    });
    view
}

#[test]
fn a_rename_with_file_operations_moves_the_open_buffer_and_keeps_everything() {
    let Some(p) = Project::new() else { return };
    std::fs::write(p.path("proj/src/old_mod.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(p.path("proj/src/gone.rs"), "pub fn gone() {}\n").expect("write");
    std::fs::write(
        p.path("answer.json"),
        json!({"documentChanges": [
            {"kind": "rename", "oldUri": p.uri("proj/src/old_mod.rs"),
             "newUri": p.uri("proj/src/new_mod.rs")},
            rename_f_edit(&p.uri("proj/src/new_mod.rs"), 1),
            {"kind": "create", "uri": p.uri("proj/src/created/fresh.rs")},
            {"kind": "delete", "uri": p.uri("proj/src/gone.rs")},
        ]})
        .to_string(),
    )
    .expect("answer");
    let mut ed = Editor::spawn(&p);
    let view = open_with_unsaved_edit(&p, &mut ed);
    let gone_view = ed.open(&p.path("proj/src/gone.rs"));
    ed.sync();

    let (answer, msgs) = ed.request(
        "symphony.lsp.rename",
        json!({"view_id": view, "new_name": "g"}),
    );
    let later = ed.sync();
    assert!(
        alerts(&msgs).is_empty(),
        "alerts come after the answer: {msgs:?}"
    );
    let msgs: Vec<Value> = msgs.into_iter().chain(later).collect();
    assert_eq!(
        answer["result"],
        json!({"files_changed": 1, "edits": 1, "files_created": 1, "files_renamed": 1,
               "files_deleted": 1}),
        "{answer}"
    );
    let new_path = p.path("proj/src/new_mod.rs");
    let moved: Vec<&Value> = methods(&msgs, "symphony.file_moved").collect();
    assert_eq!(
        moved,
        vec![&json!({"method": "symphony.file_moved",
            "params": {"view_id": view, "file_path": new_path.display().to_string()}})],
        "one file_moved for the renamed buffer's view"
    );

    // the disk: renamed (still the saved text), created, deleted into the trash
    assert!(!p.path("proj/src/old_mod.rs").exists());
    assert_eq!(
        std::fs::read_to_string(&new_path).expect("new file"),
        "pub fn f() {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(p.path("proj/src/created/fresh.rs")).expect("created"),
        ""
    );
    assert!(!p.path("proj/src/gone.rs").exists());
    let trashed = p.trashed();
    assert_eq!(trashed.len(), 1, "{trashed:?}");
    assert_eq!(
        std::fs::read_to_string(&trashed[0].0).expect("trashed file"),
        "pub fn gone() {}\n"
    );
    assert!(
        trashed[0]
            .1
            .contains(&format!("Path={}", p.path("proj/src/gone.rs").display())),
        "the original path is recorded: {}",
        trashed[0].1
    );
    let told = alerts(&msgs);
    assert!(
        told.iter()
            .any(|a| a.contains("trash") && a.contains(&trashed[0].0.display().to_string())),
        "the user is told where the deleted file went: {told:?}"
    );
    assert!(
        told.iter()
            .any(|a| a.contains("Still open in the editor, unsaved")),
        "and that its buffer is still open: {told:?}"
    );
    // the deleted file's buffer stays open, now unsaved
    let gone_update = methods(&msgs, "update")
        .filter(|m| m["params"]["view_id"] == gone_view.as_str())
        .last()
        .expect("the deleted file's view is updated");
    assert_eq!(gone_update["params"]["update"]["pristine"], false);

    // the server: didClose(old) then didOpen(new) with the unsaved text, then the edit
    let log = p.server_log();
    let pos = |pred: &dyn Fn(&Value) -> bool| log.iter().position(pred);
    let close = pos(&|m| {
        m["method"] == "textDocument/didClose"
            && m["params"]["textDocument"]["uri"] == p.uri("proj/src/old_mod.rs")
    })
    .expect("didClose of the old uri");
    let open = pos(&|m| {
        m["method"] == "textDocument/didOpen"
            && m["params"]["textDocument"]["uri"] == p.uri("proj/src/new_mod.rs")
    })
    .expect("didOpen of the new uri");
    assert!(close < open);
    assert_eq!(
        log[open]["params"]["textDocument"]["text"],
        "// unsaved\npub fn f() {}\n"
    );
    let change = pos(&|m| {
        m["method"] == "textDocument/didChange"
            && m["params"]["textDocument"]["uri"] == p.uri("proj/src/new_mod.rs")
    })
    .expect("the text edit went to the new uri");
    assert!(open < change);
    let init = &log[0];
    assert_eq!(
        init["params"]["capabilities"]["workspace"]["workspaceEdit"]["resourceOperations"],
        json!(["create", "rename", "delete"])
    );

    // saving writes the new path, with the unsaved edit and the server's edit
    let saved = ed.save(&view, &new_path);
    assert!(alerts(&saved).is_empty(), "{saved:?}");
    assert_eq!(
        std::fs::read_to_string(&new_path).expect("saved"),
        "// unsaved\npub fn g() {}\n"
    );
    assert!(!p.path("proj/src/old_mod.rs").exists());
    p.wait_server("didSave of the new uri", |m| {
        m["method"] == "textDocument/didSave"
            && m["params"]["textDocument"]["uri"] == p.uri("proj/src/new_mod.rs")
    });
    // saving the deleted file's buffer writes it again
    ed.save(&gone_view, &p.path("proj/src/gone.rs"));
    assert_eq!(
        std::fs::read_to_string(p.path("proj/src/gone.rs")).expect("rewritten"),
        "pub fn gone() {}\n"
    );
    ed.kill();
}

#[test]
fn unsaved_edits_of_a_renamed_buffer_survive_a_crash_under_the_new_name() {
    let Some(p) = Project::new() else { return };
    std::fs::write(p.path("proj/src/old_mod.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(
        p.path("answer.json"),
        json!({"documentChanges": [
            {"kind": "rename", "oldUri": p.uri("proj/src"), "newUri": p.uri("proj/lib")},
            rename_f_edit(&p.uri("proj/lib/old_mod.rs"), 1),
        ]})
        .to_string(),
    )
    .expect("answer");
    let mut ed = Editor::spawn(&p);
    let view = open_with_unsaved_edit(&p, &mut ed);
    let (answer, msgs) = ed.request(
        "symphony.lsp.rename",
        json!({"view_id": view, "new_name": "g"}),
    );
    assert_eq!(answer["result"]["files_renamed"], 1, "{answer}");
    let new_path = p.path("proj/lib/old_mod.rs");
    assert!(
        methods(&msgs, "symphony.file_moved")
            .any(|m| m["params"]["file_path"] == new_path.display().to_string()),
        "a buffer inside a renamed folder moves with it: {msgs:?}"
    );
    ed.sync();
    // SIGKILL before saving: the journal must offer the text under the new name
    ed.kill();
    let mut ed = Editor::spawn(&p);
    let (v, _) = ed.request("new_view", json!({"file_path": new_path}));
    let view = v["result"].as_str().expect("view").to_string();
    let msgs = ed.sync();
    let offer = methods(&msgs, "symphony.recovery_available")
        .next()
        .unwrap_or_else(|| panic!("recovery offered for the new path: {msgs:?}"));
    assert_eq!(offer["params"]["file_path"], new_path.display().to_string());
    ed.send(json!({"method": "symphony.recover", "params": {"view_id": view, "accept": true}}));
    ed.save(&view, &new_path);
    assert_eq!(
        std::fs::read_to_string(&new_path).expect("saved"),
        "// unsaved\npub fn g() {}\n"
    );
    ed.kill();
}

#[test]
fn a_failing_step_stops_the_rest_and_tells_the_user() {
    let Some(p) = Project::new() else { return };
    std::fs::write(p.path("proj/src/old_mod.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(p.path("proj/src/taken.rs"), "mine\n").expect("write");
    std::fs::write(p.path("proj/src/other.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(
        p.path("answer.json"),
        json!({"documentChanges": [
            rename_f_edit(&p.uri("proj/src/other.rs"), 0),
            {"kind": "rename", "oldUri": p.uri("proj/src/old_mod.rs"),
             "newUri": p.uri("proj/src/taken.rs")},
            rename_f_edit(&p.uri("proj/src/taken.rs"), 0),
            {"kind": "create", "uri": p.uri("proj/src/never.rs")},
        ]})
        .to_string(),
    )
    .expect("answer");
    let mut ed = Editor::spawn(&p);
    let view = open_with_unsaved_edit(&p, &mut ed);
    let (answer, before) = ed.request(
        "symphony.lsp.rename",
        json!({"view_id": view, "new_name": "g"}),
    );
    // the alert comes after the answer, so the client shows it last (over the summary)
    assert!(alerts(&before).is_empty(), "{before:?}");
    let msgs = ed.sync();
    // the edit of other.rs only: nothing renamed or created
    assert_eq!(
        answer["result"],
        json!({"files_changed": 1, "edits": 1}),
        "{answer}"
    );
    let alerts = alerts(&msgs);
    let taken = p.path("proj/src/taken.rs").display().to_string();
    assert!(
        alerts.iter().any(|a| a.contains(&taken)
            && a.contains("already exists")
            && a.contains("stay applied")),
        "the alert names the file, why, and what stays applied: {alerts:?}"
    );
    // before the failure: applied; the failed rename and everything after: not
    assert_eq!(
        std::fs::read_to_string(p.path("proj/src/other.rs")).expect("other"),
        "pub fn g() {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(p.path("proj/src/taken.rs")).expect("taken"),
        "mine\n"
    );
    assert!(p.path("proj/src/old_mod.rs").exists());
    assert!(!p.path("proj/src/never.rs").exists());
    assert!(methods(&before, "symphony.file_moved").next().is_none());
    assert!(p.trashed().is_empty());
    ed.kill();
}

#[test]
fn a_code_action_moving_code_to_a_new_file_overwrites_into_the_trash() {
    let Some(p) = Project::new() else { return };
    std::fs::write(p.path("proj/src/old_mod.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(p.path("proj/src/moved.rs"), "old content\n").expect("write");
    std::fs::write(
        p.path("answer.json"),
        json!({"documentChanges": [
            {"kind": "create", "uri": p.uri("proj/src/moved.rs"),
             "options": {"overwrite": true, "ignoreIfExists": true}},
            {"textDocument": {"uri": p.uri("proj/src/moved.rs"), "version": null}, "edits": [{
                "range": {"start": {"line": 0, "character": 0},
                          "end": {"line": 0, "character": 0}},
                "newText": "pub fn f() {}\n"}]},
            {"textDocument": {"uri": p.uri("proj/src/old_mod.rs"), "version": null}, "edits": [{
                "range": {"start": {"line": 0, "character": 0},
                          "end": {"line": 1, "character": 0}},
                "newText": "mod moved;\n"}]},
        ]})
        .to_string(),
    )
    .expect("answer");
    let mut ed = Editor::spawn(&p);
    let view = ed.open(&p.path("proj/src/old_mod.rs"));
    let (actions, _) = ed.request("symphony.lsp.code_actions", json!({"view_id": view}));
    assert_eq!(
        actions["result"]["actions"][0]["title"], "Move to a new file",
        "{actions}"
    );
    let (answer, _) = ed.request(
        "symphony.lsp.apply_code_action",
        json!({"view_id": view, "index": 0}),
    );
    let after = ed.sync();
    assert_eq!(
        answer["result"],
        json!({"files_changed": 2, "edits": 2, "files_created": 1}),
        "{answer}"
    );
    assert_eq!(
        std::fs::read_to_string(p.path("proj/src/moved.rs")).expect("created"),
        "pub fn f() {}\n"
    );
    let trashed = p.trashed();
    assert_eq!(trashed.len(), 1, "{trashed:?}");
    assert_eq!(
        std::fs::read_to_string(&trashed[0].0).expect("trashed"),
        "old content\n",
        "the overwritten file is kept in the trash"
    );
    assert!(
        alerts(&after)
            .iter()
            .any(|a| a.contains(&trashed[0].0.display().to_string())),
        "{after:?}"
    );
    // the open buffer got its edit (unsaved): saving writes it
    ed.save(&view, &p.path("proj/src/old_mod.rs"));
    assert_eq!(
        std::fs::read_to_string(p.path("proj/src/old_mod.rs")).expect("saved"),
        "mod moved;\n"
    );
    ed.kill();
}

#[test]
fn a_command_edit_that_fails_tells_the_server_and_the_user() {
    let Some(p) = Project::new() else { return };
    std::fs::write(p.path("proj/src/old_mod.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(
        p.path("answer.json"),
        json!({"documentChanges": [
            {"kind": "create", "uri": p.uri("proj/src/made.rs")},
            {"kind": "delete", "uri": p.uri("proj/src/missing.rs")},
            {"kind": "create", "uri": p.uri("proj/src/never.rs")},
        ]})
        .to_string(),
    )
    .expect("answer");
    let mut ed = Editor::spawn(&p);
    let view = ed.open(&p.path("proj/src/old_mod.rs"));
    ed.request("symphony.lsp.code_actions", json!({"view_id": view}));
    let (answer, before) = ed.request(
        "symphony.lsp.apply_code_action",
        json!({"view_id": view, "index": 1}),
    );
    assert_eq!(answer["result"]["files_created"], 1, "{answer}");
    assert!(alerts(&before).is_empty(), "{before:?}");
    let after = ed.sync();
    let missing = p.path("proj/src/missing.rs").display().to_string();
    assert!(
        alerts(&after)
            .iter()
            .any(|a| a.contains(&missing) && a.contains("does not exist")),
        "{after:?}"
    );
    let reply = p.wait_server("the applyEdit answer", |m| m["id"] == 9000);
    assert_eq!(reply["result"]["applied"], false, "{reply}");
    assert_eq!(reply["result"]["failedChange"], 1, "{reply}");
    assert!(p.path("proj/src/made.rs").exists());
    assert!(!p.path("proj/src/never.rs").exists());
    ed.kill();
}
