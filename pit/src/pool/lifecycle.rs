//! Lifecycle states of a pool entry, the allowed moves, and the bounded history of moves.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// Where an instrument is in its life.
///
/// Cold -> Warming -> Hot -> Cooling -> Cold; any state -> Failed; Failed -> Cold
/// (recovery). Everything else is refused.
///
/// ```
/// use symphony_pit::pool::State;
/// assert!(State::Cold.can_go_to(State::Warming));
/// assert!(!State::Cold.can_go_to(State::Hot));
/// assert!(State::Hot.can_go_to(State::Failed));
/// assert!(State::Failed.can_go_to(State::Cold));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum State {
    /// Not loaded; the first call pays a cold start.
    Cold = 0,
    /// Loading; calls may take a slot and wait for it to finish.
    Warming = 1,
    /// Loaded and serving.
    Hot = 2,
    /// Unloading.
    Cooling = 3,
    /// Broken until recovered.
    Failed = 4,
}

impl State {
    /// Whether the lifecycle allows `self -> to`.
    pub const fn can_go_to(self, to: State) -> bool {
        matches!(
            (self, to),
            (State::Cold, State::Warming)
                | (State::Warming, State::Hot)
                | (State::Hot, State::Cooling)
                | (State::Cooling, State::Cold)
                | (State::Failed, State::Cold)
                | (State::Cold, State::Failed)
                | (State::Warming, State::Failed)
                | (State::Hot, State::Failed)
                | (State::Cooling, State::Failed)
        )
    }

    /// Whether calls may take a slot (Warming and Hot).
    pub const fn accepts_calls(self) -> bool {
        matches!(self, State::Warming | State::Hot)
    }

    /// Whether the model occupies memory (Warming, Hot, Cooling).
    pub const fn is_loaded(self) -> bool {
        matches!(self, State::Warming | State::Hot | State::Cooling)
    }

    pub(crate) const fn from_u8(v: u8) -> State {
        match v {
            0 => State::Cold,
            1 => State::Warming,
            2 => State::Hot,
            3 => State::Cooling,
            _ => State::Failed,
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Cold => "cold",
            State::Warming => "warming",
            State::Hot => "hot",
            State::Cooling => "cooling",
            State::Failed => "failed",
        })
    }
}

/// Why a transition happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionReason {
    /// A person or a workflow asked for it.
    UserRequest,
    /// The predictor expects a call soon.
    Prewarm,
    /// Nothing used it for the idle timeout.
    IdleTimeout,
    /// Calls or loading failed.
    HealthFailure,
    /// Evicted to stay under the memory budget.
    ResourcePressure,
    /// Brought back from Failed.
    Recovery,
}

/// One recorded move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// Why.
    pub reason: TransitionReason,
    /// Wall-clock time of the move.
    pub at: SystemTime,
    /// How long the entry stayed in `from`.
    pub in_previous: Duration,
}

/// The last `capacity` transitions of an entry, oldest first.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use symphony_pit::pool::{History, State, Transition, TransitionReason};
/// let mut h = History::new(2);
/// for to in [State::Warming, State::Hot, State::Cooling] {
///     h.push(Transition { from: State::Cold, to, reason: TransitionReason::UserRequest,
///                         at: SystemTime::now(), in_previous: Duration::ZERO });
/// }
/// assert_eq!(h.len(), 2);
/// assert_eq!(h.total(), 3);
/// assert_eq!(h.iter().next().map(|t| t.to), Some(State::Hot));
/// ```
#[derive(Debug, Clone, Default)]
pub struct History {
    capacity: usize,
    items: VecDeque<Transition>,
    total: u64,
}

impl History {
    /// A history keeping at most `capacity` transitions (at least one).
    pub fn new(capacity: usize) -> History {
        let capacity = capacity.max(1);
        History {
            capacity,
            items: VecDeque::with_capacity(capacity),
            total: 0,
        }
    }

    /// Records a transition, dropping the oldest when full.
    pub fn push(&mut self, t: Transition) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(t);
        self.total += 1;
    }

    /// Transitions kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Transition> {
        self.items.iter()
    }

    /// The most recent transition.
    pub fn last(&self) -> Option<&Transition> {
        self.items.back()
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing happened yet.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many were ever recorded (including dropped ones).
    pub fn total(&self) -> u64 {
        self.total
    }
}
