//! Test notation: `"ab|c"` is a caret after `b`; `"a[bc|]"` a selection with its caret at the end,
//! `"a[|bc]"` one with its caret at the start. Several regions may appear.

use xi_rope::Rope;

use crate::selection::{SelRegion, Selection};

/// Parses the notation into the text and its selection.
pub fn parse(src: &str) -> (Rope, Selection) {
    let mut text = String::new();
    let mut sel = Selection::new();
    let mut open: Option<usize> = None;
    let mut caret_in_open: Option<usize> = None;
    for c in src.chars() {
        match c {
            '[' => open = Some(text.len()),
            ']' => {
                if let (Some(o), Some(c)) = (open.take(), caret_in_open.take()) {
                    let (start, end) = if c == o {
                        (text.len(), o)
                    } else {
                        (o, text.len())
                    };
                    sel.add_region(SelRegion::new(start, end));
                }
            }
            '|' if open.is_some() => caret_in_open = Some(text.len()),
            '|' => sel.add_region(SelRegion::caret(text.len())),
            c => text.push(c),
        }
    }
    (Rope::from(text), sel)
}

/// Renders a text and selection back into the notation.
pub fn render(text: &Rope, sel: &Selection) -> String {
    let mut s = String::from(text);
    for r in sel.iter().rev() {
        if r.is_caret() {
            s.insert(r.end, '|');
        } else if r.end > r.start {
            s.insert_str(r.end, "|]");
            s.insert(r.start, '[');
        } else {
            s.insert(r.start, ']');
            s.insert_str(r.end, "[|");
        }
    }
    s
}
