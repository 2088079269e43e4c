//! Turning an xi-rope delta into journal edits.

use xi_rope::RopeDelta;
use xi_rope::delta::DeltaElement;

use super::JournalEdit;

impl JournalEdit {
    /// The edits that, applied in order, do what `delta` does (each in the
    /// coordinates left by the previous one; a deletion followed by an insertion
    /// at the same place is one replacement).
    pub fn from_delta(delta: &RopeDelta) -> Vec<JournalEdit> {
        let mut edits: Vec<JournalEdit> = Vec::new();
        // Position in the text as transformed so far, and how much of the base is consumed.
        let mut out = 0;
        let mut consumed = 0;
        let push = |edits: &mut Vec<JournalEdit>, start: usize, end: usize, text: String| {
            match edits.last_mut() {
                // Insertion right where the previous deletion was: a replacement.
                Some(last) if last.text.is_empty() && last.start == start && end == start => {
                    last.text = text
                }
                // Deletion right after the previous insertion: a replacement.
                Some(last)
                    if last.start == last.end
                        && text.is_empty()
                        && start == last.start + last.text.len() =>
                {
                    last.end = last.start + (end - start);
                }
                _ => edits.push(JournalEdit { start, end, text }),
            }
        };
        for el in &delta.els {
            match el {
                DeltaElement::Copy(beg, end) => {
                    if *beg > consumed {
                        push(&mut edits, out, out + (beg - consumed), String::new());
                    }
                    out += end - beg;
                    consumed = *end;
                }
                DeltaElement::Insert(node) => {
                    let text = String::from(node);
                    let len = text.len();
                    push(&mut edits, out, out, text);
                    out += len;
                }
            }
        }
        if delta.base_len > consumed {
            push(
                &mut edits,
                out,
                out + (delta.base_len - consumed),
                String::new(),
            );
        }
        edits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::format::replay;
    use proptest::prelude::*;
    use xi_rope::{Delta, Interval, Rope};

    fn check(base: &str, edits: &[(usize, usize, &str)]) {
        let base_rope = Rope::from(base);
        let mut builder = xi_rope::delta::Builder::new(base.len());
        for (s, e, t) in edits {
            builder.replace(Interval::new(*s, *e), Rope::from(*t));
        }
        let delta: RopeDelta = builder.build();
        let expected = delta.apply(&base_rope);
        let mut replayed = base_rope.clone();
        replay(&mut replayed, &[JournalEdit::from_delta(&delta)]);
        assert_eq!(String::from(replayed), String::from(expected));
    }

    #[test]
    fn deltas_become_equivalent_edits() {
        check("hello world", &[(0, 0, "A")]);
        check("hello world", &[(0, 5, "HELLO")]);
        check("hello world", &[(2, 4, ""), (6, 6, "x"), (10, 11, "D!")]);
        check("", &[(0, 0, "new")]);
        check("abc", &[(0, 3, "")]);
        let simple = Delta::simple_edit(Interval::new(1, 2), Rope::from("Z"), 3);
        assert_eq!(
            JournalEdit::from_delta(&simple),
            vec![JournalEdit {
                start: 1,
                end: 2,
                text: "Z".into()
            }]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_delta_replays(base in "[a-z\n]{0,40}", cuts in prop::collection::vec((0usize..40, 0usize..5, "[A-Z]{0,3}"), 0..5)) {
            let mut ranges: Vec<(usize, usize, String)> = Vec::new();
            let mut last = 0;
            let mut sorted = cuts.clone();
            sorted.sort_by_key(|c| c.0);
            for (s, len, t) in sorted {
                let s = s.min(base.len()).max(last);
                let e = (s + len).min(base.len());
                if s > base.len() { break; }
                ranges.push((s, e, t));
                last = e.max(s + 1);
            }
            let refs: Vec<(usize, usize, &str)> = ranges.iter().map(|(s, e, t)| (*s, *e, t.as_str())).collect();
            check(&base, &refs);
        }
    }
}
