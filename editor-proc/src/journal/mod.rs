//! journal (work in progress).
