//! watch (work in progress).
