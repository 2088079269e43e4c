//! Helpers for end-to-end tests: locating the real binaries and driving them.
