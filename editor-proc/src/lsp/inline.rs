//! LSP 3.18 `textDocument/inlineCompletion`: the request's params and the server's
//! items (`InlineCompletionItem[]` or `InlineCompletionList`) turned into the texts the
//! client draws as ghost text after the cursor.

use serde_json::{Value, json};
use xi_rope::Rope;

use super::features::expand_snippet;
use super::position::{Encoding, range_offsets};

/// The capability a server advertises when it answers inline completion requests.
pub const CAPABILITY: &str = "inlineCompletionProvider";

/// The method on the wire.
pub const METHOD: &str = "textDocument/inlineCompletion";

/// The params: the cursor's position (`pos`: `textDocument` and `position`) and an
/// automatic trigger (asked after a pause, not by a key).
pub fn params(mut pos: Value) -> Value {
    pos["context"] = json!({"triggerKind": 2});
    pos
}

/// The text an item inserts, its snippet expanded.
fn insert_text(item: &Value) -> Option<String> {
    match item.get("insertText")? {
        Value::String(s) => Some(s.clone()),
        v => {
            let value = v.get("value")?.as_str()?;
            Some(
                if v.get("kind").and_then(Value::as_str) == Some("snippet") {
                    expand_snippet(value).0
                } else {
                    value.to_string()
                },
            )
        }
    }
}

/// Each item of `result` as the text it adds at byte offset `caret` of `text`: an item
/// whose range starts before the caret must begin with the text from there to the
/// caret (it is taken off); one that would change that text, or starts after the
/// caret, is left out. Empty texts are left out.
pub fn texts(result: &Value, text: &Rope, caret: usize, enc: Encoding) -> Vec<String> {
    let items = result
        .as_array()
        .or_else(|| result.get("items").and_then(Value::as_array));
    items
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let insert = insert_text(item)?;
            let start = match item.get("range") {
                Some(range) => range_offsets(text, range, enc)?.0,
                None => caret,
            };
            if start > caret {
                return None;
            }
            let typed = text.slice_to_cow(start..caret);
            let rest = insert.strip_prefix(typed.as_ref())?;
            (!rest.is_empty()).then(|| rest.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_become_the_text_after_the_cursor() {
        let text = Rope::from("fn main() {\n    let x = fo\n}\n");
        let caret = "fn main() {\n    let x = fo".len();
        let result = json!({"items": [
            {"insertText": "foo(1)", "range": {"start": {"line": 1, "character": 12},
                "end": {"line": 1, "character": 14}}},
            {"insertText": "bar()", "range": {"start": {"line": 1, "character": 12},
                "end": {"line": 1, "character": 14}}},
            {"insertText": {"kind": "snippet", "value": "o(${1:a})$0"}},
            {"insertText": ""},
        ]});
        assert_eq!(
            texts(&result, &text, caret, Encoding::Utf16),
            vec!["o(1)".to_string(), "o(a)".to_string()]
        );
        assert_eq!(
            texts(&json!([{"insertText": "z"}]), &text, caret, Encoding::Utf8),
            vec!["z".to_string()]
        );
        assert!(texts(&Value::Null, &text, caret, Encoding::Utf8).is_empty());
    }
}
