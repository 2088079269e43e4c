//! The DAG Tracker: workflows as petgraph graphs, validated, scheduled on tokio, observed
//! through events and checkpointed so a crashed run resumes where it stopped.
//!
//! A [`Workflow`] is a validated list of [`NodeSpec`]s (duplicate ids, missing inputs, bad
//! fallbacks and cycles, named by their path, are all reported at once). A [`DagTracker`]
//! runs it with an [`Executor`] (node + input values -> output values): ready nodes start in
//! priority order under a concurrency limit; cheap executions return
//! [`Execution::Done`] and run inline without a task, others return a future that is spawned
//! with the node's timeout, retry policy and cancellation. Every state change goes to the
//! [`EventBus`]; finished nodes go to the checkpoint ([`CheckpointPolicy`]).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use symphony_pit::dag::*;
//!
//! let wf = Workflow::new(vec![
//!     NodeSpec::new("read", "file").output("text"),
//!     NodeSpec::new("count", "words").input("read.text").output("n"),
//! ]).unwrap();
//! let exec = |node: &NodeSpec, inputs: &[Arc<Value>]| match &*node.kind {
//!     "file" => Execution::done(vec![Value::from("the pit runs workflows")]),
//!     _ => {
//!         let n = inputs[0].as_str().map_or(0, |s| s.split_whitespace().count());
//!         Execution::done(vec![Value::from(n)])
//!     }
//! };
//! let tracker = DagTracker::new();
//! let mut events = tracker.subscribe(EventFilter::all().node("count").states([NodeState::Succeeded]));
//! let report = tracker.run(Arc::new(wf), Arc::new(exec), RunOptions::default()).await.unwrap();
//! assert_eq!(*report.outputs("count").unwrap()[0], Value::from(4));
//! assert!(matches!(events.recv().await.unwrap().kind, EventKind::Node { state: NodeState::Succeeded, .. }));
//! # });
//! ```

mod attempt;
mod cancel;
mod checkpoint;
mod error;
mod events;
mod executor;
mod node;
mod scheduler;
mod state;
mod tracker;
mod validate;
mod workflow;

pub use cancel::CancelToken;
pub use checkpoint::CheckpointPolicy;
pub use error::{DagError, Result};
pub use events::{Event, EventBus, EventFilter, EventKind, EventStream, RunId};
pub use executor::{BoxFuture, Execution, Executor, NodeError, NodeResult, Value};
pub use node::{Backoff, InputRef, NodeSpec, OnFailure, RetryPolicy};
pub use state::{NodeReport, NodeState, Progress, RunOutcome, RunReport};
pub use tracker::{DagTracker, RunHandle, RunOptions};
pub use validate::Problem;
pub use workflow::Workflow;
