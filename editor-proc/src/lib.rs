//! symphony-editor: the text core. Buffers on xi-rope, views with selections,
//! edits, undo, find/replace, syntax highlighting, atomic saves, file watching
//! and the crash journal, served over the xi front-end protocol.
//!
//! # Modules
//! - [`rpc`]: the wire: [`rpc::convert`] turns every xi method into an internal command
//!   ([`command`]) in one place.
//! - [`core`]: [`core::Core`], all state; `Core::handle_line` is the in-process API
//!   (one protocol line in, protocol lines out). Edits are applied in exactly one place.
//! - [`server`]: stdio and `--listen` local-socket serving on tokio.
//! - [`buffer`]: text in xi-rope's `Engine`, undo groups, pristine tracking.
//! - [`view`]: selections, scrolling, gestures, find state per view.
//! - [`selection`], [`movement`], [`text`]: regions, caret movements, lines/columns and words.
//! - [`edit_ops`]: pure edit functions `(text, selection) -> delta`; [`typing`]: auto-closing
//!   pairs and smart indentation.
//! - [`find`]: find queries and their matches.
//! - [`view_update`]: a view as `update` messages: the line-cache shadow and op encoding.
//! - [`config`], [`recorder`]: settings domains and edit recordings.
//! - [`files`], [`journal`], [`highlight`], [`watch`]: file I/O, crash journal, syntect
//!   highlighting and file watching (owned by the editor-files work).
//! - [`lsp`]: language-server clients (diagnostics, completion, goto, rename...).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod buffer;
pub mod command;
pub mod config;
pub mod core;
pub mod edit_ops;
pub mod find;
pub mod movement;
pub mod recorder;
pub mod rpc;
pub mod selection;
pub mod server;
pub mod text;
pub mod typing;
pub mod view;
pub mod view_update;

#[cfg(test)]
mod testing;

pub mod files;
pub mod highlight;
pub mod journal;
pub mod lsp;
pub mod watch;
