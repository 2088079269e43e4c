//! The xi-editor front-end protocol: typed JSON-RPC messages as upstream xi-core speaks them.
//!
//! - [`rpc`]: the generic JSON-RPC shape of a line ([`RpcMessage`], [`RpcError`]).
//! - [`core_messages`]: front end -> core ([`CoreNotification`], [`CoreRequest`]).
//! - [`edit`]: the inner methods of `edit` ([`EditNotification`], [`EditRequest`]).
//! - [`client_messages`]: core -> front end ([`ClientNotification`], [`ClientRequest`]).
//! - [`update`]: the `update` line-cache ops, lines, annotations and `def_style`.
//! - [`theme`]: the `theme_changed` settings.
//! - [`symphony`]: Symphony's namespaced additions (`symphony.*`).
//!
//! Parse a received line with [`RpcMessage::from_value`], then hand `method` and
//! `params` to [`parse_core_notification`], [`parse_core_request`] or
//! [`parse_client_notification`]; they return an [`XiError`] naming the method when
//! it is unknown or its params are malformed.
//!
//! ```
//! use symphony_protocol::xi::{parse_core_notification, CoreNotification, EditNotification};
//! let params = serde_json::json!({"view_id": "view-id-1", "method": "insert", "params": {"chars": "A"}});
//! let n = parse_core_notification("edit", params).unwrap();
//! match n {
//!     CoreNotification::Edit(cmd) => assert_eq!(cmd.cmd, EditNotification::Insert { chars: "A".into() }),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

pub mod client_messages;
pub mod core_messages;
pub mod edit;
pub mod lsp;
pub mod review;
pub mod rpc;
pub mod symphony;
pub mod theme;
pub mod update;

pub use client_messages::{
    ClientNotification, ClientRequest, FindStatusQuery, PluginDescription, ReplaceStatus,
    WidthRequest, parse_client_notification, parse_client_request,
};
pub use core_messages::{
    ConfigDomain, CoreNotification, CoreRequest, RecoverAction, parse_core_notification,
    parse_core_request,
};
pub use edit::{
    EditCommand, EditNotification, EditRequest, FindQuery, GestureType, LineRange, MouseAction,
    Position, SelectionGranularity, SelectionModifier, Size,
};
pub use rpc::{RpcError, RpcMessage};
pub use theme::{Color, ThemeSettings, UnderlineOption};
pub use update::{Annotation, Line, OpKind, StyleDef, Update, UpdateOp};

/// An opaque view identifier, exactly as `new_view` returned it (e.g. `"view-id-1"`).
pub type ViewId = String;

/// What can go wrong turning a JSON value into a typed xi message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XiError {
    /// The value is not a JSON-RPC request, notification or response.
    #[error("not a JSON-RPC message: {0}")]
    NotRpc(String),
    /// The top-level method is not one this side knows.
    #[error("unknown method `{method}`")]
    UnknownMethod {
        /// The method name as received.
        method: String,
    },
    /// The inner method of an `edit` is not one upstream's `EditNotification`/`EditRequest` knows.
    #[error("unknown edit method `{method}`")]
    UnknownEditMethod {
        /// The inner method name as received.
        method: String,
    },
    /// The method is known but its params do not have the expected shape.
    #[error("invalid params for `{method}`: {reason}")]
    InvalidParams {
        /// The method name (for `edit`, `edit/<inner method>`).
        method: String,
        /// What serde said was wrong.
        reason: String,
    },
}

impl XiError {
    /// The error response upstream xi-core gives a request that fails this way:
    /// code `-32600` ("Invalid request") with this error's text as `data`.
    pub fn to_rpc_error(&self) -> RpcError {
        RpcError::invalid_request(self.to_string())
    }
}

/// Result alias for this module.
pub type Result<T, E = XiError> = std::result::Result<T, E>;

/// Builds `{"method": method, "params": params}`, the adjacently tagged form our enums use.
pub(crate) fn tagged(method: &str, params: serde_json::Value) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("method".into(), serde_json::Value::String(method.into()));
    map.insert("params".into(), params);
    serde_json::Value::Object(map)
}

/// Serializes a value that cannot fail to serialize (string-keyed maps only).
pub(crate) fn to_value_infallible<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
