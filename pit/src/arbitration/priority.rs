//! The five priority levels shared by the Arbitration Engine and the Pool Manager.

use serde::{Deserialize, Serialize};

/// How urgent a request is. `Critical` is served first, `Background` last.
///
/// The order of the variants is the order of service: `Critical < High` in the
/// derived `Ord` means "Critical comes before High".
///
/// ```
/// use symphony_pit::arbitration::Priority;
/// assert!(Priority::Critical < Priority::Background);
/// assert_eq!(Priority::Low.rank(), 3);
/// assert_eq!(Priority::from_rank(0), Priority::Critical);
/// assert_eq!(Priority::from_rank(99), Priority::Background);
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// The person is waiting on it right now (e.g. an inline completion).
    Critical,
    /// Interactive but not blocking typing.
    High,
    /// The default.
    #[default]
    Normal,
    /// Nice to have soon.
    Low,
    /// Whenever nothing else wants the resource (indexing, prewarming).
    Background,
}

impl Priority {
    /// Every level, most urgent first.
    pub const ALL: [Priority; 5] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
        Priority::Background,
    ];

    /// 0 for `Critical` up to 4 for `Background`.
    pub const fn rank(self) -> u8 {
        self as u8
    }

    /// The level for a rank; ranks above 4 saturate at `Background`.
    pub const fn from_rank(rank: u8) -> Priority {
        match rank {
            0 => Priority::Critical,
            1 => Priority::High,
            2 => Priority::Normal,
            3 => Priority::Low,
            _ => Priority::Background,
        }
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
            Priority::Background => "background",
        })
    }
}
