//! The deterministic core: orders pending requests by strategy and decides each one;
//! and [`Arbiter`], which keeps the pending queue and the service history between rounds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fairness::{FairnessReport, FairnessWindow};
use super::request::{
    ArbiterConfig, Decision, DenyReason, Outcome, Rationale, Request, Strategy, Tick,
};
use super::{ArbitrationError, Result};

/// Service history the strategies depend on (round-robin turn, fair-share credit).
///
/// `served` accumulates for the arbiter's lifetime; start a new [`Arbiter`] (or clear
/// it) to forget old service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArbiterState {
    /// Units granted so far, per requester.
    pub served: BTreeMap<String, u64>,
    /// The requester served last (round-robin resumes after it).
    pub last_served: Option<String>,
}

/// (effective priority rank, arrival, id).
type BaseKey = (u8, Tick, u64);

/// Sort key shared by every strategy as the final tie-break: effective priority,
/// arrival, id. Unique ids make the order total, so input order never matters.
fn base_key(config: &ArbiterConfig, now: Tick, r: &Request) -> BaseKey {
    (
        config.ageing.effective(r.priority, r.arrival, now).rank(),
        r.arrival,
        r.id,
    )
}

/// Groups request indices (already in base-key order) by requester, groups sorted by
/// requester name.
fn group_by_requester<'a>(
    pending: &'a [Request],
    idx: &[usize],
) -> (Vec<&'a str>, Vec<Vec<usize>>) {
    let mut names: Vec<&str> = pending.iter().map(|r| r.requester.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut queues: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for &i in idx {
        if let Ok(g) = names.binary_search(&pending[i].requester.as_str()) {
            queues[g].push(i);
        }
    }
    (names, queues)
}

/// Indices of `pending` in order of service for the configured strategy.
pub(crate) fn service_order(
    config: &ArbiterConfig,
    state: &ArbiterState,
    now: Tick,
    pending: &[Request],
) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..pending.len()).collect();
    if config.strategy == Strategy::Fifo {
        idx.sort_unstable_by_key(|&i| (pending[i].arrival, pending[i].id));
        return idx;
    }
    let keys: Vec<BaseKey> = pending.iter().map(|r| base_key(config, now, r)).collect();
    idx.sort_unstable_by_key(|&i| keys[i]);
    match config.strategy {
        Strategy::Priority | Strategy::Fifo => {}
        Strategy::RoundRobin => {
            let (names, queues) = group_by_requester(pending, &idx);
            let start = match state.last_served.as_deref() {
                Some(last) => names.partition_point(|n| *n <= last),
                None => 0,
            };
            let rotation: Vec<&Vec<usize>> = queues[start..]
                .iter()
                .chain(queues[..start].iter())
                .collect();
            let rounds = rotation.iter().map(|q| q.len()).max().unwrap_or(0);
            idx.clear();
            for round in 0..rounds {
                idx.extend(rotation.iter().filter_map(|q| q.get(round).copied()));
            }
        }
        Strategy::WeightedFairShare => {
            let (names, queues) = group_by_requester(pending, &idx);
            // Virtual service, scaled so integer division by the weight keeps precision.
            const SCALE: u128 = 1 << 20;
            let weights: Vec<u128> = names
                .iter()
                .map(|n| u128::from(config.weight_of(n)))
                .collect();
            let mut virt: Vec<u128> = names
                .iter()
                .zip(&weights)
                .map(|(n, w)| u128::from(state.served.get(*n).copied().unwrap_or(0)) * SCALE / w)
                .collect();
            // Each request's own share of virtual time, computed once.
            let mut step: Vec<u128> = vec![0; pending.len()];
            for (g, q) in queues.iter().enumerate() {
                for &i in q {
                    step[i] = u128::from(pending[i].cost) * SCALE / weights[g];
                }
            }
            let mut heads = vec![0usize; queues.len()];
            idx.clear();
            loop {
                let mut best: Option<((u128, BaseKey), usize)> = None;
                for (g, q) in queues.iter().enumerate() {
                    let Some(&head) = q.get(heads[g]) else {
                        continue;
                    };
                    let finish = virt[g] + step[head];
                    let key = (finish, keys[head]);
                    if best.as_ref().is_none_or(|(k, _)| key < *k) {
                        best = Some((key, g));
                    }
                }
                let Some(((finish, _), g)) = best else { break };
                idx.push(queues[g][heads[g]]);
                heads[g] += 1;
                virt[g] = finish;
            }
        }
    }
    idx
}

fn rationale(
    config: &ArbiterConfig,
    now: Tick,
    r: &Request,
    position: usize,
    available: u64,
) -> Rationale {
    Rationale {
        strategy: config.strategy,
        priority: r.priority,
        effective: config.ageing.effective(r.priority, r.arrival, now),
        waited: now.saturating_sub(r.arrival),
        position: u32::try_from(position).unwrap_or(u32::MAX),
        available,
    }
}

/// Decides every pending request at `now` with `available` units free.
///
/// A pure function: the same inputs (in any order) give the same decisions, in order
/// of service. Requests are served in order while they fit; the first that does not
/// fit and everything after it are deferred (no overtaking, so big requests are not
/// starved by small ones); a request costing more than the capacity is denied.
///
/// ```
/// use symphony_pit::arbitration::{decide, ArbiterConfig, ArbiterState, Outcome, Priority, Request, Resource};
/// let config = ArbiterConfig::new(Resource::InstrumentSlot { instrument: "local".into() }, 2);
/// let pending = vec![
///     Request::new(1, "chat", Priority::Low, 1, 0),
///     Request::new(2, "inline", Priority::Critical, 1, 5),
///     Request::new(3, "index", Priority::Background, 1, 5),
///     Request::new(4, "huge", Priority::High, 3, 5),
/// ];
/// let d = decide(&config, &ArbiterState::default(), 5, 1, &pending);
/// assert_eq!(d[0].id, 2);
/// assert_eq!(d[0].outcome, Outcome::Granted);
/// assert!(d.iter().any(|d| d.id == 4 && matches!(d.outcome, Outcome::Denied { .. })));
/// assert!(d.iter().any(|d| d.id == 1 && matches!(d.outcome, Outcome::Deferred { .. })));
/// println!("{}", d[0]);
/// ```
pub fn decide(
    config: &ArbiterConfig,
    state: &ArbiterState,
    now: Tick,
    available: u64,
    pending: &[Request],
) -> Vec<Decision> {
    let mut out = Vec::with_capacity(pending.len());
    decide_into(config, state, now, available, pending, &mut out);
    out
}

/// [`decide`], appending to `out` (reuse it to avoid allocating per round).
pub fn decide_into(
    config: &ArbiterConfig,
    state: &ArbiterState,
    now: Tick,
    available: u64,
    pending: &[Request],
    out: &mut Vec<Decision>,
) {
    let order = service_order(config, state, now, pending);
    let mut remaining = available;
    let mut blocked = false;
    let mut queued_ahead: u64 = 0;
    let capacity = config.capacity.max(1);
    for (position, &i) in order.iter().enumerate() {
        let r = &pending[i];
        let rationale = rationale(config, now, r, position, remaining);
        let outcome = if r.cost > config.capacity {
            Outcome::Denied {
                reason: DenyReason::ExceedsCapacity {
                    cost: r.cost,
                    capacity: config.capacity,
                },
            }
        } else if !blocked && r.cost <= remaining {
            remaining -= r.cost;
            Outcome::Granted
        } else {
            blocked = true;
            let delay = config.retry_after.max(1) * (1 + queued_ahead / capacity);
            queued_ahead = queued_ahead.saturating_add(r.cost);
            Outcome::Deferred { delay }
        };
        out.push(Decision {
            id: r.id,
            outcome,
            rationale,
        });
    }
}

/// A stateful arbiter for one resource: a pending queue, the service history and a
/// fairness window.
///
/// ```
/// use symphony_pit::arbitration::{Arbiter, ArbiterConfig, Priority, Request, Resource};
/// let mut a = Arbiter::new(ArbiterConfig::new(Resource::CostBudget { budget: "daily".into() }, 100));
/// a.submit(Request::new(1, "alice", Priority::Normal, 60, 0)).unwrap();
/// a.submit(Request::new(2, "bob", Priority::Normal, 60, 1)).unwrap();
/// let round = a.decide(2, 100);
/// assert!(round[0].is_granted() && !round[1].is_granted());
/// assert_eq!(a.pending_len(), 1, "the deferred one stays queued");
/// let round = a.decide(3, 100);
/// assert!(round[0].is_granted());
/// assert_eq!(a.fairness(3).gini, 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Arbiter {
    config: ArbiterConfig,
    state: ArbiterState,
    pending: Vec<Request>,
    fairness: FairnessWindow,
}

impl Arbiter {
    /// An arbiter with nothing pending.
    pub fn new(config: ArbiterConfig) -> Arbiter {
        let fairness = FairnessWindow::new(config.fairness_window);
        Arbiter {
            config,
            state: ArbiterState::default(),
            pending: Vec::new(),
            fairness,
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &ArbiterConfig {
        &self.config
    }

    /// Its service history.
    pub fn state(&self) -> &ArbiterState {
        &self.state
    }

    /// Queues a request.
    pub fn submit(&mut self, request: Request) -> Result<()> {
        if self.pending.iter().any(|r| r.id == request.id) {
            return Err(ArbitrationError::DuplicateRequest { id: request.id });
        }
        self.fairness
            .record_request(&request.requester, request.arrival);
        self.pending.push(request);
        Ok(())
    }

    /// Withdraws a pending request; true if it was pending.
    pub fn cancel(&mut self, id: u64) -> bool {
        let before = self.pending.len();
        self.pending.retain(|r| r.id != id);
        before != self.pending.len()
    }

    /// Requests waiting.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Decides every pending request; granted and denied ones leave the queue,
    /// deferred ones stay for the next round.
    pub fn decide(&mut self, now: Tick, available: u64) -> Vec<Decision> {
        let decisions = decide(&self.config, &self.state, now, available, &self.pending);
        let by_id: BTreeMap<u64, usize> = self
            .pending
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        for d in &decisions {
            if !d.is_granted() {
                continue;
            }
            if let Some(r) = by_id.get(&d.id).and_then(|&i| self.pending.get(i)) {
                *self.state.served.entry(r.requester.clone()).or_default() += r.cost;
                self.state.last_served = Some(r.requester.clone());
                self.fairness.record_grant(
                    &r.requester,
                    now,
                    now.saturating_sub(r.arrival),
                    r.cost,
                );
            }
        }
        let finished: std::collections::BTreeSet<u64> = decisions
            .iter()
            .filter(|d| !matches!(d.outcome, Outcome::Deferred { .. }))
            .map(|d| d.id)
            .collect();
        self.pending.retain(|r| !finished.contains(&r.id));
        decisions
    }

    /// Wait times and Gini coefficient of service over the window ending at `now`.
    pub fn fairness(&mut self, now: Tick) -> FairnessReport {
        self.fairness.report(now)
    }
}
