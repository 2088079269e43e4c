//! JSON (one line) and MessagePack (named fields) codecs for [`Message`].

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Message, ProtocolVersion};

/// What can go wrong encoding or decoding an envelope.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// JSON encoding or decoding failed.
    #[error("JSON envelope: {0}")]
    Json(#[from] serde_json::Error),
    /// MessagePack encoding failed.
    #[error("MessagePack encode: {0}")]
    MsgPackEncode(#[from] rmp_serde::encode::Error),
    /// MessagePack decoding failed.
    #[error("MessagePack decode: {0}")]
    MsgPackDecode(#[from] rmp_serde::decode::Error),
    /// The message was written with an incompatible protocol version.
    #[error("incompatible protocol version {theirs} (we speak {ours})")]
    IncompatibleVersion {
        /// Our version.
        ours: ProtocolVersion,
        /// The message's version.
        theirs: ProtocolVersion,
    },
}

/// Result alias for the envelope.
pub type Result<T, E = EnvelopeError> = std::result::Result<T, E>;

/// Turns envelopes into bytes and back.
pub trait Codec {
    /// Encodes a message.
    fn encode<T: Serialize>(&self, msg: &Message<T>) -> Result<Vec<u8>>;
    /// Decodes a message (the version is not checked; see [`Message::ensure_compatible`]).
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<Message<T>>;
}

/// Compact JSON on one line (no `\n` inside; add one to frame it). Decoding tolerates a
/// trailing `\n` or `\r\n`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonCodec;

impl Codec for JsonCodec {
    fn encode<T: Serialize>(&self, msg: &Message<T>) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec(msg)?)
    }

    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<Message<T>> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// MessagePack with struct fields as maps keyed by name, so serde attributes
/// (`skip_serializing_if`, `default`) work and fields can be added compatibly.
#[derive(Debug, Clone, Copy, Default)]
pub struct MsgPackCodec;

impl Codec for MsgPackCodec {
    fn encode<T: Serialize>(&self, msg: &Message<T>) -> Result<Vec<u8>> {
        Ok(rmp_serde::to_vec_named(msg)?)
    }

    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<Message<T>> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}
