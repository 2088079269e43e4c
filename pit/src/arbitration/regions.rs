//! Buffer-region claims from edit proposals: overlap detection, and settling
//! overlapping claims by the same ordering rules as every other resource.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::engine::{ArbiterState, service_order};
use super::request::{ArbiterConfig, Decision, DenyReason, Outcome, Rationale, Request, Tick};
use super::{ArbitrationError, Result};

/// An edit proposal's claim on `range` (byte offsets, end exclusive) of `buffer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionClaim {
    /// Who claims, how urgently, since when.
    pub request: Request,
    /// The buffer.
    pub buffer: String,
    /// The bytes it would rewrite; an empty range is an insertion point.
    pub range: Range<u64>,
}

/// Whether two ranges of the same buffer conflict.
///
/// Non-empty ranges conflict when they share a byte (touching ends do not). An
/// insertion point (empty range) conflicts with a range strictly containing it and
/// with another insertion at the same offset (their order would be ambiguous).
///
/// ```
/// use symphony_pit::arbitration::overlaps;
/// assert!(overlaps(&(0..10), &(5..15)));
/// assert!(!overlaps(&(0..10), &(10..20)));
/// assert!(overlaps(&(7..7), &(7..7)));
/// assert!(overlaps(&(5..5), &(0..10)));
/// assert!(!overlaps(&(0..0), &(0..10)));
/// ```
pub fn overlaps(a: &Range<u64>, b: &Range<u64>) -> bool {
    match (a.is_empty(), b.is_empty()) {
        (false, false) => a.start < b.end && b.start < a.end,
        (true, true) => a.start == b.start,
        (true, false) => b.start < a.start && a.start < b.end,
        (false, true) => a.start < b.start && b.start < a.end,
    }
}

/// Settles claims: in the configured order of service, a claim is granted unless it
/// overlaps a claim already granted on the same buffer, in which case it is denied
/// and told which request won. Deterministic like [`super::decide`].
///
/// ```
/// use symphony_pit::arbitration::*;
/// let config = ArbiterConfig::new(Resource::BufferRegion { buffer: "main.rs".into() }, 1);
/// let claims = vec![
///     RegionClaim { request: Request::new(1, "refactor", Priority::Normal, 1, 0), buffer: "main.rs".into(), range: 100..200 },
///     RegionClaim { request: Request::new(2, "fix", Priority::High, 1, 3), buffer: "main.rs".into(), range: 150..160 },
/// ];
/// let d = settle_regions(&config, &ArbiterState::default(), 4, &claims).unwrap();
/// assert_eq!(d[0].id, 2);
/// assert!(d[0].is_granted());
/// assert_eq!(d[1].outcome, Outcome::Denied { reason: DenyReason::Overlaps { with: 2, start: 150, end: 160 } });
/// ```
pub fn settle_regions(
    config: &ArbiterConfig,
    state: &ArbiterState,
    now: Tick,
    claims: &[RegionClaim],
) -> Result<Vec<Decision>> {
    if let Some(bad) = claims.iter().find(|c| c.range.end < c.range.start) {
        return Err(ArbitrationError::InvalidRegion {
            id: bad.request.id,
            start: bad.range.start,
            end: bad.range.end,
        });
    }
    let requests: Vec<Request> = claims.iter().map(|c| c.request.clone()).collect();
    let order = service_order(config, state, now, &requests);
    let mut granted: BTreeMap<&str, Vec<(u64, Range<u64>)>> = BTreeMap::new();
    let mut out = Vec::with_capacity(claims.len());
    for (position, &i) in order.iter().enumerate() {
        let claim = &claims[i];
        let r = &claim.request;
        let won = granted.entry(claim.buffer.as_str()).or_default();
        let conflict = won
            .iter()
            .find(|(_, range)| overlaps(range, &claim.range))
            .map(|(with, range)| (*with, range.clone()));
        let free = conflict.is_none();
        let outcome = match conflict {
            Some((with, range)) => Outcome::Denied {
                reason: DenyReason::Overlaps {
                    with,
                    start: range.start,
                    end: range.end,
                },
            },
            None => {
                won.push((r.id, claim.range.clone()));
                Outcome::Granted
            }
        };
        out.push(Decision {
            id: r.id,
            outcome,
            rationale: Rationale {
                strategy: config.strategy,
                priority: r.priority,
                effective: config.ageing.effective(r.priority, r.arrival, now),
                waited: now.saturating_sub(r.arrival),
                position: u32::try_from(position).unwrap_or(u32::MAX),
                available: u64::from(free),
            },
        });
    }
    Ok(out)
}
