//! Artifact ids: the BLAKE3 hash of the content, shown as 64 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ArtifactError;

/// The BLAKE3 hash of an artifact's bytes; equal content means equal id.
///
/// ```
/// use symphony_pit::artifacts::ArtifactId;
/// let id = ArtifactId::of(b"hello");
/// let parsed: ArtifactId = id.to_string().parse().unwrap();
/// assert_eq!(id, parsed);
/// assert_eq!(id.to_string().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArtifactId(pub [u8; 32]);

impl ArtifactId {
    /// The id of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// The id as 64 hex digits.
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// Shard directory name (first two hex digits) and file name (the other 62).
    pub(crate) fn shard(&self) -> (String, String) {
        let hex = self.to_hex();
        (hex[..2].to_owned(), hex[2..].to_owned())
    }
}

impl From<blake3::Hash> for ArtifactId {
    fn from(h: blake3::Hash) -> Self {
        Self(*h.as_bytes())
    }
}

impl fmt::Display for ArtifactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ArtifactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArtifactId({})", &self.to_hex()[..12])
    }
}

impl FromStr for ArtifactId {
    type Err = ArtifactError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        blake3::Hash::from_hex(s)
            .map(Self::from)
            .map_err(|_| ArtifactError::BadId(s.to_owned()))
    }
}

impl Serialize for ArtifactId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ArtifactId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
