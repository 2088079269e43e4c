//! The Arbitration Engine's error type and `Result` alias.

/// What the arbitration API refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArbitrationError {
    /// A request with this id is already pending.
    #[error("request {id} is already pending")]
    DuplicateRequest {
        /// The id submitted twice.
        id: u64,
    },
    /// A buffer region whose end is before its start.
    #[error("region {start}..{end} of request {id} ends before it starts")]
    InvalidRegion {
        /// The request.
        id: u64,
        /// Start offset.
        start: u64,
        /// End offset.
        end: u64,
    },
}

/// `Result` with [`ArbitrationError`] as the default error.
pub type Result<T, E = ArbitrationError> = std::result::Result<T, E>;
