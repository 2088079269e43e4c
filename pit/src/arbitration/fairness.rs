//! Fairness over a sliding window: wait times per requester and the Gini coefficient
//! of the service they received.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::request::Tick;

/// Gini coefficient of `values`: 0 when everyone got the same, towards 1 when one got
/// everything. Exact integer arithmetic, so equal service gives exactly 0.
///
/// ```
/// use symphony_pit::arbitration::gini;
/// assert_eq!(gini(&[5, 5, 5, 5]), 0.0);
/// assert_eq!(gini(&[0, 0, 0, 12]), 0.75);
/// assert_eq!(gini(&[]), 0.0);
/// ```
pub fn gini(values: &[u64]) -> f64 {
    let n = values.len();
    let total: u128 = values.iter().map(|&v| u128::from(v)).sum();
    if n == 0 || total == 0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    // Sum over pairs i<j of (x_j - x_i).
    let mut prefix: u128 = 0;
    let mut pairs: u128 = 0;
    for (j, &x) in sorted.iter().enumerate() {
        pairs += u128::from(x) * j as u128 - prefix;
        prefix += u128::from(x);
    }
    pairs as f64 / (n as f64 * total as f64)
}

/// Figures for one requester.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequesterFairness {
    /// Who.
    pub requester: String,
    /// Grants in the window.
    pub grants: u64,
    /// Units granted in the window.
    pub service: u64,
    /// Mean ticks waited by its granted requests.
    pub mean_wait: f64,
    /// Longest wait among its granted requests.
    pub max_wait: Tick,
}

/// Fairness over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    /// One row per requester seen in the window, by name.
    pub requesters: Vec<RequesterFairness>,
    /// Gini coefficient of service across those requesters.
    pub gini: f64,
}

#[derive(Debug, Clone)]
struct Grant {
    at: Tick,
    requester: String,
    waited: Tick,
    cost: u64,
}

/// Grants and requesters of the last `window` ticks.
#[derive(Debug, Clone)]
pub struct FairnessWindow {
    window: Tick,
    grants: VecDeque<Grant>,
    seen: BTreeMap<String, Tick>,
}

impl FairnessWindow {
    /// A window of `window` ticks.
    pub fn new(window: Tick) -> FairnessWindow {
        FairnessWindow {
            window,
            grants: VecDeque::new(),
            seen: BTreeMap::new(),
        }
    }

    /// Notes that `requester` asked at `at` (so it counts even if never served).
    pub fn record_request(&mut self, requester: &str, at: Tick) {
        match self.seen.get_mut(requester) {
            Some(t) => *t = (*t).max(at),
            None => {
                self.seen.insert(requester.to_string(), at);
            }
        }
    }

    /// Notes a grant of `cost` units at `at` after `waited` ticks.
    pub fn record_grant(&mut self, requester: &str, at: Tick, waited: Tick, cost: u64) {
        self.record_request(requester, at);
        self.grants.push_back(Grant {
            at,
            requester: requester.to_string(),
            waited,
            cost,
        });
    }

    /// Drops what is older than the window and reports.
    pub fn report(&mut self, now: Tick) -> FairnessReport {
        let from = now.saturating_sub(self.window);
        while self.grants.front().is_some_and(|g| g.at < from) {
            self.grants.pop_front();
        }
        self.seen.retain(|_, t| *t >= from);
        let mut rows: BTreeMap<&str, (u64, u64, u128, Tick)> = self
            .seen
            .keys()
            .map(|k| (k.as_str(), (0, 0, 0, 0)))
            .collect();
        for g in &self.grants {
            let row = rows.entry(g.requester.as_str()).or_insert((0, 0, 0, 0));
            row.0 += 1;
            row.1 += g.cost;
            row.2 += u128::from(g.waited);
            row.3 = row.3.max(g.waited);
        }
        let service: Vec<u64> = rows.values().map(|r| r.1).collect();
        FairnessReport {
            gini: gini(&service),
            requesters: rows
                .into_iter()
                .map(
                    |(name, (grants, service, wait_sum, max_wait))| RequesterFairness {
                        requester: name.to_string(),
                        grants,
                        service,
                        mean_wait: if grants == 0 {
                            0.0
                        } else {
                            wait_sum as f64 / grants as f64
                        },
                        max_wait,
                    },
                )
                .collect(),
        }
    }
}
