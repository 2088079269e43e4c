//! symphony: the terminal client. Line caches, drawing, the pane tree,
//! keymaps, prompts and (later) the Conductor panes.
//!
//! - [`action`]: the one [`action::Action`] enum (its names are the config names).
//! - [`keymap`], [`config`]: keys as data, `config.toml`.
//! - [`app`]: the state, `update(state, action)`, events to actions, the loop.
//! - [`ui`]: `draw(&State, &mut Frame)`, the editor view widget.
//! - [`panes`]: windows and split trees; [`overlays`]: palette, pickers, prompts.
//! - [`linecache`], [`session`]: the view line caches and the editor connection.
//! - [`terminal`]: terminal set-up/restore, keys in, and the backend that writes frames
//!   with few bytes; [`logging`]: the log file.
//! - [`extensions`]: extension discovery and settings for `symphony ext` and the palette.
//!   [`ext_examples`]: the example extensions built into the program.
//! - [`motif`]: motif extension panes and the host services extensions get from the client;
//!   [`grant`]: the first-activation permission prompt.
//! - [`conductor`]: the Conductor in the client (AI commands, the AI / DAG / artifacts /
//!   pool panes' state); [`review`]: inline review of edit proposals.
//! - [`completion`]: inline completion (ghost text from a model after a typing pause).
//! - [`lsp`]: language intelligence (diagnostics, completion, hover, go to...).
//! - [`search`]: project-wide regex search (the project search picker, `symphony search`).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod action;
pub mod app;
pub mod completion;
pub mod conductor;
pub mod config;
pub mod ext_examples;
pub mod extensions;
pub mod grant;
pub mod keymap;
pub mod linecache;
pub mod logging;
pub mod lsp;
pub mod motif;
pub mod overlays;
pub mod panes;
pub mod review;
pub mod search;
pub mod session;
pub mod session_server;
pub mod terminal;
pub mod ui;
