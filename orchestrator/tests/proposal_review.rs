//! `proposal::Review`: rebase replies move hunks and mark the ones the user touched as
//! conflicted (the Arbitration Engine gives the region to the user); accepting gives the
//! edits for `symphony.review.apply` and keeps the other hunks exact after they are
//! applied; rejecting sends nothing. The editor is played by applying the edits to a
//! string, as `symphony.review.apply` would.

use proptest::prelude::*;
use symphony_conductor::command::EditorContext;
use symphony_conductor::proposal::{HunkState, Review, apply_hunks, from_replacement};
use symphony_protocol::xi::review::{Rebased, RebasedHunk, ReviewEdit, Span};

const BASE: &str = "fn a() {\n    1\n}\n\nfn b() {\n    2\n}\n\nfn c() {\n    3\n}\n";

fn review(base: &str, new: &str) -> Review {
    let ctx = EditorContext {
        file_text: base.into(),
        revision: Some(1),
        buffer: Some("3".into()),
        ..Default::default()
    };
    Review::with_base_text(from_replacement(&ctx, 0, base.len(), new), base)
}

/// Applies `edits` (sorted, in `text`'s offsets) as the editor does.
fn apply(text: &str, edits: &[ReviewEdit]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count()
}

/// The editor's rebase reply after the user typed `typed` at `at` of `text` (rev 1 -> 2).
fn reply_after_typing(r: &Review, text: &str, at: usize, typed: &str) -> (Rebased, String) {
    let now = format!("{}{}{}", &text[..at], typed, &text[at..]);
    let shift = |o: usize, after: bool| {
        if o > at || (o == at && after) {
            o + typed.len()
        } else {
            o
        }
    };
    let hunks = r
        .hunks()
        .iter()
        .map(|h| {
            let start = shift(h.start, true);
            let end = if h.end > h.start {
                shift(h.end, false).max(start)
            } else {
                start
            };
            RebasedHunk {
                start,
                end,
                first_line: line_of(&now, start),
                last_line: if end > start {
                    line_of(&now, end - 1)
                } else {
                    line_of(&now, start)
                },
                old_text: now[start..end].to_owned(),
                touched_by_user: h.start <= at && at <= h.end,
            }
        })
        .collect();
    let reply = Rebased {
        revision: 2,
        hunks,
        user_edits: vec![Span {
            start: at,
            end: at + typed.len(),
        }],
    };
    (reply, now)
}

#[test]
fn hunks_the_user_typed_next_to_become_conflicted_and_others_move() {
    let new = BASE
        .replace("    1\n", "    10\n")
        .replace("    3\n", "    30\n");
    let mut r = review(BASE, &new);
    assert_eq!(r.hunks().len(), 2);
    assert_eq!(r.lines(0), Some((1, 1)));
    // the user types at the end of line "    1" (abutting the first hunk's text end - 1)
    let at = BASE.find("    1\n").unwrap() + 5;
    let (reply, now) = reply_after_typing(&r, BASE, at, "+1");
    assert_eq!(r.apply_rebase(&reply), 1);
    assert!(
        matches!(&r.hunks()[0].state, HunkState::Conflicted(why) if why.contains("you edited")),
        "{:?}",
        r.hunks()[0].state
    );
    assert_eq!(r.hunks()[1].state, HunkState::Pending);
    assert_eq!(r.revision(), Some(2));
    assert_eq!(&now[r.hunks()[1].start..r.hunks()[1].end], "    3\n");
    assert_eq!(
        r.user_edits(),
        &[Span {
            start: at,
            end: at + 2
        }]
    );

    // accept all takes only the pending hunk: the user's edit wins
    let edits = r.accept_all();
    assert_eq!(edits.len(), 1);
    let params = r.apply_params("view-id-1", edits.clone()).unwrap();
    assert_eq!(params.revision, 2);
    let now = apply(&now, &edits);
    r.applied(3);
    assert!(!r.is_done(), "the conflicted hunk is still to decide");
    assert_eq!(r.hunk_at_line(1), Some(0));
    assert!(r.reject(0));
    assert!(r.is_done());
    assert_eq!(
        now,
        BASE.replace("    1\n", "    1+1\n")
            .replace("    3\n", "    30\n")
    );
}

#[test]
fn an_edit_exactly_at_a_hunk_boundary_is_a_conflict_and_an_edit_elsewhere_is_not() {
    let new = BASE.replace("    2\n", "    20\n");
    for (at, conflict) in [
        (BASE.find("    2\n").unwrap(), true),   // at the hunk's start
        (BASE.find("}\n\nfn c").unwrap(), true), // at its end
        (BASE.find("fn c").unwrap(), false),     // a line below
        (0, false),                              // at the top
    ] {
        let mut r = review(BASE, &new);
        let (reply, _) = reply_after_typing(&r, BASE, at, "x");
        r.apply_rebase(&reply);
        assert_eq!(
            matches!(r.hunks()[0].state, HunkState::Conflicted(_)),
            conflict,
            "typing at {at}"
        );
    }
}

#[test]
fn a_conflicted_hunk_can_be_accepted_deliberately_and_a_refused_apply_is_undone() {
    let new = BASE.replace("    2\n", "    20\n");
    let mut r = review(BASE, &new);
    let at = BASE.find("    2\n").unwrap() + 4;
    let (reply, now) = reply_after_typing(&r, BASE, at, "-");
    r.apply_rebase(&reply);
    assert!(r.accept_all().is_empty());
    let edits = r.accept(0);
    assert_eq!(
        edits,
        vec![ReviewEdit {
            start: at - 4,
            end: at + 3,
            text: "    20\n".into()
        }]
    );
    assert!(r.accept(0).is_empty(), "already being applied");
    // the editor refused (stale): back to conflicted, accept again later
    r.apply_refused();
    assert!(matches!(r.hunks()[0].state, HunkState::Conflicted(_)));
    let edits = r.accept(0);
    let now = apply(&now, &edits);
    r.applied(3);
    assert_eq!(now, new);
    assert!(r.is_done());
    assert_eq!(r.hunks()[0].state, HunkState::Accepted);
}

#[test]
fn rejecting_everything_sends_nothing() {
    let new = BASE.replace("    1\n", "    10\n").replace("    2\n", "");
    let mut r = review(BASE, &new);
    assert_eq!(r.reject_all(), 2);
    assert!(r.is_done());
    assert!(r.accept_all().is_empty());
    assert!(r.accept(0).is_empty());
    assert_eq!(r.hunk_at_line(1), None);
}

#[test]
fn rebase_params_carry_every_hunk_at_the_review_revision() {
    let new = BASE.replace("    1\n", "    10\n");
    let r = review(BASE, &new);
    let p = r.rebase_params("view-id-4").unwrap();
    assert_eq!((p.view_id.as_str(), p.base_revision), ("view-id-4", 1));
    assert_eq!(p.hunks.len(), 1);
    assert_eq!(&BASE[p.hunks[0].start..p.hunks[0].end], "    1\n");
    assert_eq!(p.hunks[0].new_text, "    10\n");
}

fn lines() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "c", "{", "}", "", "é"]),
        0..14,
    )
    .prop_map(|l| l.iter().map(|s| format!("{s}\n")).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deciding hunks one by one in any order (accepting some, one apply each, or all at
    /// once) keeps the undecided hunks exactly over their text, and ends with the base
    /// plus exactly the accepted hunks.
    #[test]
    fn deciding_in_any_order_keeps_hunks_exact(
        base in lines(),
        new in lines(),
        order in prop::collection::vec(0usize..32, 0..12),
        accept in prop::collection::vec(any::<bool>(), 12),
        at_once in any::<bool>(),
    ) {
        let mut r = review(&base, &new);
        let original = r.hunks().to_vec();
        let mut text = base.clone();
        let mut rev = 1;
        if at_once {
            let edits = r.accept_all();
            text = apply(&text, &edits);
            rev += 1;
            r.applied(rev);
        } else {
            for k in order {
                let Some(i) = (!original.is_empty()).then(|| k % original.len()) else { break };
                if accept[k % accept.len()] {
                    let edits = r.accept(i);
                    if !edits.is_empty() {
                        text = apply(&text, &edits);
                        rev += 1;
                        r.applied(rev);
                    }
                } else {
                    r.reject(i);
                }
                for (j, h) in r.hunks().iter().enumerate() {
                    let covered = &text[h.start..h.end];
                    prop_assert_eq!(covered, if h.state == HunkState::Accepted { h.new_text.as_str() } else { h.old_text.as_str() });
                    let (first, last) = r.lines(j).unwrap();
                    prop_assert_eq!(first, line_of(&text, h.start));
                    prop_assert_eq!(last, if h.end > h.start { line_of(&text, h.end - 1) } else { first });
                }
            }
        }
        let accepted: Vec<usize> = r.hunks().iter().filter(|h| h.state == HunkState::Accepted).map(|h| h.index).collect();
        prop_assert_eq!(text, apply_hunks(&base, &original, |h| accepted.contains(&h.index)));
    }
}

#[test]
fn the_arbitration_engine_gives_an_overlapped_region_to_the_user() {
    let new = BASE.replace("    2\n", "    20\n");
    let mut r = review(BASE, &new);
    let h = r.hunks()[0].clone();
    // a reply where only the user's edit span says the region was edited
    let reply = Rebased {
        revision: 2,
        hunks: vec![RebasedHunk {
            start: h.start,
            end: h.end,
            first_line: 5,
            last_line: 5,
            old_text: h.old_text.clone(),
            touched_by_user: false,
        }],
        user_edits: vec![Span {
            start: h.start + 1,
            end: h.start + 3,
        }],
    };
    assert_eq!(r.apply_rebase(&reply), 1);
    match &r.hunks()[0].state {
        HunkState::Conflicted(why) => {
            assert!(
                why.contains(&format!("bytes {}..{}", h.start + 1, h.start + 3)),
                "{why}"
            )
        }
        other => panic!("not conflicted: {other:?}"),
    }
    assert_eq!(r.hunk_at_line(5), Some(0));
}
