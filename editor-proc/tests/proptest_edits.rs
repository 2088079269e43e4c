//! Property test: random edit sequences sent through the protocol give the same text as the
//! same edits on a plain `String`; the line cache rebuilt from the `update`s equals the text on
//! every valid line; undoing everything returns the original.

mod common;

use common::{Editor, LineCache, kind};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    Insert(String),
    Paste(String),
    Newline,
    Backspace,
    DeleteForward,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    Click(usize, usize),
    Scroll(usize),
    Undo,
    Redo,
}

fn op() -> impl Strategy<Value = Op> {
    let chars = "[abé\n]{1,4}";
    prop_oneof![
        4 => chars.prop_map(Op::Insert),
        1 => chars.prop_map(Op::Paste),
        1 => Just(Op::Newline),
        2 => Just(Op::Backspace),
        1 => Just(Op::DeleteForward),
        1 => Just(Op::Left),
        1 => Just(Op::Right),
        1 => Just(Op::Up),
        1 => Just(Op::Down),
        1 => Just(Op::Home),
        1 => Just(Op::End),
        1 => (0usize..8, 0usize..6).prop_map(|(l, c)| Op::Click(l, c)),
        1 => (0usize..6).prop_map(Op::Scroll),
        1 => Just(Op::Undo),
        1 => Just(Op::Redo),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Chars,
    Newline,
    Delete,
    Other,
}

/// The plain-String model of one caret and xi's undo grouping.
struct Model {
    text: String,
    caret: usize,
    horiz: Option<usize>,
    undo: Vec<String>,
    redo: Vec<String>,
    last: Option<Kind>,
}

impl Model {
    fn line_start(&self, line: usize) -> usize {
        if line == 0 {
            return 0;
        }
        self.text
            .match_indices('\n')
            .nth(line - 1)
            .map(|(i, _)| i + 1)
            .unwrap_or(self.text.len())
    }
    fn line_count(&self) -> usize {
        self.text.matches('\n').count() + 1
    }
    fn line_col(&self, off: usize) -> (usize, usize) {
        let line = self.text[..off].matches('\n').count();
        (line, off - self.line_start(line))
    }
    fn line_end(&self, line: usize) -> usize {
        let s = self.line_start(line);
        self.text[s..]
            .find('\n')
            .map(|i| s + i)
            .unwrap_or(self.text.len())
    }
    fn offset(&self, line: usize, col: usize) -> usize {
        if line >= self.line_count() {
            return self.text.len();
        }
        let mut o = (self.line_start(line) + col).min(self.line_end(line));
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }
    fn prev(&self, o: usize) -> usize {
        self.text[..o]
            .char_indices()
            .next_back()
            .map(|(i, _)| i)
            .unwrap_or(0)
    }
    fn next(&self, o: usize) -> usize {
        self.text[o..]
            .chars()
            .next()
            .map(|c| o + c.len_utf8())
            .unwrap_or(o)
    }
    fn edit(&mut self, start: usize, end: usize, s: &str, kind: Kind) {
        if start == end && s.is_empty() {
            return;
        }
        let joins = self.redo.is_empty()
            && !self.undo.is_empty()
            && kind != Kind::Other
            && self.last == Some(kind);
        if !joins {
            self.undo.push(self.text.clone());
            self.redo.clear();
        }
        self.last = Some(kind);
        self.text.replace_range(start..end, s);
        self.caret = start + s.len();
        self.horiz = None;
    }
    fn vertical(&mut self, down: bool) {
        let (line, col) = self.line_col(self.caret);
        let col = self.horiz.unwrap_or(col);
        self.caret = if !down && line == 0 {
            0
        } else if down && line + 1 >= self.line_count() {
            self.text.len()
        } else {
            self.offset(if down { line + 1 } else { line - 1 }, col)
        };
        self.horiz = Some(col);
    }
}

fn edit_msg(method: &str, params: Value) -> Value {
    json!({"method": "edit", "params": {"view_id": "view-id-1", "method": method, "params": params}})
}

fn run(ops: Vec<Op>, original: String) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f.txt");
    std::fs::write(&path, &original).expect("write");
    let mut ed = Editor::spawn(dir.path());
    ed.send(r#"{"method":"client_started","params":{}}"#);
    let mut cache = LineCache::default();
    let apply = |cache: &mut LineCache, msgs: &[Value]| {
        for m in msgs.iter().filter(|m| kind(m) == "update") {
            cache.apply(&m["params"]["update"]);
        }
    };
    let out = ed.send_value(&json!({"id": 0, "method": "new_view", "params": {"file_path": path}}));
    apply(&mut cache, &out);
    let mut m = Model {
        text: original.clone(),
        caret: 0,
        horiz: None,
        undo: Vec::new(),
        redo: Vec::new(),
        last: None,
    };
    for op in ops {
        let (c, h) = (m.caret, m.horiz);
        m.horiz = None;
        let msg = match &op {
            Op::Insert(s) => {
                m.edit(c, c, s, Kind::Chars);
                edit_msg("insert", json!({"chars": s}))
            }
            Op::Paste(s) => {
                m.edit(c, c, s, Kind::Other);
                edit_msg("paste", json!({"chars": s}))
            }
            Op::Newline => {
                m.edit(c, c, "\n", Kind::Newline);
                edit_msg("insert_newline", json!({}))
            }
            Op::Backspace => {
                let p = m.prev(c);
                if p < c {
                    m.edit(p, c, "", Kind::Delete);
                } else {
                    m.horiz = h;
                }
                edit_msg("delete_backward", json!({}))
            }
            Op::DeleteForward => {
                let n = m.next(c);
                if n > c {
                    m.edit(c, n, "", Kind::Delete);
                } else {
                    m.horiz = h;
                }
                edit_msg("delete_forward", json!({}))
            }
            Op::Left => {
                m.caret = m.prev(c);
                m.last = None;
                edit_msg("move_left", json!({}))
            }
            Op::Right => {
                m.caret = m.next(c);
                m.last = None;
                edit_msg("move_right", json!({}))
            }
            Op::Up | Op::Down => {
                m.horiz = h;
                m.vertical(matches!(op, Op::Down));
                m.last = None;
                edit_msg(
                    if matches!(op, Op::Down) {
                        "move_down"
                    } else {
                        "move_up"
                    },
                    json!({}),
                )
            }
            Op::Home => {
                m.caret = m.line_start(m.line_col(c).0);
                m.last = None;
                edit_msg("move_to_left_end_of_line", json!({}))
            }
            Op::End => {
                m.caret = m.line_end(m.line_col(c).0);
                m.last = None;
                edit_msg("move_to_right_end_of_line", json!({}))
            }
            Op::Click(l, col) => {
                m.caret = m.offset(*l, *col);
                m.last = None;
                edit_msg(
                    "gesture",
                    json!({"line": l, "col": col, "ty": {"select": {"granularity": "point", "multi": false}}}),
                )
            }
            Op::Scroll(first) => {
                m.horiz = h;
                m.last = None;
                edit_msg("scroll", json!([first, first + 5]))
            }
            Op::Undo | Op::Redo => {
                let (from, to) = if matches!(op, Op::Undo) {
                    (&mut m.undo, &mut m.redo)
                } else {
                    (&mut m.redo, &mut m.undo)
                };
                if let Some(t) = from.pop() {
                    to.push(std::mem::replace(&mut m.text, t));
                } else {
                    // nothing to undo/redo: the selection (and its column) is untouched
                    m.horiz = h;
                }
                m.last = None;
                edit_msg(
                    if matches!(op, Op::Undo) {
                        "undo"
                    } else {
                        "redo"
                    },
                    json!({}),
                )
            }
        };
        let out = ed.send_value(&msg);
        apply(&mut cache, &out);
        let got =
            ed.send(r#"{"id":7,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
        prop_assert_eq!(
            got[0]["result"].as_str(),
            Some(m.text.as_str()),
            "after {:?}",
            op
        );
        cache.check_against(&m.text);
        // the caret the editor reports (selection annotation) matches the model
        let sel = cache
            .annotations
            .iter()
            .find(|a| a["type"] == "selection")
            .cloned();
        if let Some(r) = sel.and_then(|a| a["ranges"].get(0).cloned()) {
            let (l, c) = (
                r[2].as_u64().unwrap_or(0) as usize,
                r[3].as_u64().unwrap_or(0) as usize,
            );
            if matches!(op, Op::Undo | Op::Redo) {
                m.caret = m.line_start(l) + c;
            } else {
                prop_assert_eq!(m.line_col(m.caret), (l, c), "caret after {:?}", op);
            }
        }
    }
    // undo everything
    for _ in 0..200 {
        if m.undo.is_empty() {
            break;
        }
        m.text = m.undo.pop().unwrap_or_default();
        let out = ed.send_value(&edit_msg("undo", json!({})));
        apply(&mut cache, &out);
    }
    let got = ed.send(r#"{"id":8,"method":"debug_get_contents","params":{"view_id":"view-id-1"}}"#);
    prop_assert_eq!(got[0]["result"].as_str(), Some(original.as_str()));
    prop_assert!(cache.pristine, "back to pristine after undoing everything");
    cache.check_against(&original);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn edits_match_a_string_model(ops in prop::collection::vec(op(), 1..40), original in "[ab\n]{0,12}") {
        run(ops, original)?;
    }
}
