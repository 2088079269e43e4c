//! `proposal::from_replacement`: line-granular hunks of "replace this range by that text";
//! applying all of them gives the new text, none leaves the base byte-identical, and any
//! subset applies exactly the chosen hunks.

use proptest::prelude::*;
use symphony_conductor::command::EditorContext;
use symphony_conductor::proposal::{Hunk, HunkState, apply_hunks, from_replacement};

fn ctx(text: &str) -> EditorContext {
    EditorContext {
        file_text: text.into(),
        revision: Some(42),
        buffer: Some("7".into()),
        ..Default::default()
    }
}

#[test]
fn a_refactor_of_a_function_gives_one_hunk_per_run_of_changed_lines() {
    let base = "use std::io;\n\nfn main() {\n    let a = 1;\n    let b = 2;\n    println!(\"{a}\");\n    done();\n}\n";
    let start = base.find("fn main").unwrap();
    let end = base.len();
    let new = "fn main() {\n    let a = 10;\n    let b = 2;\n    println!(\"{a}\");\n    println!(\"{b}\");\n    done();\n}\n";
    let p = from_replacement(&ctx(base), start, end, new);
    assert_eq!(p.base_revision, Some(42));
    assert_eq!(p.buffer.as_deref(), Some("7"));
    assert_eq!(p.hunks.len(), 2, "{:#?}", p.hunks);
    let h0 = &p.hunks[0];
    assert_eq!(h0.old_text, "    let a = 1;\n");
    assert_eq!(h0.new_text, "    let a = 10;\n");
    assert_eq!(
        &base[h0.start..h0.end],
        h0.old_text,
        "whole lines in base offsets"
    );
    let h1 = &p.hunks[1];
    assert_eq!(
        (h1.start, h1.end),
        (
            base.find("    done").unwrap(),
            base.find("    done").unwrap()
        )
    );
    assert_eq!(
        h1.new_text, "    println!(\"{b}\");\n",
        "a pure insertion before `done`"
    );
    assert!(p.hunks.iter().all(|h| h.state == HunkState::Pending));
    assert_eq!(
        p.hunks.iter().map(|h| h.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[test]
fn adjacent_deleted_and_added_lines_are_one_hunk() {
    let base = "a\nb\nc\nd\n";
    let p = from_replacement(&ctx(base), 0, base.len(), "a\nB\nC\nx\nd\n");
    assert_eq!(p.hunks.len(), 1);
    assert_eq!(
        (p.hunks[0].old_text.as_str(), p.hunks[0].new_text.as_str()),
        ("b\nc\n", "B\nC\nx\n")
    );
}

#[test]
fn unchanged_text_gives_no_hunks_and_bad_offsets_are_clamped() {
    let base = "héllo\nworld\n";
    assert!(
        from_replacement(&ctx(base), 0, base.len(), base)
            .hunks
            .is_empty()
    );
    // offsets inside `é` and past the end are moved to char boundaries / the end
    let p = from_replacement(&ctx(base), 2, 999, "i\n");
    assert_eq!(apply_hunks(base, &p.hunks, |_| true), "hi\n");
}

#[test]
fn a_missing_final_newline_is_kept_as_the_new_text_says() {
    let base = "one\ntwo";
    let p = from_replacement(&ctx(base), 0, base.len(), "one\nTWO");
    assert_eq!(apply_hunks(base, &p.hunks, |_| true), "one\nTWO");
    assert_eq!(p.hunks.len(), 1);
    assert_eq!(p.hunks[0].old_text, "two");
}

/// Checks `result` is `base` with exactly the hunks in `chosen` applied: chosen hunks'
/// ranges hold their new text, the others and everything between hunks are untouched.
fn check_exact(base: &str, hunks: &[Hunk], chosen: &[bool], result: &str) {
    let mut at_base = 0;
    let mut at_result = 0;
    for (h, &take) in hunks.iter().zip(chosen) {
        let between = &base[at_base..h.start];
        assert_eq!(
            &result[at_result..at_result + between.len()],
            between,
            "text between hunks"
        );
        at_result += between.len();
        let want = if take { &h.new_text } else { &h.old_text };
        assert_eq!(
            &result[at_result..at_result + want.len()],
            want.as_str(),
            "hunk {}",
            h.index
        );
        at_result += want.len();
        at_base = h.end;
    }
    assert_eq!(
        &result[at_result..],
        &base[at_base..],
        "text after the last hunk"
    );
}

fn text() -> impl Strategy<Value = String> {
    // a few distinct short lines, some repeated, some without a final newline
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "c", "fn x() {", "}", "", "é✓"]),
        0..12,
    )
    .prop_flat_map(|lines| {
        let joined = lines.join("\n");
        prop::bool::ANY.prop_map(move |nl| {
            if nl && !joined.is_empty() {
                format!("{joined}\n")
            } else {
                joined.clone()
            }
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn all_none_or_any_subset_of_hunks_applies_exactly(
        base in text(),
        new in text(),
        a in 0usize..64,
        b in 0usize..64,
        chosen in prop::collection::vec(any::<bool>(), 16),
    ) {
        // a line-aligned range of the base
        let starts: Vec<usize> = std::iter::once(0)
            .chain(base.match_indices('\n').map(|(i, _)| i + 1))
            .chain(std::iter::once(base.len()))
            .collect();
        let (mut s, mut e) = (starts[a % starts.len()], starts[b % starts.len()]);
        if s > e { std::mem::swap(&mut s, &mut e); }
        let p = from_replacement(&ctx(&base), s, e, &new);
        let all = apply_hunks(&base, &p.hunks, |_| true);
        prop_assert_eq!(&all, &format!("{}{}{}", &base[..s], new, &base[e..]));
        let none = apply_hunks(&base, &p.hunks, |_| false);
        prop_assert_eq!(none.as_bytes(), base.as_bytes());
        let mut at = 0;
        for h in &p.hunks {
            prop_assert!(at <= h.start && h.start <= h.end && h.end <= base.len());
            prop_assert!(h.index == 0 || at < h.start, "adjacent hunks are merged");
            prop_assert_eq!(&base[h.start..h.end], h.old_text.as_str());
            at = h.end;
        }
        let pick: Vec<bool> = p.hunks.iter().map(|h| chosen[h.index % chosen.len()]).collect();
        let some = apply_hunks(&base, &p.hunks, |h| pick[h.index]);
        check_exact(&base, &p.hunks, &pick, &some);
    }
}
