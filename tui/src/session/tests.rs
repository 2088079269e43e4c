//! Session tests against a fake core: an in-test local-socket peer speaking
//! the wire format (new_view, edit insert, save, get_config, copy, the crash
//! journal and its recovery), plus spawned `sh` scripts that crash.

use super::*;
use crate::linecache::LineCache;
use interprocess::local_socket::tokio::{Listener, prelude::*};
use interprocess::local_socket::{GenericFilePath, ListenerOptions, ToFsName};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// What the fake core shares across connections (like a crash journal on disk).
#[derive(Default)]
struct FakeShared {
    /// Unsaved text per file, written on every edit.
    journal: HashMap<String, String>,
    /// Drop the connection, unprocessed, when an insert of these chars arrives.
    crash_on: Option<String>,
    /// A crash only drops the connection: the server keeps its views.
    keep_views: bool,
    /// Process an insert of these chars, then drop the connection.
    drop_after: Option<String>,
    /// Process (and journal, and show) an insert of these chars, then die before
    /// reading anything else: the next connection is a fresh core.
    die_after: Option<String>,
    /// An insert of these chars renames the view's file to this path instead (as a
    /// language server's workspace edit does), with `symphony.file_moved`.
    move_on: Option<(String, String)>,
    /// The `file_path` of every `new_view`, in order.
    opened: Vec<Option<String>>,
    /// Save, then die before reading anything else.
    die_after_save: bool,
    /// The last lines a dying core still writes.
    dying: Option<Vec<Value>>,
    /// How many connections were accepted.
    connections: usize,
    /// Connections are closed as soon as they are accepted (an editor that
    /// dies at start).
    refuse: bool,
    /// Open views: id -> (path, text).
    views: HashMap<String, (Option<String>, String)>,
    next_view: usize,
    /// Every edit is answered with `symphony.journal_status {ok: false, error}`.
    journal_failing: Option<String>,
}

type Shared = Arc<Mutex<FakeShared>>;

struct FakeCore {
    shared: Shared,
    socket: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn update_for(text: &str, pristine: bool) -> Value {
    let mut lines: Vec<Value> = text
        .split_inclusive('\n')
        .map(|l| json!({ "text": l }))
        .collect();
    if text.is_empty() || text.ends_with('\n') {
        lines.push(json!({ "text": "" }));
    }
    json!({ "ops": [{ "op": "ins", "n": lines.len(), "lines": lines }],
            "pristine": pristine, "annotations": [] })
}

fn update_msg(vid: &str, text: &str, pristine: bool) -> Value {
    json!({"method": "update", "params": {"view_id": vid, "update": update_for(text, pristine)}})
}

/// Handles one message; `None` means the fake "dies" on it.
fn handle(s: &mut FakeShared, msg: &Value) -> Option<Vec<Value>> {
    let method = msg["method"].as_str().unwrap_or_default();
    let params = &msg["params"];
    let id = msg.get("id").cloned();
    let vid = params["view_id"].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    match method {
        "client_started" => {
            out.push(json!({"method":"available_themes","params":{"themes":["t"]}}));
        }
        "new_view" => {
            let path = params["file_path"].as_str().map(str::to_owned);
            s.opened.push(path.clone());
            if path.as_deref().is_some_and(|p| p.contains("missing")) {
                out.push(json!({"id": id, "error": {"code": 1, "message": "no such file"}}));
                return Some(out);
            }
            let disk = path
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default();
            s.next_view += 1;
            let vid = format!("view-id-{}", s.next_view);
            out.push(json!({"id": id, "result": vid}));
            out.push(update_msg(&vid, &disk, true));
            if let Some(p) = &path
                && let Some(j) = s.journal.get(p)
                && *j != disk
            {
                out.push(json!({"method":"symphony.recovery_available","params":{
                    "view_id": vid, "file_path": p, "edits": 1, "recovered_len": j.len()}}));
            }
            s.views.insert(vid, (path, disk));
        }
        "edit" => {
            let chars = match params["method"].as_str().unwrap_or_default() {
                "insert" | "paste" => params["params"]["chars"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                "insert_newline" => "\n".to_owned(),
                "copy" | "cut" => {
                    out.push(json!({"id": id, "result": "sel"}));
                    String::new()
                }
                _ => String::new(),
            };
            if chars.is_empty() {
                return Some(out);
            }
            if let Some((on, new_path)) = s.move_on.clone()
                && on == chars
                && let Some((path, _)) = s.views.get_mut(&vid)
            {
                s.move_on = None;
                if let Some(old) = path.replace(new_path.clone()) {
                    std::fs::rename(&old, &new_path).expect("rename");
                    if let Some(j) = s.journal.remove(&old) {
                        s.journal.insert(new_path.clone(), j);
                    }
                }
                out.push(json!({"method": "symphony.file_moved",
                    "params": {"view_id": vid, "file_path": new_path}}));
                return Some(out);
            }
            if s.crash_on.as_deref() == Some(chars.as_str()) {
                s.crash_on = None;
                if !s.keep_views {
                    s.views.clear();
                }
                return None;
            }
            let Some((path, text)) = s.views.get_mut(&vid) else {
                return Some(out);
            };
            text.push_str(&chars);
            let (path, text) = (path.clone(), text.clone());
            if let Some(why) = &s.journal_failing {
                out.push(json!({"method": "symphony.journal_status",
                    "params": {"view_id": vid, "ok": false, "error": why}}));
            }
            if let Some(p) = path {
                s.journal.insert(p, text.clone());
            }
            out.push(update_msg(&vid, &text, false));
            if s.drop_after.as_deref() == Some(chars.as_str()) {
                s.drop_after = None;
                return None;
            }
            if s.die_after.as_deref() == Some(chars.as_str()) {
                s.die_after = None;
                s.views.clear();
                s.dying = Some(out);
                return None;
            }
        }
        "symphony.recover" if params["action"] == "new_buffer" => {
            let into = params["into_view_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let path = s.views.get(&vid).and_then(|(p, _)| p.clone());
            if let Some(j) = path.and_then(|p| s.journal.get(&p).cloned())
                && let Some((_, text)) = s.views.get_mut(&into)
            {
                *text = j.clone();
                out.push(update_msg(&into, &j, false));
            }
        }
        "symphony.recover" => {
            let path = s.views.get(&vid).and_then(|(p, _)| p.clone());
            if params["accept"] == json!(false) {
                // Refused: the journal goes, the buffer stays as on disk.
                if let Some(p) = path {
                    s.journal.remove(&p);
                }
                return Some(out);
            }
            if let Some(j) = path.and_then(|p| s.journal.get(&p).cloned())
                && let Some((_, text)) = s.views.get_mut(&vid)
            {
                *text = j.clone();
                out.push(update_msg(&vid, &j, false));
            }
        }
        "save" => {
            let file = params["file_path"].as_str().unwrap_or_default().to_owned();
            if let Some((path, text)) = s.views.get_mut(&vid) {
                if let Err(e) = std::fs::write(&file, text.as_bytes()) {
                    out.push(json!({"method":"alert","params":{"msg": format!("cannot save {file}: {e}")}}));
                    return Some(out);
                }
                *path = Some(file.clone());
                let text = text.clone();
                s.journal.remove(&file);
                out.push(update_msg(&vid, &text, true));
                if s.die_after_save {
                    s.die_after_save = false;
                    s.views.clear();
                    s.dying = Some(out);
                    return None;
                }
            }
        }
        "symphony.review.apply" => {
            // A review's edit: text the client's edit log does not have.
            if let Some((path, text)) = s.views.get_mut(&vid) {
                text.push_str("<R>");
                let (path, text) = (path.clone(), text.clone());
                if let Some(p) = path {
                    s.journal.insert(p, text.clone());
                }
                out.push(update_msg(&vid, &text, false));
            }
            out.push(json!({"id": id, "result": null}));
        }
        "get_config" => {
            if s.views.contains_key(&vid) {
                out.push(json!({"id": id, "result": {"tab_size": 4}}));
            } else {
                out.push(json!({"id": id, "error": {"code": -32602, "message": "no such view"}}));
            }
        }
        _ => {}
    }
    Some(out)
}

async fn serve(stream: interprocess::local_socket::tokio::Stream, shared: Shared) {
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let msg: Value = serde_json::from_str(&line).expect("json from the client");
        let handled = handle(&mut shared.lock().unwrap(), &msg);
        let Some(out) = handled else {
            // Dies: anything after this message is lost; what it wrote before
            // dying is still in the pipe.
            let last = shared.lock().unwrap().dying.take();
            for o in last.unwrap_or_default() {
                let mut line = o.to_string();
                line.push('\n');
                let _ = write.write_all(line.as_bytes()).await;
            }
            return;
        };
        for o in out {
            let mut line = o.to_string();
            line.push('\n');
            if write.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

async fn fake_core() -> FakeCore {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("core.sock");
    let name = socket
        .as_path()
        .to_fs_name::<GenericFilePath>()
        .expect("name");
    let listener: Listener = ListenerOptions::new()
        .name(name)
        .create_tokio()
        .expect("listen");
    let shared: Shared = Arc::default();
    let s = shared.clone();
    tokio::spawn(async move {
        while let Ok(stream) = listener.accept().await {
            let refuse = {
                let mut s = s.lock().unwrap();
                s.connections += 1;
                s.refuse
            };
            if refuse {
                drop(stream);
                continue;
            }
            tokio::spawn(serve(stream, s.clone()));
        }
    });
    FakeCore {
        shared,
        socket,
        _dir: dir,
    }
}

impl FakeCore {
    /// A client connected to this fake core, with fast restarts.
    fn client(&self) -> Client {
        Client::new(
            EditorTarget::Connect {
                socket: self.socket.clone(),
            },
            fast(),
        )
    }
}

fn fast() -> SessionOptions {
    SessionOptions {
        max_attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        stable_after: Duration::from_secs(10),
        client_journal: None,
    }
}

/// The client side of a test: the session, its events, one cache per view.
struct Client {
    session: EditorSession,
    events: UnboundedReceiver<SessionEvent>,
    caches: HashMap<ViewHandle, LineCache>,
    seen: Vec<SessionEvent>,
}

impl Client {
    fn new(target: EditorTarget, options: SessionOptions) -> Self {
        let (tx, events) = unbounded_channel();
        Client {
            session: EditorSession::start_with(target, tx, options),
            events,
            caches: HashMap::new(),
            seen: Vec::new(),
        }
    }

    fn text(&self, view: ViewHandle) -> String {
        let Some(cache) = self.caches.get(&view) else {
            return String::new();
        };
        (0..cache.len())
            .map(|i| cache.get(i).map(|l| l.text.clone()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Handles events until `done` holds (panics after 10 s).
    async fn until(&mut self, what: &str, mut done: impl FnMut(&Client) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(self) {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {:#?}", self.seen))
                .expect("session alive");
            match &event {
                SessionEvent::Update { view, update } => {
                    self.caches.entry(*view).or_default().apply(update)
                }
                SessionEvent::ViewReset { view } => self.caches.entry(*view).or_default().clear(),
                _ => {}
            }
            self.seen.push(event);
        }
    }

    fn saw(&self, f: impl Fn(&SessionEvent) -> bool) -> bool {
        self.seen.iter().any(f)
    }

    /// Handles events until one matching `f` has been seen.
    async fn until_seen(&mut self, what: &str, f: impl Fn(&SessionEvent) -> bool) {
        self.until(what, |c| c.saw(&f)).await
    }
}

fn insert(chars: &str) -> EditNotification {
    serde_json::from_value(json!({"method":"insert","params":{"chars": chars}})).expect("insert")
}

#[tokio::test]
async fn edits_reach_the_core_and_save_writes_the_file() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    // Typed before the view is open: queued, not lost.
    c.session.edit(v, insert("ab"));
    c.until_seen("opened", |e| {
        matches!(e, SessionEvent::Opened { result: Ok(()), .. })
    })
    .await;
    c.until("text", |c| c.text(v) == "start\nab").await;
    c.session.copy(v, false);
    c.until_seen(
        "copied",
        |e| matches!(e, SessionEvent::Copied { text: Some(t), cut: false, .. } if t == "sel"),
    )
    .await;
    c.session.save(v, file.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "start\nab");
    assert!(c.saw(|e| *e == SessionEvent::State(EditorState::Running)));
    assert!(c.saw(|e| *e == SessionEvent::AvailableThemes(vec!["t".into()])));
}

#[tokio::test]
async fn opening_a_file_the_core_refuses_reports_the_error() {
    let core = fake_core().await;
    let mut c = core.client();
    let v = c.session.open(Some("/nonexistent/missing.txt".into()));
    c.until_seen("open error", |e| matches!(e, SessionEvent::Opened { view, result: Err(m) } if *view == v && m == "no such file"))
    .await;
}

#[tokio::test]
async fn a_crash_loses_no_keystroke_of_a_file() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    c.session.edit(v, insert("b"));
    c.until("ab", |c| c.text(v) == "start\nab").await;
    // The core dies on "X" without processing it or anything sent after it.
    core.shared.lock().unwrap().crash_on = Some("X".into());
    c.session.edit(v, insert("X"));
    c.session.edit(v, insert("Y"));
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    // Typed while the editor is down.
    c.session.edit(v, insert("Z"));
    c.until("everything back", |c| c.text(v) == "start\nabXYZ")
        .await;
    assert!(c.saw(|e| *e == SessionEvent::ViewReset { view: v }));
    c.until_seen(
        "the user is told",
        |e| matches!(e, SessionEvent::Alert(m) if m.contains("editor restarted")),
    )
    .await;
    assert!(
        !c.saw(|e| matches!(e, SessionEvent::RecoveryOffered { .. })),
        "recovery is accepted by the session itself"
    );
    c.session.save(v, file.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "start\nabXYZ");
    assert_eq!(core.shared.lock().unwrap().connections, 2);
    assert_eq!(
        c.seen
            .iter()
            .filter(|e| **e == SessionEvent::State(EditorState::Running))
            .count(),
        2
    );
}

#[tokio::test]
async fn an_unnamed_buffer_is_rebuilt_by_replaying_its_edits() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = core.client();
    let v = c.session.open(None);
    c.session.edit(v, insert("hello"));
    c.until("hello", |c| c.text(v) == "hello").await;
    core.shared.lock().unwrap().crash_on = Some("!".into());
    c.session.edit(v, insert("!"));
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    c.session.edit(v, insert(" world"));
    c.until("rebuilt", |c| c.text(v) == "hello! world").await;
    let out = dir.path().join("new.txt");
    c.session.save(v, out.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello! world");
}

#[tokio::test]
async fn recovery_offered_at_first_open_is_the_users_choice() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.txt");
    std::fs::write(&file, "disk").unwrap();
    core.shared
        .lock()
        .unwrap()
        .journal
        .insert(file.to_string_lossy().into_owned(), "disk+unsaved".into());
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.until_seen(
        "offer",
        |e| matches!(e, SessionEvent::RecoveryOffered { view, .. } if *view == v),
    )
    .await;
    assert_eq!(c.text(v), "disk");
    c.session.accept_recovery(v, true);
    c.until("recovered", |c| c.text(v) == "disk+unsaved").await;
}

#[tokio::test]
async fn recovery_into_a_new_view_names_both_views_to_the_core() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.txt");
    std::fs::write(&file, "disk").unwrap();
    core.shared
        .lock()
        .unwrap()
        .journal
        .insert(file.to_string_lossy().into_owned(), "old+typed".into());
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.until_seen(
        "offer",
        |e| matches!(e, SessionEvent::RecoveryOffered { view, .. } if *view == v),
    )
    .await;
    // Opened and answered at once: the answer waits until the new view exists.
    let scratch = c.session.open(None);
    c.session
        .answer_recovery(v, RecoverAction::NewBuffer, Some(scratch));
    c.until("recovered beside", |c| c.text(scratch) == "old+typed")
        .await;
    assert_eq!(c.text(v), "disk", "the file's view stays as on disk");
}

#[tokio::test]
async fn a_failing_journal_reaches_the_app() {
    let core = fake_core().await;
    core.shared.lock().unwrap().journal_failing = Some("No space left on device".into());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.txt");
    std::fs::write(&file, "x").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file));
    c.session.edit(v, insert("a"));
    c.until_seen("journal status", |e| {
        matches!(e, SessionEvent::JournalStatus { view, ok: false, error: Some(why) }
            if *view == v && why.contains("No space"))
    })
    .await;
}

fn script(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-editor");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn an_editor_that_keeps_crashing_ends_in_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(dir.path(), "read line; exit 3");
    let mut c = Client::new(EditorTarget::Spawn { program }, fast());
    c.until_seen("failed", |e| {
        matches!(e, SessionEvent::State(EditorState::Failed { .. }))
    })
    .await;
    let restarts: Vec<u32> = c
        .seen
        .iter()
        .filter_map(|e| match e {
            SessionEvent::State(EditorState::Restarting { attempt }) => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(restarts, vec![1, 2, 3]);
}

#[tokio::test]
async fn a_missing_editor_program_fails_with_its_name() {
    let mut c = Client::new(
        EditorTarget::Spawn {
            program: "/nonexistent/symphony-editor".into(),
        },
        fast(),
    );
    c.until_seen("failed", |e| matches!(e, SessionEvent::State(EditorState::Failed { reason }) if reason.contains("/nonexistent/symphony-editor")))
    .await;
}

#[tokio::test]
async fn a_spawned_editor_gets_the_startup_sequence_and_its_answers_arrive() {
    // A shell "core": answers new_view, then echoes an alert; stderr must not
    // reach the terminal (it goes to the log).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("received");
    let program = script(
        dir.path(),
        &format!(
            "echo 'noise on stderr' >&2\n\
             read started; echo \"$started\" > {log}\n\
             read open\n\
             echo '{{\"id\":0,\"result\":\"view-id-1\"}}'\n\
             echo '{{\"method\":\"alert\",\"params\":{{\"msg\":\"hi\"}}}}'\n\
             cat > /dev/null",
            log = log.display()
        ),
    );
    let mut c = Client::new(EditorTarget::Spawn { program }, fast());
    let v = c.session.open(None);
    c.until("opened + alert", |c| {
        c.saw(|e| matches!(e, SessionEvent::Opened { view, result: Ok(()) } if *view == v))
            && c.saw(|e| *e == SessionEvent::Alert("hi".into()))
    })
    .await;
    let started: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(started["method"], "client_started");
    c.session.shutdown();
}

#[tokio::test]
async fn a_reconnect_to_a_live_server_keeps_its_views() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.txt");
    std::fs::write(&file, "").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("ab"));
    c.until("ab", |c| c.text(v) == "ab").await;
    // The connection drops after the server applied "X"; the server lives on.
    core.shared.lock().unwrap().drop_after = Some("X".into());
    c.session.edit(v, insert("X"));
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    c.session.edit(v, insert("Z"));
    c.until("typed on", |c| c.text(v) == "abXZ").await;
    assert!(
        !c.saw(|e| *e == SessionEvent::ViewReset { view: v }),
        "same view, same buffer"
    );
    assert_eq!(core.shared.lock().unwrap().connections, 2);
}

#[tokio::test]
async fn a_failed_save_reports_the_editors_message() {
    let core = fake_core().await;
    let mut c = core.client();
    let v = c.session.open(None);
    c.session.edit(v, insert("text"));
    c.session.save(v, "/nonexistent/dir/file.txt".into());
    c.until_seen("save error", |e| matches!(e, SessionEvent::Saved { view, result: Err(m) } if *view == v && m.contains("cannot save")))
    .await;
    // A later save that works is Ok.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ok.txt");
    c.session.save(v, file.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "text");
}

#[tokio::test]
async fn a_file_moved_by_the_editor_is_reopened_from_its_new_path_after_a_crash() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old_mod.rs");
    let new = dir.path().join("new_mod.rs");
    std::fs::write(&old, "fn f() {}\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(old.clone()));
    c.session.edit(v, insert("// unsaved "));
    c.until("typed", |c| c.text(v).ends_with("// unsaved "))
        .await;
    // a language server's rename moves the file (the fake does it on this insert)
    core.shared.lock().unwrap().move_on = Some(("MOVE".into(), new.display().to_string()));
    c.session.edit(v, insert("MOVE"));
    c.until_seen("file moved", |e| {
        *e == SessionEvent::FileMoved {
            view: v,
            path: new.clone(),
        }
    })
    .await;
    // the editor crashes: the view comes back from the new path, unsaved text and all
    core.shared.lock().unwrap().crash_on = Some("!".into());
    c.session.edit(v, insert("!"));
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    c.session.edit(v, insert("more"));
    // no keystroke lost: the "!" the crash swallowed is replayed
    c.until("reopened", |c| c.text(v).ends_with("// unsaved !more"))
        .await;
    let new_s = new.display().to_string();
    assert_eq!(
        core.shared.lock().unwrap().opened.last(),
        Some(&Some(new_s.clone())),
        "reopened from the new path"
    );
    assert!(
        !c.saw(|e| matches!(e, SessionEvent::Opened { result: Err(_), .. })),
        "no failed reopen of the old path"
    );
    c.session.save(v, new.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(&new).unwrap(),
        "fn f() {}\n// unsaved !more"
    );
    assert!(!old.exists());
}

#[tokio::test]
async fn an_edit_journaled_just_before_the_crash_is_not_typed_twice() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twice.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    c.session.edit(v, insert("b"));
    c.until("ab", |c| c.text(v) == "start\nab").await;
    // The core applies and journals "c", shows it, and dies before it can
    // answer the request that would confirm it.
    core.shared.lock().unwrap().die_after = Some("c".into());
    c.session.edit(v, insert("c"));
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    c.session.edit(v, insert("d"));
    c.until("typed on", |c| c.text(v).ends_with('d')).await;
    assert_eq!(c.text(v), "start\nabcd");
    c.session.save(v, file.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "start\nabcd");
}

#[tokio::test]
async fn after_a_review_edit_a_crash_recovers_the_journal_with_it() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("review.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    let apply = symphony_protocol::xi::review::ApplyParams {
        view_id: String::new(),
        revision: 0,
        edits: Vec::new(),
    };
    c.session.call(v, 7, super::Request::Apply(apply));
    c.until_seen("applied", |e| {
        matches!(e, SessionEvent::Reply { id: 7, .. })
    })
    .await;
    assert_eq!(c.text(v), "start\na<R>");
    core.shared.lock().unwrap().crash_on = Some("X".into());
    c.session.edit(v, insert("X"));
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    // The edit log alone would lose the review's text: the journal has it.
    c.until("recovered", |c| c.text(v) == "start\na<R>X").await;
}

#[tokio::test]
async fn after_giving_up_a_restart_by_hand_brings_back_everything_typed() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gave_up.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    c.until("a", |c| c.text(v) == "start\na").await;
    // The editor dies and every restart dies at once: the session gives up.
    {
        let mut s = core.shared.lock().unwrap();
        s.refuse = true;
        s.crash_on = Some("X".into());
    }
    c.session.edit(v, insert("X"));
    c.until_seen("gave up", |e| {
        matches!(e, SessionEvent::State(EditorState::Failed { .. }))
    })
    .await;
    // Keys are still taken while it is stopped.
    c.session.edit(v, insert("Y"));
    c.session.edit(v, insert("Z"));
    core.shared.lock().unwrap().refuse = false;
    c.session.restart();
    c.until("everything back", |c| c.text(v) == "start\naXYZ")
        .await;
    c.until_seen(
        "the user is told",
        |e| matches!(e, SessionEvent::Alert(m) if m.contains("editor restarted")),
    )
    .await;
    assert_eq!(
        c.seen
            .last()
            .map(|_| ())
            .and(c.seen.iter().rev().find_map(|e| match e {
                SessionEvent::State(s) => Some(s.clone()),
                _ => None,
            })),
        Some(EditorState::Running)
    );
    c.session.save(v, file.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "start\naXYZ");
}

#[tokio::test]
async fn quitting_while_the_editor_is_down_journals_what_was_typed() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quit_down.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    c.until("a", |c| c.text(v) == "start\na").await;
    {
        let mut s = core.shared.lock().unwrap();
        s.refuse = true;
        s.crash_on = Some("X".into());
    }
    c.session.edit(v, insert("X"));
    c.until_seen("gave up", |e| {
        matches!(e, SessionEvent::State(EditorState::Failed { .. }))
    })
    .await;
    c.session.edit(v, insert("Y"));
    core.shared.lock().unwrap().refuse = false;
    let key = file.to_string_lossy().into_owned();
    let Client { session, .. } = c;
    session.shutdown();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let journal = core.shared.lock().unwrap().journal.get(&key).cloned();
        if journal.as_deref() == Some("start\naXY") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the journal holds {journal:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_that_dies_while_the_editor_is_down_leaves_its_typing_for_the_next_start() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("down.txt");
    std::fs::write(&file, "start\n").unwrap();
    let journals = dir.path().join("client-journal");
    let options = SessionOptions {
        client_journal: Some(journals.clone()),
        ..fast()
    };
    let target = EditorTarget::Connect {
        socket: core.socket.clone(),
    };
    let mut c = Client::new(target.clone(), options.clone());
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    c.until("a", |c| c.text(v) == "start\na").await;
    {
        let mut s = core.shared.lock().unwrap();
        s.refuse = true;
        s.crash_on = Some("X".into());
    }
    c.session.edit(v, insert("X"));
    c.until_seen("gave up", |e| {
        matches!(e, SessionEvent::State(EditorState::Failed { .. }))
    })
    .await;
    c.session.edit(v, insert("Y"));
    c.session.edit(v, insert("Z"));
    // Let the session write them down, then the client "dies": its task is
    // gone without a word to anyone (no shutdown, no restart).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let written = loop {
        let files: Vec<_> = std::fs::read_dir(&journals)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if let [one] = files.as_slice()
            && std::fs::read_to_string(one).is_ok_and(|t| t.contains("\"Z\""))
        {
            break files;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no client journal: {files:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(written.len(), 1, "one client journal");
    let Client { session, .. } = c;
    std::mem::forget(session);

    // The next start: the editor's journal has "a" only; the client's has all.
    core.shared.lock().unwrap().refuse = false;
    let mut c = Client::new(target, options);
    let v = c.session.open(Some(file.clone()));
    c.until_seen(
        "offer",
        |e| matches!(e, SessionEvent::RecoveryOffered { view, .. } if *view == v),
    )
    .await;
    assert_eq!(
        c.seen
            .iter()
            .filter(|e| matches!(e, SessionEvent::RecoveryOffered { .. }))
            .count(),
        1,
        "asked once"
    );
    c.session.accept_recovery(v, true);
    c.until("recovered", |c| c.text(v) == "start\naXYZ").await;
    c.session.save(v, file.clone());
    c.until_seen("saved", |e| {
        matches!(e, SessionEvent::Saved { result: Ok(()), .. })
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "start\naXYZ");
    assert_eq!(
        std::fs::read_dir(&journals).unwrap().flatten().count(),
        0,
        "gone once the editor has it all"
    );
}

#[tokio::test]
async fn every_line_an_editor_wrote_before_it_exited_is_read_before_the_exit_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // More than a pipe holds, written at once, then gone.
    let lines = dir.path().join("lines");
    let text: String = (0..3000)
        .map(|i| format!("{{\"method\":\"alert\",\"params\":{{\"msg\":\"line {i}\"}}}}\n"))
        .collect();
    std::fs::write(&lines, text).unwrap();
    let program = script(
        dir.path(),
        &format!("read started\ncat '{}'\nexit 0", lines.display()),
    );
    let mut c = Client::new(EditorTarget::Spawn { program }, fast());
    c.until_seen("the exit", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    let alerts = c
        .seen
        .iter()
        .filter(|e| matches!(e, SessionEvent::Alert(m) if m.starts_with("line ")))
        .count();
    assert_eq!(alerts, 3000, "lines lost to an exit reported early");
    c.session.shutdown();
}

#[tokio::test]
async fn a_save_done_just_before_the_crash_is_not_replayed_onto_the_saved_file() {
    let core = fake_core().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved.txt");
    std::fs::write(&file, "start\n").unwrap();
    let mut c = core.client();
    let v = c.session.open(Some(file.clone()));
    c.session.edit(v, insert("a"));
    c.until("a", |c| c.text(v) == "start\na").await;
    // The file is written, then the core dies before it confirms the save.
    core.shared.lock().unwrap().die_after_save = true;
    c.session.save(v, file.clone());
    c.until_seen("restarting", |e| {
        matches!(e, SessionEvent::State(EditorState::Restarting { .. }))
    })
    .await;
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "start\na");
    c.session.edit(v, insert("b"));
    c.until("typed on", |c| c.text(v).ends_with('b')).await;
    assert_eq!(c.text(v), "start\nab");
    assert!(c.saw(|e| matches!(e, SessionEvent::Saved { result: Ok(()), .. })));
}
