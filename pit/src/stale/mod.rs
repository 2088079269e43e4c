//! The Stale Manager: retention policies over artifacts, a dry-run plan first,
//! removal to a recoverable trash, and purge. Referenced artifacts are never removed.
//!
//! ```
//! use symphony_pit::stale::*;
//! let store = MemoryStore::new();
//! store.insert(RetentionSubject::new("draft", "completion", 4, 0).quality(0.1), b"meh.".to_vec());
//! store.insert(RetentionSubject::new("good", "completion", 4, 0).quality(0.9), b"yes!".to_vec());
//! let manager = StaleManager::new(Policy::new(vec![
//!     Rule::KeepReferenced,
//!     Rule::MinQuality { min: 0.5, action: Action::Delete },
//! ]));
//! let refs = LiveRefs::new();
//! let plan = manager.plan(&store, &refs, 100).unwrap();
//! assert_eq!(plan.deletes().collect::<Vec<_>>(), ["draft"]);
//! assert!(store.get("draft").is_some(), "planning moves nothing");
//! let report = manager.apply(&plan, &store, &refs).unwrap();
//! assert_eq!(report.trashed, ["draft"]);
//! manager.restore(&store, "draft").unwrap();
//! assert_eq!(store.get("draft").as_deref(), Some(&b"meh."[..]));
//! ```

mod error;
mod plan;
mod policy;
mod store;
mod store_adapter;
mod subject;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use self::error::{Result, StaleError};
pub use self::plan::{KeptOverBudget, Plan, PlannedAction};
pub use self::policy::{Action, Policy, Rule, RuleKind, Verdict};
pub use self::store::{MemoryStore, PurgeReport, RetentionStore};
pub use self::store_adapter::ARCHIVED_TAG;
pub use self::subject::{Holder, LiveRefs, RetentionSubject};

/// Why a planned removal was not carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    /// It became referenced after the plan was made.
    Referenced {
        /// Who holds it now.
        holders: Vec<Holder>,
    },
    /// A keep rule protects it now (pinned or tagged since the plan).
    Protected {
        /// The rule.
        rule: RuleKind,
    },
    /// It is no longer in the store.
    Gone,
}

/// What [`StaleManager::apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Moved to the trash.
    pub trashed: Vec<String>,
    /// Moved to the archive.
    pub archived: Vec<String>,
    /// Left alone, with the reason.
    pub skipped: Vec<(String, SkipReason)>,
    /// The store refused, with its message.
    pub failed: Vec<(String, String)>,
    /// Bytes moved to the trash.
    pub bytes_trashed: u64,
    /// Bytes moved to the archive.
    pub bytes_archived: u64,
}

/// Plans and applies a retention policy on a [`RetentionStore`].
#[derive(Debug, Clone, Default)]
pub struct StaleManager {
    policy: Policy,
}

impl StaleManager {
    /// A manager for `policy`.
    pub fn new(policy: Policy) -> StaleManager {
        StaleManager { policy }
    }

    /// Its policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The dry run: what the policy would do to the store's live artifacts at `now`
    /// (Unix seconds). Nothing is moved.
    pub fn plan(&self, store: &impl RetentionStore, refs: &LiveRefs, now: u64) -> Result<Plan> {
        self.policy.validate()?;
        let subjects = store.list()?;
        let plan = self.policy.plan(&subjects, refs, now);
        tracing::info!(summary = %plan.summary(), "retention plan");
        Ok(plan)
    }

    /// Carries out `plan`: deletions go to the trash, archives to the archive.
    /// Each artifact is checked again first: one referenced, protected or gone since
    /// the plan was made is skipped. A failure on one artifact does not stop the rest.
    pub fn apply(
        &self,
        plan: &Plan,
        store: &impl RetentionStore,
        refs: &LiveRefs,
    ) -> Result<ApplyReport> {
        let current: HashMap<String, RetentionSubject> = store
            .list()?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut report = ApplyReport::default();
        for action in &plan.actions {
            let id = action.id.clone();
            if refs.is_referenced(&id) {
                let holders = refs.holders(&id).to_vec();
                report
                    .skipped
                    .push((id, SkipReason::Referenced { holders }));
                continue;
            }
            let Some(subject) = current.get(&id) else {
                report.skipped.push((id, SkipReason::Gone));
                continue;
            };
            let verdict = self.policy.evaluate(subject, refs, plan.now);
            if verdict.is_protected() {
                report
                    .skipped
                    .push((id, SkipReason::Protected { rule: verdict.rule }));
                continue;
            }
            let outcome = match action.action {
                Action::Delete => store.move_to_trash(&id),
                Action::Archive => store.archive(&id),
                Action::Keep => continue,
            };
            match (outcome, action.action) {
                (Ok(()), Action::Delete) => {
                    report.bytes_trashed += subject.size;
                    report.trashed.push(id);
                }
                (Ok(()), _) => {
                    report.bytes_archived += subject.size;
                    report.archived.push(id);
                }
                (Err(e), _) => {
                    tracing::warn!(artifact = %id, error = %e, "retention could not move artifact");
                    report.failed.push((id, e.to_string()));
                }
            }
        }
        Ok(report)
    }

    /// Brings an artifact back from the trash (or the archive).
    pub fn restore(&self, store: &impl RetentionStore, id: &str) -> Result<()> {
        store.restore(id)
    }

    /// Empties the trash for good.
    pub fn purge(&self, store: &impl RetentionStore) -> Result<PurgeReport> {
        let report = store.purge()?;
        tracing::info!(purged = report.purged, bytes = report.bytes, "trash purged");
        Ok(report)
    }
}
