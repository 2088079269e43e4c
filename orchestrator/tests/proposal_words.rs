//! `proposal::word_diff` / `hunk_words`: the changed words a review emphasises inside a
//! hunk's paired lines. Whatever the lines, the ranges are sorted, disjoint, on char
//! boundaries, and what is left outside them is the text both lines share; a hunk proposed
//! by `from_replacement` that changes one word of a line emphasises exactly that word.

use proptest::prelude::*;
use symphony_conductor::command::EditorContext;
use symphony_conductor::proposal::{from_replacement, hunk_words, word_diff};

fn check_ranges(line: &str, ranges: &[std::ops::Range<usize>]) {
    let mut at = 0;
    for r in ranges {
        assert!(
            r.start >= at && r.start < r.end && r.end <= line.len(),
            "{ranges:?} in {line:?}"
        );
        assert!(line.is_char_boundary(r.start) && line.is_char_boundary(r.end));
        at = r.end;
    }
}

/// `line` without the bytes in `ranges`, and without whitespace (changed spans separated by
/// whitespace are merged, which hides a shared space on one side).
fn outside(line: &str, ranges: &[std::ops::Range<usize>]) -> String {
    line.char_indices()
        .filter(|(i, _)| !ranges.iter().any(|r| r.contains(i)))
        .map(|(_, c)| c)
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("let"),
            Just("x"),
            Just("café"),
            Just("日本"),
            Just(" "),
            Just("\t"),
            Just("="),
            Just("("),
            Just(")"),
            Just("1"),
            Just("_a"),
        ],
        0..16,
    )
    .prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn ranges_are_well_formed_and_leave_the_shared_text(old in line(), new in line()) {
        if let Some(c) = word_diff(&old, &new) {
            check_ranges(&old, &c.removed);
            check_ranges(&new, &c.added);
            prop_assert_eq!(outside(&old, &c.removed), outside(&new, &c.added));
            if old == new {
                prop_assert!(c.removed.is_empty() && c.added.is_empty());
            } else {
                prop_assert!(!c.removed.is_empty() || !c.added.is_empty());
            }
        }
    }
}

#[test]
fn a_proposal_changing_one_word_emphasises_that_word() {
    let text = "fn area(w: f64, h: f64) -> f64 {\n    w * h / 2.0\n}\n";
    let ctx = EditorContext {
        file_text: text.into(),
        revision: Some(3),
        ..Default::default()
    };
    let p = from_replacement(&ctx, 0, text.len(), &text.replace("/ 2.0", "/ 2.5"));
    let [h] = p.hunks.as_slice() else {
        panic!("one hunk: {:?}", p.hunks);
    };
    let old: Vec<&str> = h.old_text.lines().collect();
    let new: Vec<&str> = h.new_text.lines().collect();
    let w = hunk_words(&old, &new);
    let span = |l: &str, r: &Option<Vec<std::ops::Range<usize>>>| -> Vec<String> {
        r.iter()
            .flatten()
            .map(|r| l[r.clone()].to_owned())
            .collect()
    };
    // Tokens: `2`, `.`, `0`: only the digit after the point changed.
    assert_eq!(span(old[0], &w.removed[0]), ["0"]);
    assert_eq!(span(new[0], &w.added[0]), ["5"]);
}

#[test]
fn a_rewritten_line_next_to_a_new_one_is_paired_by_similarity() {
    let old = ["    total += price;"];
    let new = ["    // prices are in cents", "    total += price * count;"];
    let w = hunk_words(&old, &new);
    assert_eq!(w.added[0], None, "a new comment line stays whole");
    let added: Vec<&str> = w.added[1]
        .iter()
        .flatten()
        .map(|r| &new[1][r.clone()])
        .collect();
    assert_eq!(added, [" * count"]);
    assert_eq!(
        w.removed[0],
        Some(vec![]),
        "nothing removed from the old line"
    );
}
