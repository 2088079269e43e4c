//! Language servers for real: pylsp (python-lsp-server, from `scripts/lsp-deps.sh`) and
//! clangd driven through the real `symphony-editor` binary. Each test skips with a printed
//! reason when its server is not installed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

/// The venv `scripts/lsp-deps.sh` installs pylsp into.
fn venv_bin() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let d = PathBuf::from(home).join(".cache/symphony-lsp/venv/bin");
    d.is_dir().then_some(d)
}

/// PATH with the venv first.
fn test_path() -> String {
    let mut parts = Vec::new();
    if let Some(v) = venv_bin() {
        parts.push(v);
    }
    if let Some(p) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(parts)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn have(program: &str) -> bool {
    std::env::split_paths(&std::ffi::OsString::from(test_path())).any(|d| d.join(program).is_file())
}

macro_rules! require {
    ($program:expr) => {
        if !have($program) {
            eprintln!(
                "skipping: {} is not installed (run scripts/lsp-deps.sh)",
                $program
            );
            return;
        }
    };
}

/// The editor process with its config and state in a temporary home.
struct Ed {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    seen: Vec<Value>,
    next_id: u64,
    _home: tempfile::TempDir,
}

impl Ed {
    fn spawn(config: &str) -> Ed {
        let home = tempfile::tempdir().expect("tempdir");
        let cfg = home.path().join("config/symphony");
        std::fs::create_dir_all(&cfg).expect("mkdir");
        std::fs::write(cfg.join("config.toml"), config).expect("write config");
        let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-editor"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("HOME", home.path())
            .env("PATH", test_path())
            .env("RUST_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn symphony-editor");
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take().expect("stdin");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line).expect("stdout lines are JSON");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Ed {
            child,
            stdin,
            rx,
            seen: Vec::new(),
            next_id: 1,
            _home: home,
        }
    }

    fn write(&mut self, v: Value) {
        let mut line = v.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(json!({"method": method, "params": params}));
    }

    fn edit(&mut self, view: &str, method: &str, params: Value) {
        self.notify(
            "edit",
            json!({"view_id": view, "method": method, "params": params}),
        );
    }

    /// Sends a request; returns the whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.write(json!({"id": id, "method": method, "params": params}));
        self.wait_for(&format!("the answer to {method}"), |v| {
            v.get("id") == Some(&json!(id)) && v.get("method").is_none()
        })
    }

    /// The first message (already seen and not consumed, or new) matching `pred`; consumes it.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&pred) {
            return self.seen.remove(i);
        }
        let until = Instant::now() + WAIT;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(v) => self.seen.push(v),
                Err(_) => panic!(
                    "timed out waiting for {what}; saw {:#?}",
                    self.seen.iter().rev().take(8).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Forgets the messages seen so far.
    fn forget(&mut self) {
        while let Ok(v) = self.rx.try_recv() {
            self.seen.push(v);
        }
        self.seen.clear();
    }

    fn open(&mut self, path: &Path) -> String {
        let r = self.request("new_view", json!({"file_path": path}));
        r["result"].as_str().expect("a view id").to_string()
    }

    fn click(&mut self, view: &str, line: usize, col: usize) {
        self.edit(
            view,
            "gesture",
            json!({"line": line, "col": col,
                   "ty": {"select": {"granularity": "point", "multi": false}}}),
        );
    }

    fn contents(&mut self, view: &str) -> String {
        let r = self.request("debug_get_contents", json!({"view_id": view}));
        r["result"].as_str().expect("text").to_string()
    }

    fn diagnostics_for(&mut self, view: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(what, |v| {
            v["method"] == "symphony.lsp.diagnostics"
                && v["params"]["view_id"] == view
                && v["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(&pred))
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Ed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

fn message_has(needle: &'static str) -> impl Fn(&Value) -> bool {
    move |d: &Value| d["message"].as_str().is_some_and(|m| m.contains(needle))
}

#[test]
fn python_undefined_name_gives_diagnostics_for_the_view() {
    require!("pylsp");
    let dir = project(&[("m.py", "import os\n\nprint(undefined_thing)\n")]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("m.py"));
    let d = ed.diagnostics_for(
        &view,
        "pyflakes' undefined name",
        message_has("undefined_thing"),
    );
    let diag = d["params"]["diagnostics"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|x| message_has("undefined_thing")(x))
                .cloned()
        })
        .expect("diagnostic");
    assert_eq!(diag["line"], 2);
    assert_eq!(diag["col"], 6);
    let running = ed.wait_for("running status", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "running"
    });
    assert_eq!(running["params"]["server"], "pylsp");
    assert_eq!(running["params"]["language"], "python");
}

#[test]
fn completion_after_os_dot_offers_path_and_accepting_inserts_it() {
    require!("pylsp");
    let dir = project(&[("c.py", "import os\nos.\n")]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("c.py"));
    ed.click(&view, 1, 3);
    let r = ed.request("symphony.lsp.completion", json!({"view_id": view}));
    let items = r["result"]["items"].as_array().expect("items").clone();
    let index = items
        .iter()
        .position(|i| i["label"] == "path")
        .unwrap_or_else(|| panic!("no `path` in {r}"));
    assert_eq!(r["result"]["start_col"], 3);
    let r = ed.request(
        "symphony.lsp.accept_completion",
        json!({"view_id": view, "index": index}),
    );
    assert_eq!(r["result"], json!({}), "{r}");
    assert_eq!(ed.contents(&view), "import os\nos.path\n");
}

#[test]
fn goto_definition_lands_on_the_def_line() {
    require!("pylsp");
    let src = "import os\n\n\ndef greet(name):\n    return name\n\n\ngreet('x')\n";
    let dir = project(&[("g.py", src)]);
    let mut ed = Ed::spawn("");
    let path = dir.path().join("g.py");
    let view = ed.open(&path);
    ed.click(&view, 7, 2);
    let r = ed.request(
        "symphony.lsp.goto",
        json!({"view_id": view, "kind": "definition"}),
    );
    let locs = r["result"]["locations"].as_array().expect("locations");
    assert_eq!(locs.len(), 1, "{r}");
    assert_eq!(locs[0]["line"], 3);
    assert_eq!(locs[0]["col"], 4);
    assert_eq!(locs[0]["preview"], "def greet(name):");
    assert_eq!(locs[0]["path"], path.to_string_lossy().as_ref());
    let r = ed.request(
        "symphony.lsp.goto",
        json!({"view_id": view, "kind": "references"}),
    );
    let mut lines: Vec<u64> = r["result"]["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .filter_map(|l| l["line"].as_u64())
        .collect();
    lines.sort();
    assert_eq!(lines, vec![3, 7], "{r}");
}

#[test]
fn hover_shows_the_docstring() {
    require!("pylsp");
    let src = "def greet():\n    \"\"\"Say hello politely.\"\"\"\n    return 1\n\n\ngreet()\n";
    let dir = project(&[("h.py", src)]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("h.py"));
    ed.click(&view, 5, 1);
    let r = ed.request("symphony.lsp.hover", json!({"view_id": view}));
    let contents = r["result"]["contents"].as_str().unwrap_or_default();
    assert!(contents.contains("Say hello politely."), "{r}");
}

#[test]
fn rename_changes_two_files_on_disk() {
    require!("pylsp");
    let dir = project(&[
        ("lib.py", "def helper():\n    return 1\n"),
        ("app.py", "from lib import helper\n\nprint(helper())\n"),
    ]);
    let mut ed = Ed::spawn("");
    let app = dir.path().join("app.py");
    let view = ed.open(&app);
    ed.click(&view, 2, 8);
    let r = ed.request(
        "symphony.lsp.rename",
        json!({"view_id": view, "new_name": "assist"}),
    );
    assert_eq!(r["result"]["files_changed"], 2, "{r}");
    // the file that is not open was written; the open one is edited (one undo group)
    let lib = std::fs::read_to_string(dir.path().join("lib.py")).expect("read");
    assert_eq!(lib, "def assist():\n    return 1\n");
    assert_eq!(
        ed.contents(&view),
        "from lib import assist\n\nprint(assist())\n"
    );
    ed.notify("save", json!({"view_id": view, "file_path": app}));
    ed.request("debug_get_contents", json!({"view_id": view}));
    let app_text = std::fs::read_to_string(&app).expect("read");
    assert_eq!(app_text, "from lib import assist\n\nprint(assist())\n");
    ed.edit(&view, "undo", json!({}));
    assert_eq!(
        ed.contents(&view),
        "from lib import helper\n\nprint(helper())\n"
    );
}

/// The language server's pid: a child of the editor running `name`.
fn child_named(parent: u32, name: &str) -> Option<u32> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let ppid: u32 = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let cmd = std::fs::read_to_string(e.path().join("cmdline")).unwrap_or_default();
        if ppid == parent && cmd.contains(name) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn a_server_killed_mid_session_restarts_and_diagnostics_come_back() {
    require!("pylsp");
    let dir = project(&[("k.py", "print(missing_one)\n")]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("k.py"));
    ed.diagnostics_for(&view, "first diagnostics", message_has("missing_one"));
    let pid = child_named(ed.pid(), "pylsp").expect("pylsp runs as the editor's child");
    // SAFETY: signalling the pylsp process this test's editor started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    ed.forget();
    let restarting = ed.wait_for("restarting status", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "restarting"
    });
    assert!(
        restarting["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("pylsp"))
    );
    // typing while it restarts still works, and the new server sees the new text
    ed.edit(&view, "move_to_end_of_document", json!({}));
    ed.edit(&view, "insert", json!({"chars": "print(missing_two)\n"}));
    ed.wait_for("running again", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "running"
    });
    ed.diagnostics_for(
        &view,
        "diagnostics after the restart",
        message_has("missing_two"),
    );
    let new_pid = child_named(ed.pid(), "pylsp").expect("a new pylsp");
    assert_ne!(new_pid, pid);
}

#[test]
fn a_configured_server_that_does_not_exist_says_so_once_and_editing_works() {
    let dir = project(&[("n.py", "x = 1\n")]);
    let other_project = project(&[("o.py", "y = 2\n")]);
    let mut ed = Ed::spawn("[lsp.python]\ncommand = \"symphony-no-such-server\"\n");
    let view = ed.open(&dir.path().join("n.py"));
    let st = ed.wait_for("not_installed status", |v| {
        v["method"] == "symphony.lsp.status"
    });
    assert_eq!(st["params"]["state"], "not_installed");
    assert_eq!(st["params"]["language"], "python");
    assert!(
        st["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("symphony-no-such-server"))
    );
    ed.edit(&view, "insert", json!({"chars": "# ok\n"}));
    assert_eq!(ed.contents(&view), "# ok\nx = 1\n");
    let r = ed.request("symphony.lsp.completion", json!({"view_id": view}));
    assert_eq!(r["error"]["code"], -32803, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no language server for python"))
    );
    // a file of the language in another project does not repeat the message
    let other = ed.open(&other_project.path().join("o.py"));
    ed.edit(&other, "insert", json!({"chars": "z"}));
    assert_eq!(ed.contents(&other), "zy = 2\n");
    assert!(
        !ed.seen.iter().any(|v| v["method"] == "symphony.lsp.status"),
        "{:?}",
        ed.seen
    );
}

#[test]
fn a_c_file_through_clangd_shows_an_error_for_a_missing_semicolon() {
    require!("clangd");
    let dir = project(&[("s.c", "int main(void) {\n  int x = 1\n  return x;\n}\n")]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("s.c"));
    let d = ed.diagnostics_for(&view, "clangd's missing ';'", message_has("';'"));
    let diag = d["params"]["diagnostics"]
        .as_array()
        .and_then(|a| a.iter().find(|x| message_has("';'")(x)).cloned())
        .expect("diagnostic");
    assert_eq!(diag["severity"], "error", "{diag}");
    // clang points at the token after the missing `;`
    assert_eq!(diag["line"], 2, "{diag}");
}

#[test]
fn typing_an_open_paren_shows_signature_help_and_the_close_paren_hides_it() {
    require!("pylsp");
    let src = "def greet(name, greeting):\n    \"\"\"Say it.\"\"\"\n    return name\n\n\n";
    let dir = project(&[("s.py", src)]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("s.py"));
    ed.wait_for("running", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "running"
    });
    ed.edit(&view, "move_to_end_of_document", json!({}));
    ed.edit(&view, "insert", json!({"chars": "greet"}));
    ed.edit(&view, "insert", json!({"chars": "("}));
    let sh = ed.wait_for("signature help", |v| {
        v["method"] == "symphony.lsp.signature_help" && v["params"]["label"] != ""
    });
    let label = sh["params"]["label"].as_str().expect("label");
    assert!(label.starts_with("greet(name, greeting)"), "{sh}");
    assert_eq!(sh["params"]["active_parameter"], 0);
    assert_eq!(sh["params"]["parameters"][0], json!([6, 10]));
    ed.edit(&view, "insert", json!({"chars": ")"}));
    let closed = ed.wait_for("signature help closed", |v| {
        v["method"] == "symphony.lsp.signature_help" && v["params"]["label"] == ""
    });
    assert_eq!(closed["params"]["view_id"], view.as_str());
}

#[test]
fn an_answer_to_a_request_whose_buffer_changed_meanwhile_is_stale() {
    require!("pylsp");
    let dir = project(&[("t.py", "import os\nos.\n")]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("t.py"));
    ed.wait_for("running", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "running"
    });
    ed.click(&view, 1, 3);
    // the request and an edit in one write: the edit is handled before the server answers
    let id = 777;
    let req = json!({"id": id, "method": "symphony.lsp.completion", "params": {"view_id": view}});
    let ins = json!({"method": "edit", "params": {"view_id": view, "method": "insert",
        "params": {"chars": "p"}}});
    ed.stdin
        .write_all(format!("{req}\n{ins}\n").as_bytes())
        .expect("write");
    ed.stdin.flush().expect("flush");
    let r = ed.wait_for("the completion answer", |v| v["id"] == id);
    assert_eq!(r["error"]["code"], -32800, "{r}");
    assert_eq!(r["error"]["message"], "stale");
    // asked again, it answers
    let r = ed.request("symphony.lsp.completion", json!({"view_id": view}));
    assert!(r["result"]["items"].is_array(), "{r}");
}

#[test]
fn workspace_diagnostics_list_every_file_with_problems() {
    require!("pylsp");
    let dir = project(&[("w1.py", "print(nope_one)\n"), ("w2.py", "x = 1\n")]);
    let mut ed = Ed::spawn("");
    let v1 = ed.open(&dir.path().join("w1.py"));
    ed.open(&dir.path().join("w2.py"));
    ed.diagnostics_for(&v1, "diagnostics of w1", message_has("nope_one"));
    let r = ed.request("symphony.lsp.workspace_diagnostics", json!({}));
    let files = r["result"]["files"].as_array().expect("files");
    let w1 = dir.path().join("w1.py");
    let f = files
        .iter()
        .find(|f| f["path"] == w1.to_string_lossy().as_ref())
        .unwrap_or_else(|| panic!("w1.py missing from {r}"));
    assert!(
        f["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(message_has("nope_one")))
    );
}

#[test]
fn clangd_formats_the_document_as_one_undo_group_and_offers_a_fix() {
    require!("clangd");
    let src = "int main(void){int x=1\n;return x;}\n";
    let dir = project(&[
        ("f.c", src),
        ("q.c", "int main(void) {\n  int y = 2\n  return y;\n}\n"),
    ]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("f.c"));
    let r = ed.request(
        "symphony.lsp.format",
        json!({"view_id": view, "selection_only": false}),
    );
    assert!(r["result"]["edits"].as_u64().is_some_and(|n| n > 0), "{r}");
    let formatted = ed.contents(&view);
    assert_ne!(formatted, src);
    assert!(formatted.contains("int x = 1;"), "{formatted}");
    ed.edit(&view, "undo", json!({}));
    assert_eq!(ed.contents(&view), src, "one undo restores the text");
    // only the selection's lines
    let two = dir.path().join("two.c");
    std::fs::write(&two, "int a(void){return 1;}\nint b(void){return 2;}\n").expect("write");
    let v2 = ed.open(&two);
    ed.click(&v2, 1, 0);
    let r = ed.request(
        "symphony.lsp.format",
        json!({"view_id": v2, "selection_only": true}),
    );
    assert!(r["result"]["edits"].as_u64().is_some_and(|n| n > 0), "{r}");
    assert_eq!(
        ed.contents(&v2),
        "int a(void){return 1;}\nint b(void) { return 2; }\n"
    );
    // a code action fixes the missing semicolon
    let q = ed.open(&dir.path().join("q.c"));
    ed.diagnostics_for(&q, "the missing ';'", message_has("';'"));
    ed.click(&q, 2, 2);
    let r = ed.request("symphony.lsp.code_actions", json!({"view_id": q}));
    let actions = r["result"]["actions"].as_array().expect("actions").clone();
    let index = actions
        .iter()
        .position(|a| a["title"].as_str().is_some_and(|t| t.contains(';')))
        .unwrap_or_else(|| panic!("no fix in {r}"));
    let r = ed.request(
        "symphony.lsp.apply_code_action",
        json!({"view_id": q, "index": index}),
    );
    assert_eq!(r["result"]["edits"], 1, "{r}");
    assert_eq!(
        ed.contents(&q),
        "int main(void) {\n  int y = 2;\n  return y;\n}\n"
    );
}

#[test]
fn format_on_save_writes_the_formatted_text() {
    require!("clangd");
    let src = "int main(void){return 0;}\n";
    let dir = project(&[("g.c", src)]);
    let path = dir.path().join("g.c");
    let mut ed = Ed::spawn("[lsp.c]\nformat_on_save = true\n");
    let view = ed.open(&path);
    ed.notify("save", json!({"view_id": view, "file_path": path}));
    let until = Instant::now() + WAIT;
    let mut on_disk = String::new();
    while Instant::now() < until {
        on_disk = std::fs::read_to_string(&path).expect("read");
        if on_disk != src {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(on_disk, "int main(void) { return 0; }\n");
    assert_eq!(ed.contents(&view), on_disk);
}

#[test]
fn accepting_a_snippet_completion_inserts_its_placeholders_default_text() {
    require!("clangd");
    let src = "int add_numbers(int first, int second) { return first + second; }\n\
               int main(void) {\n  return add_n\n}\n";
    let dir = project(&[("p.c", src)]);
    let mut ed = Ed::spawn("");
    let view = ed.open(&dir.path().join("p.c"));
    // clangd completes from the parsed file once it has published (empty) diagnostics
    ed.wait_for("clangd's diagnostics", |v| {
        v["method"] == "symphony.lsp.diagnostics" && v["params"]["view_id"] == view
    });
    ed.click(&view, 2, 14);
    let r = ed.request("symphony.lsp.completion", json!({"view_id": view}));
    assert_eq!(r["result"]["start_col"], 9, "{r}");
    let items = r["result"]["items"].as_array().expect("items").clone();
    let index = items
        .iter()
        .position(|i| i["filter_text"] == "add_numbers")
        .unwrap_or_else(|| panic!("no add_numbers in {r}"));
    assert_eq!(items[index]["is_snippet"], true, "{}", items[index]);
    let r = ed.request(
        "symphony.lsp.resolve_completion",
        json!({"view_id": view, "index": index}),
    );
    assert!(r.get("result").is_some(), "{r}");
    let r = ed.request(
        "symphony.lsp.accept_completion",
        json!({"view_id": view, "index": index}),
    );
    assert_eq!(r["result"], json!({}), "{r}");
    let text = ed.contents(&view);
    assert!(
        text.contains("  return add_numbers(int first, int second)\n"),
        "{text}"
    );
    // the caret is after the inserted text: typing goes there
    ed.edit(&view, "insert", json!({"chars": ";"}));
    assert!(ed.contents(&view).contains("int second);\n"));
}

#[test]
fn a_server_that_keeps_crashing_is_given_up_with_a_clear_message() {
    require!("false");
    let dir = project(&[("z.py", "x = 1\n")]);
    // `false` exits at once: every start is a crash
    let mut ed = Ed::spawn("[lsp.python]\ncommand = \"false\"\n");
    let view = ed.open(&dir.path().join("z.py"));
    let failed = ed.wait_for("failed status", |v| {
        v["method"] == "symphony.lsp.status" && v["params"]["state"] == "failed"
    });
    let msg = failed["params"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("not restarting"), "{failed}");
    let restarts = ed
        .seen
        .iter()
        .filter(|v| v["params"]["state"] == "restarting")
        .count();
    assert_eq!(restarts, 4, "{:?}", ed.seen);
    ed.edit(&view, "insert", json!({"chars": "y = 2\n"}));
    assert_eq!(ed.contents(&view), "y = 2\nx = 1\n");
    let r = ed.request("symphony.lsp.hover", json!({"view_id": view}));
    assert_eq!(r["error"]["code"], -32803, "{r}");
}
