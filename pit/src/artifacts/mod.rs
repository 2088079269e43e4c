//! artifacts (work in progress).
