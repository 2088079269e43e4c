//! [`ProtocolVersion`] and its compatibility rule.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The envelope protocol version, `{"major":1,"minor":0}`.
///
/// Compatibility rule: two versions are compatible when their `major` is equal. A higher
/// `minor` may only add optional fields (with defaults), which older readers ignore, so
/// a reader accepts any minor of its major. A change that removes or changes the meaning
/// of a field bumps `major`.
///
/// ```
/// use symphony_protocol::envelope::ProtocolVersion;
/// let v1_0 = ProtocolVersion::new(1, 0);
/// assert!(v1_0.is_compatible_with(&ProtocolVersion::new(1, 7)));
/// assert!(!v1_0.is_compatible_with(&ProtocolVersion::new(2, 0)));
/// assert_eq!(v1_0.to_string(), "1.0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProtocolVersion {
    /// Incompatible changes bump it.
    pub major: u16,
    /// Compatible additions (optional fields) bump it.
    pub minor: u16,
}

impl ProtocolVersion {
    /// The version this crate writes.
    pub const CURRENT: ProtocolVersion = ProtocolVersion { major: 1, minor: 0 };

    /// A version.
    pub const fn new(major: u16, minor: u16) -> Self {
        ProtocolVersion { major, minor }
    }

    /// Same major = compatible (see the type's rule).
    pub fn is_compatible_with(&self, other: &ProtocolVersion) -> bool {
        self.major == other.major
    }
}

impl Default for ProtocolVersion {
    fn default() -> Self {
        Self::CURRENT
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
