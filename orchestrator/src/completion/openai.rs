//! OpenAI-compatible `POST /v1/completions` (vLLM, LM Studio, llama-server, hosted FIM
//! models): `prompt` + `suffix`, or a prompt template carrying the model's own FIM
//! tokens; `n` alternatives; non-streaming.

use serde_json::{Value, json};

use super::config::CompletionConfig;
use super::context::FimContext;
use super::{Suggestion, usage_of};
use crate::instrument::{InstrumentError, Result};

/// The path on the server.
pub const PATH: &str = "/v1/completions";

/// The request body; with `template` the prefix and suffix go into it and no `suffix`
/// field is sent.
pub fn body(
    ctx: &FimContext,
    config: &CompletionConfig,
    model: &str,
    template: Option<&str>,
) -> Value {
    let mut body = json!({
        "model": model,
        "max_tokens": config.n_predict,
        "temperature": 0.1,
        "n": config.alternatives.max(1),
        "stream": false,
    });
    match template {
        Some(t) => {
            body["prompt"] = json!(fill(t, &ctx.before(), &ctx.suffix));
        }
        None => {
            body["prompt"] = json!(ctx.before());
            body["suffix"] = json!(ctx.suffix);
        }
    }
    body
}

/// `template` with `{prefix}` and `{suffix}` replaced (once each, so text that itself
/// contains `{suffix}` is not touched).
pub fn fill(template: &str, prefix: &str, suffix: &str) -> String {
    let (p, s) = ("{prefix}", "{suffix}");
    let mut out = String::with_capacity(template.len() + prefix.len() + suffix.len());
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(p) {
            out.push_str(prefix);
            rest = r;
        } else if let Some(r) = rest.strip_prefix(s) {
            out.push_str(suffix);
            rest = r;
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Reads `{"choices": [{"text": ..}, ..], "usage": {..}}`.
pub fn parse(v: &Value) -> Result<Suggestion> {
    let choices = v
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(|| InstrumentError::Protocol(format!("{PATH}: no choices in {v}")))?;
    let alternatives: Vec<String> = choices
        .iter()
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    if alternatives.is_empty() {
        return Err(InstrumentError::Protocol(format!(
            "{PATH}: no choice with text in {v}"
        )));
    }
    let usage = v.get("usage");
    let count = |name: &str| usage.and_then(|u| u.get(name)).and_then(Value::as_f64);
    Ok(Suggestion {
        alternatives,
        usage: usage_of(count("prompt_tokens"), count("completion_tokens")),
        server_ms: None,
        cached: false,
    })
}
