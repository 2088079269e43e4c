//! Turning language servers' answers into the `symphony.lsp.*` shapes: completion items and
//! snippets, hover text, locations, signature help, diagnostics, code actions and workspace
//! edits. Pure functions of JSON values (and line texts), tested without a server.

use serde_json::Value;
use symphony_protocol::xi::lsp::{
    CodeAction, CompletionItem, Diagnostic, Severity, SignatureHelpParams,
};

use super::position::{Encoding, parse_position};

/// The items of a completion answer (`CompletionItem[]` or `CompletionList`).
pub fn completion_items(result: &Value) -> Vec<Value> {
    let arr = result
        .as_array()
        .or_else(|| result.get("items").and_then(Value::as_array));
    arr.cloned().unwrap_or_default()
}

/// The LSP `CompletionItemKind` name.
pub fn kind_name(kind: Option<u64>) -> &'static str {
    const NAMES: [&str; 25] = [
        "Text",
        "Method",
        "Function",
        "Constructor",
        "Field",
        "Variable",
        "Class",
        "Interface",
        "Module",
        "Property",
        "Unit",
        "Value",
        "Enum",
        "Keyword",
        "Snippet",
        "Color",
        "File",
        "Reference",
        "Folder",
        "EnumMember",
        "Constant",
        "Struct",
        "Event",
        "Operator",
        "TypeParameter",
    ];
    kind.and_then(|k| usize::try_from(k).ok())
        .and_then(|k| k.checked_sub(1))
        .and_then(|k| NAMES.get(k))
        .copied()
        .unwrap_or("Text")
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A raw completion item in the client's shape.
pub fn completion_item(raw: &Value) -> CompletionItem {
    let label = str_of(raw, "label").unwrap_or_default().to_string();
    CompletionItem {
        kind: kind_name(raw.get("kind").and_then(Value::as_u64)).to_string(),
        detail: str_of(raw, "detail").map(str::to_string),
        filter_text: str_of(raw, "filterText").unwrap_or(&label).to_string(),
        sort_text: str_of(raw, "sortText").unwrap_or(&label).to_string(),
        is_snippet: raw.get("insertTextFormat").and_then(Value::as_u64) == Some(2),
        label,
    }
}

/// The text an item inserts (before snippet expansion) and its `textEdit` range, if any.
pub fn completion_text(raw: &Value) -> (String, Option<Value>) {
    if let Some(te) = raw.get("textEdit") {
        let text = str_of(te, "newText").unwrap_or_default().to_string();
        // InsertReplaceEdit has `insert`/`replace` instead of `range`
        let range = te.get("range").or_else(|| te.get("insert")).cloned();
        return (text, range);
    }
    let text = str_of(raw, "insertText")
        .or_else(|| str_of(raw, "label"))
        .unwrap_or_default()
        .to_string();
    (text, None)
}

/// Expands a snippet: placeholders become their default text (`${1:x}` -> `x`, `$1` ->
/// ``, choices take their first option), variables their default; returns the text and
/// the byte offset of `$0` in it (None: the cursor goes at the end).
pub fn expand_snippet(snippet: &str) -> (String, Option<usize>) {
    let mut out = String::new();
    let mut cursor = None;
    let chars: Vec<char> = snippet.chars().collect();
    expand_into(&chars, &mut 0, &mut out, &mut cursor, false);
    (out, cursor)
}

/// Expands from `*i` until the end or (when `nested`) an unescaped `}`.
fn expand_into(
    c: &[char],
    i: &mut usize,
    out: &mut String,
    cursor: &mut Option<usize>,
    nested: bool,
) {
    while *i < c.len() {
        let ch = c[*i];
        match ch {
            '\\' if *i + 1 < c.len() => {
                out.push(c[*i + 1]);
                *i += 2;
            }
            '}' if nested => {
                *i += 1;
                return;
            }
            '$' if *i + 1 < c.len() && c[*i + 1].is_ascii_digit() => {
                *i += 1;
                let mut n = 0u64;
                while *i < c.len() && c[*i].is_ascii_digit() {
                    n = n * 10 + u64::from(c[*i].to_digit(10).unwrap_or(0));
                    *i += 1;
                }
                if n == 0 && cursor.is_none() {
                    *cursor = Some(out.len());
                }
            }
            '$' if *i + 1 < c.len() && c[*i + 1] == '{' => {
                *i += 2;
                let mut n = String::new();
                while *i < c.len() && (c[*i].is_ascii_alphanumeric() || c[*i] == '_') {
                    n.push(c[*i]);
                    *i += 1;
                }
                if n == "0" && cursor.is_none() {
                    *cursor = Some(out.len());
                }
                match c.get(*i) {
                    Some(':') => {
                        *i += 1;
                        expand_into(c, i, out, cursor, true);
                    }
                    Some('|') => {
                        // choice: the first option
                        *i += 1;
                        let mut first = true;
                        while *i < c.len() && c[*i] != '}' {
                            if c[*i] == '|' {
                                *i += 1;
                                continue;
                            }
                            if c[*i] == ',' {
                                first = false;
                            } else if first {
                                if c[*i] == '\\' && *i + 1 < c.len() {
                                    *i += 1;
                                }
                                out.push(c[*i]);
                            }
                            *i += 1;
                        }
                        *i += 1;
                    }
                    _ => {
                        // `${1}` or a transform: skip to the closing brace
                        while *i < c.len() && c[*i] != '}' {
                            *i += 1;
                        }
                        *i += 1;
                    }
                }
            }
            '$' if *i + 1 < c.len() && (c[*i + 1].is_ascii_alphabetic() || c[*i + 1] == '_') => {
                // a variable without default: dropped
                *i += 1;
                while *i < c.len() && (c[*i].is_ascii_alphanumeric() || c[*i] == '_') {
                    *i += 1;
                }
            }
            _ => {
                out.push(ch);
                *i += 1;
            }
        }
    }
}

/// Text of `MarkupContent`, `MarkedString` or an array of them.
pub fn markup_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(markup_text).collect();
            (!parts.is_empty()).then(|| parts.join("\n\n"))
        }
        Value::Object(o) => {
            let value = o.get("value").and_then(Value::as_str)?;
            match o.get("language").and_then(Value::as_str) {
                Some(lang) => Some(format!("```{lang}\n{value}\n```")),
                None => Some(value.to_string()),
            }
        }
        _ => None,
    }
}

/// The text of a hover answer (None when empty).
pub fn hover_text(result: &Value) -> Option<String> {
    let t = markup_text(result.get("contents")?)?;
    (!t.trim().is_empty()).then_some(t)
}

/// `(uri, range)` of each location in a `Location | Location[] | LocationLink[]` answer.
pub fn locations(result: &Value) -> Vec<(String, Value)> {
    let one = |v: &Value| -> Option<(String, Value)> {
        if let Some(uri) = str_of(v, "targetUri") {
            let r = v
                .get("targetSelectionRange")
                .or_else(|| v.get("targetRange"))?;
            return Some((uri.to_string(), r.clone()));
        }
        Some((str_of(v, "uri")?.to_string(), v.get("range")?.clone()))
    };
    match result {
        Value::Array(a) => a.iter().filter_map(one).collect(),
        Value::Object(_) => one(result).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The client's signature help from a `SignatureHelp` answer (None: nothing to show).
pub fn signature_help(view_id: &str, result: &Value) -> Option<SignatureHelpParams> {
    let sigs = result.get("signatures")?.as_array()?;
    let active_sig = result
        .get("activeSignature")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let sig = sigs.get(active_sig).or_else(|| sigs.first())?;
    let label = str_of(sig, "label")?.to_string();
    let mut parameters = Vec::new();
    for p in sig
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match p.get("label") {
            Some(Value::String(s)) => {
                let from = parameters.last().map(|r: &[usize; 2]| r[1]).unwrap_or(0);
                if let Some(at) = label.get(from..).and_then(|rest| rest.find(s.as_str())) {
                    parameters.push([from + at, from + at + s.len()]);
                }
            }
            Some(Value::Array(a)) if a.len() == 2 => {
                // UTF-16 offsets into the label
                let s = a[0].as_u64().unwrap_or(0) as usize;
                let e = a[1].as_u64().unwrap_or(0) as usize;
                parameters.push([
                    Encoding::Utf16.byte_of(&label, s),
                    Encoding::Utf16.byte_of(&label, e),
                ]);
            }
            _ => {}
        }
    }
    let active_parameter = sig
        .get("activeParameter")
        .or_else(|| result.get("activeParameter"))
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    Some(SignatureHelpParams {
        view_id: view_id.to_string(),
        label,
        active_parameter,
        parameters,
        documentation: sig.get("documentation").and_then(markup_text),
    })
}

/// A raw LSP diagnostic in the client's shape; `line_text(n)` gives line `n`'s text, to turn
/// the server's columns into UTF-8 byte columns.
pub fn diagnostic(
    raw: &Value,
    enc: Encoding,
    line_text: &mut impl FnMut(usize) -> String,
) -> Option<Diagnostic> {
    let range = raw.get("range")?;
    let (line, ch) = parse_position(range.get("start")?)?;
    let (end_line, end_ch) = parse_position(range.get("end")?)?;
    let col = enc.byte_of(&line_text(line), ch);
    let end_col = enc.byte_of(&line_text(end_line), end_ch);
    let severity = match raw.get("severity").and_then(Value::as_u64) {
        Some(2) => Severity::Warning,
        Some(3) => Severity::Information,
        Some(4) => Severity::Hint,
        _ => Severity::Error,
    };
    let code = match raw.get("code") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Some(Diagnostic {
        line,
        col,
        end_line,
        end_col,
        severity,
        message: str_of(raw, "message").unwrap_or_default().to_string(),
        source: str_of(raw, "source").map(str::to_string),
        code,
    })
}

/// The client's view of a code action or command.
pub fn code_action(raw: &Value) -> CodeAction {
    CodeAction {
        title: str_of(raw, "title").unwrap_or_default().to_string(),
        kind: str_of(raw, "kind").map(str::to_string),
    }
}

/// One file's edits in a workspace edit: `(range, new text)` pairs.
pub type FileEdits = (String, Vec<(Value, String)>);

/// One step of a `WorkspaceEdit`, in the order the server gave them (`documentChanges`
/// mixes text edits and file operations; the LSP spec applies them in that order).
#[derive(Debug, Clone, PartialEq)]
pub enum DocChange {
    /// Text edits of one file.
    Edit {
        /// The file.
        uri: String,
        /// `(range, new text)` pairs.
        edits: Vec<(Value, String)>,
    },
    /// `CreateFile`: an empty file.
    Create {
        /// The file.
        uri: String,
        /// Replace an existing file (it goes to the trash).
        overwrite: bool,
        /// Leave an existing file alone (and carry on).
        ignore_if_exists: bool,
    },
    /// `RenameFile`: a file or a directory.
    Rename {
        /// What is renamed.
        old_uri: String,
        /// Its new name.
        new_uri: String,
        /// Replace an existing target (it goes to the trash).
        overwrite: bool,
        /// Leave an existing target alone (and skip the rename).
        ignore_if_exists: bool,
    },
    /// `DeleteFile`: a file or a directory (moved to the trash).
    Delete {
        /// What is deleted.
        uri: String,
        /// A directory with content may be deleted.
        recursive: bool,
        /// A missing file is not an error.
        ignore_if_not_exists: bool,
    },
}

impl DocChange {
    /// The file the step is about (the old name for a rename), for messages.
    pub fn uri(&self) -> &str {
        match self {
            DocChange::Edit { uri, .. }
            | DocChange::Create { uri, .. }
            | DocChange::Delete { uri, .. } => uri,
            DocChange::Rename { old_uri, .. } => old_uri,
        }
    }
}

/// `(range, new text)` pairs of a `TextEdit[]` (annotated edits too).
fn text_edits(arr: Option<&Value>) -> Vec<(Value, String)> {
    arr.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let range = e.get("range")?.clone();
            let text = str_of(e, "newText")?.to_string();
            Some((range, text))
        })
        .collect()
}

/// The option `key` of a file operation (false when absent).
fn option(op: &Value, key: &str) -> bool {
    op.pointer(&format!("/options/{key}"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// One entry of `documentChanges` (None: malformed, skipped with a warning).
fn doc_change(c: &Value) -> Option<DocChange> {
    if let Some(uri) = c.get("textDocument").and_then(|d| str_of(d, "uri")) {
        return Some(DocChange::Edit {
            uri: uri.to_string(),
            edits: text_edits(c.get("edits")),
        });
    }
    match str_of(c, "kind")? {
        "create" => Some(DocChange::Create {
            uri: str_of(c, "uri")?.to_string(),
            overwrite: option(c, "overwrite"),
            ignore_if_exists: option(c, "ignoreIfExists"),
        }),
        "rename" => Some(DocChange::Rename {
            old_uri: str_of(c, "oldUri")?.to_string(),
            new_uri: str_of(c, "newUri")?.to_string(),
            overwrite: option(c, "overwrite"),
            ignore_if_exists: option(c, "ignoreIfExists"),
        }),
        "delete" => Some(DocChange::Delete {
            uri: str_of(c, "uri")?.to_string(),
            recursive: option(c, "recursive"),
            ignore_if_not_exists: option(c, "ignoreIfNotExists"),
        }),
        _ => None,
    }
}

/// The steps of a `WorkspaceEdit` in order: `documentChanges` when present (text edits
/// and create/rename/delete mixed), else `changes` (text edits per file). Text edits
/// that change nothing are dropped; malformed entries are logged and skipped.
pub fn document_changes(edit: &Value) -> Vec<DocChange> {
    let mut out = Vec::new();
    if let Some(dc) = edit.get("documentChanges").and_then(Value::as_array) {
        for c in dc {
            match doc_change(c) {
                Some(d) => out.push(d),
                None => tracing::warn!("lsp: skipping a malformed workspace edit entry: {c}"),
            }
        }
    } else if let Some(ch) = edit.get("changes").and_then(Value::as_object) {
        for (uri, edits) in ch {
            out.push(DocChange::Edit {
                uri: uri.clone(),
                edits: text_edits(Some(edits)),
            });
        }
    }
    out.retain(|d| !matches!(d, DocChange::Edit { edits, .. } if edits.is_empty()));
    out
}

/// The text edits of a `WorkspaceEdit`, per file URI, without its file operations.
pub fn workspace_edit(edit: &Value) -> Vec<FileEdits> {
    document_changes(edit)
        .into_iter()
        .filter_map(|d| match d {
            DocChange::Edit { uri, edits } => Some((uri, edits)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snippets_expand_to_their_default_text_with_the_cursor_at_zero() {
        assert_eq!(
            expand_snippet("foo(${1:a}, ${2:b})$0"),
            ("foo(a, b)".into(), Some(9))
        );
        assert_eq!(expand_snippet("print($1)"), ("print()".into(), None));
        assert_eq!(
            expand_snippet("if ${1:x}:\n\t$0"),
            ("if x:\n\t".into(), Some(7))
        );
        assert_eq!(
            expand_snippet("${1|one,two|} \\$x"),
            ("one $x".into(), None)
        );
        assert_eq!(
            expand_snippet("${1:outer ${2:inner}}"),
            ("outer inner".into(), None)
        );
    }

    #[test]
    fn answers_convert_to_the_client_shapes() {
        let item = completion_item(&json!({"label": "path", "kind": 9}));
        assert_eq!(
            (item.kind.as_str(), item.filter_text.as_str()),
            ("Module", "path")
        );
        let list = json!({"isIncomplete": false, "items": [{"label": "a"}, {"label": "b"}]});
        assert_eq!(completion_items(&list).len(), 2);
        assert_eq!(
            hover_text(&json!({"contents": {"kind": "markdown", "value": "doc"}})),
            Some("doc".into())
        );
        assert_eq!(hover_text(&json!({"contents": []})), None);
        let locs = locations(&json!([{"targetUri": "file:///a", "targetRange": {},
            "targetSelectionRange": {"start": {"line": 1, "character": 0}}}]));
        assert_eq!(locs[0].0, "file:///a");
        let sh = signature_help(
            "v",
            &json!({"signatures": [{"label": "f(a, b)",
            "parameters": [{"label": "a"}, {"label": [5, 6]}]}], "activeParameter": 1}),
        )
        .expect("help");
        assert_eq!(sh.parameters, vec![[2, 3], [5, 6]]);
        assert_eq!(sh.active_parameter, Some(1));
        let d = diagnostic(
            &json!({"range": {"start": {"line": 0, "character": 1},
                "end": {"line": 0, "character": 3}}, "severity": 2, "message": "m", "code": 7}),
            Encoding::Utf16,
            &mut |_| "é😀x".to_string(),
        )
        .expect("diagnostic");
        assert_eq!((d.col, d.end_col, d.severity), (2, 6, Severity::Warning));
        assert_eq!(d.code.as_deref(), Some("7"));
        let we = workspace_edit(&json!({"documentChanges": [
            {"textDocument": {"uri": "file:///a", "version": 1},
             "edits": [{"range": {}, "newText": "x"}]},
            {"kind": "create", "uri": "file:///b"}]}));
        assert_eq!(we.len(), 1);
    }

    #[test]
    fn document_changes_keep_the_servers_order_with_file_operations_mixed_in() {
        let edit = json!({"documentChanges": [
            {"kind": "rename", "oldUri": "file:///p/a.rs", "newUri": "file:///p/b.rs",
             "options": {"overwrite": false, "ignoreIfExists": true}},
            {"textDocument": {"uri": "file:///p/b.rs", "version": null},
             "edits": [{"range": {}, "newText": "x"}]},
            {"kind": "create", "uri": "file:///p/c.rs", "options": {"overwrite": true}},
            {"kind": "delete", "uri": "file:///p/d", "options": {"recursive": true,
             "ignoreIfNotExists": true}},
            {"kind": "unknown", "uri": "file:///p/e"},
            {"textDocument": {"uri": "file:///p/empty.rs"}, "edits": []},
            {"kind": "create", "uri": "file:///p/f.rs"}
        ]});
        let got = document_changes(&edit);
        assert_eq!(
            got,
            vec![
                DocChange::Rename {
                    old_uri: "file:///p/a.rs".into(),
                    new_uri: "file:///p/b.rs".into(),
                    overwrite: false,
                    ignore_if_exists: true,
                },
                DocChange::Edit {
                    uri: "file:///p/b.rs".into(),
                    edits: vec![(json!({}), "x".into())],
                },
                DocChange::Create {
                    uri: "file:///p/c.rs".into(),
                    overwrite: true,
                    ignore_if_exists: false,
                },
                DocChange::Delete {
                    uri: "file:///p/d".into(),
                    recursive: true,
                    ignore_if_not_exists: true,
                },
                DocChange::Create {
                    uri: "file:///p/f.rs".into(),
                    overwrite: false,
                    ignore_if_exists: false,
                },
            ]
        );
        assert_eq!(got[0].uri(), "file:///p/a.rs");
        // `changes` (no documentChanges) gives text edits only
        let old_style = json!({"changes": {"file:///p/a.rs": [{"range": {}, "newText": "y"}]}});
        assert_eq!(
            document_changes(&old_style),
            vec![DocChange::Edit {
                uri: "file:///p/a.rs".into(),
                edits: vec![(json!({}), "y".into())],
            }]
        );
        // documentChanges wins over changes when a server sends both
        let both = json!({"changes": {"file:///x": [{"range": {}, "newText": "z"}]},
            "documentChanges": [{"kind": "delete", "uri": "file:///y"}]});
        assert!(matches!(
            document_changes(&both).as_slice(),
            [DocChange::Delete { .. }]
        ));
    }
}
