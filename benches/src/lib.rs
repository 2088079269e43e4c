//! Shared helpers for Symphony's benches.
