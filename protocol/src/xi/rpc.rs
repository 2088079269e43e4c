//! The generic JSON-RPC 2.0 shape of one line (without the `"jsonrpc"` member).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::XiError;

/// Generic JSON-RPC shape of any line. The `"jsonrpc"` member is not needed and is
/// accepted (and dropped) when present.
///
/// ```
/// use symphony_protocol::xi::RpcMessage;
/// use serde_json::json;
/// let v = json!({"id": 0, "method": "new_view", "params": {"file_path": "/tmp/a"}});
/// let m = RpcMessage::from_value(v.clone()).unwrap();
/// assert!(matches!(m, RpcMessage::Request { id: 0, .. }));
/// assert_eq!(m.to_value(), v);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum RpcMessage {
    /// A call expecting an answer with the same `id`.
    Request {
        /// Request id chosen by the sender.
        id: u64,
        /// Method name.
        method: String,
        /// Params (object or array), `Null` when absent.
        params: Value,
    },
    /// A call without `id`; never answered.
    Notification {
        /// Method name.
        method: String,
        /// Params (object or array), `Null` when absent.
        params: Value,
    },
    /// The answer to a request.
    Response {
        /// The id of the request this answers.
        id: u64,
        /// `result` member, or the `error` member.
        result: Result<Value, RpcError>,
    },
}

/// A JSON-RPC error object: `{"code", "message", "data"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    /// Numeric error code (see the associated constants).
    pub code: i64,
    /// Short human-readable description.
    pub message: String,
    /// Optional extra detail; left out of the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The request is not a valid request; xi-core also uses it for unknown methods.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method params.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal error.
    pub const INTERNAL_ERROR: i64 = -32603;

    /// The error upstream xi-core answers an unknown or malformed request with:
    /// `{"code":-32600,"message":"Invalid request","data":<detail>}`.
    pub fn invalid_request(detail: impl Into<String>) -> Self {
        RpcError {
            code: Self::INVALID_REQUEST,
            message: "Invalid request".into(),
            data: Some(Value::String(detail.into())),
        }
    }
}

impl RpcMessage {
    /// Classifies a JSON value as request, notification or response.
    pub fn from_value(v: Value) -> Result<Self, XiError> {
        let Value::Object(mut obj) = v else {
            return Err(XiError::NotRpc("not a JSON object".into()));
        };
        obj.remove("jsonrpc");
        let id = match obj.remove("id") {
            None => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(id) => Some(id),
                None => return Err(XiError::NotRpc(format!("id {n} is not a u64"))),
            },
            Some(other) => return Err(XiError::NotRpc(format!("id {other} is not a u64"))),
        };
        let params = obj.remove("params").unwrap_or(Value::Null);
        match (id, obj.remove("method")) {
            (Some(id), Some(Value::String(method))) => {
                Ok(RpcMessage::Request { id, method, params })
            }
            (None, Some(Value::String(method))) => Ok(RpcMessage::Notification { method, params }),
            (_, Some(other)) => Err(XiError::NotRpc(format!("method {other} is not a string"))),
            (Some(id), None) => {
                if let Some(err) = obj.remove("error") {
                    let err: RpcError = serde_json::from_value(err)
                        .map_err(|e| XiError::NotRpc(format!("bad error object: {e}")))?;
                    Ok(RpcMessage::Response {
                        id,
                        result: Err(err),
                    })
                } else if let Some(result) = obj.remove("result") {
                    Ok(RpcMessage::Response {
                        id,
                        result: Ok(result),
                    })
                } else {
                    Err(XiError::NotRpc("response without result or error".into()))
                }
            }
            (None, None) => Err(XiError::NotRpc("neither method nor id".into())),
        }
    }

    /// The JSON value of this message (no `"jsonrpc"` member; `params` left out when `Null`).
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        match self {
            RpcMessage::Request { id, method, params } => {
                obj.insert("id".into(), Value::from(*id));
                obj.insert("method".into(), Value::String(method.clone()));
                if !params.is_null() {
                    obj.insert("params".into(), params.clone());
                }
            }
            RpcMessage::Notification { method, params } => {
                obj.insert("method".into(), Value::String(method.clone()));
                if !params.is_null() {
                    obj.insert("params".into(), params.clone());
                }
            }
            RpcMessage::Response { id, result } => {
                obj.insert("id".into(), Value::from(*id));
                match result {
                    Ok(v) => obj.insert("result".into(), v.clone()),
                    Err(e) => obj.insert("error".into(), super::to_value_infallible(e)),
                };
            }
        }
        Value::Object(obj)
    }

    /// The method name of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            RpcMessage::Request { method, .. } | RpcMessage::Notification { method, .. } => {
                Some(method)
            }
            RpcMessage::Response { .. } => None,
        }
    }

    /// A success response `{"id":id,"result":result}`.
    pub fn response(id: u64, result: Value) -> Self {
        RpcMessage::Response {
            id,
            result: Ok(result),
        }
    }

    /// An error response `{"id":id,"error":error}`.
    pub fn error_response(id: u64, error: RpcError) -> Self {
        RpcMessage::Response {
            id,
            result: Err(error),
        }
    }
}

impl Serialize for RpcMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RpcMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        RpcMessage::from_value(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_notification_and_responses_keep_their_exact_json() {
        for v in [
            json!({"id": 3, "method": "debug_get_contents", "params": {"view_id": "view-id-1"}}),
            json!({"method": "set_theme", "params": {"theme_name": "InspiredGitHub"}}),
            json!({"id": 0, "result": "view-id-1"}),
            json!({"id": 5, "result": null}),
            json!({"error": {"code": -32600, "data": "unknown variant", "message": "Invalid request"}, "id": 4}),
        ] {
            let m = RpcMessage::from_value(v.clone()).unwrap();
            assert_eq!(m.to_value(), v);
            let via_serde: RpcMessage = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&via_serde).unwrap(), v);
        }
    }

    #[test]
    fn jsonrpc_member_is_accepted_and_dropped() {
        let m = RpcMessage::from_value(
            json!({"jsonrpc": "2.0", "method": "alert", "params": {"msg": "x"}}),
        )
        .unwrap();
        assert_eq!(
            m.to_value(),
            json!({"method": "alert", "params": {"msg": "x"}})
        );
    }

    #[test]
    fn non_rpc_values_are_typed_errors() {
        for v in [
            json!([1]),
            json!({"id": -1, "method": "x"}),
            json!({"id": 1}),
            json!({}),
            json!({"method": 3}),
        ] {
            assert!(matches!(RpcMessage::from_value(v), Err(XiError::NotRpc(_))));
        }
    }

    #[test]
    fn invalid_request_error_matches_upstream() {
        let e = RpcError::invalid_request("unknown variant `x`");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"code": -32600, "message": "Invalid request", "data": "unknown variant `x`"})
        );
    }
}
