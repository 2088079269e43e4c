//! symphony: the terminal client. Line caches, rendering, the pane tree,
//! keymaps, prompts and (later) the Conductor panes.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
