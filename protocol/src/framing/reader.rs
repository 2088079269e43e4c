//! [`LineReader`]: reads `\n`-terminated lines with a length limit.

use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::{DEFAULT_MAX_LINE, FrameError};

/// Reads lines (and JSON values, one per line) from an async reader.
///
/// Cancel safe: all partial state lives in the reader, so a `next_line` future dropped
/// in a `select!` loses nothing; the next call continues the same line.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    max_line: usize,
    /// `Some(seen)` while skipping a too-long line.
    skipping: Option<usize>,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// A reader with the default limit [`DEFAULT_MAX_LINE`].
    pub fn new(reader: R) -> Self {
        Self::with_max_line(reader, DEFAULT_MAX_LINE)
    }

    /// A reader accepting lines of at most `max_line` bytes (without the `\n`).
    pub fn with_max_line(reader: R, max_line: usize) -> Self {
        LineReader {
            inner: BufReader::new(reader),
            buf: Vec::new(),
            max_line,
            skipping: None,
        }
    }

    /// The configured limit.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// The next line without its `\n` (and without a `\r` before it).
    ///
    /// `None` at the end of the stream; a last line without `\n` is still returned.
    pub async fn next_line(&mut self) -> Option<Result<String, FrameError>> {
        let bytes = match self.next_raw().await? {
            Ok(b) => b,
            Err(e) => return Some(Err(e)),
        };
        Some(
            String::from_utf8(bytes).map_err(|e| FrameError::InvalidUtf8 {
                valid_up_to: e.utf8_error().valid_up_to(),
            }),
        )
    }

    /// The next non-blank line parsed as JSON into `T`. Blank lines are skipped.
    pub async fn next_value<T: DeserializeOwned>(&mut self) -> Option<Result<T, FrameError>> {
        loop {
            let line = match self.next_line().await? {
                Ok(l) => l,
                Err(e) => return Some(Err(e)),
            };
            if line.trim().is_empty() {
                continue;
            }
            return Some(serde_json::from_str(&line).map_err(FrameError::InvalidJson));
        }
    }

    /// The next raw line; `None` at EOF.
    async fn next_raw(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        loop {
            let chunk = match self.inner.fill_buf().await {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(FrameError::Io(e))),
            };
            if chunk.is_empty() {
                // EOF.
                if let Some(seen) = self.skipping.take() {
                    return Some(Err(FrameError::TooLong {
                        limit: self.max_line,
                        len: seen,
                    }));
                }
                if self.buf.is_empty() {
                    return None;
                }
                return Some(Ok(self.take_line()));
            }
            let newline = memchr::memchr(b'\n', chunk);
            let take = newline.unwrap_or(chunk.len());
            if let Some(seen) = self.skipping.as_mut() {
                *seen += take;
                let seen = *seen;
                self.inner.consume(take + usize::from(newline.is_some()));
                if newline.is_some() {
                    self.skipping = None;
                    return Some(Err(FrameError::TooLong {
                        limit: self.max_line,
                        len: seen,
                    }));
                }
                continue;
            }
            // Without the `\r` of a CRLF, the line may be one byte longer than the limit.
            let room = self
                .max_line
                .saturating_add(1)
                .saturating_sub(self.buf.len());
            if take > room {
                let seen = self.buf.len() + take;
                self.buf.clear();
                self.inner.consume(take + usize::from(newline.is_some()));
                if newline.is_some() {
                    return Some(Err(FrameError::TooLong {
                        limit: self.max_line,
                        len: seen,
                    }));
                }
                self.skipping = Some(seen);
                continue;
            }
            self.buf.extend_from_slice(&chunk[..take]);
            self.inner.consume(take + usize::from(newline.is_some()));
            if newline.is_some() {
                let len = self.buf.len() - usize::from(self.buf.last() == Some(&b'\r'));
                if len > self.max_line {
                    self.buf.clear();
                    return Some(Err(FrameError::TooLong {
                        limit: self.max_line,
                        len,
                    }));
                }
                return Some(Ok(self.take_line()));
            }
        }
    }

    /// Moves the buffered line out, dropping a trailing `\r`.
    fn take_line(&mut self) -> Vec<u8> {
        let mut line = std::mem::take(&mut self.buf);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        line
    }

    /// Gives back the underlying reader (bytes already buffered are lost).
    pub fn into_inner(self) -> R {
        self.inner.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_too_long_line_is_never_held_whole_in_memory() {
        let mut input = vec![b'z'; 4 << 20];
        input.extend_from_slice(b"\nok\n");
        let mut r = LineReader::with_max_line(&input[..], 1024);
        assert!(
            matches!(r.next_line().await, Some(Err(FrameError::TooLong { len, .. })) if len == 4 << 20)
        );
        // Only up to the limit plus one read chunk was ever buffered, not 4 MiB.
        assert!(
            r.buf.capacity() <= 1024 + 8 * 1024,
            "capacity {}",
            r.buf.capacity()
        );
        assert_eq!(r.next_line().await.unwrap().unwrap(), "ok");
    }
}
