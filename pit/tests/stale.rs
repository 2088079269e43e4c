//! Stale Manager behaviour on the in-memory store: verdicts with their rule, dry-run
//! plans, the size budget, trash/restore/purge, and the referenced-artifact guarantee.

use std::collections::BTreeSet;

use proptest::prelude::*;
use symphony_pit::stale::*;

const DAY: u64 = 24 * 3600;
const NOW: u64 = 1_000 * DAY;

fn store_with(subjects: &[RetentionSubject]) -> MemoryStore {
    let store = MemoryStore::new();
    for s in subjects {
        store.insert(s.clone(), format!("bytes of {}", s.id).into_bytes());
    }
    store
}

fn live_ids(store: &MemoryStore) -> BTreeSet<String> {
    store.list().unwrap().into_iter().map(|s| s.id).collect()
}

#[test]
fn each_verdict_names_the_rule_that_decided() {
    let policy = Policy::default();
    let mut refs = LiveRefs::new();
    refs.add("ref", Holder::Workflow("run-1".into()));
    let ancient = NOW - 200 * DAY;
    let cases = [
        (
            RetentionSubject::new("ref", "log", 1, ancient).quality(0.0),
            Action::Keep,
            RuleKind::KeepReferenced,
        ),
        (
            RetentionSubject::new("pin", "log", 1, ancient).pinned(),
            Action::Keep,
            RuleKind::KeepPinned,
        ),
        (
            RetentionSubject::new("tag", "log", 1, ancient).tag("keep"),
            Action::Keep,
            RuleKind::KeepTagged,
        ),
        (
            RetentionSubject::new("bad", "log", 1, NOW).quality(0.1),
            Action::Delete,
            RuleKind::MinQuality,
        ),
        (
            RetentionSubject::new("old", "log", 1, ancient).tag("misc"),
            Action::Archive,
            RuleKind::MaxAge,
        ),
        (
            RetentionSubject::new("new", "log", 1, NOW).quality(0.9),
            Action::Keep,
            RuleKind::Default,
        ),
    ];
    for (subject, action, rule) in cases {
        let v = policy.evaluate(&subject, &refs, NOW);
        assert_eq!((v.action, v.rule), (action, rule), "{}", subject.id);
    }
}

#[test]
fn plan_is_dry_and_apply_moves_to_a_restorable_trash() {
    let subjects = [
        RetentionSubject::new("old", "completion", 100, NOW - 400 * DAY),
        RetentionSubject::new("junk", "completion", 50, NOW).quality(0.05),
        RetentionSubject::new("fine", "completion", 10, NOW).quality(0.8),
    ];
    let store = store_with(&subjects);
    let manager = StaleManager::new(Policy::new(vec![
        Rule::KeepReferenced,
        Rule::MaxAge {
            max_age_secs: 365 * DAY,
            action: Action::Delete,
        },
        Rule::MinQuality {
            min: 0.3,
            action: Action::Archive,
        },
    ]));
    let refs = LiveRefs::new();
    let before = live_ids(&store);
    let plan = manager.plan(&store, &refs, NOW).unwrap();
    assert_eq!(live_ids(&store), before, "planning moves nothing");
    assert!(store.trashed().unwrap().is_empty());
    assert_eq!(plan.deletes().collect::<Vec<_>>(), ["old"]);
    assert_eq!(plan.archives().collect::<Vec<_>>(), ["junk"]);
    assert_eq!(
        (
            plan.bytes_freed,
            plan.bytes_archived,
            plan.total_before,
            plan.total_after
        ),
        (100, 50, 160, 10)
    );
    assert!(
        plan.summary().contains("1 to delete (100 bytes)"),
        "{}",
        plan.summary()
    );

    let report = manager.apply(&plan, &store, &refs).unwrap();
    assert_eq!(
        (report.trashed.as_slice(), report.archived.as_slice()),
        (&["old".to_string()][..], &["junk".to_string()][..])
    );
    assert_eq!(live_ids(&store), BTreeSet::from(["fine".to_string()]));
    assert!(store.is_trashed("old") && store.is_archived("junk"));

    manager.restore(&store, "old").unwrap();
    assert_eq!(
        store.get("old").as_deref(),
        Some(&b"bytes of old"[..]),
        "restore gives the artifact back"
    );
    assert!(matches!(
        manager.restore(&store, "old"),
        Err(StaleError::NotInTrash { .. })
    ));
}

#[test]
fn purge_empties_the_trash_for_good() {
    let store = store_with(&[
        RetentionSubject::new("a", "log", 7, 0),
        RetentionSubject::new("b", "log", 5, 0),
    ]);
    let manager = StaleManager::new(Policy::new(vec![Rule::MaxAge {
        max_age_secs: DAY,
        action: Action::Delete,
    }]));
    let refs = LiveRefs::new();
    let plan = manager.plan(&store, &refs, NOW).unwrap();
    manager.apply(&plan, &store, &refs).unwrap();
    assert_eq!(store.trashed().unwrap().len(), 2);
    let purged = manager.purge(&store).unwrap();
    assert_eq!(
        purged,
        PurgeReport {
            purged: 2,
            bytes: 12
        }
    );
    assert!(store.trashed().unwrap().is_empty());
    assert!(manager.restore(&store, "a").is_err());
}

#[test]
fn the_size_budget_removes_oldest_first_and_keeps_referenced_ones_saying_so() {
    let subjects = [
        RetentionSubject::new("a-ref", "log", 40, 1),
        RetentionSubject::new("b", "log", 30, 2),
        RetentionSubject::new("c-pinned", "log", 30, 3).pinned(),
        RetentionSubject::new("d", "log", 30, 4),
        RetentionSubject::new("e", "log", 30, 5),
    ];
    let mut refs = LiveRefs::new();
    refs.add("a-ref", Holder::Session("main".into()));
    let policy = Policy::new(vec![
        Rule::KeepPinned,
        Rule::MaxTotalSize {
            max_bytes: 60,
            action: Action::Delete,
        },
    ]);
    let plan = policy.plan(&subjects, &refs, 10);
    assert_eq!(plan.deletes().collect::<Vec<_>>(), ["b", "d", "e"]);
    assert!(
        plan.actions
            .iter()
            .all(|a| a.rule == RuleKind::MaxTotalSize)
    );
    let kept: Vec<_> = plan
        .kept_over_budget
        .iter()
        .map(|k| (k.id.as_str(), k.rule))
        .collect();
    assert_eq!(
        kept,
        [
            ("a-ref", RuleKind::KeepReferenced),
            ("c-pinned", RuleKind::KeepPinned)
        ]
    );
    assert_eq!(
        plan.kept_over_budget[0].holders,
        [Holder::Session("main".into())]
    );
    assert_eq!(
        plan.total_after, 70,
        "still over budget: protected artifacts are kept"
    );
    assert!(plan.summary().contains("kept over the size budget"));
}

#[test]
fn apply_skips_what_became_referenced_or_pinned_since_the_plan() {
    let store = store_with(&[
        RetentionSubject::new("x", "log", 1, 0),
        RetentionSubject::new("y", "log", 1, 0),
        RetentionSubject::new("z", "log", 1, 0),
    ]);
    let manager = StaleManager::new(Policy::new(vec![
        Rule::KeepPinned,
        Rule::MaxAge {
            max_age_secs: 1,
            action: Action::Delete,
        },
    ]));
    let mut refs = LiveRefs::new();
    let plan = manager.plan(&store, &refs, NOW).unwrap();
    assert_eq!(plan.actions.len(), 3);
    refs.add("x", Holder::Workflow("late".into()));
    store.insert(
        RetentionSubject::new("y", "log", 1, 0).pinned(),
        b"y".to_vec(),
    );
    store.move_to_trash("z").unwrap();
    let report = manager.apply(&plan, &store, &refs).unwrap();
    assert!(report.trashed.is_empty());
    let reasons: Vec<_> = report
        .skipped
        .iter()
        .map(|(id, r)| (id.as_str(), r.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "x",
                SkipReason::Referenced {
                    holders: vec![Holder::Workflow("late".into())]
                }
            ),
            (
                "y",
                SkipReason::Protected {
                    rule: RuleKind::KeepPinned
                }
            ),
            ("z", SkipReason::Gone),
        ]
    );
}

#[test]
fn an_invalid_rule_is_reported() {
    let manager = StaleManager::new(Policy::new(vec![Rule::MinQuality {
        min: 2.0,
        action: Action::Delete,
    }]));
    let err = manager
        .plan(&MemoryStore::new(), &LiveRefs::new(), 0)
        .unwrap_err();
    assert!(
        matches!(err, StaleError::InvalidRule { index: 0, .. }),
        "{err}"
    );
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Keep),
        Just(Action::Archive),
        Just(Action::Delete)
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        Just(Rule::KeepReferenced),
        Just(Rule::KeepPinned),
        Just(Rule::KeepTagged {
            tags: vec!["t1".into()]
        }),
        (0u64..100, action()).prop_map(|(max_age_secs, action)| Rule::MaxAge {
            max_age_secs,
            action
        }),
        (0.0f64..1.0, action()).prop_map(|(min, action)| Rule::MinQuality { min, action }),
        (0u64..500, action())
            .prop_map(|(max_bytes, action)| Rule::MaxTotalSize { max_bytes, action }),
    ]
}

fn subjects() -> impl Strategy<Value = Vec<RetentionSubject>> {
    prop::collection::vec(
        (
            1u64..100,
            0u64..100,
            prop::option::of(0.0f64..1.0),
            any::<bool>(),
            any::<bool>(),
        ),
        0..30,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(
                |(i, (size, created, quality, pinned, tagged))| RetentionSubject {
                    id: format!("art-{i}"),
                    kind: "log".into(),
                    size,
                    created,
                    quality,
                    tags: if tagged { vec!["t1".into()] } else { vec![] },
                    pinned,
                },
            )
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_policy_ever_removes_a_referenced_artifact(
        rules in prop::collection::vec(rule(), 0..6),
        default in action(),
        subjects in subjects(),
        referenced in prop::collection::vec(any::<bool>(), 30),
    ) {
        let policy = Policy { rules, default };
        let store = store_with(&subjects);
        let mut refs = LiveRefs::new();
        let mut protected = BTreeSet::new();
        for (s, r) in subjects.iter().zip(&referenced) {
            if *r {
                refs.add(s.id.clone(), Holder::Session("s".into()));
                protected.insert(s.id.clone());
            }
        }
        for s in &subjects {
            if protected.contains(&s.id) {
                prop_assert_eq!(policy.evaluate(s, &refs, 150).action, Action::Keep);
            }
        }
        let manager = StaleManager::new(policy);
        let plan = manager.plan(&store, &refs, 150).unwrap();
        for a in &plan.actions {
            prop_assert!(!protected.contains(&a.id), "plan removes referenced {}", a.id);
        }
        let bytes: u64 = plan.actions.iter().map(|a| a.size).sum();
        prop_assert_eq!(plan.total_after, plan.total_before - bytes);
        manager.apply(&plan, &store, &refs).unwrap();
        let live = live_ids(&store);
        for id in &protected {
            prop_assert!(live.contains(id), "referenced {} left the store", id);
        }
    }

    #[test]
    fn planning_never_changes_the_store(rules in prop::collection::vec(rule(), 0..6), subjects in subjects()) {
        let store = store_with(&subjects);
        let before = store.list().unwrap();
        let _ = StaleManager::new(Policy::new(rules)).plan(&store, &LiveRefs::new(), 150).unwrap();
        prop_assert_eq!(store.list().unwrap(), before);
        prop_assert!(store.trashed().unwrap().is_empty());
    }
}
