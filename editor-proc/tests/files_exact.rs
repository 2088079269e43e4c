//! Files kept byte for byte through the real editor process: mixed line endings, no
//! final newline, a UTF-8 BOM, CRLF reported to the client, hard links, a writable file
//! in a read-only directory; special files refused at once while the editor keeps
//! answering; saves that ask before overwriting another program's changes or an
//! existing file (`symphony.save_conflict`, `force`, `symphony.reload`,
//! `symphony.disk_state`, `symphony.disk_diff`).

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use common::{Editor, kind};
use serde_json::{Value, json};

/// An editor with its state in `dir`, the client started.
fn editor(dir: &Path) -> Editor {
    let mut ed = Editor::spawn(dir);
    ed.send(r#"{"method":"client_started","params":{}}"#);
    ed
}

/// Opens `path` with request id `id`; returns what the editor answered.
fn open(ed: &mut Editor, id: u64, path: &Path) -> Vec<Value> {
    ed.send_value(&json!({"id": id, "method": "new_view", "params": {"file_path": path}}))
}

fn edit(ed: &mut Editor, view: &str, method: &str, params: Value) -> Vec<Value> {
    ed.send_value(
        &json!({"method": "edit", "params": {"view_id": view, "method": method, "params": params}}),
    )
}

fn insert(ed: &mut Editor, view: &str, chars: &str) -> Vec<Value> {
    edit(ed, view, "insert", json!({ "chars": chars }))
}

fn save(ed: &mut Editor, view: &str, path: &Path, force: bool) -> Vec<Value> {
    let mut params = json!({"view_id": view, "file_path": path});
    if force {
        params["force"] = json!(true);
    }
    ed.send_value(&json!({"method": "save", "params": params}))
}

fn contents(ed: &mut Editor, view: &str) -> String {
    let got = ed.send_value(
        &json!({"id": 900, "method": "debug_get_contents", "params": {"view_id": view}}),
    );
    got.iter()
        .find(|m| m["id"] == 900)
        .and_then(|m| m["result"].as_str())
        .unwrap_or_else(|| panic!("no contents in {got:?}"))
        .to_string()
}

fn find<'a>(msgs: &'a [Value], method: &str) -> Option<&'a Value> {
    msgs.iter().find(|m| kind(m) == method)
}

/// Opens, saves unchanged, and returns the bytes on disk.
fn open_and_save_unchanged(bytes: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.txt");
    fs::write(&p, bytes).unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    save(&mut ed, "view-id-1", &p, false);
    fs::read(&p).unwrap()
}

#[test]
fn mixed_line_endings_are_saved_as_they_were() {
    assert_eq!(open_and_save_unchanged(b"a\r\nb\nc\r\n"), b"a\r\nb\nc\r\n");
    assert_eq!(open_and_save_unchanged(b"a\nb\r\nc\n"), b"a\nb\r\nc\n");
}

#[test]
fn a_typed_line_gets_the_files_dominant_ending_and_the_others_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.txt");
    fs::write(&p, b"a\r\nb\nc\r\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    // end of the line "b", then a new line
    edit(&mut ed, "view-id-1", "move_down", json!([]));
    edit(&mut ed, "view-id-1", "move_to_right_end_of_line", json!([]));
    edit(&mut ed, "view-id-1", "insert_newline", json!([]));
    insert(&mut ed, "view-id-1", "new");
    assert_eq!(contents(&mut ed, "view-id-1"), "a\nb\nnew\nc\n");
    save(&mut ed, "view-id-1", &p, false);
    assert_eq!(fs::read(&p).unwrap(), b"a\r\nb\r\nnew\nc\r\n");
}

#[test]
fn a_file_without_a_final_newline_is_saved_without_one() {
    assert_eq!(open_and_save_unchanged(b"no newline"), b"no newline");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.txt");
    fs::write(&p, b"one\ntwo").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "X");
    save(&mut ed, "view-id-1", &p, false);
    assert_eq!(fs::read(&p).unwrap(), b"Xone\ntwo");
}

#[test]
fn typing_at_the_start_of_a_file_with_a_bom_goes_after_the_bom() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bom.txt");
    fs::write(&p, b"\xEF\xBB\xBFhello\r\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    assert_eq!(
        contents(&mut ed, "view-id-1"),
        "hello\n",
        "the BOM is not part of the text"
    );
    insert(&mut ed, "view-id-1", "X");
    save(&mut ed, "view-id-1", &p, false);
    assert_eq!(fs::read(&p).unwrap(), b"\xEF\xBB\xBFXhello\r\n");
}

#[test]
fn a_crlf_file_reports_crlf_to_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dos.txt");
    fs::write(&p, b"a\r\nb\r\n").unwrap();
    let lf = dir.path().join("unix.txt");
    fs::write(&lf, b"a\nb\n").unwrap();
    let mut ed = editor(dir.path());
    let msgs = open(&mut ed, 1, &p);
    let cfg = find(&msgs, "config_changed").expect("config_changed");
    assert_eq!(cfg["params"]["changes"]["line_ending"], "\r\n");
    let msgs = open(&mut ed, 2, &lf);
    let cfg = find(&msgs, "config_changed").expect("config_changed");
    assert_eq!(cfg["params"]["changes"]["line_ending"], "\n");
}

#[test]
fn saving_keeps_hard_links() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.txt");
    let other = dir.path().join("b.txt");
    fs::write(&p, "shared\n").unwrap();
    fs::hard_link(&p, &other).unwrap();
    let ino = fs::metadata(&p).unwrap().ino();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "edited ");
    save(&mut ed, "view-id-1", &p, false);
    assert_eq!(fs::read_to_string(&other).unwrap(), "edited shared\n");
    assert_eq!(fs::metadata(&p).unwrap().ino(), ino);
    assert_eq!(fs::metadata(&p).unwrap().nlink(), 2);
    let backups = dir.path().join("symphony/backup");
    assert!(
        !backups.exists() || fs::read_dir(&backups).unwrap().count() == 0,
        "the backup copy is removed"
    );
}

/// The user `nobody`, for whom a root-owned 0755 directory is read-only (the tests run
/// as root, whom permission bits do not stop).
const NOBODY: u32 = 65534;

fn chown(p: &Path, uid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
}

#[test]
fn a_writable_file_in_a_read_only_directory_is_saved() {
    let top = tempfile::tempdir().unwrap();
    chown(top.path(), NOBODY);
    let state = top.path().join("state");
    fs::create_dir(&state).unwrap();
    chown(&state, NOBODY);
    let ro = top.path().join("ro");
    fs::create_dir(&ro).unwrap();
    let p = ro.join("mine.txt");
    fs::write(&p, "before\n").unwrap();
    chown(&p, NOBODY);
    // the directory stays root's, 0755: nobody cannot create a file in it
    let mut ed = if unsafe { libc::geteuid() } == 0 {
        Editor::spawn_as(&state, NOBODY, NOBODY)
    } else {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
        Editor::spawn(&state)
    };
    ed.send(r#"{"method":"client_started","params":{}}"#);
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "after ");
    let msgs = save(&mut ed, "view-id-1", &p, false);
    assert!(find(&msgs, "alert").is_none(), "no error: {msgs:?}");
    assert_eq!(fs::read_to_string(&p).unwrap(), "after before\n");
    assert_eq!(fs::metadata(&p).unwrap().uid(), NOBODY, "owner kept");
    let names: Vec<_> = fs::read_dir(&ro).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing else in the directory");
    let backups = state.join("symphony/backup");
    assert!(backups.is_dir(), "the backup went to the state directory");
    assert_eq!(
        fs::read_dir(&backups).unwrap().count(),
        0,
        "and was removed"
    );
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[test]
fn opening_a_fifo_is_refused_at_once_and_the_editor_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let text = dir.path().join("t.txt");
    fs::write(&text, "text\n").unwrap();
    let mut ed = editor(dir.path());
    let msgs = open(&mut ed, 1, &fifo);
    let err = msgs
        .iter()
        .find(|m| m["id"] == 1)
        .expect("an answer to new_view");
    let msg = err["error"]["message"].as_str().expect("an error");
    assert!(msg.contains("FIFO") && msg.contains("not opened"), "{msg}");
    assert!(find(&msgs, "alert").is_some(), "the user is told");
    // the editor still serves other files
    let msgs = open(&mut ed, 2, &text);
    assert!(msgs.iter().any(|m| m["id"] == 2 && m["result"].is_string()));
    insert(&mut ed, "view-id-1", "more ");
    assert_eq!(contents(&mut ed, "view-id-1"), "more text\n");
    // a socket and a device are refused the same way
    let sock = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let msgs = open(&mut ed, 3, &sock);
    let m = msgs.iter().find(|m| m["id"] == 3).expect("answer");
    assert!(
        m["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("socket"),
        "{m}"
    );
    let msgs = open(&mut ed, 4, Path::new("/dev/zero"));
    let m = msgs.iter().find(|m| m["id"] == 4).expect("answer");
    assert!(
        m["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("device"),
        "{m}"
    );
}

/// Waits until another program's write is surely seen as a change (a new mtime tick).
fn let_time_pass() {
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn save_asks_before_overwriting_a_file_changed_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.txt");
    fs::write(&p, "one\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "mine ");
    let_time_pass();
    let mut f = fs::OpenOptions::new().append(true).open(&p).unwrap();
    std::io::Write::write_all(&mut f, b"theirs\n").unwrap();
    drop(f);

    let msgs = save(&mut ed, "view-id-1", &p, false);
    let c = find(&msgs, "symphony.save_conflict").expect("the save asks");
    assert_eq!(c["params"]["reason"], "changed");
    assert_eq!(c["params"]["view_id"], "view-id-1");
    assert!(
        c["params"]["message"]
            .as_str()
            .unwrap()
            .contains("changed on disk")
    );
    assert_eq!(
        fs::read_to_string(&p).unwrap(),
        "one\ntheirs\n",
        "nothing was written"
    );
    // a second plain save still asks
    let msgs = save(&mut ed, "view-id-1", &p, false);
    assert!(find(&msgs, "symphony.save_conflict").is_some());

    // the diff shows both sides
    let got = ed.send_value(
        &json!({"id": 50, "method": "symphony.disk_diff", "params": {"view_id": "view-id-1"}}),
    );
    let diff = got
        .iter()
        .find(|m| m["id"] == 50)
        .and_then(|m| m["result"]["diff"].as_str())
        .expect("a diff")
        .to_string();
    assert!(
        diff.contains("-theirs") && diff.contains("+mine one"),
        "{diff}"
    );

    // overwrite
    let msgs = save(&mut ed, "view-id-1", &p, true);
    assert!(find(&msgs, "symphony.save_conflict").is_none());
    assert_eq!(fs::read_to_string(&p).unwrap(), "mine one\n");
    // and from now on, plain saves go through again
    insert(&mut ed, "view-id-1", "again ");
    let msgs = save(&mut ed, "view-id-1", &p, false);
    assert!(find(&msgs, "symphony.save_conflict").is_none(), "{msgs:?}");
    assert_eq!(fs::read_to_string(&p).unwrap(), "mine again one\n");
}

#[test]
fn reload_after_a_save_conflict_takes_the_file_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.txt");
    fs::write(&p, "one\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "mine ");
    let_time_pass();
    fs::write(&p, "theirs\r\nonly\r\n").unwrap();
    let msgs = save(&mut ed, "view-id-1", &p, false);
    assert!(find(&msgs, "symphony.save_conflict").is_some());
    let msgs =
        ed.send_value(&json!({"method": "symphony.reload", "params": {"view_id": "view-id-1"}}));
    assert_eq!(contents(&mut ed, "view-id-1"), "theirs\nonly\n");
    let update = msgs
        .iter()
        .rev()
        .find(|m| kind(m) == "update")
        .expect("an update");
    assert_eq!(update["params"]["update"]["pristine"], true);
    // the reload is one undoable edit
    edit(&mut ed, "view-id-1", "undo", json!([]));
    assert_eq!(contents(&mut ed, "view-id-1"), "mine one\n");
    edit(&mut ed, "view-id-1", "redo", json!([]));
    let msgs = save(&mut ed, "view-id-1", &p, false);
    assert!(find(&msgs, "symphony.save_conflict").is_none(), "{msgs:?}");
    assert_eq!(fs::read(&p).unwrap(), b"theirs\r\nonly\r\n");
}

#[test]
fn save_asks_before_overwriting_a_file_replaced_by_a_binary() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.txt");
    fs::write(&p, "one\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "mine ");
    let_time_pass();
    let binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";
    fs::write(&p, binary).unwrap();
    let msgs = save(&mut ed, "view-id-1", &p, false);
    let c = find(&msgs, "symphony.save_conflict").expect("the save asks");
    assert_eq!(c["params"]["reason"], "binary");
    assert_eq!(fs::read(&p).unwrap(), binary);
}

#[test]
fn a_touched_file_is_no_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.txt");
    fs::write(&p, "one\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "mine ");
    let_time_pass();
    fs::write(&p, "one\n").unwrap();
    let msgs = save(&mut ed, "view-id-1", &p, false);
    assert!(find(&msgs, "symphony.save_conflict").is_none(), "{msgs:?}");
    assert_eq!(fs::read_to_string(&p).unwrap(), "mine one\n");
}

#[test]
fn save_as_over_an_existing_file_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mine.txt");
    fs::write(&p, "mine\n").unwrap();
    let other = dir.path().join("other.txt");
    fs::write(&other, "precious\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    let msgs = save(&mut ed, "view-id-1", &other, false);
    let c = find(&msgs, "symphony.save_conflict").expect("the save asks");
    assert_eq!(c["params"]["reason"], "exists");
    assert_eq!(fs::read_to_string(&other).unwrap(), "precious\n");
    // a new name is saved without a question
    let fresh = dir.path().join("fresh.txt");
    let msgs = save(&mut ed, "view-id-1", &fresh, false);
    assert!(find(&msgs, "symphony.save_conflict").is_none());
    assert_eq!(fs::read_to_string(&fresh).unwrap(), "mine\n");
    // and overwriting is the user's choice
    save(&mut ed, "view-id-1", &other, true);
    assert_eq!(fs::read_to_string(&other).unwrap(), "mine\n");
}

/// Polls with a harmless request until `pred` accepts a message.
fn wait_for(ed: &mut Editor, pred: impl Fn(&Value) -> bool) -> Option<Value> {
    for _ in 0..200 {
        let msgs = ed.send(
            r#"{"method":"edit","params":{"view_id":"view-id-1","method":"scroll","params":[0,10]}}"#,
        );
        if let Some(m) = msgs.into_iter().find(&pred) {
            return Some(m);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn the_changed_on_disk_state_lasts_until_the_save_resolves_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.txt");
    fs::write(&p, "one\n").unwrap();
    let mut ed = editor(dir.path());
    open(&mut ed, 1, &p);
    insert(&mut ed, "view-id-1", "mine ");
    std::thread::sleep(Duration::from_millis(200));
    fs::write(&p, "theirs\n").unwrap();
    let m = wait_for(&mut ed, |m| kind(m) == "symphony.disk_state").expect("told");
    assert_eq!(m["params"]["state"], "changed");
    let msgs = save(&mut ed, "view-id-1", &p, true);
    let m = find(&msgs, "symphony.disk_state").expect("told it is resolved");
    assert_eq!(m["params"]["state"], "in_sync");
}

#[test]
fn text_recovered_after_a_kill_keeps_every_lines_ending() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mixed.txt");
    fs::write(&p, b"a\r\nb\nc\r\n").unwrap();
    {
        let mut ed = editor(dir.path());
        open(&mut ed, 1, &p);
        insert(&mut ed, "view-id-1", "X");
        assert_eq!(contents(&mut ed, "view-id-1"), "Xa\nb\nc\n");
        // dropped: SIGKILL, the journal holds the edit
    }
    let mut ed = editor(dir.path());
    let msgs = open(&mut ed, 1, &p);
    assert!(
        find(&msgs, "symphony.recovery_available").is_some(),
        "{msgs:?}"
    );
    ed.send_value(
        &json!({"method": "symphony.recover", "params": {"view_id": "view-id-1", "accept": true}}),
    );
    assert_eq!(contents(&mut ed, "view-id-1"), "Xa\nb\nc\n");
    save(&mut ed, "view-id-1", &p, false);
    assert_eq!(fs::read(&p).unwrap(), b"Xa\r\nb\nc\r\n");
}
