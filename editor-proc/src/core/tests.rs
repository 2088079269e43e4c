//! Behaviour of edit commands through the core's line API, in the `"ab|c"` notation.

use serde_json::{Value, json};

use super::Core;
use crate::testing::{parse, render};

struct T {
    core: Core,
    _dir: tempfile::TempDir,
}

impl T {
    /// A core with one view on `src` (notation: carets and selections set as given).
    fn new(src: &str) -> T {
        T::file("t.txt", src)
    }

    /// As `new`, the text in a file called `name` (its language from the name).
    fn file(name: &str, src: &str) -> T {
        let (text, sel) = parse(src);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, String::from(&text)).expect("write");
        // languages are detected (no highlighting thread) unless the file is plain text
        let mut core = if name.ends_with(".txt") {
            Core::new()
        } else {
            static H: std::sync::OnceLock<std::sync::Arc<crate::highlight::Highlighting>> =
                std::sync::OnceLock::new();
            let h =
                H.get_or_init(|| std::sync::Arc::new(crate::highlight::Highlighting::load(None)));
            Core::with_services(super::Services {
                highlighting: Some(std::sync::Arc::clone(h)),
                ..Default::default()
            })
        };
        let mut out = Vec::new();
        core.handle_line(
            &json!({"id": 0, "method": "new_view", "params": {"file_path": path}}).to_string(),
            &mut out,
        );
        if let Some(v) = core.views.get_mut("view-id-1") {
            v.selection = sel;
        }
        T { core, _dir: dir }
    }

    fn edit(&mut self, method: &str, params: Value) -> Vec<Value> {
        let mut out = Vec::new();
        let line = json!({"method": "edit", "params": {"view_id": "view-id-1", "method": method, "params": params}});
        self.core.handle_line(&line.to_string(), &mut out);
        out.iter()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect()
    }

    fn request(&mut self, method: &str) -> Value {
        let mut out = Vec::new();
        let line = json!({"id": 9, "method": "edit", "params": {"view_id": "view-id-1", "method": method, "params": {}}});
        self.core.handle_line(&line.to_string(), &mut out);
        let v: Vec<Value> = out
            .iter()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        v.into_iter().find(|m| m["id"] == 9).expect("response")["result"].clone()
    }

    fn state(&self) -> String {
        let text = self.core.text_of("view-id-1").expect("text");
        render(text, &self.core.views["view-id-1"].selection)
    }
}

#[test]
fn typing_deleting_and_undo_groups() {
    let mut t = T::new("|");
    for c in ["a", "b", "c"] {
        t.edit("insert", json!({"chars": c}));
    }
    t.edit("move_left", json!({}));
    t.edit("insert", json!({"chars": "X"}));
    assert_eq!(t.state(), "abX|c");
    t.edit("undo", json!({}));
    assert_eq!(t.state(), "ab|c");
    t.edit("undo", json!({}));
    assert_eq!(t.state(), "|");
    t.edit("redo", json!({}));
    assert_eq!(t.state(), "abc|");
    t.edit("delete_backward", json!({}));
    t.edit("delete_backward", json!({}));
    t.edit("undo", json!({}));
    assert_eq!(t.state(), "abc|");
}

#[test]
fn multi_cursor_editing() {
    let mut t = T::new("a|b\ncd\nef");
    t.edit("add_selection_below", json!({}));
    t.edit("add_selection_below", json!({}));
    t.edit("insert", json!({"chars": "-"}));
    assert_eq!(t.state(), "a-|b\nc-|d\ne-|f");
    t.edit("collapse_selections", json!({}));
    assert_eq!(t.state(), "a-|b\nc-d\ne-f");
    let mut t = T::new("[ab\ncd|]");
    t.edit("selection_into_lines", json!({}));
    assert_eq!(t.state(), "[ab|]\n[cd|]");
    t.edit("uppercase", json!({}));
    assert_eq!(t.state(), "[AB|]\n[CD|]");
}

#[test]
fn gestures_select_words_lines_and_drag() {
    let mut t = T::new("|foo bar\nbaz");
    let g = |ty: Value| json!({"line": 0, "col": 5, "ty": ty});
    t.edit(
        "gesture",
        g(json!({"select": {"granularity": "word", "multi": false}})),
    );
    assert_eq!(t.state(), "foo [bar|]\nbaz");
    t.edit("gesture", json!({"line": 1, "col": 1, "ty": "drag"}));
    assert_eq!(t.state(), "foo [bar\nbaz|]");
    t.edit(
        "gesture",
        g(json!({"select": {"granularity": "line", "multi": false}})),
    );
    assert_eq!(t.state(), "[foo bar\n|]baz");
    t.edit(
        "gesture",
        json!({"line": 1, "col": 1, "ty": {"select": {"granularity": "point", "multi": true}}}),
    );
    assert_eq!(t.state(), "[foo bar\n|]b|az");
    t.edit(
        "gesture",
        json!({"line": 1, "col": 1, "ty": {"select": {"granularity": "point", "multi": true}}}),
    );
    assert_eq!(t.state(), "[foo bar\n|]baz");
    t.edit(
        "gesture",
        json!({"line": 0, "col": 1, "ty": {"select": {"granularity": "point", "multi": false}}}),
    );
    t.edit(
        "gesture",
        json!({"line": 1, "col": 2, "ty": {"select_extend": {"granularity": "point"}}}),
    );
    assert_eq!(t.state(), "f[oo bar\nba|]z");
}

#[test]
fn kill_ring_copy_cut_paste() {
    let mut t = T::new("ab|cd\nef");
    t.edit("delete_to_end_of_paragraph", json!({}));
    assert_eq!(t.state(), "ab|\nef");
    t.edit("move_to_end_of_document", json!({}));
    t.edit("yank", json!({}));
    assert_eq!(t.state(), "ab\nefcd|");
    assert_eq!(t.request("copy"), Value::Null);
    t.edit("move_word_left_and_modify_selection", json!({}));
    assert_eq!(t.request("cut"), json!("efcd"));
    assert_eq!(t.state(), "ab\n|");
    t.edit("paste", json!({"chars": "xy"}));
    assert_eq!(t.state(), "ab\nxy|");
}

#[test]
fn find_replace_and_status() {
    let mut t = T::new("|one two one\nOne");
    let out = t.edit(
        "find",
        json!({"chars": "one", "case_sensitive": false, "regex": false, "whole_words": false}),
    );
    let status = out
        .iter()
        .find(|m| m["method"] == "find_status")
        .expect("find_status");
    symphony_protocol::xi::parse_client_notification("find_status", status["params"].clone())
        .expect("find_status parses with symphony-protocol");
    assert_eq!(status["params"]["queries"][0]["matches"], 3);
    assert_eq!(status["params"]["queries"][0]["lines"], json!([1, 1, 2]));
    t.edit("find_next", json!({"wrap_around": true}));
    assert_eq!(t.state(), "[one|] two one\nOne");
    t.edit(
        "find_next",
        json!({"wrap_around": true, "modify_selection": "add"}),
    );
    assert_eq!(t.state(), "[one|] two [one|]\nOne");
    t.edit("find_previous", json!({"wrap_around": true}));
    assert_eq!(t.state(), "[one|] two one\nOne");
    let out = t.edit("highlight_find", json!({"visible": true}));
    let upd = out
        .iter()
        .find(|m| m["method"] == "update")
        .expect("update");
    let line0 = &upd["params"]["update"]["ops"][0]["lines"][0];
    assert_eq!(line0["styles"], json!([0, 3, 1, 5, 3, 1, -11, 3, 0]));
    let ann = &upd["params"]["update"]["annotations"];
    assert_eq!(ann[1]["type"], "find");
    assert_eq!(ann[1]["n"], 3);
    let out = t.edit("replace", json!({"chars": "1", "preserve_case": false}));
    let rs = out
        .iter()
        .find(|m| m["method"] == "replace_status")
        .expect("replace_status");
    symphony_protocol::xi::parse_client_notification("replace_status", rs["params"].clone())
        .expect("replace_status parses with symphony-protocol");
    t.edit("replace_all", json!({}));
    assert_eq!(
        String::from(t.core.text_of("view-id-1").expect("text")),
        "1 two 1\n1"
    );
    t.edit("undo", json!({}));
    assert_eq!(
        String::from(t.core.text_of("view-id-1").expect("text")),
        "one two one\nOne"
    );
    t.edit("find", json!({"chars": "t\\w+|O\\w+", "case_sensitive": true, "regex": true, "whole_words": false}));
    t.edit("find_all", json!({}));
    assert_eq!(t.state(), "one [two|] one\n[One|]");
    t.edit(
        "find",
        json!({"chars": "one", "case_sensitive": false, "whole_words": true}),
    );
    t.edit("move_to_beginning_of_document", json!({}));
    t.edit("selection_for_find", json!({"case_sensitive": true}));
    t.edit("find_all", json!({}));
    assert_eq!(t.state(), "[one|] two [one|]\nOne");
}

#[test]
fn lines_numbers_case_and_recordings() {
    let mut t = T::new("a|b\nc");
    t.edit("duplicate_line", json!({}));
    assert_eq!(t.state(), "ab\na|b\nc");
    t.edit("indent", json!({}));
    assert_eq!(t.state(), "ab\n    a|b\nc");
    t.edit("outdent", json!({}));
    assert_eq!(t.state(), "ab\na|b\nc");
    let mut t = T::new("x = 9|");
    t.edit("increase_number", json!({}));
    assert_eq!(t.state(), "x = 10|");
    t.edit("decrease_number", json!({}));
    t.edit("decrease_number", json!({}));
    assert_eq!(t.state(), "x = 8|");
    let mut t = T::new("hello |world");
    t.edit("move_word_right_and_modify_selection", json!({}));
    t.edit("capitalize", json!({}));
    assert_eq!(t.state(), "hello World|");
    let mut t = T::new("|");
    t.edit("toggle_recording", json!({"recording_name": "r"}));
    t.edit("insert", json!({"chars": "ab"}));
    t.edit("insert_newline", json!({}));
    t.edit("toggle_recording", json!({"recording_name": "r"}));
    t.edit("play_recording", json!({"recording_name": "r"}));
    assert_eq!(t.state(), "ab\nab\n|");
    t.edit("undo", json!({}));
    assert_eq!(t.state(), "ab\n|");
    t.edit("clear_recording", json!({"recording_name": "r"}));
    t.edit("play_recording", json!({"recording_name": "r"}));
    assert_eq!(t.state(), "ab\n|");
    let mut t = T::new("    ab|");
    t.edit("insert_newline", json!({}));
    t.edit("insert_tab", json!({}));
    assert_eq!(t.state(), "    ab\n        |");
    t.edit("debug_toggle_comment", json!({}));
    assert_eq!(t.state(), "    ab\n        |");
}

#[test]
fn delete_word_backward_at_column_0_deletes_only_the_line_break() {
    let mut t = T::new("foo bar\n|baz");
    t.edit("delete_word_backward", json!({}));
    assert_eq!(t.state(), "foo bar|baz");
    let mut t = T::new("foo\n    |x");
    t.edit("delete_word_backward", json!({}));
    assert_eq!(t.state(), "foo\n|x");
    let mut t = T::new("foo bar|\nbaz");
    t.edit("delete_word_forward", json!({}));
    assert_eq!(t.state(), "foo bar|baz");
    let mut t = T::new("foo bar|\nbaz");
    t.edit("delete_word_backward", json!({}));
    assert_eq!(t.state(), "foo |\nbaz");
}

#[test]
fn typing_brackets_and_quotes_closes_them_skips_closers_and_backspace_deletes_the_pair() {
    let mut t = T::file("m.rs", "fn ma|in() {}\n");
    t.edit("insert", json!({"chars": "("}));
    assert_eq!(t.state(), "fn ma(|in() {}\n", "no closer before a word");
    let mut t = T::file("m.rs", "fn main|\n");
    t.edit("insert", json!({"chars": "("}));
    assert_eq!(t.state(), "fn main(|)\n");
    t.edit("insert", json!({"chars": "\""}));
    t.edit("insert", json!({"chars": "x"}));
    assert_eq!(t.state(), "fn main(\"x|\")\n");
    t.edit("insert", json!({"chars": "\""}));
    t.edit("insert", json!({"chars": ")"}));
    assert_eq!(t.state(), "fn main(\"x\")|\n", "typed closers step over");
    t.edit("undo", json!({}));
    assert_eq!(t.state(), "fn main|\n", "one undo group with the typing");
    t.edit("insert", json!({"chars": "("}));
    t.edit("delete_backward", json!({}));
    assert_eq!(t.state(), "fn main|\n", "backspace deletes the empty pair");
    let mut t = T::file("m.rs", "let c = |\n");
    t.edit("insert", json!({"chars": "'"}));
    assert_eq!(
        t.state(),
        "let c = '|\n",
        "no closing ' in Rust (lifetimes)"
    );
    let mut t = T::new("|");
    let mut out = Vec::new();
    let line = json!({"method": "modify_user_config", "params": {"domain": "general", "changes": {"auto_close_pairs": []}}});
    t.core.handle_line(&line.to_string(), &mut out);
    t.edit("insert", json!({"chars": "("}));
    assert_eq!(t.state(), "(|", "auto_close_pairs = [] turns it off");
}

#[test]
fn enter_indents_after_openers_by_language() {
    let mut t = T::file("m.py", "def f(x):|\n");
    t.edit("insert_newline", json!({}));
    assert_eq!(t.state(), "def f(x):\n    |\n");
    let mut t = T::file("m.rs", "fn f() {|}\n");
    t.edit("insert_newline", json!({}));
    assert_eq!(t.state(), "fn f() {\n    |\n}\n");
    t.edit("insert", json!({"chars": "x;"}));
    t.edit("insert_newline", json!({}));
    t.edit("insert", json!({"chars": "}"}));
    assert_eq!(
        t.state(),
        "fn f() {\n    x;\n}|\n}\n",
        "a closer goes back to its opener"
    );
    let mut t = T::file("m.rs", "if x:|\n");
    t.edit("insert_newline", json!({}));
    assert_eq!(t.state(), "if x:\n|\n", "`:` opens a block only in Python");
}

#[test]
fn scrolling_and_request_lines() {
    let text: String = (0..100).map(|i| format!("l{i}\n")).collect();
    let mut t = T::new(&format!("|{text}"));
    let out = t.edit("goto_line", json!({"line": 50}));
    let scroll = out
        .iter()
        .find(|m| m["method"] == "scroll_to")
        .expect("scroll_to");
    assert_eq!(scroll["params"]["line"], 50);
    let out = t.edit("request_lines", json!([20, 25]));
    let ops = out[0]["params"]["update"]["ops"]
        .as_array()
        .expect("ops")
        .clone();
    let ins = ops
        .iter()
        .find(|o| o["op"] == "ins" && o["lines"][0]["ln"] == 21)
        .expect("requested lines sent");
    assert_eq!(ins["n"], 5);
    assert_eq!(ins["lines"][4]["text"], "l24\n");
    t.edit("scroll_page_down", json!({}));
    let text = t.core.text_of("view-id-1").expect("text").clone();
    let caret = t.core.views["view-id-1"].selection[0].end;
    assert_eq!(crate::text::offset_to_line_col(&text, caret), (58, 0));
}

#[test]
fn reindent_is_one_undoable_edit_through_the_wire() {
    let mut t = T::new("if x {\n        a|;\n}\n");
    t.edit("reindent", json!({}));
    assert_eq!(t.state(), "if x {\n    a|;\n}\n");
    t.edit("undo", json!({}));
    assert_eq!(t.state(), "if x {\n        a|;\n}\n");
}

/// Highlight results delivered to `core` until the job for the buffer's current
/// revision has completed (bounded poll); returns every message the core wrote.
fn settle_highlighting(
    core: &mut Core,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<crate::highlight::HighlightResult>,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut out = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(result) => {
                let done = result.complete
                    && core
                        .buffers
                        .get(&result.buffer)
                        .is_some_and(|b| b.rev == result.rev);
                core.on_highlight(result, &mut out);
                if done {
                    break;
                }
            }
            Err(_) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "highlighting did not settle"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
    out.iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn updates(msgs: &[Value]) -> Vec<&Value> {
    msgs.iter().filter(|m| m["method"] == "update").collect()
}

/// The styles the front end would hold for `line` after `update` (the first op
/// sending lines carries the visible ones from line 0 here).
fn styles_of_line(update: &Value, line: usize) -> Vec<i64> {
    let ops = update["params"]["update"]["ops"].as_array().expect("ops");
    let mut n = 0;
    for op in ops {
        let count = op["n"].as_u64().expect("n") as usize;
        if op["op"] == "ins" {
            if line < n + count {
                return serde_json::from_value(op["lines"][line - n]["styles"].clone())
                    .expect("styles");
            }
        } else if op["op"] == "invalidate" {
            assert!(line >= n + count, "line {line} was invalidated");
        }
        if op["op"] != "skip" {
            n += count;
        }
    }
    panic!("line {line} not sent")
}

#[test]
fn typing_inside_an_identifier_sends_one_update_with_shifted_styles() {
    let h = std::sync::Arc::new(crate::highlight::Highlighting::load(None));
    let (service, mut rx) = crate::highlight::HighlightService::spawn(std::sync::Arc::clone(&h));
    let services = super::Services {
        highlighting: Some(h),
        highlighter: Some(service),
        ..Default::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.rs");
    std::fs::write(&path, "fn main() {\n    let value = 42;\n}\n").expect("write");
    let mut core = Core::with_services(services);
    let mut out = Vec::new();
    core.handle_line(
        &json!({"id": 0, "method": "new_view", "params": {"file_path": path}}).to_string(),
        &mut out,
    );
    let styled = settle_highlighting(&mut core, &mut rx);
    let before = styles_of_line(updates(&styled).last().expect("restyle"), 1);
    assert!(!before.is_empty(), "line 1 is highlighted");

    // type 'x' between "val" and "ue" (byte 11 of line 1)
    let line = json!({"method": "edit", "params": {"view_id": "view-id-1", "method": "gesture",
        "params": {"line": 1, "col": 11, "ty": "point_select"}}});
    core.handle_line(&line.to_string(), &mut Vec::new());
    let mut out = Vec::new();
    let line = json!({"method": "edit", "params": {"view_id": "view-id-1", "method": "insert", "params": {"chars": "x"}}});
    core.handle_line(&line.to_string(), &mut out);
    let msgs: Vec<Value> = out
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(
        core.text_of("view-id-1").map(String::from).as_deref(),
        Some("fn main() {\n    let valxue = 42;\n}\n")
    );
    let ups = updates(&msgs);
    assert_eq!(ups.len(), 1, "one update per keystroke: {msgs:?}");
    // styles are triples (start relative to the previous span's end, len, id)
    let mut expected = Vec::new();
    let mut at = 0;
    let mut prev_end = 0;
    for t in before.chunks(3) {
        let start = prev_end + t[0];
        let end = start + t[1];
        let (s, e) = match (start, end) {
            (s, e) if e < 11 => (s, e),
            (s, e) if s < 11 => (s, e + 1),
            (s, e) => (s + 1, e + 1),
        };
        expected.extend([s - at, e - s, t[2]]);
        at = e;
        prev_end = end;
    }
    assert_eq!(
        styles_of_line(ups[0], 1),
        expected,
        "styles shifted by the edit"
    );

    let after = settle_highlighting(&mut core, &mut rx);
    assert!(
        updates(&after).is_empty(),
        "the restyle equals what the client holds: nothing more is sent, got {after:?}"
    );
}

/// The styles a front end's line cache holds after applying `msgs` to `cache`
/// (one entry per line: `None` unknown, `Some(styles)` as sent), per docs/protocol.md.
fn apply_updates(cache: &mut Vec<Option<Vec<i64>>>, msgs: &[Value]) {
    for update in updates(msgs) {
        let ops = update["params"]["update"]["ops"].as_array().expect("ops");
        let old = std::mem::take(cache);
        let mut at = 0;
        for op in ops {
            let n = op["n"].as_u64().expect("n") as usize;
            let given = op["lines"].as_array().cloned().unwrap_or_default();
            let styles = |l: &Value| serde_json::from_value::<Vec<i64>>(l["styles"].clone()).ok();
            match op["op"].as_str().expect("op kind") {
                "copy" => cache.extend(old[at..at + n].iter().cloned()),
                "skip" => {}
                "invalidate" => cache.extend(std::iter::repeat_n(None, n)),
                "ins" => cache.extend(given.iter().map(|l| Some(styles(l).unwrap_or_default()))),
                "update" => cache.extend(old[at..at + n].iter().enumerate().map(|(i, s)| {
                    match given.get(i).and_then(styles) {
                        Some(new) if s.is_some() => Some(new),
                        _ => s.clone(),
                    }
                })),
                other => panic!("unknown op {other}"),
            }
            if matches!(op["op"].as_str(), Some("copy" | "skip" | "update")) {
                at += n;
            }
        }
    }
}

/// A core with real highlighting and one view on a 60-line Rust file whose
/// every line holds a keyword; returns the core, the results channel and the
/// messages of the open.
fn open_sixty_line_rust_file(
    dir: &std::path::Path,
) -> (
    Core,
    tokio::sync::mpsc::UnboundedReceiver<crate::highlight::HighlightResult>,
    Vec<Value>,
) {
    let h = std::sync::Arc::new(crate::highlight::Highlighting::load(None));
    let (service, rx) = crate::highlight::HighlightService::spawn(std::sync::Arc::clone(&h));
    let services = super::Services {
        highlighting: Some(h),
        highlighter: Some(service),
        ..Default::default()
    };
    let path = dir.join("long.rs");
    let text: String = (0..60)
        .map(|i| format!("fn f{i}() -> u32 {{ {i} }}\n"))
        .collect();
    std::fs::write(&path, text).expect("write");
    let mut core = Core::with_services(services);
    let mut out = Vec::new();
    core.handle_line(
        &json!({"id": 0, "method": "new_view", "params": {"file_path": path}}).to_string(),
        &mut out,
    );
    let msgs = out
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    (core, rx, msgs)
}

/// Highlight results delivered to `core` until `done(core)` holds (bounded poll).
fn highlight_until(
    core: &mut Core,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<crate::highlight::HighlightResult>,
    cache: &mut Vec<Option<Vec<i64>>>,
    done: impl Fn(&[Option<Vec<i64>>]) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done(cache) {
        match rx.try_recv() {
            Ok(result) => {
                let mut out = Vec::new();
                core.on_highlight(result, &mut out);
                let msgs: Vec<Value> = out
                    .iter()
                    .map(|l| serde_json::from_str(l).expect("json"))
                    .collect();
                apply_updates(cache, &msgs);
            }
            Err(_) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "lines in view never got styles: {cache:?}"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

fn send_edit(core: &mut Core, view: &str, method: &str, params: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let line =
        json!({"method": "edit", "params": {"view_id": view, "method": method, "params": params}});
    core.handle_line(&line.to_string(), &mut out);
    out.iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn styled(cache: &[Option<Vec<i64>>], lines: std::ops::Range<usize>) -> bool {
    lines.into_iter().all(|l| {
        cache
            .get(l)
            .is_some_and(|s| s.as_ref().is_some_and(|s| !s.is_empty()))
    })
}

#[test]
fn every_line_in_a_tall_view_gets_styles_without_an_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut core, mut rx, opened) = open_sixty_line_rust_file(dir.path());
    let mut cache = Vec::new();
    apply_updates(&mut cache, &opened);
    // the front end says how tall its pane is, as it does right after new_view
    let out = send_edit(&mut core, "view-id-1", "scroll", json!([0, 50]));
    apply_updates(&mut cache, &out);
    highlight_until(&mut core, &mut rx, &mut cache, |c| styled(c, 0..50));
}

#[test]
fn lines_scrolled_into_view_get_styles_in_every_pane() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut core, mut rx, opened) = open_sixty_line_rust_file(dir.path());
    let mut cache = Vec::new();
    apply_updates(&mut cache, &opened);
    let out = send_edit(&mut core, "view-id-1", "scroll", json!([0, 20]));
    apply_updates(&mut cache, &out);
    highlight_until(&mut core, &mut rx, &mut cache, |c| styled(c, 0..20));
    let out = send_edit(&mut core, "view-id-1", "scroll", json!([38, 58]));
    apply_updates(&mut cache, &out);
    highlight_until(&mut core, &mut rx, &mut cache, |c| styled(c, 38..58));

    // a second pane on the same file, scrolled to the end
    let path = dir.path().join("long.rs");
    let mut out = Vec::new();
    core.handle_line(
        &json!({"id": 1, "method": "new_view", "params": {"file_path": path}}).to_string(),
        &mut out,
    );
    let msgs: Vec<Value> = out
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let view2 = msgs
        .iter()
        .find(|m| m["id"] == 1)
        .and_then(|m| m["result"].as_str())
        .expect("second view id")
        .to_string();
    let mut cache2 = Vec::new();
    let second: Vec<Value> = msgs
        .into_iter()
        .filter(|m| m["params"]["view_id"] == view2.as_str())
        .collect();
    apply_updates(&mut cache2, &second);
    let out = send_edit(&mut core, &view2, "scroll", json!([40, 60]));
    apply_updates(&mut cache2, &out);
    highlight_until(&mut core, &mut rx, &mut cache2, |c| styled(c, 40..60));
}

#[test]
fn regex_replace_all_and_next_insert_each_matchs_capture_groups() {
    let mut t = T::new("|width: 3px;\nheight: 14px;\n");
    t.edit(
        "find",
        json!({"chars": r"(?P<prop>\w+): (\d+)px", "case_sensitive": true, "regex": true, "whole_words": false}),
    );
    t.edit(
        "replace",
        json!({"chars": "${prop}=$2em", "preserve_case": false}),
    );
    t.edit("replace_all", json!({}));
    assert_eq!(
        String::from(t.core.text_of("view-id-1").expect("text")),
        "width=3em;\nheight=14em;\n"
    );
    t.edit("undo", json!({}));
    t.edit("move_to_beginning_of_document", json!({}));
    t.edit(
        "replace",
        json!({"chars": r"\2 \1", "preserve_case": false}),
    );
    t.edit("replace_next", json!({}));
    assert_eq!(
        String::from(t.core.text_of("view-id-1").expect("text")),
        "3 width;\nheight: 14px;\n"
    );
}

/// The lines `line` makes the core write, parsed.
fn lines_of(core: &mut Core, line: Value) -> Vec<Value> {
    let mut out = Vec::new();
    core.handle_line(&line.to_string(), &mut out);
    out.iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

#[test]
fn capabilities_grant_the_edit_ack_and_each_edit_is_acknowledged_in_its_update() {
    let mut t = T::new("ab|c");
    let answer = lines_of(
        &mut t.core,
        json!({"id": 4, "method": "symphony.capabilities", "params": {"edit_ack": true}}),
    );
    assert_eq!(answer, vec![json!({"id": 4, "result": {"edit_ack": true}})]);
    let out = lines_of(
        &mut t.core,
        json!({"method": "edit", "params": {"view_id": "view-id-1", "method": "insert",
            "params": {"chars": "X"}, "symphony_seq": 12}}),
    );
    let updates: Vec<&Value> = out.iter().filter(|m| m["method"] == "update").collect();
    assert_eq!(updates.len(), 1, "{out:?}");
    assert_eq!(updates[0]["params"]["symphony_ack"], 12);
    assert!(
        !out.iter().any(|m| m["method"] == "symphony.ack"),
        "{out:?}"
    );
    // Without a sequence number (an xi client), no acknowledgement at all.
    let out = t.edit("insert", json!({"chars": "Y"}));
    assert!(
        out.iter()
            .all(|m| m["params"].get("symphony_ack").is_none()),
        "{out:?}"
    );
}

#[test]
fn an_edit_of_an_unknown_view_is_still_acknowledged_alone() {
    let mut t = T::new("a|");
    let out = lines_of(
        &mut t.core,
        json!({"method": "edit", "params": {"view_id": "view-id-9", "method": "insert",
            "params": {"chars": "X"}, "symphony_seq": 3}}),
    );
    assert_eq!(
        out,
        vec![json!({"method": "symphony.ack", "params": {"seq": 3}})]
    );
}
