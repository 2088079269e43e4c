//! JSON-RPC 2.0 over newline-delimited JSON on a child's stdio: our requests with
//! their pending answers (lines read and written with `symphony_protocol::framing`), our notifications, our answers to the agent's requests, and
//! what the agent sends us ([`Incoming`]). Lines that are not JSON-RPC are reported,
//! never fatal.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};
use symphony_protocol::framing::{FrameError, LineReader, LineWriter};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use super::AcpError;

/// What the agent sent.
#[derive(Debug)]
pub enum Incoming {
    /// A request we must answer with [`Rpc::respond`] / [`Rpc::respond_error`].
    Request {
        /// Its id, echoed in the answer.
        id: Value,
        /// The method (`fs/read_text_file`).
        method: String,
        /// Its params (`null` when absent).
        params: Value,
    },
    /// A notification (`session/update`).
    Notification {
        /// The method.
        method: String,
        /// Its params.
        params: Value,
    },
    /// A line on stdout that is not a JSON-RPC message (cut to 200 bytes).
    Malformed(String),
    /// The answer to our request `id`: pass it to [`Rpc::resolve`]. Answers come in
    /// line order with everything else, so a prompt's answer is never seen before
    /// the updates the agent sent ahead of it.
    Answer(i64, Result<Value, RpcError>),
    /// Stdout closed: the agent exited; call [`Rpc::close`].
    Closed,
}

/// An error the agent answered with.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// JSON-RPC error code (-32000 is ACP's "authentication required").
    pub code: i64,
    /// Its message.
    pub message: String,
    /// Its data, if any.
    pub data: Option<Value>,
}

type Pending = Arc<Mutex<Option<HashMap<i64, oneshot::Sender<Result<Value, RpcError>>>>>>;

/// Our end of the connection (cheap to clone).
#[derive(Clone)]
pub struct Rpc {
    out: mpsc::UnboundedSender<String>,
    pending: Pending,
    next_id: Arc<AtomicI64>,
}

impl Rpc {
    /// Starts the reader and writer tasks on `reader` / `writer`; what the agent sends
    /// arrives on the returned receiver, in order, ending with [`Incoming::Closed`].
    pub fn start(
        reader: impl AsyncRead + Unpin + Send + 'static,
        writer: impl AsyncWrite + Unpin + Send + 'static,
    ) -> (Rpc, mpsc::UnboundedReceiver<Incoming>) {
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let pending: Pending = Arc::new(Mutex::new(Some(HashMap::new())));
        tokio::spawn(async move {
            let mut writer = LineWriter::new(writer);
            while let Some(line) = out_rx.recv().await {
                // serde_json never writes a raw newline inside a value.
                if writer.write_line(&line).await.is_err() || writer.flush().await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            read_loop(reader, &in_tx).await;
            let _ = in_tx.send(Incoming::Closed);
        });
        let rpc = Rpc {
            out,
            pending,
            next_id: Arc::new(AtomicI64::new(0)),
        };
        (rpc, in_rx)
    }

    /// Sends request `method` and waits for its answer; [`AcpError::Exited`] if the
    /// agent goes away first.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, AcpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        match self.pending.lock().as_mut() {
            Some(map) => map.insert(id, tx),
            None => return Err(AcpError::Exited),
        };
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(AcpError::Rpc {
                method: method.to_owned(),
                error: Box::new(e),
            }),
            Err(_) => Err(AcpError::Exited),
        }
    }

    /// Hands the answer to our request `id` to its waiter.
    pub fn resolve(&self, id: i64, result: Result<Value, RpcError>) {
        let tx = self.pending.lock().as_mut().and_then(|m| m.remove(&id));
        match tx {
            Some(tx) => {
                let _ = tx.send(result);
            }
            None => tracing::warn!(id, "ACP: an answer to no request of ours"),
        }
    }

    /// The agent is gone: every request still waiting fails with [`AcpError::Exited`].
    pub fn close(&self) {
        self.pending.lock().take();
    }

    /// Sends notification `method`.
    pub fn notify(&self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Answers the agent's request `id`.
    pub fn respond(&self, id: Value, result: Value) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Answers the agent's request `id` with an error.
    pub fn respond_error(&self, id: Value, code: i64, message: &str) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}));
    }

    fn send(&self, v: Value) {
        let _ = self.out.send(v.to_string());
    }
}

async fn read_loop(reader: impl AsyncRead + Unpin, in_tx: &mpsc::UnboundedSender<Incoming>) {
    let mut reader = LineReader::new(reader);
    while let Some(line) = reader.next_line().await {
        let msg = match line {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match classify(line.trim()) {
                Some(Classified::Answer(id, result)) => Incoming::Answer(id, result),
                Some(Classified::In(msg)) => msg,
                None => Incoming::Malformed(cut(line.trim(), 200)),
            },
            Err(FrameError::Io(_)) => return,
            Err(e) => Incoming::Malformed(e.to_string()),
        };
        if in_tx.send(msg).is_err() {
            return;
        }
    }
}

enum Classified {
    Answer(i64, Result<Value, RpcError>),
    In(Incoming),
}

fn classify(line: &str) -> Option<Classified> {
    let v: Value = serde_json::from_str(line).ok()?;
    let obj = v.as_object()?;
    let method = obj.get("method").and_then(Value::as_str);
    let id = obj.get("id").filter(|id| !id.is_null());
    match (method, id) {
        (Some(m), Some(id)) => Some(Classified::In(Incoming::Request {
            id: id.clone(),
            method: m.to_owned(),
            params: obj.get("params").cloned().unwrap_or(Value::Null),
        })),
        (Some(m), None) => Some(Classified::In(Incoming::Notification {
            method: m.to_owned(),
            params: obj.get("params").cloned().unwrap_or(Value::Null),
        })),
        (None, Some(id)) => {
            let id = id.as_i64()?;
            if let Some(e) = obj.get("error") {
                Some(Classified::Answer(
                    id,
                    Err(RpcError {
                        code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                        message: e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        data: e.get("data").cloned(),
                    }),
                ))
            } else {
                Some(Classified::Answer(
                    id,
                    Ok(obj.get("result").cloned().unwrap_or(Value::Null)),
                ))
            }
        }
        (None, None) => None,
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_told_apart_by_method_and_id() {
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":3,"result":{"a":1}}"#),
            Some(Classified::Answer(3, Ok(_)))
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":"x","method":"fs/read_text_file","params":{}}"#),
            Some(Classified::In(Incoming::Request { .. }))
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","method":"session/update","params":{}}"#),
            Some(Classified::In(Incoming::Notification { .. }))
        ));
        let Some(Classified::Answer(1, Err(e))) =
            classify(r#"{"id":1,"error":{"code":-32000,"message":"auth"}}"#)
        else {
            panic!("not an error answer")
        };
        assert_eq!((e.code, e.message.as_str()), (-32000, "auth"));
        assert!(classify("Loading config...").is_none());
        assert!(classify("[1,2]").is_none());
        assert_eq!(cut("héllo", 2), "h…");
    }
}
