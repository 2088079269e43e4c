//! stale (work in progress).
