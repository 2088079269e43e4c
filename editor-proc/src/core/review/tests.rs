//! Property test: through any typing, deleting, undo and redo after a base revision, a
//! hunk no edit touched maps onto exactly the text it had at the base, and the user edits
//! a rebase reports are where the text differs.

use proptest::prelude::*;
use symphony_protocol::xi::review::ProposedHunk;
use xi_rope::{DeltaBuilder, Interval, Rope};

use super::rebase::{changes, map_hunks};
use crate::buffer::{Buffer, EditKind};

#[derive(Debug, Clone)]
enum Step {
    Replace(usize, usize, String),
    Undo,
    Redo,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..64, 0usize..6, "[a-cé\n]{0,4}").prop_map(|(a, n, s)| Step::Replace(a, n, s)),
        1 => Just(Step::Undo),
        1 => Just(Step::Redo),
    ]
}

/// The largest char boundary of `s` at or before `i`.
fn floor(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn run(b: &mut Buffer, steps: &[Step]) {
    for st in steps {
        match st {
            Step::Replace(a, n, s) => {
                let text = String::from(b.text());
                let start = floor(&text, *a);
                let end = floor(&text, start + n);
                let mut d = DeltaBuilder::new(text.len());
                d.replace(Interval::new(start, end), Rope::from(s.as_str()));
                b.apply(d.build(), EditKind::Other, false);
            }
            Step::Undo => {
                b.undo();
            }
            Step::Redo => {
                b.redo();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn untouched_hunks_keep_their_text_through_any_history(
        base in "[a-cé\n]{0,40}",
        before in prop::collection::vec(step(), 0..6),
        after in prop::collection::vec(step(), 0..10),
        cuts in prop::collection::vec(0usize..48, 0..8),
    ) {
        let mut b = Buffer::new(Rope::from(base.as_str()));
        run(&mut b, &before);
        let base_text = String::from(b.text());
        let rev = b.revision();
        // sorted, non-overlapping hunks on char boundaries of the base text
        let mut points: Vec<usize> = cuts.iter().map(|&c| floor(&base_text, c)).collect();
        points.sort_unstable();
        let hunks: Vec<ProposedHunk> = points
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| ProposedHunk { start: c[0], end: c[1], new_text: "X".into() })
            .collect();
        run(&mut b, &after);
        let delta = b.delta_since(rev).expect("the base revision is known");
        let now = String::from(b.text());
        prop_assert_eq!(String::from(delta.apply(&Rope::from(base_text.as_str()))), now.clone());
        let mapped = map_hunks(&delta, b.text(), &hunks);
        for (h, m) in hunks.iter().zip(&mapped) {
            prop_assert!(m.start <= m.end && m.end <= now.len());
            prop_assert_eq!(&now[m.start..m.end], m.old_text.as_str());
            if !m.touched_by_user {
                prop_assert_eq!(m.old_text.as_str(), &base_text[h.start..h.end]);
            }
        }
        // the reported changes rebuild the current text from the base
        let mut rebuilt = String::new();
        let mut at = 0;
        for c in changes(&delta) {
            rebuilt.push_str(&base_text[at..c.base.start]);
            rebuilt.push_str(&now[c.head.clone()]);
            at = c.base.end;
        }
        rebuilt.push_str(&base_text[at..]);
        prop_assert_eq!(rebuilt, now);
    }
}

#[test]
fn forgotten_revisions_are_unknown_and_undo_still_works() {
    let mut b = Buffer::new(Rope::from("abc"));
    let old = b.revision();
    let mut d = DeltaBuilder::new(3);
    d.replace(Interval::new(3, 3), Rope::from("d"));
    b.apply(d.build(), EditKind::Other, false);
    assert!(b.delta_since(old).is_some());
    b.forget_revisions();
    assert!(b.delta_since(old).is_none());
    let now = b.revision();
    assert!(b.delta_since(now).is_some_and(|d| d.is_identity()));
    b.undo();
    assert_eq!(String::from(b.text()), "abc");
    assert!(
        b.delta_since(now).is_some(),
        "revisions named since still map"
    );
}
