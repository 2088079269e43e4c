//! Positions between the rope (byte offsets; lines and UTF-8 byte columns on the wire to
//! the client) and language servers (lines and columns in the negotiated encoding: UTF-8,
//! UTF-16 (the default) or UTF-32), and `file://` URIs.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xi_rope::Rope;

/// The unit of a server's `character` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Bytes.
    Utf8,
    /// UTF-16 code units (the LSP default).
    #[default]
    Utf16,
    /// Code points.
    Utf32,
}

impl Encoding {
    /// Parses an LSP `PositionEncodingKind` (`"utf-8"`, `"utf-16"`, `"utf-32"`).
    pub fn from_lsp(s: &str) -> Option<Self> {
        match s {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "utf-16" | "utf16" => Some(Encoding::Utf16),
            "utf-32" | "utf32" => Some(Encoding::Utf32),
            _ => None,
        }
    }

    /// The LSP name.
    pub fn as_lsp(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
            Encoding::Utf32 => "utf-32",
        }
    }

    /// The width of `s` in this encoding.
    pub fn len_of(self, s: &str) -> usize {
        match self {
            Encoding::Utf8 => s.len(),
            Encoding::Utf16 => s.chars().map(char::len_utf16).sum(),
            Encoding::Utf32 => s.chars().count(),
        }
    }

    /// The byte index in `line` of column `col` (clamped to the line, never splitting a char).
    pub fn byte_of(self, line: &str, col: usize) -> usize {
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= col {
                return i;
            }
            units += match self {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
                Encoding::Utf32 => 1,
            };
        }
        line.len()
    }
}

/// The text of line `line` without its newline (empty past the end).
pub fn line_text(text: &Rope, line: usize) -> String {
    let n_lines = text.measure::<xi_rope::LinesMetric>() + 1;
    if line >= n_lines {
        return String::new();
    }
    let start = text.offset_of_line(line);
    let end = if line + 1 < n_lines {
        text.offset_of_line(line + 1)
    } else {
        text.len()
    };
    let s = text.slice_to_cow(start..end);
    s.trim_end_matches(['\n', '\r']).to_string()
}

/// The LSP `{line, character}` of byte offset `offset`.
pub fn lsp_position(text: &Rope, offset: usize, enc: Encoding) -> Value {
    let offset = offset.min(text.len());
    let line = text.line_of_offset(offset);
    let start = text.offset_of_line(line);
    let col = if enc == Encoding::Utf8 {
        offset - start
    } else {
        // chunk by chunk: no copy of (possibly very long) lines
        text.iter_chunks(start..offset).map(|c| enc.len_of(c)).sum()
    };
    json!({"line": line, "character": col})
}

/// The LSP position of (line, UTF-8 byte column).
pub fn lsp_position_of_col(line_str: &str, line: usize, col: usize, enc: Encoding) -> Value {
    let col = col.min(line_str.len());
    let prefix = line_str.get(..col).unwrap_or(line_str);
    json!({"line": line, "character": enc.len_of(prefix)})
}

/// `(line, character)` of an LSP position value.
pub fn parse_position(v: &Value) -> Option<(usize, usize)> {
    let line = v.get("line")?.as_u64()? as usize;
    let ch = v.get("character")?.as_u64()? as usize;
    Some((line, ch))
}

/// The byte offset in `text` of an LSP position (clamped to the text).
pub fn offset_of(text: &Rope, pos: &Value, enc: Encoding) -> Option<usize> {
    let (line, ch) = parse_position(pos)?;
    let n_lines = text.measure::<xi_rope::LinesMetric>() + 1;
    if line >= n_lines {
        return Some(text.len());
    }
    let start = text.offset_of_line(line);
    let lt = line_text(text, line);
    Some(start + enc.byte_of(&lt, ch))
}

/// The (line, UTF-8 byte column) of an LSP position, given that line's text.
pub fn byte_col(line_str: &str, ch: usize, enc: Encoding) -> usize {
    enc.byte_of(line_str, ch)
}

/// Rewrites every position (`{line, character}`) inside `v` (nested in objects and
/// arrays: a request's `position`, a `range`, its context's diagnostics) from columns in
/// `from` to columns in `to`, reading the lines of `text`. A request built before the
/// server said which encoding it speaks is fixed with this when it goes out.
pub fn reencode_positions(v: &mut Value, text: &Rope, from: Encoding, to: Encoding) {
    if from == to {
        return;
    }
    match v {
        Value::Object(map) => {
            let line = map.get("line").and_then(Value::as_u64);
            let ch = map.get("character").and_then(Value::as_u64);
            if let (Some(line), Some(ch), 2) = (line, ch, map.len()) {
                let (line, ch) = (line as usize, ch as usize);
                let lt = line_text(text, line);
                let byte = from.byte_of(&lt, ch);
                let col = to.len_of(lt.get(..byte).unwrap_or(&lt));
                map.insert("character".into(), json!(col));
                return;
            }
            for child in map.values_mut() {
                reencode_positions(child, text, from, to);
            }
        }
        Value::Array(items) => {
            for child in items {
                reencode_positions(child, text, from, to);
            }
        }
        _ => {}
    }
}

/// The byte range in `text` of an LSP `{start, end}` range.
pub fn range_offsets(text: &Rope, range: &Value, enc: Encoding) -> Option<(usize, usize)> {
    let s = offset_of(text, range.get("start")?, enc)?;
    let e = offset_of(text, range.get("end")?, enc)?;
    Some((s.min(e), s.max(e)))
}

/// `file://` URI of an absolute path (percent-encoding what URIs do not allow).
pub fn path_to_uri(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut out = String::with_capacity(s.len() + 7);
    out.push_str("file://");
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The path of a `file://` URI (None for other schemes).
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: only local (empty or localhost) hosts
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = rest.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_nested_in_a_request_are_reencoded() {
        let text = Rope::from("x = \"é✓\"; foo\n𝄞ab\n");
        // UTF-16 columns: `foo` at 10 on line 0, `b` at 3 on line 1.
        let mut params = json!({
            "textDocument": {"uri": "file:///a.py"},
            "range": {"start": {"line": 0, "character": 10}, "end": {"line": 1, "character": 3}},
            "context": {"diagnostics": [{"range": {"start": {"line": 1, "character": 2},
                                                  "end": {"line": 1, "character": 3}},
                                        "message": "m"}]}
        });
        reencode_positions(&mut params, &text, Encoding::Utf16, Encoding::Utf8);
        assert_eq!(
            params["range"]["start"],
            json!({"line": 0, "character": 13})
        );
        assert_eq!(params["range"]["end"], json!({"line": 1, "character": 5}));
        assert_eq!(
            params["context"]["diagnostics"][0]["range"]["start"],
            json!({"line": 1, "character": 4})
        );
        assert_eq!(params["context"]["diagnostics"][0]["message"], "m");
        let mut back = params.clone();
        reencode_positions(&mut back, &text, Encoding::Utf8, Encoding::Utf16);
        assert_eq!(back["range"]["start"], json!({"line": 0, "character": 10}));
    }

    #[test]
    fn columns_convert_between_encodings() {
        let line = "aé😀b";
        // a(1 byte,1 unit) é(2 bytes,1 unit) 😀(4 bytes, 2 UTF-16 units, 1 code point)
        assert_eq!(Encoding::Utf16.len_of(line), 5);
        assert_eq!(Encoding::Utf32.len_of(line), 4);
        assert_eq!(Encoding::Utf16.byte_of(line, 4), 7);
        assert_eq!(Encoding::Utf32.byte_of(line, 3), 7);
        assert_eq!(Encoding::Utf8.byte_of(line, 3), 3);
        assert_eq!(Encoding::Utf16.byte_of(line, 99), line.len());
        let text = Rope::from("x\naé😀b\n");
        let off = 2 + 7; // before b
        assert_eq!(
            lsp_position(&text, off, Encoding::Utf16),
            json!({"line": 1, "character": 4})
        );
        assert_eq!(
            offset_of(&text, &json!({"line": 1, "character": 4}), Encoding::Utf16),
            Some(off)
        );
        assert_eq!(
            lsp_position(&text, off, Encoding::Utf8),
            json!({"line": 1, "character": 7})
        );
    }

    #[test]
    fn uris_round_trip() {
        let p = Path::new("/tmp/a b/ü#.py");
        let uri = path_to_uri(p);
        assert_eq!(uri, "file:///tmp/a%20b/%C3%BC%23.py");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(p));
        assert_eq!(uri_to_path("untitled:x"), None);
    }
}
