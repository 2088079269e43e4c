//! Extensions seen by the Conductor: an instrument extension becomes an
//! [`ExtensionInstrument`] (a [`crate::instrument::Instrument`] the pool can hold like a
//! built-in backend), an operator extension runs workflow nodes through an
//! [`OperatorRunner`]. [`ExtensionCatalog`] collects both from a started
//! [`symphony_extensions::Manager`].
//!
//! Node kinds of operators in user workflows: `ext:<id>/<method>` (e.g.
//! `ext:word-count/count`), or `ext:<id>` for the extension's first capability.

mod catalog;
mod instrument;
mod operator;

pub use catalog::{ExtensionCatalog, parse_node_kind, run_workflow_node};
pub use instrument::{ExtensionInstrument, TOKEN_TOPIC, USAGE_TOPIC};
pub use operator::{OperatorError, OperatorOutput, OperatorRunner};

/// Result alias for operator runs.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
