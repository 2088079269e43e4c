//! Find in a big file runs in slices between keystrokes: typing the query
//! replaces the running search at every key, keystrokes are answered before the
//! search ends, `find_status` says `counting` until the count is final, and the
//! final count is exact. The real binary over stdio; only ordering is asserted.

mod common;

use common::{Editor, kind};
use serde_json::{Value, json};

/// About 24 MB of log lines, one of them (near the end) holding the only
/// `entry-unique-id`; every line holds the prefixes typed before it.
fn big_log() -> (String, usize) {
    let mut s = String::with_capacity(25 << 20);
    let mut i = 0;
    let mut unique_line = 0;
    while s.len() < 24 << 20 {
        if i == 580_000 {
            s.push_str("entry-unique-id found here\n");
            unique_line = i;
        } else {
            s.push_str(&format!("entry {i:08} of the big log, status ok\n"));
        }
        i += 1;
    }
    assert!(unique_line > 0, "the unique line is in the file");
    (s, unique_line)
}

fn edit(method: &str, params: Value) -> String {
    json!({"method": "edit", "params": {"view_id": "view-id-1", "method": method, "params": params}})
        .to_string()
}

/// The `find_status` queries of `msgs`.
fn statuses(msgs: &[Value]) -> Vec<&Value> {
    msgs.iter()
        .filter(|m| kind(m) == "find_status")
        .map(|m| &m["params"]["queries"][0])
        .collect()
}

#[test]
fn typing_a_query_in_a_big_file_never_waits_for_the_search_and_counts_exactly() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.log");
    let (text, unique_line) = big_log();
    std::fs::write(&path, &text).expect("write");
    let mut ed = Editor::spawn(dir.path());
    ed.send_value(&json!({"id": 0, "method": "new_view", "params": {"file_path": path}}));
    ed.send(&edit("highlight_find", json!({"visible": true})));

    // The find bar sends `find` then `find_next` at every key; all keys of
    // "entry-unique-id" arrive at once, then a keystroke in the text.
    let query = "entry-unique-id";
    let mut batch = String::new();
    for n in 1..=query.len() {
        batch.push_str(&edit(
            "find",
            json!({"chars": &query[..n], "case_sensitive": false, "regex": false, "whole_words": false}),
        ));
        batch.push('\n');
        batch.push_str(&edit(
            "find_next",
            json!({"wrap_around": true, "allow_same": true, "modify_selection": "set"}),
        ));
        batch.push('\n');
    }
    batch.push_str(&edit("insert", json!({"chars": "X"})));
    let answered = ed.send(&batch);

    // Every key was answered while the search was still running.
    let st = statuses(&answered);
    assert!(!st.is_empty(), "every find answers a find_status");
    assert!(
        st.iter().all(|q| q["counting"] == true),
        "no search finished before the keys were answered: {st:?}"
    );
    let inserted = answered.iter().rev().find(|m| kind(m) == "update");
    let first_line = inserted.expect("the keystroke's update")["params"]["update"]["ops"]
        .as_array()
        .expect("ops")
        .iter()
        .find_map(|op| op["lines"].as_array().and_then(|l| l.first()).cloned());
    assert!(
        first_line.is_some_and(|l| l["text"].as_str().is_some_and(|t| t.starts_with("X"))),
        "the typed X is on screen before the search ends"
    );

    // Then the search of the last query runs to its end: the count only ever
    // grows to the exact 1, only then without `counting`.
    let mut rest = Vec::new();
    let mut final_status = None;
    while final_status.is_none() {
        let line = ed.next_line().expect("the editor keeps running");
        let v: Value = serde_json::from_str(&line).expect("json");
        if kind(&v) == "find_status" {
            let q = v["params"]["queries"][0].clone();
            assert!(q["matches"].as_u64().is_some_and(|n| n <= 1), "{q}");
            if q.get("counting").is_none() {
                final_status = Some(q);
            }
        }
        rest.push(v);
    }
    let q = final_status.expect("final status");
    assert_eq!(q["matches"], 1, "exactly one match: {q}");
    assert_eq!(q["chars"], query, "the final count is the last query's");
    // the waiting find_next selected the match once the search reached it
    let scrolled = rest
        .iter()
        .filter(|m| kind(m) == "scroll_to")
        .any(|m| m["params"]["line"] == unique_line);
    assert!(scrolled, "the view went to the match");
}
