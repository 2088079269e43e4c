//! Payload conventions inside `Message<serde_json::Value>` between host and extension.
//!
//! - request: `{"method": "...", "params": {...}}`; its response's payload is the
//!   result value; an error reply's payload is `{"code": "...", "message": "..."}`.
//! - event: `{"topic": "instrument.token", "data": ...}`.
//! - lifecycle requests from the host: `initialize` (params: id, config, workspace,
//!   protocol, framing), `activate`, `deactivate`, `shutdown` (then stdin closes).
//! - framing: JSON lines by default. `initialize` offers `"framing": ["json",
//!   "msgpack"]`; an extension answering `{"framing": "msgpack"}` switches both
//!   directions, right after that reply, to u32 big-endian length-prefixed
//!   MessagePack envelopes ([`msgpack_frame`], [`decode_msgpack`]).
//! - requests an extension may make of the host (each checked against its grant):
//!   `host.read_file {path}`, `host.write_file {path, text}`, `host.read_buffer
//!   {buffer}`, `host.edit {buffer, ...}` (alias `host.edit_buffer`), `host.clipboard_get`, `host.clipboard_set
//!   {text}`, `host.notify {message}`, `host.spawn {program, args}`, `host.fetch {host, ...}`,
//!   `host.subscribe {pattern}` (events published on the host's bus whose topic matches
//!   are then sent to the extension; `buffer.*` topics need `buffer_read`).

use std::path::Path;

use serde_json::{Value, json};
use symphony_protocol::envelope::{Codec as _, EnvelopeError, Message, MsgPackCodec};

use crate::permissions::Request;

/// The default framing's name: one JSON envelope per line.
pub const FRAMING_JSON: &str = "json";
/// The MessagePack framing's name: u32 big-endian length, then a MessagePack envelope.
pub const FRAMING_MSGPACK: &str = "msgpack";

/// Error code of a refused host request.
pub const PERMISSION_DENIED: &str = "permission_denied";
/// Error code of an unknown method.
pub const UNKNOWN_METHOD: &str = "unknown_method";
/// Error code of a host request refused by the rate limit.
pub const THROTTLED: &str = "throttled";
/// Error code of a failed host request.
pub const FAILED: &str = "failed";

/// A request payload.
pub fn request(method: &str, params: Value) -> Value {
    json!({ "method": method, "params": params })
}

/// An error payload.
pub fn error(code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

/// An event payload.
pub fn event(topic: &str, data: Value) -> Value {
    json!({ "topic": topic, "data": data })
}

/// The permission a host request needs; `None` for an unknown method, `Some(None)`
/// when it needs none.
pub fn permission_for<'a>(method: &str, params: &'a Value) -> Option<Option<Request<'a>>> {
    let path = || params.get("path").and_then(Value::as_str).map(Path::new);
    Some(Some(match method {
        "host.read_file" => Request::ReadFile(path().unwrap_or(Path::new(""))),
        "host.write_file" => Request::WriteFile(path().unwrap_or(Path::new(""))),
        "host.read_buffer" => Request::BufferRead,
        "host.edit" | "host.edit_buffer" => Request::BufferWrite,
        "host.clipboard_get" | "host.clipboard_set" => Request::Clipboard,
        "host.notify" => Request::Notify,
        "host.spawn" => Request::Spawn,
        "host.fetch" => Request::Network(params.get("host").and_then(Value::as_str).unwrap_or("")),
        "host.subscribe" => {
            let pattern = params.get("pattern").and_then(Value::as_str).unwrap_or("");
            // Buffer events need the right to read buffers.
            match pattern.split('.').next() {
                Some("buffer" | "*" | "**") => Request::BufferRead,
                _ => return Some(None),
            }
        }
        "host.ping" => return Some(None),
        _ => return None,
    }))
}

/// Why an output line is not an acceptable envelope.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not UTF-8.
    #[error("line is not UTF-8 (valid up to byte {0})")]
    Utf8(usize),
    /// Not a JSON envelope.
    #[error("not an envelope: {0}")]
    Json(#[from] serde_json::Error),
    /// Not a MessagePack envelope (or too big to frame).
    #[error("not a MessagePack envelope: {0}")]
    MsgPack(EnvelopeError),
    /// A message too long for a u32 length prefix.
    #[error("message of {0} bytes is too long for a frame")]
    TooLong(usize),
    /// An envelope of an incompatible protocol version.
    #[error(transparent)]
    Version(#[from] EnvelopeError),
}

/// Decodes one output line (without its newline) into an envelope, checking its
/// protocol version. Never panics, whatever the bytes.
pub fn decode_line(bytes: &[u8]) -> Result<Message<Value>, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::Utf8(e.valid_up_to()))?;
    let msg: Message<Value> = serde_json::from_str(text)?;
    msg.ensure_compatible()?;
    Ok(msg)
}

/// Decodes one MessagePack frame body (without its length prefix) into an envelope,
/// checking its protocol version. Never panics, whatever the bytes.
pub fn decode_msgpack(bytes: &[u8]) -> Result<Message<Value>, DecodeError> {
    let msg: Message<Value> = MsgPackCodec.decode(bytes).map_err(DecodeError::MsgPack)?;
    msg.ensure_compatible()?;
    Ok(msg)
}

/// Encodes `msg` as one MessagePack frame: u32 big-endian length, then the body.
pub fn msgpack_frame(msg: &Message<Value>) -> Result<Vec<u8>, DecodeError> {
    let body = MsgPackCodec.encode(msg).map_err(DecodeError::MsgPack)?;
    let len = u32::try_from(body.len()).map_err(|_| DecodeError::TooLong(body.len()))?;
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}
