//! symphony-protocol: the wire formats every Symphony process shares.
//!
//! - [`framing`]: one JSON value per line over any async reader/writer.
//! - [`xi`]: the xi-editor front-end protocol as upstream xi-core speaks it, plus
//!   Symphony's namespaced additions (`symphony.*`).
//! - [`session`]: the session server's protocol (thin client <-> `symphony server`).
//! - [`local_socket`]: local sockets only their owner may use (dir/mode checks,
//!   SO_PEERCRED, stale sockets).
//! - [`secret_env`]: which environment variables hold API keys (kept from children).
//! - [`envelope`]: the `Message<T>` envelope used between the client, the
//!   Conductor and extensions, with JSON and MessagePack codecs.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod envelope;
pub mod framing;
pub mod local_socket;
pub mod secret_env;
pub mod session;
pub mod xi;
