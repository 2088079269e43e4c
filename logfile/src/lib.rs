//! symphony-logfile: the log files of `symphony` and `symphony-editor`.
//!
//! - [`rotate`]: a file that rotates at a size cap (`name`, `name.1`, `name.2`...),
//!   created private (directory 0700, files 0600).
//! - [`limit`]: a `MakeWriter` that lets the same message (the same call site) through
//!   at most N times a second and then writes one "suppressed K similar" line, and
//!   that passes every line through an optional redaction hook (API keys).
//! - [`init`]: both behind a non-blocking writer, as the global `tracing` subscriber.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod limit;
pub mod rotate;

use std::path::Path;
use std::sync::Arc;

pub use limit::{Limited, Redact};
pub use rotate::RotatingFile;
pub use tracing_appender::non_blocking::WorkerGuard;

/// Default size at which the current file is rotated.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Default number of files kept (the current one included).
pub const KEEP_FILES: usize = 3;
/// Default number of lines one call site may write per second.
pub const PER_SECOND: u32 = 20;

/// How a log file is written.
#[derive(Clone)]
pub struct Options {
    /// Rotate the current file once it would pass this many bytes.
    pub max_bytes: u64,
    /// Files kept, the current one included (older ones are deleted).
    pub keep: usize,
    /// Lines one call site may write per second; the rest are counted and reported.
    pub per_second: u32,
    /// Applied to every line before it is written.
    pub redact: Option<Redact>,
    /// The filter when `RUST_LOG` is not set.
    pub default_filter: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_bytes: MAX_BYTES,
            keep: KEEP_FILES,
            per_second: PER_SECOND,
            redact: None,
            default_filter: "info".into(),
        }
    }
}

impl Options {
    /// These options with `redact` applied to every line.
    pub fn redact(mut self, f: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.redact = Some(Arc::new(f));
        self
    }
}

/// Starts logging to `dir/name` (RUST_LOG honoured); keep the guard alive until exit.
/// `None` (and no logging) when the file cannot be opened or a subscriber is set.
pub fn init(dir: &Path, name: &str, options: Options) -> Option<WorkerGuard> {
    let file = RotatingFile::open(dir, name, options.max_bytes, options.keep).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let writer = Limited::new(writer, options.per_second, options.redact.clone());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&options.default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
