//! Scripted OpenAI-compatible model turns for the agent tests: the server stands in
//! for a model and answers request `n` with the `n`th scripted turn, byte for byte
//! (text, then `tool_calls` deltas with the arguments split over many chunks).

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Framing, Server, serve};

/// One scripted turn as OpenAI streams it: text, then each call with its arguments
/// split into 5-byte fragments, then finish_reason and usage.
pub fn turn(text: &str, calls: &[(&str, &str, Value)], tokens: u64) -> String {
    let chunk = |delta: Value, finish: Option<&str>| {
        format!(
            "data: {}\n\n",
            json!({"choices":[{"index":0,"delta":delta,"finish_reason":finish}]})
        )
    };
    let mut out = String::new();
    if !text.is_empty() {
        out += &chunk(json!({"role":"assistant","content":text}), None);
    }
    for (i, (id, name, args)) in calls.iter().enumerate() {
        out += &chunk(
            json!({"tool_calls":[{"index":i,"id":id,"type":"function","function":{"name":name,"arguments":""}}]}),
            None,
        );
        let args = match args {
            Value::String(raw) => raw.clone(),
            other => other.to_string(),
        };
        let bytes = args.as_bytes();
        for piece in bytes.chunks(5) {
            let frag = String::from_utf8_lossy(piece).into_owned();
            out += &chunk(
                json!({"tool_calls":[{"index":i,"function":{"arguments":frag}}]}),
                None,
            );
        }
    }
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    out += &chunk(json!({}), Some(finish));
    out += &format!(
        "data: {}\n\ndata: [DONE]\n\n",
        json!({"choices":[],"usage":{"prompt_tokens":tokens / 2,"completion_tokens":tokens - tokens / 2}})
    );
    out
}

/// A server answering request `n` with `turns[n]` (the last one again past the end).
pub async fn model(turns: Vec<String>) -> Server {
    let turns = Arc::new(turns);
    serve(move |n, _req, mut conn| {
        let turns = turns.clone();
        async move {
            let body = turns[n.min(turns.len() - 1)].clone();
            conn.head(200, "text/event-stream", Framing::Chunked).await;
            for piece in body.as_bytes().chunks(64) {
                conn.send(piece).await;
            }
            conn.end().await;
        }
    })
    .await
}
