//! symphony-extensions: the extension host (manifests, discovery, permissions,
//! lifecycle and process isolation for instruments, operators and motifs).
//!
//! - [`manifest`]: `extension.toml` parsing and validation.
//! - [`discovery`]: search folders, broken manifests reported, dependency load order.
//! - [`permissions`]: declared permissions, the user's grant, the cached [`permissions::Checker`].
//! - [`config`]: the settings file and the `list / info / enable / disable` functions.
//! - [`host`]: supervised processes speaking `Message<serde_json::Value>` JSON lines.
//! - [`trust`]: the user's workspace trust (nothing from an untrusted workspace runs).
//! - [`identity`]: an extension's folder and content hash, which grants are bound to.
//! - [`manager`]: activation events, dependencies first, grant before first start.
//! - [`sdk`]: a small helper to write an extension in Rust.
//! - [`view`]: the declarative pane a motif sends.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod config;
pub mod discovery;
pub mod host;
pub mod identity;
pub mod manager;
pub mod manifest;
pub mod permissions;
pub mod sdk;
pub mod trust;
pub mod view;

pub use discovery::Origin;
pub use host::{ExtensionHandle, Host, HostConfig, HostError, State};
pub use identity::Identity;
pub use manager::{Manager, StartOutcome};
pub use manifest::{ExtensionType, Manifest, ManifestError};
pub use permissions::{Checker, Grant, Permissions};
