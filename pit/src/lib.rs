//! symphony-pit: the Conductor's machinery, a plain library with no UI and no
//! network.
//!
//! - [`pool`]: the Pool Manager (instrument lifecycle, slots, health, LRU, prewarming).
//! - [`dag`]: the DAG Tracker (validation, scheduling, events, checkpoints).
//! - [`artifacts`]: the Artifact Store (content-addressed, verified, searchable).
//! - [`arbitration`]: the Arbitration Engine (who gets a contended resource, and why).
//! - [`stale`]: the Stale Manager (retention plans, trash, purge).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod arbitration;
pub mod artifacts;
pub mod dag;
pub mod pool;
pub mod stale;
