//! The protocol side of the core: wire-to-command conversion.

pub mod convert;
