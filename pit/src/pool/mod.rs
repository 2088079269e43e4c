//! pool (work in progress).
