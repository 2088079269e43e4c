//! The Stale Manager's error type and `Result` alias.

/// What can fail while planning, applying, restoring or purging.
#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    /// The store has no live artifact with this id.
    #[error("no artifact `{id}` in the store")]
    NotFound {
        /// The id.
        id: String,
    },
    /// The trash has no artifact with this id.
    #[error("no artifact `{id}` in the trash")]
    NotInTrash {
        /// The id.
        id: String,
    },
    /// A rule that cannot work (e.g. a quality outside 0..=1).
    #[error("invalid rule #{index}: {reason}")]
    InvalidRule {
        /// Position of the rule in the policy.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The underlying store failed.
    #[error("artifact store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl StaleError {
    /// Wraps a store's own error.
    pub fn store(err: impl std::error::Error + Send + Sync + 'static) -> StaleError {
        StaleError::Store(Box::new(err))
    }
}

/// `Result` with [`StaleError`] as the default error.
pub type Result<T, E = StaleError> = std::result::Result<T, E>;
