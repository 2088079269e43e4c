//! [`LineWriter`]: writes JSON values (or raw lines) each followed by `\n`.

use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::FrameError;

/// Writes one line per call with a single `write_all`, so lines from one writer never
/// interleave. Call [`LineWriter::flush`] when the peer must see them now.
#[derive(Debug)]
pub struct LineWriter<W> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> LineWriter<W> {
    /// Wraps a writer.
    pub fn new(writer: W) -> Self {
        LineWriter {
            inner: writer,
            buf: Vec::new(),
        }
    }

    /// Writes `value` as compact JSON followed by `\n`.
    pub async fn write_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), FrameError> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, value)?;
        self.buf.push(b'\n');
        self.inner.write_all(&self.buf).await?;
        Ok(())
    }

    /// Writes `line` followed by `\n`; a `line` containing `\n` is refused
    /// ([`FrameError::EmbeddedNewline`]) since it would split into two frames.
    pub async fn write_line(&mut self, line: &str) -> Result<(), FrameError> {
        if line.contains('\n') {
            return Err(FrameError::EmbeddedNewline);
        }
        self.buf.clear();
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.inner.write_all(&self.buf).await?;
        Ok(())
    }

    /// Flushes the underlying writer.
    pub async fn flush(&mut self) -> Result<(), FrameError> {
        self.inner.flush().await?;
        Ok(())
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Gives back the underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}
