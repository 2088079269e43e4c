//! `proposal::from_unified_diff`: a model's unified diff located in the buffer by its
//! context lines (near the header's line, tolerant of shifted lines, trailing whitespace
//! and a little wrong context), split into line-granular hunks.

use proptest::prelude::*;
use similar::TextDiff;
use symphony_conductor::command::EditorContext;
use symphony_conductor::proposal::{ProposalError, apply_hunks, from_unified_diff};

fn ctx(text: &str) -> EditorContext {
    EditorContext {
        file_text: text.into(),
        revision: Some(5),
        ..Default::default()
    }
}

const FILE: &str = "use std::fmt;\n\nfn one() -> u32 {\n    1\n}\n\nfn two() -> u32 {\n    2\n}\n\nfn three() -> u32 {\n    3\n}\n";

#[test]
fn a_git_style_diff_applies_hunk_by_hunk() {
    let diff = "diff --git a/src/lib.rs b/src/lib.rs\nindex 1111111..2222222 100644\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -3,3 +3,3 @@\n fn one() -> u32 {\n-    1\n+    10\n }\n@@ -11,3 +11,4 @@\n fn three() -> u32 {\n     3\n+    + 0\n }\n";
    let p = from_unified_diff(&ctx(FILE), diff).expect("applies");
    assert_eq!(p.base_revision, Some(5));
    assert_eq!(p.hunks.len(), 2);
    assert_eq!(p.hunks[0].old_text, "    1\n");
    assert_eq!(p.hunks[0].new_text, "    10\n");
    assert_eq!(p.hunks[1].old_text, "", "a pure insertion");
    let all = apply_hunks(FILE, &p.hunks, |_| true);
    assert_eq!(
        all,
        FILE.replace("    1\n", "    10\n")
            .replace("    3\n", "    3\n    + 0\n")
    );
    let first_only = apply_hunks(FILE, &p.hunks, |h| h.index == 0);
    assert_eq!(first_only, FILE.replace("    1\n", "    10\n"));
}

#[test]
fn wrong_line_numbers_trailing_spaces_and_bad_outer_context_are_tolerated() {
    // the header says line 40, the context has trailing spaces, the first context line
    // is not in the file at all
    let diff = "@@ -40,4 +40,4 @@\n not in the file\n fn two() -> u32 {   \n-    2\n+    22\n }\n";
    let p = from_unified_diff(&ctx(FILE), diff).expect("found with fuzz");
    assert_eq!(
        apply_hunks(FILE, &p.hunks, |_| true),
        FILE.replace("    2\n", "    22\n")
    );
}

#[test]
fn a_diff_that_does_not_match_or_parse_is_an_error() {
    assert_eq!(
        from_unified_diff(&ctx(FILE), "just prose"),
        Err(ProposalError::NoHunks)
    );
    let e = from_unified_diff(&ctx(FILE), "@@ -1,1 +1,1 @@\n-nope\n+yes\n");
    assert_eq!(e, Err(ProposalError::NoMatch { hunk: 0, line: 1 }));
    let e = from_unified_diff(&ctx(FILE), "@@ what @@\n");
    assert!(
        matches!(e, Err(ProposalError::Malformed { line: 1, .. })),
        "{e:?}"
    );
    let twice = "@@ -4,1 +4,1 @@\n-    1\n+    x\n@@ -4,1 +4,1 @@\n-    1\n+    y\n";
    assert!(matches!(
        from_unified_diff(&ctx(FILE), twice),
        Err(ProposalError::Overlapping { .. })
    ));
}

#[test]
fn prose_after_a_complete_section_is_ignored_but_a_broken_section_is_an_error() {
    let diff =
        "Here is the fix:\n\n```diff\n@@ -8,1 +8,1 @@\n-    2\n+    two\n```\n\nThis renames it.\n";
    let p = from_unified_diff(&ctx(FILE), diff).expect("applies");
    assert_eq!(
        apply_hunks(FILE, &p.hunks, |_| true),
        FILE.replace("    2\n", "    two\n")
    );
    let broken = "@@ -7,3 +7,3 @@\n fn two() -> u32 {\n-    2\noops\n";
    assert!(matches!(
        from_unified_diff(&ctx(FILE), broken),
        Err(ProposalError::Malformed { line: 4, .. })
    ));
}

#[test]
fn no_newline_at_end_of_file_markers_are_honoured() {
    let base = "a\nb";
    let diff = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n";
    let p = from_unified_diff(&ctx(base), diff).expect("applies");
    assert_eq!(apply_hunks(base, &p.hunks, |_| true), "a\nc");
    let adds = "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n";
    let p = from_unified_diff(&ctx(base), adds).expect("applies");
    assert_eq!(apply_hunks(base, &p.hunks, |_| true), "a\nb\n");
}

fn lines() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "c", "fn x() {", "}", "", "é✓"]),
        0..16,
    )
    .prop_map(|l| l.iter().map(|s| format!("{s}\n")).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The unified diff `similar` writes for any two texts turns back into hunks that
    /// give the new text.
    #[test]
    fn similars_own_diffs_round_trip(old in lines(), new in lines(), radius in 0usize..4) {
        let diff = TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(radius)
            .header("a/f", "b/f")
            .to_string();
        if old == new {
            prop_assert_eq!(from_unified_diff(&ctx(&old), &diff), Err(ProposalError::NoHunks));
        } else {
            let p = from_unified_diff(&ctx(&old), &diff);
            prop_assert!(p.is_ok(), "{:?}\n{}", p, diff);
            let p = p.unwrap();
            prop_assert_eq!(apply_hunks(&old, &p.hunks, |_| true), new);
        }
    }
}
