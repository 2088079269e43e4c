//! Crash journals through the real `symphony-editor` and real SIGKILLs: a journal made
//! before the file changed on disk is still offered (and gives back what was typed), two
//! editor processes on one file keep their own journals, a refused journal goes to the
//! trash and one put off stays, and a journal that cannot be written is reported until
//! it works again.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Editor;
use serde_json::{Value, json};

/// A temp dir with the editor's state and data homes and a work folder.
struct Home {
    tmp: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn state(&self) -> PathBuf {
        self.tmp.path().join("state")
    }
    fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }
    fn journal_dir(&self) -> PathBuf {
        self.state().join("symphony/journal")
    }
    fn journal_trash(&self) -> PathBuf {
        self.data().join("symphony/trash/journals")
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.tmp.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }
    fn spawn(&self) -> Editor {
        let data = self.data();
        let mut ed = Editor::spawn_with_env(&self.state(), &[("XDG_DATA_HOME", &data)]);
        ed.send(r#"{"method":"client_started","params":{}}"#);
        ed
    }
    fn journals(&self) -> Vec<PathBuf> {
        list(&self.journal_dir())
    }
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Sends request `id` and returns its result and every message the line produced.
fn request(ed: &mut Editor, id: u64, method: &str, params: Value) -> (Value, Vec<Value>) {
    let msgs = ed.send_value(&json!({"id": id, "method": method, "params": params}));
    let result = msgs
        .iter()
        .find(|m| m["id"] == json!(id) && m.get("method").is_none())
        .and_then(|m| m.get("result").cloned())
        .unwrap_or_else(|| panic!("no answer to {method}: {msgs:?}"));
    (result, msgs)
}

/// Opens `path` (None: a new unnamed buffer); returns the view and the messages.
fn open(ed: &mut Editor, path: Option<&Path>) -> (String, Vec<Value>) {
    let params = match path {
        Some(p) => json!({"file_path": p}),
        None => json!({}),
    };
    let (v, msgs) = request(ed, 1, "new_view", params);
    (v.as_str().expect("view id").to_owned(), msgs)
}

fn offer(msgs: &[Value]) -> Option<Value> {
    msgs.iter()
        .find(|m| m["method"] == "symphony.recovery_available")
        .map(|m| m["params"].clone())
}

fn contents(ed: &mut Editor, view: &str) -> String {
    let (v, _) = request(ed, 2, "debug_get_contents", json!({"view_id": view}));
    v.as_str().expect("contents").to_owned()
}

fn type_text(ed: &mut Editor, view: &str, text: &str) -> Vec<Value> {
    ed.send_value(&json!({"method": "edit", "params": {"view_id": view, "method": "insert", "params": {"chars": text}}}))
}

fn answer(ed: &mut Editor, view: &str, action: &str, into: Option<&str>) -> Vec<Value> {
    let mut params = json!({"view_id": view, "accept": false, "action": action});
    if let Some(into) = into {
        params["into_view_id"] = json!(into);
    }
    ed.send_value(&json!({"method": "symphony.recover", "params": params}))
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn a_journal_made_before_the_file_changed_on_disk_is_offered_and_gives_the_typed_text() {
    let home = Home::new();
    let file = home.file("notes.txt", "first line\n");
    let mut ed = home.spawn();
    let (view, _) = open(&mut ed, Some(&file));
    type_text(&mut ed, &view, "typed ");
    assert_eq!(contents(&mut ed, &view), "typed first line\n");
    ed.kill9();
    // Another program appends to the file meanwhile.
    append(&file, "appended by another program\n");

    let mut ed = home.spawn();
    let (view, msgs) = open(&mut ed, Some(&file));
    let offer = offer(&msgs).expect("the journal is offered although the file changed");
    assert_eq!(offer["changed_on_disk"], json!(true), "{offer}");
    assert_eq!(offer["recovered_len"], json!("typed first line\n".len()));
    assert_eq!(
        contents(&mut ed, &view),
        "first line\nappended by another program\n"
    );
    // A keystroke before answering never replaces the journal.
    type_text(&mut ed, &view, "x");
    assert!(
        list(&home.journal_dir())
            .iter()
            .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("typed "))),
        "the old journal is still there"
    );
    // Seeing the diff first, then recovering into a new buffer to compare.
    let (diff_view, _) = open(&mut ed, None);
    let msgs = answer(&mut ed, &view, "diff", Some(&diff_view));
    let diff = contents(&mut ed, &diff_view);
    assert!(diff.contains("+typed first line"), "{diff}");
    assert!(diff.contains("-appended by another program"), "{diff}");
    assert!(
        offer_is_again(&msgs),
        "after the diff the same journal is offered again"
    );
    let (scratch, _) = open(&mut ed, None);
    answer(&mut ed, &view, "new_buffer", Some(&scratch));
    assert_eq!(contents(&mut ed, &scratch), "typed first line\n");
    assert_eq!(
        contents(&mut ed, &view),
        "xfirst line\nappended by another program\n",
        "the file's buffer is left as it was"
    );
    // The recovered buffer keeps journaling into the old journal: a crash keeps it too
    // (the caret is at the end of the recovered text).
    type_text(&mut ed, &scratch, "more ");
    ed.kill9();
    let mut ed = home.spawn();
    let (view, msgs) = open(&mut ed, Some(&file));
    let texts = all_offers(&mut ed, &view, msgs);
    assert!(
        texts.contains(&"typed first line\nmore ".to_owned()),
        "{texts:?}"
    );
}

fn offer_is_again(msgs: &[Value]) -> bool {
    offer(msgs).is_some()
}

/// Goes through every offer of `view` (answering "new buffer" to see each text).
fn all_offers(ed: &mut Editor, view: &str, mut msgs: Vec<Value>) -> Vec<String> {
    let mut texts = Vec::new();
    while offer(&msgs).is_some() {
        let (scratch, _) = open(ed, None);
        msgs = answer(ed, view, "new_buffer", Some(&scratch));
        texts.push(contents(ed, &scratch));
    }
    texts
}

#[test]
fn two_editor_processes_on_one_file_keep_their_own_journals() {
    let home = Home::new();
    let file = home.file("shared.txt", "base\n");
    let mut a = home.spawn();
    let mut b = home.spawn();
    let (va, _) = open(&mut a, Some(&file));
    let (vb, msgs) = open(&mut b, Some(&file));
    assert!(offer(&msgs).is_none());
    type_text(&mut a, &va, "A");
    type_text(&mut b, &vb, "B");
    assert_eq!(home.journals().len(), 2, "one journal each");
    // A saves: B's journal stays and B keeps journaling.
    a.send_value(&json!({"method": "save", "params": {"view_id": va, "file_path": file}}));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "Abase\n");
    assert_eq!(home.journals().len(), 1, "only A's own journal went");
    type_text(&mut b, &vb, "b");
    type_text(&mut a, &va, "!");
    // A third process sees no dead journal: both owners are alive.
    let mut c = home.spawn();
    let (_, msgs) = open(&mut c, Some(&file));
    assert!(offer(&msgs).is_none(), "live journals are not offered");
    drop(c);

    b.kill9();
    let mut d = home.spawn();
    let (vd, msgs) = open(&mut d, Some(&file));
    let o = offer(&msgs).expect("B's text is offered after its SIGKILL");
    assert_eq!(o["changed_on_disk"], json!(true));
    assert_eq!(
        o["more"].as_u64().unwrap_or(0),
        0,
        "A is alive: its journal is not offered"
    );
    answer(&mut d, &vd, "replace", None);
    assert_eq!(contents(&mut d, &vd), "Bbbase\n");
    drop(d);

    a.kill9();
    let mut e = home.spawn();
    let (ve, msgs) = open(&mut e, Some(&file));
    let texts = all_offers(&mut e, &ve, msgs);
    assert!(texts.contains(&"A!base\n".to_owned()), "{texts:?}");
}

#[test]
fn a_refused_journal_goes_to_the_trash_and_one_put_off_stays() {
    let home = Home::new();
    let file = home.file("keep.txt", "abc\n");
    let mut ed = home.spawn();
    let (view, _) = open(&mut ed, Some(&file));
    type_text(&mut ed, &view, "XYZ");
    ed.kill9();

    // Put off (what Esc does): offered again next time.
    let mut ed = home.spawn();
    let (view, msgs) = open(&mut ed, Some(&file));
    assert!(offer(&msgs).is_some());
    answer(&mut ed, &view, "later", None);
    drop(ed);
    let mut ed = home.spawn();
    let (view, msgs) = open(&mut ed, Some(&file));
    assert!(offer(&msgs).is_some(), "a journal put off is offered again");

    // Refused: it goes to the trash, with the text, and is not offered again.
    let msgs = answer(&mut ed, &view, "trash", None);
    let alert = msgs
        .iter()
        .find(|m| m["method"] == "alert")
        .expect("an alert says where it went");
    assert!(
        alert["params"]["msg"]
            .as_str()
            .is_some_and(|m| m.contains("trash")),
        "{alert}"
    );
    assert!(home.journals().is_empty());
    let trashed = list(&home.journal_trash());
    let item = trashed
        .iter()
        .find(|p| !p.to_string_lossy().ends_with(".trashinfo"))
        .expect("the journal is in the trash");
    assert!(std::fs::read_to_string(item).unwrap().contains("XYZ"));
    drop(ed);
    let mut ed = home.spawn();
    let (_, msgs) = open(&mut ed, Some(&file));
    assert!(
        offer(&msgs).is_none(),
        "a refused journal is not offered again"
    );
    // The old yes/no answer's "no" trashes too (never deletes).
}

/// Journal statuses of the messages.
fn statuses(msgs: &[Value]) -> Vec<Value> {
    msgs.iter()
        .filter(|m| m["method"] == "symphony.journal_status")
        .map(|m| m["params"].clone())
        .collect()
}

#[test]
fn a_journal_that_cannot_be_written_is_reported_until_it_works_again() {
    let home = Home::new();
    let file = home.file("unprotected.txt", "text\n");
    // The journal folder is a file: nothing can be written there.
    std::fs::create_dir_all(home.journal_dir().parent().unwrap()).unwrap();
    std::fs::write(home.journal_dir(), "in the way").unwrap();
    let mut ed = home.spawn();
    let (view, _) = open(&mut ed, Some(&file));
    let msgs = type_text(&mut ed, &view, "1");
    let s = statuses(&msgs);
    assert_eq!(s.len(), 1, "{msgs:?}");
    assert_eq!(s[0]["ok"], json!(false));
    assert!(s[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
    // Still failing: not said again on every key.
    assert!(statuses(&type_text(&mut ed, &view, "2")).is_empty());
    // The folder can be made again: the journal catches up with the whole text.
    std::fs::remove_file(home.journal_dir()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ok = loop {
        let s = statuses(&type_text(&mut ed, &view, "3"));
        if let Some(s) = s.first() {
            break s.clone();
        }
        assert!(Instant::now() < deadline, "never reported working again");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(ok["ok"], json!(true));
    let typed = contents(&mut ed, &view);
    ed.kill9();
    let mut ed = home.spawn();
    let (view, msgs) = open(&mut ed, Some(&file));
    assert!(offer(&msgs).is_some());
    answer(&mut ed, &view, "replace", None);
    assert_eq!(
        contents(&mut ed, &view),
        typed,
        "nothing typed while it failed is lost"
    );
}

/// The same with a real full disk: a 64 KiB tmpfs holds the journal folder (needs root
/// to mount; skipped, saying so, otherwise).
#[test]
fn a_full_disk_under_the_journal_is_reported_until_space_is_free() {
    let home = Home::new();
    let file = home.file("full.txt", "text\n");
    let dir = home.journal_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(dir.clone());
    // Fill it up but for a few KiB.
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    {
        use std::io::Write;
        let block = vec![b'x'; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    drop(f);
    let len = std::fs::metadata(&filler).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(8192))
        .unwrap();
    let mut ed = home.spawn();
    let (view, _) = open(&mut ed, Some(&file));
    let chunk = "y".repeat(1000);
    let mut failed = None;
    for _ in 0..200 {
        if let Some(s) = statuses(&type_text(&mut ed, &view, &chunk)).first() {
            failed = Some(s.clone());
            break;
        }
    }
    let failed = failed.expect("a full disk is reported");
    assert_eq!(failed["ok"], json!(false));
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("No space left")),
        "{failed}"
    );
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(s) = statuses(&type_text(&mut ed, &view, "z")).first() {
            assert_eq!(s["ok"], json!(true));
            break;
        }
        assert!(Instant::now() < deadline, "never reported working again");
        std::thread::sleep(Duration::from_millis(200));
    }
    let typed = contents(&mut ed, &view);
    ed.kill9();
    let mut ed = home.spawn();
    let (view, msgs) = open(&mut ed, Some(&file));
    assert!(offer(&msgs).is_some());
    answer(&mut ed, &view, "replace", None);
    assert_eq!(contents(&mut ed, &view).len(), typed.len());
    assert_eq!(contents(&mut ed, &view), typed);
}
