//! Extensions seen by the Conductor: an instrument extension becomes an
//! [`ExtensionInstrument`] (a [`crate::instrument::Instrument`] the pool can hold like a
//! built-in backend), an operator extension runs workflow nodes through an
//! [`OperatorRunner`]. [`ExtensionCatalog`] collects both from the session's
//! [`symphony_extensions::Manager`] and stays live: extensions granted, enabled or
//! disabled while the client runs join or leave the running Conductor's pool.
//!
//! Activation: an extension whose `[activation]` is not `on_startup` is started by
//! its first use (a call, a workflow node, a prewarm in the pool pane), through a
//! [`Launcher`] (the shared manager); the pool shows it Cold until then and Hot
//! while its process runs. One that fails for good (it kept crashing) leaves the
//! catalog and the pool.
//!
//! Node kinds of operators in user workflows: `ext:<id>/<method>` (e.g.
//! `ext:word-count/count`), or `ext:<id>` for the extension's first capability.

mod catalog;
mod instrument;
mod operator;
mod process;

pub(crate) use catalog::pool_entry;
pub use catalog::{
    CatalogChange, ExtensionCatalog, SyncReport, parse_node_kind, run_workflow_node,
};
pub use instrument::{
    ExtensionInstrument, PREWARM_METHOD, TOKEN_TOPIC, UNLOAD_METHOD, USAGE_TOPIC,
};
pub use operator::{OperatorError, OperatorOutput, OperatorRunner};
pub use process::{Launcher, START_TIMEOUT, STOP_TIMEOUT, SharedManager, share};

/// Result alias for operator runs.
pub type Result<T, E = OperatorError> = std::result::Result<T, E>;
