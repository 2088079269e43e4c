//! External changes: a pristine buffer reloads when its file changes on disk; a modified
//! buffer gets an `alert` and keeps the user's text.

mod common;

use std::time::Duration;

use common::{Editor, LineCache, kind};
use serde_json::{Value, json};

/// Polls (with harmless `scroll` edits) until `pred` accepts a message.
fn wait_for(ed: &mut Editor, cache: &mut LineCache, pred: impl Fn(&Value) -> bool) -> bool {
    for _ in 0..100 {
        let msgs = ed.send(r#"{"method":"edit","params":{"view_id":"view-id-1","method":"scroll","params":[0,10]}}"#);
        let mut hit = false;
        for m in &msgs {
            if kind(m) == "update" {
                cache.apply(&m["params"]["update"]);
            }
            hit |= pred(m);
        }
        if hit {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn pristine_buffer_reloads_and_modified_buffer_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.txt");
    std::fs::write(&path, "one\n").expect("write");
    let mut ed = Editor::spawn(dir.path());
    ed.send(r#"{"method":"client_started","params":{}}"#);
    let mut cache = LineCache::default();
    for m in ed.send_value(&json!({"id": 0, "method": "new_view", "params": {"file_path": path}})) {
        if kind(&m) == "update" {
            cache.apply(&m["params"]["update"]);
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&path, "two\nlines\n").expect("external write");
    let mut ok = false;
    for _ in 0..100 {
        let got =
            ed.send(r#"{"id":5,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
        for m in got.iter().filter(|m| kind(m) == "update") {
            cache.apply(&m["params"]["update"]);
        }
        if got.iter().any(|m| m["result"] == "two\nlines\n") {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ok, "the pristine buffer reloaded the file");
    wait_for(&mut ed, &mut cache, |_| true);
    cache.check_against("two\nlines\n");
    assert!(cache.pristine);

    // now modify the buffer, then change the file behind it
    ed.send(r#"{"method":"edit","params":{"view_id":"view-id-1","method":"insert","params":{"chars":"mine "}}}"#);
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&path, "theirs\n").expect("external write");
    assert!(
        wait_for(&mut ed, &mut cache, |m| kind(m) == "alert"),
        "an alert about the change"
    );
    let got = ed.send(r#"{"id":6,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
    assert_eq!(
        got[0]["result"], "mine two\nlines\n",
        "the user's text is kept"
    );
}
