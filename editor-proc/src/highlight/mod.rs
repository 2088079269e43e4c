//! highlight (work in progress).
