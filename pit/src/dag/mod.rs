//! dag (work in progress).
