//! llama.cpp's `POST /infill`, with the fields llama.vim sends: `input_prefix`,
//! `input_suffix`, `input_extra`, `prompt` (the cursor's line so far), `n_predict`,
//! `n_indent`, the samplers, `cache_prompt` and the time budgets; non-streaming.

use serde_json::{Value, json};

use super::config::CompletionConfig;
use super::context::FimContext;
use super::{Suggestion, usage_of};
use crate::instrument::{InstrumentError, Result};

/// The path on the server.
pub const PATH: &str = "/infill";

/// The request body.
pub fn body(ctx: &FimContext, config: &CompletionConfig) -> Value {
    json!({
        "input_prefix": ctx.prefix,
        "input_suffix": ctx.suffix,
        "input_extra": ctx.extra,
        "prompt": ctx.middle,
        "n_predict": config.n_predict,
        "n_indent": ctx.indent,
        "top_k": 40,
        "top_p": 0.90,
        "samplers": ["top_k", "top_p", "infill"],
        "stream": false,
        "cache_prompt": true,
        "t_max_prompt_ms": config.t_max_prompt_ms,
        "t_max_predict_ms": config.t_max_predict_ms,
    })
}

/// Reads `{"content": .., "timings": {..}}` (nested or flattened `timings/...` keys).
pub fn parse(v: &Value) -> Result<Suggestion> {
    let content = v
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| InstrumentError::Protocol(format!("/infill: no content in {v}")))?;
    let timing = |name: &str| {
        v.get("timings")
            .and_then(|t| t.get(name))
            .or_else(|| v.get(format!("timings/{name}")))
            .and_then(Value::as_f64)
    };
    let server_ms = match (timing("prompt_ms"), timing("predicted_ms")) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    };
    Ok(Suggestion {
        alternatives: vec![content.to_string()],
        usage: usage_of(timing("prompt_n"), timing("predicted_n")),
        server_ms,
        cached: false,
    })
}
