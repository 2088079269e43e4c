//! Logs go to `$XDG_STATE_HOME/symphony/symphony.log` (RUST_LOG honoured), never to
//! the screen: private (0600 in a 0700 directory), rotated at 8 MB with 3 files kept,
//! the same message at most 20 times a second, and every registered API key redacted.

use symphony_logfile::{Options, WorkerGuard};

/// Starts logging to the log file; keep the guard alive until exit. Returns
/// `None` (and logs nowhere) when no state directory can be made.
pub fn init() -> Option<WorkerGuard> {
    let dir = crate::config::state_dir()?;
    // Keys in the environment are known before the first line is written.
    symphony_conductor::backends::secret::register_environment();
    symphony_logfile::init(
        &dir,
        "symphony.log",
        Options::default().redact(symphony_conductor::backends::secret::redact_changed),
    )
}
