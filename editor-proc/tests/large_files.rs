//! Big files open progressively: the first screen is sent at once, then the whole file;
//! the front end's cache stays exact throughout, and a late decoding error never leaves a
//! truncated text tied to the file.

mod common;

use common::{Editor, LineCache, kind};
use serde_json::json;

fn big_text() -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < 9 << 20 {
        s.push_str(&format!("line {i} of a big file, with some words\n"));
        i += 1;
    }
    s
}

#[test]
fn big_file_first_screen_then_whole_file() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.txt");
    let text = big_text();
    std::fs::write(&path, &text).expect("write");
    let mut ed = Editor::spawn(dir.path());
    let out = ed.send_value(&json!({"id": 0, "method": "new_view", "params": {"file_path": path}}));
    let kinds: Vec<String> = out.iter().map(kind).collect();
    assert_eq!(
        &kinds[..6],
        [
            "response",
            "available_plugins",
            "config_changed",
            "language_changed",
            "update",
            "scroll_to"
        ]
    );
    let mut cache = LineCache::default();
    for m in out.iter().filter(|m| kind(m) == "update") {
        cache.apply(&m["params"]["update"]);
    }
    assert!(
        kinds.iter().filter(|k| *k == "update").count() >= 2,
        "first screen, then the whole file"
    );
    assert!(cache.check_against(&text) >= 12);
    assert!(cache.pristine);
    let out = ed.send(r#"{"method":"edit","params":{"view_id":"view-id-1","method":"goto_line","params":{"line":200000}}}"#);
    for m in out.iter().filter(|m| kind(m) == "update") {
        cache.apply(&m["params"]["update"]);
    }
    let out = ed.send(r#"{"method":"edit","params":{"view_id":"view-id-1","method":"insert","params":{"chars":"X"}}}"#);
    for m in out.iter().filter(|m| kind(m) == "update") {
        cache.apply(&m["params"]["update"]);
    }
    let got = ed.send(r#"{"id":3,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
    let now = got[0]["result"].as_str().expect("text").to_string();
    assert_eq!(now.len(), text.len() + 1);
    assert!(now.contains("\nXline 200000 of a big file"));
    cache.check_against(&now);
}

#[test]
fn big_file_with_a_late_invalid_byte_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bad.txt");
    let mut bytes = big_text().into_bytes();
    bytes.extend_from_slice(b"tail \xff\xfe\n");
    std::fs::write(&path, &bytes).expect("write");
    let mut ed = Editor::spawn(dir.path());
    let out = ed.send_value(&json!({"id": 0, "method": "new_view", "params": {"file_path": path}}));
    assert!(out.iter().any(|m| kind(m) == "alert"), "an alert");
    let got = ed.send(r#"{"id":3,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
    assert_eq!(got[0]["result"], "", "no truncated text is kept");
    // the view is not tied to the file, and saving over it is refused
    ed.send(r#"{"method":"edit","params":{"view_id":"view-id-1","method":"insert","params":{"chars":"x"}}}"#);
    let out = ed.send_value(
        &json!({"method": "save", "params": {"view_id": "view-id-1", "file_path": path}}),
    );
    assert!(
        out.iter().any(|m| kind(m) == "alert"),
        "save refused with an alert"
    );
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "file untouched");
}
