//! Retention rules, policies composed of them, and the verdict for one artifact.

use serde::{Deserialize, Serialize};

use super::subject::{LiveRefs, RetentionSubject};
use super::{Result, StaleError};

/// What retention does with an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave it where it is.
    Keep,
    /// Retire it from the working set but keep the bytes (store-defined).
    Archive,
    /// Move it to the trash (restorable until purged).
    Delete,
}

/// One rule of a policy. Rules are tried in order; the first that applies decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Rule {
    /// Keep anything referenced by a live session or workflow. This one also holds
    /// implicitly before every other rule: a referenced artifact is never removed.
    KeepReferenced,
    /// Keep pinned artifacts.
    KeepPinned,
    /// Keep artifacts carrying any of `tags` (any tag at all when `tags` is empty).
    KeepTagged {
        /// Tags that protect.
        tags: Vec<String>,
    },
    /// Artifacts older than `max_age_secs` get `action`.
    MaxAge {
        /// Age limit in seconds.
        max_age_secs: u64,
        /// What happens past it.
        action: Action,
    },
    /// Scored artifacts below `min` (0..=1) get `action`; unscored ones are not judged.
    MinQuality {
        /// Lowest acceptable score.
        min: f64,
        /// What happens below it.
        action: Action,
    },
    /// While the kept artifacts total more than `max_bytes`, the oldest (then lowest
    /// quality) unprotected ones get `action`. Protected means referenced, or kept by
    /// a keep rule placed before this one.
    MaxTotalSize {
        /// Size budget in bytes.
        max_bytes: u64,
        /// What happens to the overflow.
        action: Action,
    },
}

/// The kind of rule that decided (without its parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// [`Rule::KeepReferenced`] (explicit or implicit).
    KeepReferenced,
    /// [`Rule::KeepPinned`].
    KeepPinned,
    /// [`Rule::KeepTagged`].
    KeepTagged,
    /// [`Rule::MaxAge`].
    MaxAge,
    /// [`Rule::MinQuality`].
    MinQuality,
    /// [`Rule::MaxTotalSize`].
    MaxTotalSize,
    /// No rule applied; the policy's default action.
    Default,
}

impl Rule {
    /// Its kind.
    pub fn kind(&self) -> RuleKind {
        match self {
            Rule::KeepReferenced => RuleKind::KeepReferenced,
            Rule::KeepPinned => RuleKind::KeepPinned,
            Rule::KeepTagged { .. } => RuleKind::KeepTagged,
            Rule::MaxAge { .. } => RuleKind::MaxAge,
            Rule::MinQuality { .. } => RuleKind::MinQuality,
            Rule::MaxTotalSize { .. } => RuleKind::MaxTotalSize,
        }
    }

    /// Whether this rule protects (keeps) what it matches.
    pub fn is_keep_rule(&self) -> bool {
        matches!(
            self,
            Rule::KeepReferenced | Rule::KeepPinned | Rule::KeepTagged { .. }
        )
    }

    /// What this rule says about one artifact on its own (`None` = does not apply).
    /// [`Rule::MaxTotalSize`] needs the whole set and never applies here.
    fn judge(&self, s: &RetentionSubject, refs: &LiveRefs, now: u64) -> Option<Action> {
        match self {
            Rule::KeepReferenced => refs.is_referenced(&s.id).then_some(Action::Keep),
            Rule::KeepPinned => s.pinned.then_some(Action::Keep),
            Rule::KeepTagged { tags } => {
                let hit = if tags.is_empty() {
                    !s.tags.is_empty()
                } else {
                    s.tags.iter().any(|t| tags.contains(t))
                };
                hit.then_some(Action::Keep)
            }
            Rule::MaxAge {
                max_age_secs,
                action,
            } => (now.saturating_sub(s.created) > *max_age_secs).then_some(*action),
            Rule::MinQuality { min, action } => s.quality.filter(|q| q < min).map(|_| *action),
            Rule::MaxTotalSize { .. } => None,
        }
    }
}

/// An action and the rule that chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Keep, archive or delete.
    pub action: Action,
    /// The kind of rule that decided.
    pub rule: RuleKind,
    /// Its position in the policy (`None` for the implicit referenced rule and the
    /// default).
    pub rule_index: Option<usize>,
}

impl Verdict {
    /// Whether a keep rule (not the default) decided, i.e. the artifact is protected.
    pub fn is_protected(&self) -> bool {
        self.action == Action::Keep
            && matches!(
                self.rule,
                RuleKind::KeepReferenced | RuleKind::KeepPinned | RuleKind::KeepTagged
            )
    }
}

/// Ordered rules plus a default action.
///
/// ```
/// use symphony_pit::stale::{Action, LiveRefs, Policy, RetentionSubject, Rule, RuleKind};
/// let policy = Policy::new(vec![
///     Rule::KeepPinned,
///     Rule::MaxAge { max_age_secs: 3600, action: Action::Delete },
/// ]);
/// let now = 10_000;
/// let refs = LiveRefs::new();
/// let old = RetentionSubject::new("a", "completion", 10, 0);
/// let v = policy.evaluate(&old, &refs, now);
/// assert_eq!((v.action, v.rule, v.rule_index), (Action::Delete, RuleKind::MaxAge, Some(1)));
/// let v = policy.evaluate(&old.clone().pinned(), &refs, now);
/// assert_eq!((v.action, v.rule), (Action::Keep, RuleKind::KeepPinned));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Rules, tried in order.
    pub rules: Vec<Rule>,
    /// What happens when no rule applies.
    pub default: Action,
}

impl Default for Policy {
    /// Keep referenced, pinned and `keep`-tagged artifacts; delete those scored
    /// below 0.2; archive those older than 90 days; keep the rest under 10 GiB.
    fn default() -> Self {
        Policy::new(vec![
            Rule::KeepReferenced,
            Rule::KeepPinned,
            Rule::KeepTagged {
                tags: vec!["keep".into()],
            },
            Rule::MinQuality {
                min: 0.2,
                action: Action::Delete,
            },
            Rule::MaxAge {
                max_age_secs: 90 * 24 * 3600,
                action: Action::Archive,
            },
            Rule::MaxTotalSize {
                max_bytes: 10 << 30,
                action: Action::Delete,
            },
        ])
    }
}

impl Policy {
    /// A policy whose default is Keep.
    pub fn new(rules: Vec<Rule>) -> Policy {
        Policy {
            rules,
            default: Action::Keep,
        }
    }

    /// Checks the rules' parameters.
    pub fn validate(&self) -> Result<()> {
        for (index, rule) in self.rules.iter().enumerate() {
            if let Rule::MinQuality { min, .. } = rule
                && !(0.0..=1.0).contains(min)
            {
                return Err(StaleError::InvalidRule {
                    index,
                    reason: format!("min quality {min} is outside 0..=1"),
                });
            }
        }
        Ok(())
    }

    /// The verdict for one artifact on its own (the size budget needs the whole
    /// set: see [`Policy::plan`]). Referenced artifacts are always kept.
    pub fn evaluate(&self, subject: &RetentionSubject, refs: &LiveRefs, now: u64) -> Verdict {
        if refs.is_referenced(&subject.id) {
            let rule_index = self.rules.iter().position(|r| *r == Rule::KeepReferenced);
            return Verdict {
                action: Action::Keep,
                rule: RuleKind::KeepReferenced,
                rule_index,
            };
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if let Some(action) = rule.judge(subject, refs, now) {
                return Verdict {
                    action,
                    rule: rule.kind(),
                    rule_index: Some(i),
                };
            }
        }
        Verdict {
            action: self.default,
            rule: RuleKind::Default,
            rule_index: None,
        }
    }

    /// The first size-budget rule: (index, max bytes, action).
    pub(crate) fn size_rule(&self) -> Option<(usize, u64, Action)> {
        self.rules.iter().enumerate().find_map(|(i, r)| match r {
            Rule::MaxTotalSize { max_bytes, action } => Some((i, *max_bytes, *action)),
            _ => None,
        })
    }
}
