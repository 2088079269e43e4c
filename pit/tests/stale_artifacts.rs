//! The Stale Manager on a real Artifact Store in a temporary directory: plan is dry,
//! apply trashes, restore gives the bytes back, purge removes for good, archive tags,
//! and referenced artifacts survive any policy.

use std::collections::BTreeSet;

use proptest::prelude::*;
use symphony_pit::artifacts::{ArtifactId, ArtifactStore, NewArtifact};
use symphony_pit::stale::*;

const DAY_MS: i64 = 24 * 3600 * 1000;
const NOW: u64 = 100 * 24 * 3600;

fn put(store: &ArtifactStore, bytes: &[u8], created_day: i64, pinned: bool) -> ArtifactId {
    let new = NewArtifact::new("response", "text/plain")
        .created_ms(created_day * DAY_MS)
        .pinned(pinned);
    store.put_bytes(bytes, new).unwrap().id
}

fn live(store: &ArtifactStore) -> BTreeSet<String> {
    RetentionStore::list(store)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[test]
fn plan_apply_restore_purge_on_the_artifact_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let old = put(&store, b"an old answer nobody wants", 1, false);
    let referenced = put(&store, b"an old answer a workflow still reads", 1, false);
    let pinned = put(&store, b"an old answer the user pinned", 1, true);
    let fresh = put(&store, b"a fresh answer", 99, false);
    let mut refs = LiveRefs::new();
    refs.add(referenced.to_hex(), Holder::Workflow("refactor-42".into()));
    let manager = StaleManager::new(Policy::new(vec![
        Rule::KeepReferenced,
        Rule::KeepPinned,
        Rule::MaxAge {
            max_age_secs: 30 * 24 * 3600,
            action: Action::Delete,
        },
    ]));

    let before = live(&store);
    assert_eq!(before.len(), 4);
    let plan = manager.plan(&store, &refs, NOW).unwrap();
    assert_eq!(live(&store), before, "the plan is dry");
    assert!(store.list_trash().unwrap().is_empty());
    assert_eq!(plan.deletes().collect::<Vec<_>>(), [old.to_hex()]);
    assert_eq!(plan.bytes_freed, 26);

    let report = manager.apply(&plan, &store, &refs).unwrap();
    assert_eq!(report.trashed, [old.to_hex()]);
    assert!(!store.contains(&old));
    assert!(store.contains(&referenced) && store.contains(&pinned) && store.contains(&fresh));
    assert_eq!(RetentionStore::trashed(&store).unwrap().len(), 1);

    manager.restore(&store, &old.to_hex()).unwrap();
    assert_eq!(
        store.get_bytes(&old).unwrap(),
        b"an old answer nobody wants"
    );

    let plan = manager.plan(&store, &refs, NOW).unwrap();
    manager.apply(&plan, &store, &refs).unwrap();
    assert_eq!(
        manager.purge(&store).unwrap(),
        PurgeReport {
            purged: 1,
            bytes: 26
        }
    );
    assert!(matches!(
        manager.restore(&store, &old.to_hex()),
        Err(StaleError::NotInTrash { .. })
    ));
    assert_eq!(live(&store).len(), 3);
}

#[test]
fn archiving_tags_the_artifact_and_keeps_it_readable() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let id = put(&store, b"so-so", 1, false);
    let manager = StaleManager::new(Policy::new(vec![Rule::MaxAge {
        max_age_secs: 0,
        action: Action::Archive,
    }]));
    let plan = manager.plan(&store, &LiveRefs::new(), NOW).unwrap();
    let report = manager.apply(&plan, &store, &LiveRefs::new()).unwrap();
    assert_eq!(report.archived, [id.to_hex()]);
    assert!(
        store
            .metadata(&id)
            .unwrap()
            .tags
            .iter()
            .any(|t| t == ARCHIVED_TAG)
    );
    assert!(
        live(&store).is_empty(),
        "archived artifacts leave the working set"
    );
    assert_eq!(store.get_bytes(&id).unwrap(), b"so-so");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn no_policy_removes_a_referenced_artifact_from_the_store(
        items in prop::collection::vec((0i64..100, any::<bool>(), any::<bool>()), 1..8),
        max_age_days in 0u64..100,
        max_bytes in 0u64..100,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path()).unwrap();
        let mut refs = LiveRefs::new();
        let mut referenced = Vec::new();
        for (i, (day, pinned, is_ref)) in items.iter().enumerate() {
            let id = put(&store, format!("artifact number {i}").as_bytes(), *day, *pinned);
            if *is_ref {
                refs.add(id.to_hex(), Holder::Session("main".into()));
                referenced.push(id);
            }
        }
        let manager = StaleManager::new(Policy::new(vec![
            Rule::MaxAge { max_age_secs: max_age_days * 24 * 3600, action: Action::Delete },
            Rule::MaxTotalSize { max_bytes, action: Action::Delete },
        ]));
        let plan = manager.plan(&store, &refs, NOW).unwrap();
        manager.apply(&plan, &store, &refs).unwrap();
        manager.purge(&store).unwrap();
        for id in &referenced {
            prop_assert!(store.contains(id));
        }
    }
}
