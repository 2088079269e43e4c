//! Rendering a view into `update` messages: the line-cache ops (copy/skip/invalidate/ins/update),
//! lines with cursors and relative style triples, and selection/find annotations.

pub mod shadow;

use serde::Serialize;
use symphony_protocol::xi::{ClientNotification, ReplaceStatus};
use xi_rope::Rope;

use crate::text::{line_count, line_of_offset, offset_of_line, offset_to_line_col};
use crate::view::{FindChange, View};
use shadow::{
    ALL_VALID, CURSOR_VALID, INVALID, LineCacheShadow, RenderPlan, STYLES_VALID, Span, TEXT_VALID,
    Tactic,
};

/// Syntax style spans for a line: (start byte in line, length, style id).
pub trait StyleLookup {
    /// Spans of `line`, empty when unknown or plain.
    fn spans(&self, line: usize) -> Vec<(usize, usize, u64)>;
}

/// No syntax styles.
pub struct NoStyles;

impl StyleLookup for NoStyles {
    fn spans(&self, _line: usize) -> Vec<(usize, usize, u64)> {
        Vec::new()
    }
}

fn clamp(x: usize, lo: usize, hi: usize) -> usize {
    x.max(lo).min(hi)
}

/// One line of an `ins` or `update` op (fields in the wire's sorted order).
#[derive(Debug, Serialize)]
pub struct WireLine {
    /// Cursor byte columns (absent without cursors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Vec<usize>>,
    /// 1-based line number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ln: Option<usize>,
    /// Relative style triples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub styles: Option<Vec<i64>>,
    /// The text with its line break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One op of an `update`.
#[derive(Debug, Serialize)]
pub struct WireOp {
    /// Lines of `ins` / `update`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<WireLine>>,
    /// 1-based number of the first line (copy / update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ln: Option<usize>,
    /// Number of lines.
    pub n: usize,
    /// copy / skip / invalidate / ins / update.
    pub op: &'static str,
}

/// Payload of a find annotation range.
#[derive(Debug, Serialize)]
pub struct FindPayload {
    /// The query id.
    pub id: usize,
}

/// An annotation (selection or find) over the visible lines.
#[derive(Debug, Serialize)]
pub struct WireAnnotation {
    /// Number of ranges.
    pub n: usize,
    /// `null` for selections, one `{id}` per range for find.
    pub payloads: Option<Vec<FindPayload>>,
    /// `[start_line, start_col, end_line, end_col]`, 0-based.
    pub ranges: Vec<[usize; 4]>,
    /// `selection` or `find`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    annotations: &'a [WireAnnotation],
    ops: &'a [WireOp],
    pristine: bool,
}

#[derive(Serialize)]
struct UpdateParams<'a> {
    update: UpdateBody<'a>,
    view_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    symphony_ack: Option<u64>,
}

#[derive(Serialize)]
struct Message<'a, P: Serialize> {
    method: &'a str,
    params: P,
}

/// Serializes a notification line without building a JSON tree.
pub fn line<P: Serialize>(method: &str, params: P) -> String {
    serde_json::to_string(&Message { method, params }).unwrap_or_else(|e| {
        tracing::error!("cannot serialize {method}: {e}");
        String::new()
    })
}

/// The `update` line; it carries the acknowledgement the view owes (`view.ack`).
fn update_line(
    view: &mut View,
    ops: &[WireOp],
    pristine: bool,
    annotations: &[WireAnnotation],
) -> String {
    line(
        "update",
        UpdateParams {
            update: UpdateBody {
                annotations,
                ops,
                pristine,
            },
            view_id: &view.id,
            symphony_ack: view.ack.take(),
        },
    )
}

fn encode_line(
    view: &View,
    text: &Rope,
    line: usize,
    with_text: bool,
    styles: Option<&dyn StyleLookup>,
) -> WireLine {
    let start = offset_of_line(text, line);
    let end = offset_of_line(text, line + 1);
    let last_pos = text.len();
    let is_last_line = line + 1 >= line_count(text);
    let mut cursors = Vec::new();
    let mut sels = Vec::new();
    for r in view.selection.regions_in_range(start, end) {
        let c = r.end;
        if (c > start && c < end)
            || (!r.is_upstream() && c == start)
            || (r.is_upstream() && c == end)
            || (c == end && c == last_pos && is_last_line)
        {
            cursors.push(c - start);
        }
        let s = clamp(r.min(), start, end) - start;
        let e = clamp(r.max(), start, end) - start;
        if e > s {
            sels.push((s, e));
        }
    }
    let text_out = with_text.then(|| text.slice_to_cow(start..end).into_owned());
    let styles_out = styles.map(|styles| {
        let mut enc: Vec<i64> = Vec::new();
        let mut ix: i64 = 0;
        if view.highlight_find {
            for (i, f) in view.find.iter().enumerate() {
                for r in f.occurrences().regions_in_range(start, end) {
                    let s = clamp(r.min(), start, end) - start;
                    let e = clamp(r.max(), start, end) - start;
                    if e > s {
                        enc.extend([s as i64 - ix, (e - s) as i64, i as i64 + 1]);
                        ix = e as i64;
                    }
                }
            }
        }
        for (s, e) in sels {
            enc.extend([s as i64 - ix, (e - s) as i64, 0]);
            ix = e as i64;
        }
        for (s, len, id) in styles.spans(line) {
            enc.extend([s as i64 - ix, len as i64, id as i64]);
            ix = (s + len) as i64;
        }
        enc
    });
    WireLine {
        cursor: (!cursors.is_empty()).then_some(cursors),
        ln: Some(line + 1),
        styles: styles_out,
        text: text_out,
    }
}

fn ranges(text: &Rope, regions: &[crate::selection::SelRegion]) -> Vec<[usize; 4]> {
    regions
        .iter()
        .map(|r| {
            let (l0, c0) = offset_to_line_col(text, r.min());
            let (l1, c1) = offset_to_line_col(text, r.max());
            [l0, c0, l1, c1]
        })
        .collect()
}

fn annotations(view: &View, text: &Rope) -> Vec<WireAnnotation> {
    let range = view.visible_range(text);
    let sel = ranges(
        text,
        view.selection.regions_in_range(range.start(), range.end()),
    );
    let mut out = vec![WireAnnotation {
        n: sel.len(),
        payloads: None,
        ranges: sel,
        kind: "selection",
    }];
    for f in &view.find {
        let r = ranges(
            text,
            f.occurrences().regions_in_range(range.start(), range.end()),
        );
        let payloads = r.iter().map(|_| FindPayload { id: f.id() }).collect();
        out.push(WireAnnotation {
            n: r.len(),
            payloads: Some(payloads),
            ranges: r,
            kind: "find",
        });
    }
    out
}

/// Renders `view` against `plan`, returning the lines to send (find/replace status, update).
pub fn render_plan(
    view: &mut View,
    text: &Rope,
    pristine: bool,
    styles: &dyn StyleLookup,
    plan: &RenderPlan,
) -> Vec<String> {
    let mut msgs = Vec::new();
    if view.find_changed != FindChange::None {
        let matches_only = view.find_changed == FindChange::Matches;
        let queries = view
            .find
            .iter()
            .map(|f| f.status(text, matches_only))
            .collect();
        msgs.push(
            ClientNotification::FindStatus {
                view_id: view.id.clone(),
                queries,
            }
            .to_line(),
        );
        view.find_changed = FindChange::None;
    }
    if view.replace_changed {
        if let Some((chars, preserve_case)) = &view.replace {
            msgs.push(
                ClientNotification::ReplaceStatus {
                    view_id: view.id.clone(),
                    status: ReplaceStatus {
                        chars: chars.clone(),
                        preserve_case: *preserve_case,
                    },
                }
                .to_line(),
            );
        }
        view.replace_changed = false;
    }
    let annotations = annotations(view, text);
    let total = line_count(text);
    if !view.shadow.needs_render(plan) {
        let ops = [WireOp {
            lines: None,
            ln: Some(1),
            n: total,
            op: "copy",
        }];
        msgs.push(update_line(view, &ops, pristine, &annotations));
        return msgs;
    }
    let mut ops: Vec<WireOp> = Vec::new();
    let mut new_spans: Vec<Span> = Vec::new();
    let mut their = 0; // next unread line of the old cache
    let segments: Vec<_> = view.shadow.segments(plan).collect();
    for seg in segments {
        let tv = seg.validity & (TEXT_VALID | STYLES_VALID) == (TEXT_VALID | STYLES_VALID);
        let op = |op, n| WireOp {
            lines: None,
            ln: None,
            n,
            op,
        };
        match seg.tactic {
            Tactic::Discard => {
                ops.push(op("invalidate", seg.n));
                new_spans.push(Span {
                    n: seg.n,
                    their_start: 0,
                    validity: INVALID,
                });
            }
            _ if tv => {
                if seg.their_line > their {
                    ops.push(op("skip", seg.their_line - their));
                }
                if seg.validity & CURSOR_VALID != 0 {
                    ops.push(WireOp {
                        ln: Some(seg.our_line + 1),
                        ..op("copy", seg.n)
                    });
                } else {
                    let lines = (seg.our_line..seg.our_line + seg.n)
                        .map(|l| encode_line(view, text, l, false, None))
                        .collect();
                    let ln = (seg.our_line != 0).then_some(seg.our_line + 1);
                    ops.push(WireOp {
                        lines: Some(lines),
                        ln,
                        n: seg.n,
                        op: "update",
                    });
                }
                new_spans.push(Span {
                    n: seg.n,
                    their_start: seg.our_line,
                    validity: seg.validity | CURSOR_VALID,
                });
                their = seg.their_line + seg.n;
            }
            Tactic::Preserve => {
                ops.push(op("invalidate", seg.n));
                new_spans.push(Span {
                    n: seg.n,
                    their_start: 0,
                    validity: INVALID,
                });
            }
            Tactic::Render => {
                let lines = (seg.our_line..seg.our_line + seg.n)
                    .map(|l| encode_line(view, text, l, true, Some(styles)))
                    .collect();
                ops.push(WireOp {
                    lines: Some(lines),
                    ln: None,
                    n: seg.n,
                    op: "ins",
                });
                new_spans.push(Span {
                    n: seg.n,
                    their_start: seg.our_line,
                    validity: ALL_VALID,
                });
            }
        }
    }
    view.shadow = LineCacheShadow::rebuild(new_spans);
    msgs.push(update_line(view, &ops, pristine, &annotations));
    msgs
}

/// Renders the visible region and, when owed, the `scroll_to`.
pub fn render(
    view: &mut View,
    text: &Rope,
    pristine: bool,
    styles: &dyn StyleLookup,
) -> Vec<String> {
    let plan = RenderPlan::create(line_count(text), view.first_line, view.height);
    let mut msgs = render_plan(view, text, pristine, styles, &plan);
    if let Some(off) = view.scroll_to.take() {
        let (line_no, col) = offset_to_line_col(text, off);
        msgs.push(
            ClientNotification::ScrollTo {
                view_id: view.id.clone(),
                line: line_no,
                col,
            }
            .to_line(),
        );
    }
    msgs
}

/// `request_lines [first, last)`: renders those lines too, wherever they are.
pub fn request_lines(
    view: &mut View,
    text: &Rope,
    pristine: bool,
    styles: &dyn StyleLookup,
    first: usize,
    last: usize,
) -> Vec<String> {
    let mut plan = RenderPlan::create(line_count(text), view.first_line, view.height);
    plan.request_lines(first, last);
    render_plan(view, text, pristine, styles, &plan)
}

/// Line of `offset` (re-exported for callers that only render).
pub fn line_of(text: &Rope, offset: usize) -> usize {
    line_of_offset(text, offset)
}
