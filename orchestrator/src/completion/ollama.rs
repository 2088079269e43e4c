//! Ollama's `POST /api/generate` with `prompt` + `suffix` (the model's template adds
//! its FIM tokens), non-streaming.

use serde_json::{Value, json};

use super::config::CompletionConfig;
use super::context::FimContext;
use super::{Suggestion, usage_of};
use crate::instrument::{InstrumentError, Result};

/// The path on the server.
pub const PATH: &str = "/api/generate";

/// The request body.
pub fn body(ctx: &FimContext, config: &CompletionConfig, model: &str) -> Value {
    json!({
        "model": model,
        "prompt": ctx.before(),
        "suffix": ctx.suffix,
        "stream": false,
        "options": {"num_predict": config.n_predict, "temperature": 0.1},
    })
}

/// Reads `{"response": .., "prompt_eval_count": .., "eval_count": .., "total_duration": ns}`.
pub fn parse(v: &Value) -> Result<Suggestion> {
    let text = v
        .get("response")
        .and_then(Value::as_str)
        .ok_or_else(|| InstrumentError::Protocol(format!("{PATH}: no response in {v}")))?;
    let n = |name: &str| v.get(name).and_then(Value::as_f64);
    Ok(Suggestion {
        alternatives: vec![text.to_string()],
        usage: usage_of(n("prompt_eval_count"), n("eval_count")),
        server_ms: n("total_duration").map(|ns| ns / 1e6),
        cached: false,
    })
}
