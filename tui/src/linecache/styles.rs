//! Style spans: the wire's relative `start, length, style_id` triples turned
//! into absolute byte ranges within a line.

/// A styled byte range of one line, absolute offsets into [`super::CachedLine::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleSpan {
    /// First byte (inclusive).
    pub start: usize,
    /// Last byte (exclusive), `> start`.
    pub end: usize,
    /// 0 = selection, 1.. = find highlights, higher ids come from `def_style`.
    pub style_id: u64,
}

/// Converts the wire's flat triples into absolute spans.
///
/// Each `start` is relative to the end of the previous span (the first one to
/// the line start) and may be negative (spans may overlap). Spans are clamped
/// to `text` and moved onto char boundaries so that slicing `text` with them
/// never panics; spans that end up empty are dropped. A trailing partial
/// triple is ignored.
pub fn absolute_spans(triples: &[i64], text: &str) -> Vec<StyleSpan> {
    let mut out = Vec::with_capacity(triples.len() / 3);
    let mut prev_end: i64 = 0;
    for t in triples.chunks_exact(3) {
        let start = prev_end.saturating_add(t[0]);
        let end = start.saturating_add(t[1].max(0));
        prev_end = end;
        let s = floor_boundary(text, clamp(start, text.len()));
        let e = floor_boundary(text, clamp(end, text.len()));
        if e > s {
            out.push(StyleSpan {
                start: s,
                end: e,
                style_id: u64::try_from(t[2]).unwrap_or(0),
            });
        }
    }
    out
}

fn clamp(v: i64, max: usize) -> usize {
    usize::try_from(v.max(0)).unwrap_or(usize::MAX).min(max)
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
