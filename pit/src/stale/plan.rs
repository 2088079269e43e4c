//! The dry-run plan: what a policy would archive or delete across a whole set of
//! artifacts, the bytes that frees, and what stays over the size budget and why.

use serde::{Deserialize, Serialize};

use super::policy::{Action, Policy, RuleKind, Verdict};
use super::subject::{Holder, LiveRefs, RetentionSubject};

/// One artifact the plan would move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAction {
    /// The artifact.
    pub id: String,
    /// Archive or Delete.
    pub action: Action,
    /// The rule that decided.
    pub rule: RuleKind,
    /// Its position in the policy.
    pub rule_index: Option<usize>,
    /// Bytes.
    pub size: u64,
}

/// A protected artifact kept although the store is over its size budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptOverBudget {
    /// The artifact.
    pub id: String,
    /// Bytes.
    pub size: u64,
    /// The rule that protects it (`KeepReferenced` for referenced ones).
    pub rule: RuleKind,
    /// Who references it, if referenced.
    pub holders: Vec<Holder>,
}

/// What applying a policy would do. Computing it changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The time the plan was computed for (Unix seconds).
    pub now: u64,
    /// Artifacts looked at.
    pub evaluated: usize,
    /// Artifacts to archive or delete, oldest first.
    pub actions: Vec<PlannedAction>,
    /// Protected artifacts kept while the size budget was still exceeded.
    pub kept_over_budget: Vec<KeptOverBudget>,
    /// Bytes deleted (moved to the trash).
    pub bytes_freed: u64,
    /// Bytes archived.
    pub bytes_archived: u64,
    /// Bytes in the store before.
    pub total_before: u64,
    /// Bytes left in the store after.
    pub total_after: u64,
    /// The size budget, if the policy has one.
    pub budget: Option<u64>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Ids to delete.
    pub fn deletes(&self) -> impl Iterator<Item = &str> {
        self.actions
            .iter()
            .filter(|a| a.action == Action::Delete)
            .map(|a| a.id.as_str())
    }

    /// Ids to archive.
    pub fn archives(&self) -> impl Iterator<Item = &str> {
        self.actions
            .iter()
            .filter(|a| a.action == Action::Archive)
            .map(|a| a.id.as_str())
    }

    /// One line for a status bar or a log.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} of {} artifacts: {} to delete ({} bytes), {} to archive ({} bytes)",
            self.actions.len(),
            self.evaluated,
            self.deletes().count(),
            self.bytes_freed,
            self.archives().count(),
            self.bytes_archived
        );
        if !self.kept_over_budget.is_empty() {
            let bytes: u64 = self.kept_over_budget.iter().map(|k| k.size).sum();
            s.push_str(&format!(
                "; {} protected artifacts ({bytes} bytes) kept over the size budget",
                self.kept_over_budget.len()
            ));
        }
        s
    }
}

impl Policy {
    /// Plans retention over `subjects` at `now`: each artifact's own verdict, then
    /// the size budget over what would be kept. Pure: nothing is moved.
    ///
    /// ```
    /// use symphony_pit::stale::{Action, Holder, LiveRefs, Policy, RetentionSubject, Rule, RuleKind};
    /// let policy = Policy::new(vec![
    ///     Rule::KeepReferenced,
    ///     Rule::MaxTotalSize { max_bytes: 100, action: Action::Delete },
    /// ]);
    /// let subjects = vec![
    ///     RetentionSubject::new("old-ref", "log", 80, 1),
    ///     RetentionSubject::new("old", "log", 50, 2),
    ///     RetentionSubject::new("new", "log", 50, 3),
    /// ];
    /// let mut refs = LiveRefs::new();
    /// refs.add("old-ref", Holder::Session("s1".into()));
    /// let plan = policy.plan(&subjects, &refs, 10);
    /// assert_eq!(plan.deletes().collect::<Vec<_>>(), ["old", "new"]);
    /// assert_eq!(plan.kept_over_budget[0].id, "old-ref");
    /// assert_eq!(plan.kept_over_budget[0].rule, RuleKind::KeepReferenced);
    /// assert_eq!(plan.total_after, 80);
    /// ```
    pub fn plan(&self, subjects: &[RetentionSubject], refs: &LiveRefs, now: u64) -> Plan {
        let mut verdicts: Vec<Verdict> = subjects
            .iter()
            .map(|s| self.evaluate(s, refs, now))
            .collect();
        let total_before: u64 = subjects.iter().map(|s| s.size).sum();
        let mut kept_over_budget = Vec::new();
        let size_rule = self.size_rule();
        if let Some((size_index, max_bytes, action)) = size_rule
            && action != Action::Keep
        {
            let mut live: u64 = subjects
                .iter()
                .zip(&verdicts)
                .filter(|(_, v)| v.action == Action::Keep)
                .map(|(s, _)| s.size)
                .sum();
            if live > max_bytes {
                let mut order: Vec<usize> = (0..subjects.len())
                    .filter(|&i| verdicts[i].action == Action::Keep)
                    .collect();
                order.sort_unstable_by(|&a, &b| {
                    let (sa, sb) = (&subjects[a], &subjects[b]);
                    sa.created
                        .cmp(&sb.created)
                        .then(
                            sa.quality
                                .unwrap_or(1.0)
                                .total_cmp(&sb.quality.unwrap_or(1.0)),
                        )
                        .then(sa.id.cmp(&sb.id))
                });
                for i in order {
                    if live <= max_bytes {
                        break;
                    }
                    let v = verdicts[i];
                    let protected = v.rule == RuleKind::KeepReferenced
                        || (v.is_protected() && v.rule_index.is_some_and(|r| r < size_index));
                    if protected {
                        kept_over_budget.push(KeptOverBudget {
                            id: subjects[i].id.clone(),
                            size: subjects[i].size,
                            rule: v.rule,
                            holders: refs.holders(&subjects[i].id).to_vec(),
                        });
                    } else {
                        verdicts[i] = Verdict {
                            action,
                            rule: RuleKind::MaxTotalSize,
                            rule_index: Some(size_index),
                        };
                        live -= subjects[i].size;
                    }
                }
            }
        }
        let mut removed: Vec<usize> = (0..subjects.len())
            .filter(|&i| verdicts[i].action != Action::Keep)
            .collect();
        removed.sort_unstable_by(|&a, &b| {
            subjects[a]
                .created
                .cmp(&subjects[b].created)
                .then(subjects[a].id.cmp(&subjects[b].id))
        });
        let actions: Vec<PlannedAction> = removed
            .into_iter()
            .map(|i| PlannedAction {
                id: subjects[i].id.clone(),
                action: verdicts[i].action,
                rule: verdicts[i].rule,
                rule_index: verdicts[i].rule_index,
                size: subjects[i].size,
            })
            .collect();
        let bytes_freed = actions
            .iter()
            .filter(|a| a.action == Action::Delete)
            .map(|a| a.size)
            .sum();
        let bytes_archived = actions
            .iter()
            .filter(|a| a.action == Action::Archive)
            .map(|a| a.size)
            .sum();
        Plan {
            now,
            evaluated: subjects.len(),
            actions,
            kept_over_budget,
            bytes_freed,
            bytes_archived,
            total_before,
            total_after: total_before - bytes_freed - bytes_archived,
            budget: size_rule.map(|(_, max, _)| max),
        }
    }
}
