//! Reviewable edits through the real `symphony-editor` over JSON lines: a snapshot names
//! a revision, edits made after it are seen through by `symphony.review.rebase` (undo and
//! redo too), `symphony.review.apply` is one undo group, journaled, and refuses revisions
//! that are stale or from another history (a reopened file, a restarted editor).

mod common;

use std::path::Path;

use common::{Editor, kind};
use serde_json::{Value, json};

const FILE: &str = "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n";

/// An editor with `text` open from a file in `dir`; returns it, the view and the path.
fn open(dir: &Path, text: &str) -> (Editor, String, std::path::PathBuf) {
    let path = dir.join("lib.rs");
    std::fs::write(&path, text).expect("write the file");
    let mut ed = Editor::spawn(&dir.join("state"));
    ed.send(r#"{"method":"client_started","params":{}}"#);
    let view = new_view(&mut ed, &path);
    (ed, view, path)
}

fn new_view(ed: &mut Editor, path: &Path) -> String {
    let (r, _) = request(ed, "new_view", json!({"file_path": path}));
    r.expect("new_view answered")
        .as_str()
        .expect("a view id")
        .to_owned()
}

/// Sends request `method`; returns its result (or error object) and the other messages.
fn request(ed: &mut Editor, method: &str, params: Value) -> (Result<Value, Value>, Vec<Value>) {
    let msgs = ed.send_value(&json!({"id": 77, "method": method, "params": params}));
    let (answer, others): (Vec<Value>, Vec<Value>) = msgs
        .into_iter()
        .partition(|m| m.get("id") == Some(&json!(77)) && m.get("method").is_none());
    let answer = answer.into_iter().next().expect("the request was answered");
    let result = match answer.get("error") {
        Some(e) => Err(e.clone()),
        None => Ok(answer["result"].clone()),
    };
    (result, others)
}

fn edit(ed: &mut Editor, view: &str, method: &str, params: Value) -> Vec<Value> {
    ed.send_value(&json!({"method": "edit", "params":
        {"view_id": view, "method": method, "params": params}}))
}

fn contents(ed: &mut Editor, view: &str) -> String {
    let (r, _) = request(ed, "debug_get_contents", json!({"view_id": view}));
    r.expect("contents").as_str().expect("a string").to_owned()
}

fn snapshot(ed: &mut Editor, view: &str) -> Value {
    let (r, _) = request(ed, "symphony.review.snapshot", json!({"view_id": view}));
    r.expect("snapshot answered")
}

fn revision(v: &Value) -> u64 {
    v["revision"].as_u64().expect("a revision")
}

fn rebase(ed: &mut Editor, view: &str, base: u64, hunks: Value) -> Result<Value, Value> {
    let params = json!({"view_id": view, "base_revision": base, "hunks": hunks});
    request(ed, "symphony.review.rebase", params).0
}

fn apply(
    ed: &mut Editor,
    view: &str,
    rev: u64,
    edits: Value,
) -> (Result<Value, Value>, Vec<Value>) {
    let params = json!({"view_id": view, "revision": rev, "edits": edits});
    request(ed, "symphony.review.apply", params)
}

/// The error's code and message.
fn refusal(e: Result<Value, Value>) -> (i64, String) {
    let e = e.expect_err("refused");
    (
        e["code"].as_i64().expect("code"),
        e["message"].as_str().expect("message").to_owned(),
    )
}

/// Byte range of the first occurrence of `needle` in `hay`.
fn find(hay: &str, needle: &str) -> (usize, usize) {
    let s = hay.find(needle).expect("needle present");
    (s, s + needle.len())
}

#[test]
fn snapshot_gives_the_text_revision_path_language_and_selection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, path) = open(dir.path(), FILE);
    edit(&mut ed, &view, "goto_line", json!({"line": 1}));
    for _ in 0..4 {
        edit(&mut ed, &view, "move_right_and_modify_selection", json!({}));
    }
    let s = snapshot(&mut ed, &view);
    assert_eq!(s["text"], FILE);
    assert_eq!(s["path"].as_str().map(Path::new), Some(path.as_path()));
    assert!(s["language"].is_string());
    assert_eq!(s["selection"], json!({"start": 9, "end": 13}));
    assert_eq!(s["cursor"], 13);
    assert_eq!(
        revision(&s),
        revision(&snapshot(&mut ed, &view)),
        "reading changes nothing"
    );
    edit(&mut ed, &view, "insert", json!({"chars": "x"}));
    assert_ne!(
        revision(&s),
        revision(&snapshot(&mut ed, &view)),
        "an edit is a new revision"
    );
}

#[test]
fn rebase_maps_hunks_past_later_edits_and_flags_hunks_the_user_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), FILE);
    let base = revision(&snapshot(&mut ed, &view));
    let one = find(FILE, "    1\n");
    let two = find(FILE, "    2\n");
    let hunks = json!([
        {"start": one.0, "end": one.1, "new_text": "    10\n"},
        {"start": two.0, "end": two.1, "new_text": "    20\n"},
    ]);
    // after the snapshot the user adds a line at the top and types on the "2" line
    edit(&mut ed, &view, "insert", json!({"chars": "// head\n"}));
    edit(&mut ed, &view, "goto_line", json!({"line": 6}));
    edit(&mut ed, &view, "move_to_right_end_of_line", json!({}));
    edit(&mut ed, &view, "insert", json!({"chars": " + 0"}));
    let now = contents(&mut ed, &view);
    assert_eq!(
        now,
        format!("// head\n{}", FILE.replace("    2\n", "    2 + 0\n"))
    );

    let r = rebase(&mut ed, &view, base, hunks).expect("rebased");
    assert_eq!(revision(&r), revision(&snapshot(&mut ed, &view)));
    let h = r["hunks"].as_array().expect("hunks");
    let one_now = find(&now, "    1\n");
    assert_eq!(
        (h[0]["start"].as_u64(), h[0]["end"].as_u64()),
        (Some(one_now.0 as u64), Some(one_now.1 as u64))
    );
    assert_eq!(h[0]["old_text"], "    1\n");
    assert_eq!(
        (h[0]["first_line"].as_u64(), h[0]["last_line"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        h[0]["touched_by_user"], false,
        "nothing typed in or next to it"
    );
    let two_now = find(&now, "    2 + 0\n");
    assert_eq!(
        (h[1]["start"].as_u64(), h[1]["end"].as_u64()),
        (Some(two_now.0 as u64), Some(two_now.1 as u64))
    );
    assert_eq!(h[1]["old_text"], "    2 + 0\n");
    assert_eq!(h[1]["touched_by_user"], true, "the user typed inside it");
    assert_eq!(
        r["user_edits"],
        json!([{"start": 0, "end": 8}, {"start": two_now.1 - 5, "end": two_now.1 - 1}])
    );
}

#[test]
fn an_edit_right_at_a_hunk_boundary_touches_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), FILE);
    let base = revision(&snapshot(&mut ed, &view));
    let one = find(FILE, "    1\n");
    // typing at the start of line 1 inserts exactly at the hunk's start
    edit(&mut ed, &view, "goto_line", json!({"line": 1}));
    edit(&mut ed, &view, "insert", json!({"chars": "x"}));
    let r = rebase(
        &mut ed,
        &view,
        base,
        json!([{"start": one.0, "end": one.1, "new_text": ""}]),
    )
    .expect("rebased");
    assert_eq!(r["hunks"][0]["touched_by_user"], true);
    assert_eq!(
        r["hunks"][0]["old_text"], "    1\n",
        "the typed text stays out of the hunk"
    );
}

#[test]
fn undo_and_redo_after_the_snapshot_map_back_and_forth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), FILE);
    edit(&mut ed, &view, "insert", json!({"chars": "abc"}));
    let base = revision(&snapshot(&mut ed, &view));
    let base_text = contents(&mut ed, &view);
    let two = find(&base_text, "    2\n");
    let hunks = json!([{"start": two.0, "end": two.1, "new_text": "    20\n"}]);

    edit(&mut ed, &view, "undo", json!({}));
    assert_eq!(contents(&mut ed, &view), FILE);
    let r = rebase(&mut ed, &view, base, hunks.clone()).expect("rebased");
    assert_eq!(
        r["hunks"][0]["start"],
        two.0 - 3,
        "moved back by the undone typing"
    );
    assert_eq!(r["hunks"][0]["old_text"], "    2\n");
    assert_eq!(r["hunks"][0]["touched_by_user"], false);
    assert_eq!(
        r["user_edits"],
        json!([{"start": 0, "end": 0}]),
        "the undo deleted at 0"
    );

    edit(&mut ed, &view, "redo", json!({}));
    let r = rebase(&mut ed, &view, base, hunks).expect("rebased");
    assert_eq!(
        r["hunks"][0]["start"], two.0,
        "redo brings the base text back"
    );
    assert_eq!(
        r["user_edits"],
        json!([]),
        "same text as the base: no edits"
    );
    assert_ne!(revision(&r), base, "but it is a later revision");
}

#[test]
fn apply_is_one_undo_group_that_undo_reverts_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), FILE);
    edit(&mut ed, &view, "insert", json!({"chars": "// typed\n"}));
    let before = contents(&mut ed, &view);
    let rev = revision(&snapshot(&mut ed, &view));
    let one = find(&before, "    1\n");
    let two = find(&before, "    2\n");
    let (r, msgs) = apply(
        &mut ed,
        &view,
        rev,
        json!([
            {"start": one.0, "end": one.1, "text": "    10\n    11\n"},
            {"start": two.0, "end": two.1, "text": "    ✓\n"},
        ]),
    );
    let applied = r.expect("applied");
    let after = before
        .replace("    1\n", "    10\n    11\n")
        .replace("    2\n", "    ✓\n");
    assert_eq!(contents(&mut ed, &view), after);
    assert_eq!(revision(&applied), revision(&snapshot(&mut ed, &view)));
    let update = msgs
        .iter()
        .find(|m| kind(m) == "update")
        .expect("the view was updated");
    assert_eq!(
        update["params"]["update"]["pristine"], false,
        "the buffer is dirty"
    );

    edit(&mut ed, &view, "undo", json!({}));
    assert_eq!(
        contents(&mut ed, &view),
        before,
        "one undo takes back both hunks"
    );
    edit(&mut ed, &view, "undo", json!({}));
    assert_eq!(
        contents(&mut ed, &view),
        FILE,
        "the next undo is the user's typing"
    );
    edit(&mut ed, &view, "redo", json!({}));
    edit(&mut ed, &view, "redo", json!({}));
    assert_eq!(contents(&mut ed, &view), after);
}

#[test]
fn a_stale_revision_is_refused_and_a_rebase_makes_it_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), FILE);
    let base = revision(&snapshot(&mut ed, &view));
    let two = find(FILE, "    2\n");
    edit(&mut ed, &view, "insert", json!({"chars": "!"}));
    let typed = contents(&mut ed, &view);
    let stale = json!([{"start": two.0, "end": two.1, "text": "    20\n"}]);
    let (r, msgs) = apply(&mut ed, &view, base, stale);
    assert_eq!(refusal(r), (-32602, "stale revision".into()));
    assert!(msgs.is_empty(), "nothing else is sent: {msgs:?}");
    assert_eq!(contents(&mut ed, &view), typed, "the buffer is untouched");

    let hunks = json!([{"start": two.0, "end": two.1, "new_text": "    20\n"}]);
    let r = rebase(&mut ed, &view, base, hunks).expect("rebased");
    let h = &r["hunks"][0];
    let edits = json!([{"start": h["start"], "end": h["end"], "text": "    20\n"}]);
    let (ok, _) = apply(&mut ed, &view, revision(&r), edits);
    ok.expect("applied at the rebased revision");
    assert_eq!(
        contents(&mut ed, &view),
        typed.replace("    2\n", "    20\n")
    );
}

#[test]
fn rebasing_and_rejecting_send_nothing_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), FILE);
    let base = revision(&snapshot(&mut ed, &view));
    let hunks = json!([{"start": 0, "end": 9, "new_text": "fn z() {\n"}]);
    let (r, others) = request(
        &mut ed,
        "symphony.review.rebase",
        json!({"view_id": view, "base_revision": base, "hunks": hunks}),
    );
    r.expect("rebased");
    assert!(
        others.is_empty(),
        "a rebase sends only its answer: {others:?}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("lib.rs")).ok(),
        Some(FILE.as_bytes().to_vec())
    );
    assert_eq!(contents(&mut ed, &view).as_bytes(), FILE.as_bytes());
}

#[test]
fn a_revision_from_before_a_reopen_or_a_restart_is_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, path) = open(dir.path(), FILE);
    let old = revision(&snapshot(&mut ed, &view));
    let hunks = json!([{"start": 0, "end": 2, "new_text": "pub fn"}]);
    ed.send_value(&json!({"method": "close_view", "params": {"view_id": view}}));
    let view = new_view(&mut ed, &path);
    assert_eq!(
        refusal(rebase(&mut ed, &view, old, hunks.clone())),
        (-32602, "unknown revision".into()),
        "the reopened file has a new history"
    );
    let (r, _) = apply(&mut ed, &view, old, json!([]));
    assert_eq!(refusal(r), (-32602, "unknown revision".into()));
    drop(ed);

    let mut ed = Editor::spawn(&dir.path().join("state"));
    let view = new_view(&mut ed, &path);
    assert_eq!(
        refusal(rebase(&mut ed, &view, old, hunks)),
        (-32602, "unknown revision".into()),
        "a restarted editor knows no revision from before"
    );
    assert_eq!(contents(&mut ed, &view), FILE);
}

#[test]
fn accepted_edits_are_journaled_like_typing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, path) = open(dir.path(), FILE);
    let rev = revision(&snapshot(&mut ed, &view));
    let one = find(FILE, "    1\n");
    let (r, _) = apply(
        &mut ed,
        &view,
        rev,
        json!([{"start": one.0, "end": one.1, "text": "    100\n"}]),
    );
    r.expect("applied");
    let expected = FILE.replace("    1\n", "    100\n");
    drop(ed); // SIGKILL: nothing saved

    let mut ed = Editor::spawn(&dir.path().join("state"));
    let (r, msgs) = request(&mut ed, "new_view", json!({"file_path": path}));
    let view = r.expect("view").as_str().expect("id").to_owned();
    assert!(
        msgs.iter()
            .any(|m| kind(m) == "symphony.recovery_available"),
        "the journal held the accepted edit: {msgs:?}"
    );
    ed.send_value(
        &json!({"method": "symphony.recover", "params": {"view_id": view, "accept": true}}),
    );
    assert_eq!(contents(&mut ed, &view), expected);
}

#[test]
fn hunks_and_edits_that_do_not_fit_the_text_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, view, _) = open(dir.path(), "é\n");
    let rev = revision(&snapshot(&mut ed, &view));
    let overlapping = json!([
        {"start": 0, "end": 2, "new_text": "a"},
        {"start": 1, "end": 3, "new_text": "b"},
    ]);
    assert_eq!(
        refusal(rebase(&mut ed, &view, rev, overlapping)),
        (-32602, "invalid ranges".into())
    );
    let past_end = json!([{"start": 0, "end": 99, "new_text": "a"}]);
    assert_eq!(
        refusal(rebase(&mut ed, &view, rev, past_end)),
        (-32602, "invalid ranges".into())
    );
    let inside_char = json!([{"start": 1, "end": 1, "text": "x"}]);
    let (r, _) = apply(&mut ed, &view, rev, inside_char);
    assert_eq!(refusal(r), (-32602, "invalid ranges".into()));
    let (r, _) = apply(
        &mut ed,
        &view,
        rev,
        json!([{"start": 3, "end": 3, "text": "z"}]),
    );
    r.expect("the end of the text is a boundary");
    assert_eq!(contents(&mut ed, &view), "é\nz");
    let (r, _) = request(
        &mut ed,
        "symphony.review.snapshot",
        json!({"view_id": "view-id-99"}),
    );
    assert_eq!(refusal(r).0, -32602);
}

#[test]
fn apply_updates_every_view_of_the_buffer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ed, first, path) = open(dir.path(), FILE);
    let second = new_view(&mut ed, &path);
    assert_ne!(first, second);
    let rev = revision(&snapshot(&mut ed, &second));
    let (r, msgs) = apply(
        &mut ed,
        &first,
        rev,
        json!([{"start": 0, "end": 0, "text": "// hi\n"}]),
    );
    r.expect("applied");
    for view in [&first, &second] {
        assert!(
            msgs.iter()
                .any(|m| kind(m) == "update" && m["params"]["view_id"] == json!(view)),
            "{view} was updated: {msgs:?}"
        );
    }
    assert_eq!(contents(&mut ed, &second), format!("// hi\n{FILE}"));
}
