//! The Arbitration Engine: decides who gets a contended resource (an instrument slot,
//! a cost budget, a buffer region), deterministically and with a rationale, and
//! measures how fair that was.
//!
//! Time is an input (`Tick`), never read from a clock, and every order is a total
//! order over (strategy key, effective priority, arrival, id), so the same input
//! always gives the same decisions.
//!
//! ```
//! use symphony_pit::arbitration::{Arbiter, ArbiterConfig, Outcome, Priority, Request, Resource, Strategy};
//! let config = ArbiterConfig::new(Resource::InstrumentSlot { instrument: "local-7b".into() }, 1)
//!     .strategy(Strategy::Priority)
//!     .ageing(5);
//! let mut arbiter = Arbiter::new(config);
//! arbiter.submit(Request::new(1, "indexer", Priority::Background, 1, 0)).unwrap();
//! arbiter.submit(Request::new(2, "chat", Priority::High, 1, 0)).unwrap();
//! let first = arbiter.decide(0, 1);
//! assert_eq!((first[0].id, first[0].outcome), (2, Outcome::Granted));
//! assert!(matches!(first[1].outcome, Outcome::Deferred { .. }));
//! ```

mod engine;
mod error;
mod fairness;
mod priority;
mod regions;
mod request;

pub use self::engine::{Arbiter, ArbiterState, decide, decide_into};
pub use self::error::{ArbitrationError, Result};
pub use self::fairness::{FairnessReport, FairnessWindow, RequesterFairness, gini};
pub use self::priority::Priority;
pub use self::regions::{RegionClaim, overlaps, settle_regions};
pub use self::request::{
    Ageing, ArbiterConfig, Decision, DenyReason, Outcome, Rationale, Request, Resource, Strategy,
    Tick,
};
