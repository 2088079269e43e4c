//! Document synchronization messages: `didOpen`, incremental `didChange` computed from an
//! xi-rope delta (only the replaced ranges and the inserted text, so a one-character edit
//! in a 100 MB buffer sends a few hundred bytes), `didSave` and `didClose`.

use serde_json::{Value, json};
use xi_rope::delta::DeltaElement;
use xi_rope::{Rope, RopeDelta};

use super::jsonrpc;
use super::position::{Encoding, lsp_position};

/// One replacement in the old text: bytes `start..end` replaced by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// Start byte in the old text.
    pub start: usize,
    /// End byte in the old text.
    pub end: usize,
    /// What replaces it.
    pub text: String,
}

/// The replacements a delta makes, in order of position in the old text.
pub fn replacements(delta: &RopeDelta) -> Vec<Replacement> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut ins = String::new();
    for el in &delta.els {
        match el {
            DeltaElement::Copy(b, e) => {
                if *b > pos || !ins.is_empty() {
                    out.push(Replacement {
                        start: pos,
                        end: *b,
                        text: std::mem::take(&mut ins),
                    });
                }
                pos = *e;
            }
            DeltaElement::Insert(n) => ins.push_str(&String::from(n)),
        }
    }
    if pos < delta.base_len || !ins.is_empty() {
        out.push(Replacement {
            start: pos,
            end: delta.base_len,
            text: ins,
        });
    }
    out
}

/// The `contentChanges` of an incremental `didChange` for `delta` applied to `old`: one
/// change per replaced range, last first, so each range is valid when the server applies it.
pub fn content_changes(old: &Rope, delta: &RopeDelta, enc: Encoding) -> Vec<Value> {
    replacements(delta)
        .into_iter()
        .rev()
        .map(|r| {
            json!({
                "range": {
                    "start": lsp_position(old, r.start, enc),
                    "end": lsp_position(old, r.end, enc),
                },
                "text": r.text,
            })
        })
        .collect()
}

/// The whole `textDocument/didChange` notification for `delta` (applied to `old`), making the
/// document `version`.
pub fn did_change(uri: &str, version: i64, old: &Rope, delta: &RopeDelta, enc: Encoding) -> Value {
    jsonrpc::notification(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": content_changes(old, delta, enc),
        }),
    )
}

/// The `textDocument/didChange` replacing the whole text (used when no delta is known).
pub fn did_change_full(uri: &str, version: i64, text: &Rope) -> Value {
    jsonrpc::notification(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": String::from(text)}],
        }),
    )
}

/// `textDocument/didOpen`.
pub fn did_open(uri: &str, language_id: &str, version: i64, text: &Rope) -> Value {
    jsonrpc::notification(
        "textDocument/didOpen",
        json!({"textDocument": {
            "uri": uri, "languageId": language_id, "version": version, "text": String::from(text),
        }}),
    )
}

/// `textDocument/didSave` (with the text when the server asked for it).
pub fn did_save(uri: &str, text: Option<&Rope>) -> Value {
    let mut p = json!({"textDocument": {"uri": uri}});
    if let Some(t) = text {
        p["text"] = Value::String(String::from(t));
    }
    jsonrpc::notification("textDocument/didSave", p)
}

/// `textDocument/didClose`.
pub fn did_close(uri: &str) -> Value {
    jsonrpc::notification(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use xi_rope::{DeltaBuilder, Interval};

    fn delta(len: usize, edits: &[(usize, usize, &str)]) -> RopeDelta {
        let mut b = DeltaBuilder::new(len);
        for (s, e, t) in edits {
            b.replace(Interval::new(*s, *e), Rope::from(*t));
        }
        b.build()
    }

    /// Applies content changes the way a server does, one after the other.
    fn apply_changes(text: &str, changes: &[Value], enc: Encoding) -> String {
        let mut rope = Rope::from(text);
        for c in changes {
            let (s, e) =
                super::super::position::range_offsets(&rope, &c["range"], enc).expect("range");
            let t = c["text"].as_str().expect("text");
            let mut b = DeltaBuilder::new(rope.len());
            b.replace(Interval::new(s, e), Rope::from(t));
            rope = b.build().apply(&rope);
        }
        String::from(rope)
    }

    #[test]
    fn multi_cursor_edits_become_changes_a_server_applies_to_the_same_text() {
        let old = "héllo wörld\nsecond 😀 line\nthird";
        let d = delta(old.len(), &[(1, 3, "E"), (13, 13, "X\n"), (26, 30, "")]);
        let want = String::from(d.apply(&Rope::from(old)));
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let changes = content_changes(&Rope::from(old), &d, enc);
            assert_eq!(changes.len(), 3);
            assert_eq!(apply_changes(old, &changes, enc), want, "{enc:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any set of edits, in any encoding: the server's copy equals the editor's text.
        #[test]
        fn random_edits_keep_the_servers_copy_equal(
            text in "[a-cé😀\n]{0,40}",
            edits in proptest::collection::vec((0usize..60, 0usize..4, "[xü😀\n]{0,3}"), 0..5),
        ) {
            let rope = Rope::from(text.as_str());
            // char boundaries of the text (and its end)
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect();
            // non-overlapping, increasing edits
            let mut b = DeltaBuilder::new(rope.len());
            let mut last = 0;
            for (at, len, ins) in &edits {
                let si = at % bounds.len();
                let (s, e) = (bounds[si], bounds[(si + len).min(bounds.len() - 1)]);
                if s < last {
                    continue;
                }
                b.replace(Interval::new(s, e), Rope::from(ins.as_str()));
                last = e + 1;
            }
            let d = b.build();
            let want = String::from(d.apply(&rope));
            for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
                let changes = content_changes(&rope, &d, enc);
                proptest::prop_assert_eq!(apply_changes(&text, &changes, enc), want.clone());
            }
        }
    }

    #[test]
    fn replacements_name_deleted_and_inserted_text() {
        let d = delta(10, &[(2, 4, "xyz")]);
        assert_eq!(
            replacements(&d),
            vec![Replacement {
                start: 2,
                end: 4,
                text: "xyz".into()
            }]
        );
        let d = delta(10, &[(10, 10, "!")]);
        assert_eq!(
            replacements(&d),
            vec![Replacement {
                start: 10,
                end: 10,
                text: "!".into()
            }]
        );
    }
}
