//! The Pool Manager's error type and `Result` alias.

use std::time::Duration;

use super::State;

/// Everything that can go wrong when driving the pool.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PoolError {
    /// No entry has this name.
    #[error("unknown instrument `{name}`")]
    UnknownInstrument {
        /// The name asked for.
        name: String,
    },
    /// An entry with this name already exists.
    #[error("instrument `{name}` is already in the pool")]
    Duplicate {
        /// The name registered twice.
        name: String,
    },
    /// The configuration cannot work (zero slots, a window of zero calls...).
    #[error("invalid configuration for `{name}`: {reason}")]
    InvalidConfig {
        /// The instrument.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The lifecycle does not allow this move (e.g. Cold -> Hot without Warming).
    #[error("instrument `{name}` cannot go from {from} to {to}")]
    InvalidTransition {
        /// The instrument.
        name: String,
        /// Where it is.
        from: State,
        /// Where it was asked to go.
        to: State,
    },
    /// The entry is not in a state that takes calls (only Warming and Hot do).
    #[error("instrument `{name}` is {state} and takes no calls")]
    NotAccepting {
        /// The instrument.
        name: String,
        /// Its state.
        state: State,
    },
    /// Every slot is taken (from `try_acquire`, which never waits).
    #[error("every slot of `{name}` is taken")]
    Busy {
        /// The instrument.
        name: String,
    },
    /// No slot came free within the timeout.
    #[error("no slot of `{name}` came free within {waited:?}")]
    Timeout {
        /// The instrument.
        name: String,
        /// How long the caller waited.
        waited: Duration,
    },
    /// The entry and every fallback after it are Failed or Unhealthy.
    #[error("no healthy instrument for `{requested}` (tried {tried:?})")]
    NoHealthyInstrument {
        /// The instrument asked for.
        requested: String,
        /// The chain that was tried, in order.
        tried: Vec<String>,
    },
    /// Loading this model would exceed the memory budget even after evicting
    /// every idle entry.
    #[error("`{name}` needs {needed} bytes; budget {budget}, {pinned} held by entries in use")]
    MemoryBudget {
        /// The instrument.
        name: String,
        /// Its memory footprint.
        needed: u64,
        /// The pool's budget.
        budget: u64,
        /// Bytes held by loaded entries that cannot be evicted.
        pinned: u64,
    },
    /// The entry has calls in flight or queued, so it cannot be cooled.
    #[error("instrument `{name}` is in use ({used} slots, {queued} queued)")]
    InUse {
        /// The instrument.
        name: String,
        /// Slots held.
        used: u32,
        /// Callers waiting.
        queued: usize,
    },
}

/// `Result` with [`PoolError`] as the default error.
pub type Result<T, E = PoolError> = std::result::Result<T, E>;
