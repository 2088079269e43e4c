//! symphony-editor: the text core. Buffers on xi-rope, views with selections,
//! edits, undo, find/replace, syntax highlighting, atomic saves, file watching
//! and the crash journal, served over the xi front-end protocol.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod files;
pub mod highlight;
pub mod journal;
pub mod watch;
