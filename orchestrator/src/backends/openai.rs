//! The `openai` instrument: any OpenAI-compatible server (`POST {base}/v1/chat/completions`
//! with `stream: true`), read as SSE: `choices[].delta.content` tokens, `finish_reason`,
//! the usage chunk (`stream_options.include_usage`), `data: [DONE]`.

use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::http::{HttpClient, join_url, json_error_message, merge_extra, secret_header};
use super::secret::{ApiKey, key_from_config};
use super::sse::{SseEvent, SseParser};
use super::stream::{Decoded, Decoder, finish_reason};
use crate::instrument::{
    AgentMessage, CallFuture, CancellationToken, CompletionRequest, Instrument, InstrumentConfig,
    InstrumentEvent, InstrumentKind, Result, ToolRequest, ToolTurnFuture,
};

/// One conversation message on OpenAI's wire.
fn openai_message(m: &AgentMessage) -> Value {
    match m {
        AgentMessage::System { content } => json!({"role": "system", "content": content}),
        AgentMessage::User { content } => json!({"role": "user", "content": content}),
        AgentMessage::Assistant {
            content,
            tool_calls,
        } => {
            let mut v = json!({"role": "assistant", "content": content});
            if !tool_calls.is_empty() {
                if content.is_empty() {
                    v["content"] = Value::Null;
                }
                v["tool_calls"] = Value::Array(
                    tool_calls
                        .iter()
                        .map(|c| {
                            json!({"id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments}})
                        })
                        .collect(),
                );
            }
            v
        }
        AgentMessage::Tool(r) => {
            json!({"role": "tool", "tool_call_id": r.call_id, "content": r.content})
        }
    }
}

/// Where `openai` instruments go when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com";

/// An OpenAI-compatible backend.
#[derive(Debug, Clone)]
pub struct OpenAiInstrument {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    model: String,
    url: String,
    key: Option<ApiKey>,
    extra: std::collections::BTreeMap<String, Value>,
    http: HttpClient,
}

impl OpenAiInstrument {
    /// Builds the instrument; reads the API key variable now (missing = Config error).
    pub fn new(config: &InstrumentConfig) -> Result<Self> {
        let base = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        Ok(Self {
            inner: Arc::new(Inner {
                name: config.name.clone(),
                model: config.model.clone(),
                url: join_url(base, "/v1/chat/completions"),
                key: key_from_config(config.api_key_env.as_deref())?,
                extra: config.extra.clone(),
                http: HttpClient::new(config)?,
            }),
        })
    }
}

impl Inner {
    fn body(&self, request: &CompletionRequest) -> Value {
        self.body_with(
            request.model.as_deref(),
            json!(request.messages),
            request.max_tokens,
            request.temperature,
        )
    }

    fn body_with(
        &self,
        model: Option<&str>,
        messages: Value,
        max_tokens: Option<u32>,
        temperature: Option<f32>,
    ) -> Value {
        let model = model.unwrap_or(&self.model);
        let mut body = json!({
            "model": model,
            "messages": messages,
            "stream": true,
            "stream_options": { "include_usage": true },
        });
        if let Some(m) = max_tokens {
            body["max_tokens"] = json!(m);
        }
        if let Some(t) = temperature {
            body["temperature"] = json!(t);
        }
        merge_extra(&mut body, &self.extra);
        body
    }

    /// A chat-completions body offering `tools` (`tools` + `tool_calls` / `tool`
    /// messages in OpenAI's function-calling format).
    fn tool_body(&self, request: &ToolRequest) -> Value {
        let messages: Vec<Value> = request.messages.iter().map(openai_message).collect();
        let mut body = self.body_with(
            request.model.as_deref(),
            Value::Array(messages),
            request.max_tokens,
            request.temperature,
        );
        if !request.tools.is_empty() {
            body["tools"] = Value::Array(
                request
                    .tools
                    .iter()
                    .map(|t| {
                        json!({"type": "function", "function": {
                            "name": t.name, "description": t.description, "parameters": t.parameters,
                        }})
                    })
                    .collect(),
            );
        }
        body
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.key {
            secret_header(&mut headers, "authorization", "Bearer ", key)?;
        }
        Ok(headers)
    }
}

impl Instrument for OpenAiInstrument {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Openai
    }

    fn model(&self) -> &str {
        &self.inner.model
    }

    fn call(
        &self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> CallFuture {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = inner.body(&request);
            let headers = inner.headers()?;
            tracing::debug!(instrument = %inner.name, url = %inner.url, "openai call");
            inner
                .http
                .stream_call(
                    &inner.url,
                    &headers,
                    &body,
                    OpenAiDecoder::default(),
                    events,
                    &cancel,
                )
                .await
        })
    }

    fn supports_tools(&self) -> bool {
        true
    }

    fn call_with_tools(
        &self,
        request: ToolRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> ToolTurnFuture {
        let inner = self.inner.clone();
        Box::pin(async move {
            let body = inner.tool_body(&request);
            let headers = inner.headers()?;
            tracing::debug!(instrument = %inner.name, url = %inner.url, tools = request.tools.len(), "openai tool turn");
            inner
                .http
                .stream_turn(
                    &inner.url,
                    &headers,
                    &body,
                    OpenAiDecoder::default(),
                    events,
                    &cancel,
                )
                .await
        })
    }
}

/// Decodes OpenAI chat-completion SSE chunks.
#[derive(Debug, Default)]
pub(crate) struct OpenAiDecoder {
    sse: SseParser,
    events: Vec<SseEvent>,
    /// The body's first bytes while no SSE event came: a server that ignored
    /// `stream: true` sends one JSON object instead.
    raw: Vec<u8>,
    saw_event: bool,
}

/// How much of a body that is not SSE is kept for the one-JSON-object fallback.
const RAW_LIMIT: usize = 4 << 20;

impl OpenAiDecoder {
    fn decode(&mut self, out: &mut Vec<Decoded>) {
        if !self.events.is_empty() {
            self.saw_event = true;
            self.raw = Vec::new();
        }
        for ev in self.events.drain(..) {
            let data = ev.data.trim();
            if data == "[DONE]" {
                out.push(Decoded::Done);
                continue;
            }
            let v: Value = match serde_json::from_str(data) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "openai stream: skipping a chunk that is not JSON");
                    out.push(Decoded::Invalid(data.to_string()));
                    continue;
                }
            };
            if ev.event == "error" || v.get("error").is_some() {
                let message = json_error_message(&v).unwrap_or_else(|| data.to_string());
                out.push(Decoded::Error(message));
                continue;
            }
            if let Some(choices) = v.get("choices").and_then(Value::as_array) {
                for choice in choices {
                    if let Some(t) = choice
                        .pointer("/delta/content")
                        .or_else(|| choice.pointer("/message/content"))
                        .or_else(|| choice.get("text"))
                        .and_then(Value::as_str)
                    {
                        out.push(Decoded::Token(t.to_string()));
                    }
                    let calls = choice
                        .pointer("/delta/tool_calls")
                        .or_else(|| choice.pointer("/message/tool_calls"))
                        .and_then(Value::as_array);
                    for (n, call) in calls.into_iter().flatten().enumerate() {
                        let index = call
                            .get("index")
                            .and_then(Value::as_u64)
                            .map_or(n, |i| i as usize);
                        let arguments = match call.pointer("/function/arguments") {
                            Some(Value::String(s)) => s.clone(),
                            Some(Value::Null) | None => String::new(),
                            Some(other) => other.to_string(),
                        };
                        out.push(Decoded::ToolCall {
                            index,
                            id: call.get("id").and_then(Value::as_str).map(str::to_string),
                            name: call
                                .pointer("/function/name")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            arguments,
                        });
                    }
                    if let Some(f) = choice.get("finish_reason").and_then(Value::as_str) {
                        out.push(Decoded::Finish(finish_reason(f)));
                    }
                }
            }
            if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                out.push(Decoded::Usage {
                    prompt: u.get("prompt_tokens").and_then(Value::as_u64),
                    completion: u.get("completion_tokens").and_then(Value::as_u64),
                });
            }
        }
    }
}

impl Decoder for OpenAiDecoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        if !self.saw_event && self.raw.len() < RAW_LIMIT {
            self.raw.extend_from_slice(bytes);
        }
        self.sse.feed(bytes, &mut self.events);
        self.decode(out);
    }

    fn finish(&mut self, out: &mut Vec<Decoded>) {
        self.sse.finish(&mut self.events);
        self.decode(out);
        if self.saw_event {
            return;
        }
        // Not SSE at all: one JSON object (a non-streamed answer or an error).
        let raw = std::mem::take(&mut self.raw);
        if let Ok(v) = serde_json::from_slice::<Value>(&raw)
            && v.is_object()
        {
            let data = String::from_utf8_lossy(&raw).into_owned();
            self.events.push(SseEvent {
                event: "message".into(),
                data,
            });
            self.decode(out);
            out.push(Decoded::Done);
        } else if let Some(first) = String::from_utf8_lossy(&raw)
            .lines()
            .find(|l| !l.trim().is_empty())
        {
            // Neither SSE nor JSON (an HTML page, plain text): say what came.
            out.push(Decoded::Invalid(first.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::FinishReason;

    #[test]
    fn a_server_that_does_not_stream_sends_one_json_object() {
        let mut d = OpenAiDecoder::default();
        let mut out = Vec::new();
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
        d.feed(&body[..20], &mut out);
        d.feed(&body[20..], &mut out);
        d.finish(&mut out);
        assert_eq!(
            out,
            vec![
                Decoded::Token("whole".into()),
                Decoded::Finish(FinishReason::Stop),
                Decoded::Usage {
                    prompt: Some(3),
                    completion: Some(1)
                },
                Decoded::Done
            ]
        );
    }

    #[test]
    fn decodes_tokens_finish_usage_and_done() {
        let mut d = OpenAiDecoder::default();
        let mut out = Vec::new();
        d.feed(
            b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n\
data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"length\"}]}\n\n\
data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                Decoded::Token("Hel".into()),
                Decoded::Token("lo".into()),
                Decoded::Finish(FinishReason::Length),
                Decoded::Usage {
                    prompt: Some(5),
                    completion: Some(2)
                },
                Decoded::Done
            ]
        );
    }
}
