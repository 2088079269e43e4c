//! arbitration (work in progress).
