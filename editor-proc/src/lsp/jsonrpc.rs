//! JSON-RPC 2.0 over a byte stream with `Content-Length` framing, as language servers speak
//! it: writing one message, reading the next (malformed frames are reported, never fatal
//! while the stream is readable) and sorting what was read into responses, notifications
//! and requests from the server.

use std::io::{self, BufRead, Read, Write};

use serde_json::{Value, json};

/// Largest message body accepted from a server (bigger ones are skipped).
pub const MAX_BODY: usize = 256 << 20;

/// What reading one frame gave.
#[derive(Debug)]
pub enum Frame {
    /// A JSON body.
    Message(Value),
    /// A frame that could not be used (bad header, bad JSON); the text says why.
    Malformed(String),
    /// The stream ended.
    Eof,
}

/// Writes `msg` as one framed message and flushes.
pub fn write_message(w: &mut impl Write, msg: &Value) -> io::Result<()> {
    let body = serde_json::to_vec(msg).map_err(io::Error::other)?;
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(&body)?;
    w.flush()
}

/// The bytes of `msg` framed (for measuring what goes on the wire).
pub fn frame_bytes(msg: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // writing to a Vec cannot fail
    let _ = write_message(&mut out, msg);
    out
}

/// Reads the next frame. I/O errors end the stream (`Err`); garbage is `Malformed`.
pub fn read_frame(r: &mut impl BufRead) -> io::Result<Frame> {
    let mut len: Option<usize> = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::Eof);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        match text.split_once(':') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("content-length") => {
                len = v.trim().parse().ok();
            }
            Some(_) => {}
            None => return Ok(Frame::Malformed(format!("not a header: {text:.200}"))),
        }
    }
    let Some(len) = len else {
        return Ok(Frame::Malformed("header without Content-Length".into()));
    };
    if len > MAX_BODY {
        io::copy(&mut r.by_ref().take(len as u64), &mut io::sink())?;
        return Ok(Frame::Malformed(format!("body of {len} bytes skipped")));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v.is_object() => Ok(Frame::Message(v)),
        Ok(_) => Ok(Frame::Malformed("body is not a JSON object".into())),
        Err(e) => Ok(Frame::Malformed(format!(
            "bad JSON ({e}): {:.200}",
            String::from_utf8_lossy(&body)
        ))),
    }
}

/// A message from a server, sorted.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to one of our requests.
    Response {
        /// Our id.
        id: u64,
        /// The result, or the error object.
        result: Result<Value, Value>,
    },
    /// A notification (`textDocument/publishDiagnostics`, `window/logMessage`...).
    Notification {
        /// Method.
        method: String,
        /// Params (`null` when absent).
        params: Value,
    },
    /// A request we must answer (`workspace/configuration`, `workspace/applyEdit`...).
    Request {
        /// The server's id, echoed back as is.
        id: Value,
        /// Method.
        method: String,
        /// Params.
        params: Value,
    },
}

impl Incoming {
    /// Sorts a message; `None` for shapes that are none of the three (logged by the caller).
    pub fn from_value(mut v: Value) -> Option<Incoming> {
        let method = v.get("method").and_then(Value::as_str).map(str::to_string);
        let params = v.get_mut("params").map(Value::take).unwrap_or(Value::Null);
        match (method, v.get("id").cloned()) {
            (Some(method), Some(id)) if !id.is_null() => {
                Some(Incoming::Request { id, method, params })
            }
            (Some(method), _) => Some(Incoming::Notification { method, params }),
            (None, Some(id)) => {
                let id = id.as_u64()?;
                let result = match v.get_mut("error").map(Value::take) {
                    Some(e) if !e.is_null() => Err(e),
                    _ => Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
                };
                Some(Incoming::Response { id, result })
            }
            (None, None) => None,
        }
    }
}

/// `{"jsonrpc":"2.0","id":id,"method":m,"params":p}`.
pub fn request(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// `{"jsonrpc":"2.0","method":m,"params":p}`.
pub fn notification(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": params})
}

/// The success answer to a server's request.
pub fn response(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// The error answer to a server's request.
pub fn error_response(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_garbage_is_skipped() {
        let mut bytes = frame_bytes(&request(1, "initialize", json!({})));
        bytes.extend_from_slice(b"Content-Length: 5\r\n\r\n{bad}");
        bytes.extend_from_slice(b"junk line\r\n\r\n");
        bytes.extend_from_slice(&frame_bytes(&notification("x", json!([1]))));
        let mut r = io::BufReader::new(&bytes[..]);
        assert!(matches!(read_frame(&mut r).expect("io"), Frame::Message(v) if v["id"] == 1));
        assert!(matches!(
            read_frame(&mut r).expect("io"),
            Frame::Malformed(_)
        ));
        assert!(matches!(
            read_frame(&mut r).expect("io"),
            Frame::Malformed(_)
        ));
        match read_frame(&mut r).expect("io") {
            Frame::Message(v) => assert_eq!(
                Incoming::from_value(v),
                Some(Incoming::Notification {
                    method: "x".into(),
                    params: json!([1])
                })
            ),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(read_frame(&mut r).expect("io"), Frame::Eof));
    }

    #[test]
    fn messages_are_sorted() {
        let e = Incoming::from_value(json!({"id": 3, "error": {"code": -32800, "message": "x"}}));
        assert!(matches!(
            e,
            Some(Incoming::Response {
                id: 3,
                result: Err(_)
            })
        ));
        let r = Incoming::from_value(json!({"id": "a", "method": "workspace/configuration"}));
        assert!(matches!(r, Some(Incoming::Request { .. })));
        let ok = Incoming::from_value(json!({"id": 4, "result": null}));
        assert_eq!(
            ok,
            Some(Incoming::Response {
                id: 4,
                result: Ok(Value::Null)
            })
        );
    }
}
