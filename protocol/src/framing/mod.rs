//! Line framing: one JSON value per `\n`-terminated line over any tokio reader/writer.
//!
//! Rules (also in `docs/protocol.md`):
//! - a line ends at `\n`; a `\r` just before it is dropped (CRLF tolerated);
//! - the last line may lack its `\n` (EOF ends it);
//! - a line longer than the limit ([`DEFAULT_MAX_LINE`] = 64 MiB unless configured) is
//!   skipped up to its newline without being buffered whole, and reported as
//!   [`FrameError::TooLong`];
//! - invalid UTF-8 gives [`FrameError::InvalidUtf8`], invalid JSON
//!   [`FrameError::InvalidJson`]; in every case the next line is read normally.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use symphony_protocol::framing::{LineReader, LineWriter};
//! let mut out = Vec::new();
//! let mut w = LineWriter::new(&mut out);
//! w.write_value(&serde_json::json!({"method": "alert"})).await.unwrap();
//! w.flush().await.unwrap();
//! let mut r = LineReader::new(&out[..]);
//! let v: serde_json::Value = r.next_value().await.unwrap().unwrap();
//! assert_eq!(v["method"], "alert");
//! assert!(r.next_line().await.is_none());
//! # });
//! ```

mod reader;
mod writer;

pub use reader::LineReader;
pub use writer::LineWriter;

/// Default longest accepted line, in bytes, without its `\n`: 64 MiB.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024 * 1024;

/// What can go wrong reading or writing one line. Apart from [`FrameError::Io`], the
/// stream stays usable: the next call reads the next line.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The line is longer than the limit; it was skipped.
    #[error("line of at least {len} bytes exceeds the limit of {limit} bytes")]
    TooLong {
        /// The configured limit.
        limit: usize,
        /// Bytes of the line seen (the whole line unless EOF cut it).
        len: usize,
    },
    /// The line is not valid UTF-8.
    #[error("line is not valid UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// The line is not valid JSON, or not the JSON expected.
    #[error("invalid JSON: {0}")]
    InvalidJson(#[from] serde_json::Error),
    /// A line given to [`LineWriter::write_line`] contains a newline.
    #[error("a line to write contains a newline")]
    EmbeddedNewline,
    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias for framing.
pub type Result<T, E = FrameError> = std::result::Result<T, E>;
