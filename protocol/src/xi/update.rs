//! The `update` notification body (line-cache ops, lines, annotations) and `def_style`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `update` param of an `update` notification.
///
/// ```
/// use symphony_protocol::xi::{Update, UpdateOp, OpKind};
/// use serde_json::json;
/// let u = Update { ops: vec![UpdateOp::copy(3, 1)], pristine: true, annotations: vec![] };
/// assert_eq!(serde_json::to_value(&u).unwrap(),
///            json!({"ops": [{"op": "copy", "n": 3, "ln": 1}], "pristine": true, "annotations": []}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    /// The ops rebuilding the line cache from the old one, in order.
    pub ops: Vec<UpdateOp>,
    /// The buffer equals what is on disk.
    pub pristine: bool,
    /// Selections and find results in view coordinates.
    #[serde(default)]
    pub annotations: Vec<Annotation>,
}

/// One line-cache op. See `docs/protocol.md` for how a front end applies them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateOp {
    /// What to do.
    pub op: OpKind,
    /// How many lines.
    pub n: usize,
    /// 1-based new number of the first line (`copy`, `update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ln: Option<usize>,
    /// The lines (`ins`, `update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<Line>>,
}

impl UpdateOp {
    /// `{"op":"copy","n":n,"ln":ln}`: keep `n` old lines, the first now numbered `ln` (1-based).
    pub fn copy(n: usize, ln: usize) -> Self {
        UpdateOp {
            op: OpKind::Copy,
            n,
            ln: Some(ln),
            lines: None,
        }
    }
    /// `{"op":"skip","n":n}`: drop `n` old lines.
    pub fn skip(n: usize) -> Self {
        UpdateOp {
            op: OpKind::Skip,
            n,
            ln: None,
            lines: None,
        }
    }
    /// `{"op":"invalidate","n":n}`: append `n` unknown lines.
    pub fn invalidate(n: usize) -> Self {
        UpdateOp {
            op: OpKind::Invalidate,
            n,
            ln: None,
            lines: None,
        }
    }
    /// `{"op":"ins","n":len,"lines":[..]}`: append new lines.
    pub fn ins(lines: Vec<Line>) -> Self {
        UpdateOp {
            op: OpKind::Ins,
            n: lines.len(),
            ln: None,
            lines: Some(lines),
        }
    }
    /// `{"op":"update","n":len,"ln":ln,"lines":[..]}`: keep the text of old lines, replace
    /// their cursor/styles.
    pub fn update(lines: Vec<Line>, ln: Option<usize>) -> Self {
        UpdateOp {
            op: OpKind::Update,
            n: lines.len(),
            ln,
            lines: Some(lines),
        }
    }
}

/// The kind of an [`UpdateOp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Take old lines.
    Copy,
    /// Drop old lines.
    Skip,
    /// Append unknown lines.
    Invalidate,
    /// Append new lines.
    Ins,
    /// Take old lines, replacing cursor/styles.
    Update,
}

/// A line of an `ins` or `update` op; every absent field is left out of the JSON.
///
/// ```
/// use symphony_protocol::xi::Line;
/// use serde_json::json;
/// let l = Line { text: Some("ab\n".into()), cursor: Some(vec![1]), styles: Some(vec![0, 1, 0]), ln: Some(1) };
/// assert_eq!(serde_json::to_value(&l).unwrap(),
///            json!({"text": "ab\n", "cursor": [1], "styles": [0, 1, 0], "ln": 1}));
/// assert_eq!(serde_json::to_value(Line { ln: Some(2), ..Line::default() }).unwrap(), json!({"ln": 2}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The text, with its trailing `\n` (absent in `update` ops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Caret byte columns on this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Vec<usize>>,
    /// Flat `start, len, style_id` triples; each start relative to the previous span's end
    /// (may be negative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub styles: Option<Vec<i64>>,
    /// 1-based line number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ln: Option<usize>,
}

/// An annotation set: `{"type":"selection","n":1,"ranges":[[l0,c0,l1,c1]],"payloads":null}`.
///
/// ```
/// use symphony_protocol::xi::Annotation;
/// use serde_json::json;
/// let a = Annotation { kind: "selection".into(), n: 1, ranges: vec![[0, 0, 0, 0]], payloads: None };
/// assert_eq!(serde_json::to_value(&a).unwrap(),
///            json!({"type": "selection", "n": 1, "ranges": [[0, 0, 0, 0]], "payloads": null}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// `"selection"`, `"find"`, or a plugin's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Number of ranges.
    pub n: usize,
    /// `[start_line, start_col, end_line, end_col]`, 0-based, columns in UTF-8 bytes.
    pub ranges: Vec<[usize; 4]>,
    /// Per-range payloads; written as `null` when `None`.
    #[serde(default)]
    pub payloads: Option<Value>,
}

/// A style definition sent by `def_style` before the update that uses it; absent
/// fields are left out.
///
/// ```
/// use symphony_protocol::xi::StyleDef;
/// use serde_json::json;
/// let s = StyleDef { id: 8, fg_color: Some(4280716242), ..StyleDef::default() };
/// assert_eq!(serde_json::to_value(&s).unwrap(), json!({"id": 8, "fg_color": 4280716242u32}));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleDef {
    /// Style id used in `styles` triples (0 selection, 1.. find, then def_style ids).
    pub id: u64,
    /// Foreground as ARGB (`0xAARRGGBB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fg_color: Option<u32>,
    /// Background as ARGB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bg_color: Option<u32>,
    /// Font weight (400 normal, 700 bold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u16>,
    /// Italic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub italic: Option<bool>,
    /// Underlined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underline: Option<bool>,
}
