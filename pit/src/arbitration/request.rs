//! Requests, strategies, ageing and the decisions (with their rationale) the engine
//! hands back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Priority;

/// Logical time. The engine never reads a clock: the caller passes `now`.
pub type Tick = u64;

/// What is being contended for (for explanations and logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Concurrency slots of an instrument; capacity = slots.
    InstrumentSlot {
        /// The instrument.
        instrument: String,
    },
    /// A spending budget; capacity = budget units (e.g. micro-dollars).
    CostBudget {
        /// The budget's name.
        budget: String,
    },
    /// Byte ranges of one buffer; claims are exclusive.
    BufferRegion {
        /// The buffer.
        buffer: String,
    },
}

/// One request for the resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Unique among pending requests.
    pub id: u64,
    /// Who asks (a workflow, a session, an extension).
    pub requester: String,
    /// How urgent.
    pub priority: Priority,
    /// Units of the resource wanted (slots, budget units).
    pub cost: u64,
    /// When it arrived.
    pub arrival: Tick,
}

impl Request {
    /// A request.
    pub fn new(
        id: u64,
        requester: impl Into<String>,
        priority: Priority,
        cost: u64,
        arrival: Tick,
    ) -> Request {
        Request {
            id,
            requester: requester.into(),
            priority,
            cost,
            arrival,
        }
    }
}

/// How the order of service is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Most urgent effective priority first, then oldest, then smallest id.
    #[default]
    Priority,
    /// One request per requester in turn, starting after the last one served.
    RoundRobin,
    /// Least service received relative to weight first.
    WeightedFairShare,
    /// Oldest first.
    Fifo,
}

/// Raises the effective priority of waiting requests so nothing starves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ageing {
    /// Every this many ticks waited, the effective priority rises one level
    /// (0 disables ageing).
    pub ticks_per_level: Tick,
}

impl Default for Ageing {
    fn default() -> Self {
        Ageing {
            ticks_per_level: 10,
        }
    }
}

impl Ageing {
    /// The effective priority of a request at `now`.
    ///
    /// ```
    /// use symphony_pit::arbitration::{Ageing, Priority};
    /// let a = Ageing { ticks_per_level: 10 };
    /// assert_eq!(a.effective(Priority::Background, 0, 25), Priority::Normal);
    /// assert_eq!(a.effective(Priority::Low, 0, 1000), Priority::Critical);
    /// ```
    pub fn effective(&self, priority: Priority, arrival: Tick, now: Tick) -> Priority {
        if self.ticks_per_level == 0 {
            return priority;
        }
        let levels = now.saturating_sub(arrival) / self.ticks_per_level;
        let rank = u64::from(priority.rank()).saturating_sub(levels);
        Priority::from_rank(u8::try_from(rank).unwrap_or(u8::MAX))
    }
}

/// Settings of one arbiter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArbiterConfig {
    /// What is arbitrated.
    pub resource: Resource,
    /// Total units; a request costing more is denied outright.
    pub capacity: u64,
    /// Order of service.
    pub strategy: Strategy,
    /// Anti-starvation.
    pub ageing: Ageing,
    /// Base delay suggested to deferred requests.
    pub retry_after: Tick,
    /// Weights for weighted fair share (missing requesters weigh 1; 0 counts as 1).
    pub weights: BTreeMap<String, u32>,
    /// Ticks of history in the fairness window.
    pub fairness_window: Tick,
}

impl ArbiterConfig {
    /// Priority strategy, default ageing, a retry delay of 1 tick, a fairness window
    /// of 1,000 ticks.
    pub fn new(resource: Resource, capacity: u64) -> ArbiterConfig {
        ArbiterConfig {
            resource,
            capacity,
            strategy: Strategy::Priority,
            ageing: Ageing::default(),
            retry_after: 1,
            weights: BTreeMap::new(),
            fairness_window: 1_000,
        }
    }

    /// Sets the strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the ageing.
    pub fn ageing(mut self, ticks_per_level: Tick) -> Self {
        self.ageing = Ageing { ticks_per_level };
        self
    }

    /// Sets a requester's weight (for weighted fair share).
    pub fn weight(mut self, requester: impl Into<String>, weight: u32) -> Self {
        self.weights.insert(requester.into(), weight);
        self
    }

    pub(crate) fn weight_of(&self, requester: &str) -> u32 {
        self.weights.get(requester).copied().unwrap_or(1).max(1)
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DenyReason {
    /// It wants more than the resource will ever have.
    ExceedsCapacity {
        /// Units wanted.
        cost: u64,
        /// Units that exist.
        capacity: u64,
    },
    /// Its buffer region overlaps one granted to a request served earlier.
    Overlaps {
        /// The request that won the region.
        with: u64,
        /// Start of the winner's range.
        start: u64,
        /// End of the winner's range.
        end: u64,
    },
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// It gets the resource now.
    Granted,
    /// It will never get it as asked.
    Denied {
        /// Why.
        reason: DenyReason,
    },
    /// Not now; ask again after `delay` ticks.
    Deferred {
        /// Suggested wait.
        delay: Tick,
    },
}

/// Why the engine decided as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rationale {
    /// The strategy that ordered the requests.
    pub strategy: Strategy,
    /// The requested priority.
    pub priority: Priority,
    /// The priority after ageing.
    pub effective: Priority,
    /// Ticks waited so far.
    pub waited: Tick,
    /// Place in the order of service (0 = first).
    pub position: u32,
    /// Units free when its turn came.
    pub available: u64,
}

/// The engine's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The request's id.
    pub id: u64,
    /// Granted, denied or deferred.
    pub outcome: Outcome,
    /// Why.
    pub rationale: Rationale,
}

impl Decision {
    /// Whether the request was granted.
    pub fn is_granted(&self) -> bool {
        self.outcome == Outcome::Granted
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.rationale;
        match self.outcome {
            Outcome::Granted => write!(f, "request {} granted", self.id)?,
            Outcome::Denied {
                reason: DenyReason::ExceedsCapacity { cost, capacity },
            } => write!(
                f,
                "request {} denied: costs {cost}, capacity is {capacity}",
                self.id
            )?,
            Outcome::Denied {
                reason: DenyReason::Overlaps { with, start, end },
            } => write!(
                f,
                "request {} denied: overlaps {start}..{end} granted to request {with}",
                self.id
            )?,
            Outcome::Deferred { delay } => write!(
                f,
                "request {} deferred {delay} ticks ({} units free at its turn)",
                self.id, r.available
            )?,
        }
        write!(
            f,
            " [{:?}, position {}, priority {} -> {} after {} ticks]",
            r.strategy, r.position, r.priority, r.effective, r.waited
        )
    }
}
