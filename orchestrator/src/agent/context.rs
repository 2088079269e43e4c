//! Keeping a long run inside the model's context window: a tool result larger than
//! [`RESULT_LIMIT`] is cut with a note telling the model how to read more, and when the
//! next request would not fit the window (from config, or as the server reports it),
//! the oldest exchanges are dropped — never the instructions nor the task — with a note
//! in their place, so no request exceeds the window.

use crate::instrument::{AgentMessage, ToolSpec};

/// The most of one tool result that goes back to the model, in bytes.
pub const RESULT_LIMIT: usize = 48 * 1024;

/// Tokens kept free for the model's answer when the request sets no `max_tokens`.
pub const ANSWER_RESERVE: u64 = 1024;

/// `content` cut to [`RESULT_LIMIT`] (start and end kept) with a note on reading more.
pub fn cut_result(tool: &str, content: String) -> String {
    if content.len() <= RESULT_LIMIT {
        return content;
    }
    let total = content.len();
    let cut = super::tools::command::cut_middle(&content, RESULT_LIMIT);
    format!(
        "{cut}\n[the {tool} result was {total} bytes and was cut to fit the context window: \
         call it again for a smaller part (read_file with start_line and max_lines, a narrower \
         grep pattern or glob, a command piped through head/tail or grep)]"
    )
}

/// A rough token count of a request: about four bytes a token, plus a little per
/// message (the wire format's own words).
pub fn estimate_tokens(messages: &[AgentMessage], tools: &[ToolSpec]) -> u64 {
    let bytes: usize = messages
        .iter()
        .map(|m| serde_json::to_string(m).map_or(0, |s| s.len()) + 16)
        .sum::<usize>()
        + tools
            .iter()
            .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
            .sum::<usize>();
    (bytes as u64).div_ceil(4)
}

/// What fitting the conversation into the window did.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The messages to send.
    pub messages: Vec<AgentMessage>,
    /// How many of the conversation's messages were left out.
    pub dropped: usize,
    /// The estimated tokens of the request sent.
    pub tokens: u64,
}

/// The conversation as it fits in `budget` tokens: the system message and the task
/// (the first user message) stay; whole exchanges (a user message, or a model turn
/// with its tool results) are dropped from the oldest on, and a note says so. The
/// newest exchange is always kept.
pub fn fit(messages: &[AgentMessage], tools: &[ToolSpec], budget: u64) -> Fitted {
    let whole = estimate_tokens(messages, tools);
    if whole <= budget {
        return Fitted {
            messages: messages.to_vec(),
            dropped: 0,
            tokens: whole,
        };
    }
    // Exchanges after the head (system + task): each starts at a user or model message.
    let head = messages
        .iter()
        .position(|m| matches!(m, AgentMessage::User { .. }))
        .map_or(messages.len().min(1), |i| i + 1);
    let mut starts: Vec<usize> = (head..messages.len())
        .filter(|&i| !matches!(messages[i], AgentMessage::Tool(_)))
        .collect();
    if starts.first() != Some(&head) && head < messages.len() {
        starts.insert(0, head);
    }
    let mut best = None;
    for &from in starts.iter().skip(1) {
        let candidate = with_note(messages, head, from);
        let tokens = estimate_tokens(&candidate, tools);
        best = Some((candidate, from, tokens));
        if tokens <= budget {
            break;
        }
    }
    match best {
        Some((messages, from, tokens)) => Fitted {
            messages,
            dropped: from - head,
            tokens,
        },
        None => Fitted {
            messages: messages.to_vec(),
            dropped: 0,
            tokens: whole,
        },
    }
}

/// The head, a note on what was dropped, and the messages from `from` on.
fn with_note(messages: &[AgentMessage], head: usize, from: usize) -> Vec<AgentMessage> {
    let mut out = messages[..head].to_vec();
    out.push(AgentMessage::User {
        content: format!(
            "[Symphony left out {} earlier messages of this run to stay inside the model's context window; read files again if you need what they held.]",
            from - head
        ),
    });
    out.extend_from_slice(&messages[from..]);
    out
}

/// The context window a server reports for `model`: an OpenAI-compatible `/v1/models`
/// entry (`context_length`, `max_model_len`, `context_window`, llama.cpp's
/// `meta.n_ctx_train`), or Ollama's `/api/show` (`model_info.*.context_length`, or
/// `num_ctx` in its parameters).
pub fn reported_window(body: &serde_json::Value, model: &str) -> Option<u64> {
    use serde_json::Value;
    let from_entry = |e: &Value| {
        [
            "context_length",
            "max_model_len",
            "context_window",
            "max_context_length",
        ]
        .iter()
        .find_map(|k| e.get(k).and_then(Value::as_u64))
        .or_else(|| e.pointer("/meta/n_ctx_train").and_then(Value::as_u64))
    };
    if let Some(list) = body.get("data").and_then(Value::as_array) {
        let entry = list
            .iter()
            .find(|e| e.get("id").and_then(Value::as_str) == Some(model))
            .or(if list.len() == 1 { list.first() } else { None })?;
        return from_entry(entry);
    }
    if let Some(info) = body.get("model_info").and_then(Value::as_object) {
        let n = info
            .iter()
            .find(|(k, _)| k.ends_with(".context_length"))
            .and_then(|(_, v)| v.as_u64());
        if n.is_some() {
            return n;
        }
    }
    body.get("parameters")
        .and_then(Value::as_str)
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some("num_ctx")).then(|| w.next()?.parse().ok())?
            })
        })
}

/// Asks the instrument's server for its context window (`None`: it does not say).
pub async fn ask_window(cfg: &crate::instrument::InstrumentConfig) -> Option<u64> {
    use crate::instrument::InstrumentKind;
    let base = cfg.base_url.as_deref()?.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(
            cfg.connect_timeout_secs.max(1),
        ))
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .ok()?;
    let request = match cfg.kind {
        InstrumentKind::Openai => {
            let mut r = client.get(format!("{base}/v1/models"));
            if let Some(key) = cfg
                .api_key_env
                .as_deref()
                .and_then(|v| std::env::var(v).ok())
            {
                r = r.bearer_auth(key);
            }
            r
        }
        InstrumentKind::Ollama => client
            .post(format!("{base}/api/show"))
            .json(&serde_json::json!({ "model": cfg.model })),
        _ => return None,
    };
    let response = request.send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    reported_window(&body, &cfg.model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{ToolCall, ToolResult};
    use serde_json::json;

    fn exchange(i: usize, size: usize) -> Vec<AgentMessage> {
        vec![
            AgentMessage::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall {
                    id: format!("c{i}"),
                    name: "read_file".into(),
                    arguments: "{}".into(),
                }],
            },
            AgentMessage::Tool(ToolResult {
                call_id: format!("c{i}"),
                name: "read_file".into(),
                content: "x".repeat(size),
                is_error: false,
            }),
        ]
    }

    #[test]
    fn the_oldest_exchanges_go_first_and_the_instructions_and_task_stay() {
        let mut messages = vec![
            AgentMessage::System {
                content: "be brief".into(),
            },
            AgentMessage::User {
                content: "the task".into(),
            },
        ];
        for i in 0..5 {
            messages.extend(exchange(i, 4000));
        }
        let all = estimate_tokens(&messages, &[]);
        assert_eq!(fit(&messages, &[], all).dropped, 0);
        let fitted = fit(&messages, &[], 2500);
        assert!(fitted.tokens <= 2500, "{}", fitted.tokens);
        assert_eq!(fitted.dropped, 6, "three exchanges of two messages");
        assert_eq!(fitted.messages[1], messages[1]);
        let AgentMessage::User { content } = &fitted.messages[2] else {
            panic!("{:?}", fitted.messages[2])
        };
        assert!(content.contains("left out 6 earlier messages"));
        // A model turn is never separated from its results.
        assert!(matches!(fitted.messages[3], AgentMessage::Assistant { .. }));
        assert_eq!(fitted.messages.last(), messages.last());
        // Too small for even the newest exchange: that one is still sent, alone.
        let tiny = fit(&messages, &[], 10);
        assert_eq!(tiny.dropped, 8);
    }

    #[test]
    fn a_large_result_is_cut_with_a_note_on_reading_more() {
        let small = cut_result("grep", "a".repeat(10));
        assert_eq!(small, "a".repeat(10));
        let big = cut_result("run_command", "b".repeat(RESULT_LIMIT * 2));
        assert!(big.len() < RESULT_LIMIT + 400, "{}", big.len());
        assert!(big.contains("was cut to fit the context window"));
        assert!(big.contains("start_line"));
    }

    #[test]
    fn the_window_is_read_from_v1_models_and_from_ollama_show() {
        let vllm = json!({"data": [{"id": "other", "max_model_len": 1}, {"id": "tiny", "max_model_len": 8192}]});
        assert_eq!(reported_window(&vllm, "tiny"), Some(8192));
        let llama = json!({"data": [{"id": "x.gguf", "meta": {"n_ctx_train": 4096}}]});
        assert_eq!(reported_window(&llama, "tiny"), Some(4096));
        let ollama = json!({"model_info": {"llama.context_length": 131072}});
        assert_eq!(reported_window(&ollama, "tiny"), Some(131072));
        let params = json!({"parameters": "stop \"<|eot|>\"\nnum_ctx 16384"});
        assert_eq!(reported_window(&params, "tiny"), Some(16384));
        assert_eq!(reported_window(&json!({"data": []}), "tiny"), None);
    }
}
