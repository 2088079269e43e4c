//! A tiny synchronous SDK for writing an extension in Rust: reads envelopes from a
//! reader (stdin), answers lifecycle requests, hands other requests to a handler and
//! writes replies and events to a writer (stdout). [`run_with`] with
//! [`Options::msgpack`] accepts the host's MessagePack framing at initialize.
//!
//! ```no_run
//! use symphony_extensions::sdk::{self, Ctx};
//! let stdin = std::io::stdin().lock();
//! let stdout = std::io::stdout().lock();
//! sdk::run(stdin, stdout, "ext:echo", |method, params, _ctx: &mut Ctx<'_>| match method {
//!     "echo" => Ok(params.clone()),
//!     _ => Err(("unknown_method".into(), format!("no method {method}"))),
//! }).ok();
//! ```

use std::io::{BufRead, Write};

use serde_json::Value;
use symphony_protocol::envelope::{Message, MessageKind, Priority};

use crate::host::wire;

/// How the SDK talks to the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Accept MessagePack framing when the host offers it at initialize (JSON lines
    /// otherwise).
    pub msgpack: bool,
}

/// What a handler can do besides answering: publish events.
pub struct Ctx<'a> {
    out: &'a mut dyn Write,
    source: &'a str,
    msgpack: bool,
}

impl Ctx<'_> {
    /// The framing in use: `"json"` or `"msgpack"`.
    pub fn framing(&self) -> &'static str {
        if self.msgpack {
            wire::FRAMING_MSGPACK
        } else {
            wire::FRAMING_JSON
        }
    }

    /// Publishes an event on `topic`.
    pub fn event(&mut self, topic: &str, data: Value) -> std::io::Result<()> {
        let msg = Message::event(wire::event(topic, data))
            .from(self.source)
            .to("host")
            .priority(Priority::Normal)
            .build();
        write_msg(self.out, &msg, self.msgpack)
    }
}

/// A handler error: (code, message).
pub type HandlerError = (String, String);

fn write_msg(out: &mut dyn Write, msg: &Message<Value>, msgpack: bool) -> std::io::Result<()> {
    if msgpack {
        let frame = wire::msgpack_frame(msg).map_err(std::io::Error::other)?;
        out.write_all(&frame)
    } else {
        serde_json::to_writer(&mut *out, msg)?;
        out.write_all(b"\n")
    }
}

/// The next envelope; `Ok(None)` at the end of input, `Ok(Some(None))` for a
/// malformed one (skipped).
#[allow(clippy::option_option)]
fn read_msg(
    input: &mut impl BufRead,
    msgpack: bool,
) -> std::io::Result<Option<Option<Message<Value>>>> {
    if msgpack {
        let mut len = [0u8; 4];
        match input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        input.read_exact(&mut body)?;
        return Ok(Some(wire::decode_msgpack(&body).ok()));
    }
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(serde_json::from_str::<Message<Value>>(&line).ok()))
}

/// Serves requests until `shutdown` or the end of input, in JSON lines. Malformed
/// lines are skipped.
pub fn run<R, W, H>(input: R, output: W, source: &str, handler: H) -> std::io::Result<()>
where
    R: BufRead,
    W: Write,
    H: FnMut(&str, &Value, &mut Ctx<'_>) -> Result<Value, HandlerError>,
{
    run_with(input, output, source, Options::default(), handler)
}

/// [`run`] with options (e.g. MessagePack framing when the host offers it).
pub fn run_with<R, W, H>(
    mut input: R,
    mut output: W,
    source: &str,
    options: Options,
    mut handler: H,
) -> std::io::Result<()>
where
    R: BufRead,
    W: Write,
    H: FnMut(&str, &Value, &mut Ctx<'_>) -> Result<Value, HandlerError>,
{
    let mut msgpack = false;
    while let Some(msg) = read_msg(&mut input, msgpack)? {
        let Some(msg) = msg else {
            continue;
        };
        if msg.kind != MessageKind::Request {
            continue;
        }
        let method = msg
            .payload
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("");
        let params = msg.payload.get("params").cloned().unwrap_or(Value::Null);
        let offered = |name: &str| {
            params
                .get("framing")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|f| f.as_str() == Some(name)))
        };
        let switch = method == "initialize" && options.msgpack && offered(wire::FRAMING_MSGPACK);
        let res = match method {
            "initialize" if switch => Ok(serde_json::json!({ "framing": wire::FRAMING_MSGPACK })),
            "initialize" | "activate" | "deactivate" | "shutdown" => Ok(Value::Null),
            _ => {
                let mut ctx = Ctx {
                    out: &mut output,
                    source,
                    msgpack,
                };
                handler(method, &params, &mut ctx)
            }
        };
        let reply = match res {
            Ok(v) => Message::reply_to(&msg, v).build(),
            Err((code, message)) => {
                Message::error_reply_to(&msg, wire::error(&code, &message)).build()
            }
        };
        write_msg(&mut output, &reply, msgpack)?;
        output.flush()?;
        // The reply accepting MessagePack went as JSON; everything after is framed.
        msgpack |= switch;
        if method == "shutdown" {
            break;
        }
    }
    Ok(())
}
