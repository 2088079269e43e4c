//! `line-stats`: a tiny operator in Rust. `count {text}` returns lines, words and
//! characters; `ping` answers at once; `flood {n}` publishes `n` events then answers
//! (used by the throughput bench); `framing` says `json` or `msgpack`. Run with
//! `--msgpack` to accept MessagePack framing when the host offers it.

use serde_json::{Value, json};
use symphony_extensions::sdk::{self, Ctx};

/// Handles one request (also used by the round-trip bench as its peer).
pub fn handle(method: &str, params: &Value, ctx: &mut Ctx<'_>) -> Result<Value, (String, String)> {
    match method {
        "ping" => Ok(json!("pong")),
        "framing" => Ok(json!(ctx.framing())),
        "count" => {
            let text = params.get("text").and_then(Value::as_str).unwrap_or("");
            Ok(json!({
                "lines": text.lines().count(),
                "words": text.split_whitespace().count(),
                "chars": text.chars().count(),
            }))
        }
        "flood" => {
            let n = params.get("n").and_then(Value::as_u64).unwrap_or(0);
            for i in 0..n {
                ctx.event("line-stats.tick", json!(i))
                    .map_err(|e| ("failed".to_string(), e.to_string()))?;
            }
            Ok(json!(n))
        }
        _ => Err(("unknown_method".into(), format!("no method {method}"))),
    }
}

fn main() {
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let options = sdk::Options {
        msgpack: std::env::args().any(|a| a == "--msgpack"),
    };
    if let Err(e) = sdk::run_with(stdin, stdout, "ext:line-stats", options, handle) {
        eprintln!("line-stats: {e}");
        std::process::exit(1);
    }
}
