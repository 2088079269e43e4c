//! A tiny synchronous SDK for writing an extension in Rust: reads envelopes from a
//! reader (stdin), answers lifecycle requests, hands other requests to a handler and
//! writes replies and events to a writer (stdout).
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

/// What a handler can do besides answering: publish events.
pub struct Ctx<'a> {
    out: &'a mut dyn Write,
    source: &'a str,
}

impl Ctx<'_> {
    /// Publishes an event on `topic`.
    pub fn event(&mut self, topic: &str, data: Value) -> std::io::Result<()> {
        let msg = Message::event(wire::event(topic, data))
            .from(self.source)
            .to("host")
            .priority(Priority::Normal)
            .build();
        write_msg(self.out, &msg)
    }
}

/// A handler error: (code, message).
pub type HandlerError = (String, String);

fn write_msg(out: &mut dyn Write, msg: &Message<Value>) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, msg)?;
    out.write_all(b"\n")
}

/// Serves requests until `shutdown` or the end of input. Malformed lines are skipped.
pub fn run<R, W, H>(input: R, mut output: W, source: &str, mut handler: H) -> std::io::Result<()>
where
    R: BufRead,
    W: Write,
    H: FnMut(&str, &Value, &mut Ctx<'_>) -> Result<Value, HandlerError>,
{
    for line in input.lines() {
        let line = line?;
        let Ok(msg) = serde_json::from_str::<Message<Value>>(&line) else {
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
        let res = match method {
            "initialize" | "activate" | "deactivate" | "shutdown" => Ok(Value::Null),
            _ => {
                let mut ctx = Ctx {
                    out: &mut output,
                    source,
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
        write_msg(&mut output, &reply)?;
        output.flush()?;
        if method == "shutdown" {
            break;
        }
    }
    Ok(())
}
