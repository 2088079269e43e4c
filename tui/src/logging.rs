//! Logs go to `$XDG_STATE_HOME/symphony/symphony.log` (RUST_LOG honoured),
//! never to the screen.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging to the log file; keep the guard alive until exit. Returns
/// `None` (and logs nowhere) when no state directory can be made.
pub fn init() -> Option<WorkerGuard> {
    let dir = crate::config::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "symphony.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
