//! The session protocol: how a thin `symphony` client talks to a session server
//! (`symphony server`) over a local socket. Made so that the same client can later
//! speak it over an SSH channel: no file descriptors passed, no shared memory, a
//! versioned handshake, and a resync (a whole frame) on attach rather than a replayed
//! byte stream.
//!
//! Frames: a 4-byte big-endian length `n` (at most [`MAX_FRAME`]), then `n` bytes:
//! a kind byte and its payload. Kind [`KIND_MESSAGE`]: one JSON [`ClientMessage`] or
//! [`ServerMessage`]. Kind [`KIND_OUTPUT`] (server to client only): bytes for the
//! client's terminal, written as they are.
//!
//! A conversation: the client sends `hello` (or `query` / `kill` for `symphony ls` /
//! `kill-session`); the server answers `welcome` (or `refused`) and then output
//! frames; the client sends `input` (terminal events) and `detach`; the server ends
//! with `exit`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol version this build speaks (in `hello` and `welcome`).
pub const VERSION: u32 = 1;
/// The largest frame accepted, in bytes (16 MiB).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;
/// A frame holding one JSON message.
pub const KIND_MESSAGE: u8 = 0;
/// A frame holding terminal output bytes.
pub const KIND_OUTPUT: u8 = 1;

/// A terminal size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

/// The client's first message when it attaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// [`VERSION`] of the client.
    pub version: u32,
    /// Its terminal's size.
    pub size: Size,
    /// `$TERM` of its terminal.
    pub term: String,
    /// `$COLORTERM` of its terminal (`truecolor` or empty).
    #[serde(default)]
    pub colorterm: String,
    /// Files to open in the session (absolute paths).
    pub files: Vec<PathBuf>,
    /// Watch only: the client's keys are not applied.
    pub read_only: bool,
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Attach (the first message).
    Hello(Hello),
    /// One terminal event (key, mouse, paste, resize, focus): crossterm's `Event` in
    /// its serde form.
    Input {
        /// The event.
        event: serde_json::Value,
    },
    /// Leave the session running and end this client.
    Detach,
    /// `symphony ls`: describe the session, then close.
    Query,
    /// `symphony kill-session`: end the session (refused while buffers are unsaved
    /// unless `force`).
    Kill {
        /// End it even with unsaved buffers (the editor's journal keeps them).
        force: bool,
    },
}

/// What `symphony ls` shows of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session's name.
    pub name: String,
    /// Its working directory.
    pub dir: PathBuf,
    /// The server's process id.
    pub pid: u32,
    /// Clients attached now.
    pub clients: usize,
    /// Buffers open.
    pub buffers: usize,
    /// Buffers with unsaved changes.
    pub unsaved: usize,
    /// AI runs in progress.
    pub runs: usize,
    /// Seconds since the last input from any client.
    pub idle_secs: u64,
}

/// Why the server ends a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The client detached (prefix `d`, or asked to): the session runs on.
    Detached,
    /// The session ended (quit, or `kill-session`).
    SessionEnded,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The handshake is accepted; a whole frame follows.
    Welcome {
        /// The server's [`VERSION`].
        version: u32,
        /// The session's name.
        session: String,
    },
    /// The handshake or request is refused (another version, say), with why.
    Refused {
        /// Why, for the user.
        reason: String,
    },
    /// The answer to `query`.
    Info(SessionInfo),
    /// `kill` done: the session ends.
    Killed,
    /// `kill` refused: these buffers are unsaved.
    Unsaved {
        /// Their names.
        buffers: Vec<String>,
    },
    /// This client is done.
    Exit {
        /// Why.
        reason: ExitReason,
    },
}

/// One frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame<M> {
    /// A JSON message.
    Message(M),
    /// Terminal bytes.
    Output(Vec<u8>),
}

/// What can go wrong with a frame.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The connection failed.
    #[error("session connection: {0}")]
    Io(#[from] std::io::Error),
    /// A frame longer than [`MAX_FRAME`] (or empty).
    #[error("a session frame of {0} bytes is not allowed")]
    BadLength(usize),
    /// An unknown kind byte.
    #[error("unknown session frame kind {0}")]
    BadKind(u8),
    /// A message that is not valid JSON of the expected shape.
    #[error("unreadable session message: {0}")]
    BadMessage(#[from] serde_json::Error),
}

/// Encodes a message frame.
pub fn encode_message<M: Serialize>(msg: &M) -> Result<Vec<u8>, SessionError> {
    let json = serde_json::to_vec(msg)?;
    Ok(encode(KIND_MESSAGE, &json))
}

/// Encodes an output frame.
pub fn encode_output(bytes: &[u8]) -> Vec<u8> {
    encode(KIND_OUTPUT, bytes)
}

fn encode(kind: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len() + 1).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.extend_from_slice(&len.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(payload);
    out
}

/// Writes one message frame and flushes.
pub async fn write_message<M: Serialize>(
    w: &mut (impl AsyncWrite + Unpin),
    msg: &M,
) -> Result<(), SessionError> {
    w.write_all(&encode_message(msg)?).await?;
    w.flush().await?;
    Ok(())
}

/// Reads the next frame; `None` at a clean end of the stream (between frames).
pub async fn read_frame<M: serde::de::DeserializeOwned>(
    r: &mut (impl AsyncRead + Unpin),
) -> Result<Option<Frame<M>>, SessionError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let n = u32::from_be_bytes(len) as usize;
    if n == 0 || n > MAX_FRAME {
        return Err(SessionError::BadLength(n));
    }
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf).await?;
    match buf[0] {
        KIND_MESSAGE => Ok(Some(Frame::Message(serde_json::from_slice(&buf[1..])?))),
        KIND_OUTPUT => {
            buf.remove(0);
            Ok(Some(Frame::Output(buf)))
        }
        k => Err(SessionError::BadKind(k)),
    }
}

#[cfg(test)]
mod tests;
