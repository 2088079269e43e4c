//! The `anthropic` instrument: Anthropic's Messages API (`POST {base}/v1/messages`,
//! `x-api-key` and `anthropic-version` headers, system prompt in the top-level `system`
//! field), read as SSE: message_start, content_block_delta (text_delta), message_delta
//! (stop_reason, usage), message_stop, ping, error.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::http::{HttpClient, join_url, json_error_message, merge_extra, secret_header};
use super::secret::{ApiKey, key_from_config};
use super::sse::{SseEvent, SseParser};
use super::stream::{Decoded, Decoder, finish_reason};
use crate::instrument::{
    AgentMessage, CallFuture, CancellationToken, CompletionRequest, Instrument, InstrumentConfig,
    InstrumentEvent, InstrumentKind, Result, Role, ToolRequest, ToolTurnFuture,
};

/// The conversation on Anthropic's wire: system text apart; assistant turns as
/// `text` + `tool_use` blocks; consecutive tool results as one user message of
/// `tool_result` blocks.
fn anthropic_messages(messages: &[AgentMessage]) -> (Vec<&str>, Vec<Value>) {
    let mut system = Vec::new();
    let mut out: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let flush = |results: &mut Vec<Value>, out: &mut Vec<Value>| {
        if !results.is_empty() {
            out.push(json!({"role": "user", "content": std::mem::take(results)}));
        }
    };
    for m in messages {
        match m {
            AgentMessage::System { content } => system.push(content.as_str()),
            AgentMessage::User { content } => {
                flush(&mut results, &mut out);
                out.push(json!({"role": "user", "content": content}));
            }
            AgentMessage::Assistant {
                content,
                tool_calls,
            } => {
                flush(&mut results, &mut out);
                let mut blocks = Vec::new();
                if !content.is_empty() {
                    blocks.push(json!({"type": "text", "text": content}));
                }
                for c in tool_calls {
                    let input = c.parsed_arguments().unwrap_or_else(|_| json!({}));
                    blocks.push(
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
                out.push(json!({"role": "assistant", "content": blocks}));
            }
            AgentMessage::Tool(r) => results.push(json!({
                "type": "tool_result",
                "tool_use_id": r.call_id,
                "content": r.content,
                "is_error": r.is_error,
            })),
        }
    }
    flush(&mut results, &mut out);
    (system, out)
}

/// Where `anthropic` instruments go when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// The API version header sent with every request.
pub const API_VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the Messages API; this is used when a request sets none.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// An Anthropic Messages API backend.
#[derive(Debug, Clone)]
pub struct AnthropicInstrument {
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

impl AnthropicInstrument {
    /// Builds the instrument; reads the API key variable now (missing = Config error).
    pub fn new(config: &InstrumentConfig) -> Result<Self> {
        let base = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        Ok(Self {
            inner: Arc::new(Inner {
                name: config.name.clone(),
                model: config.model.clone(),
                url: join_url(base, "/v1/messages"),
                key: key_from_config(config.api_key_env.as_deref())?,
                extra: config.extra.clone(),
                http: HttpClient::new(config)?,
            }),
        })
    }
}

impl Inner {
    fn body(&self, request: &CompletionRequest) -> Value {
        let model = request.model.as_deref().unwrap_or(&self.model);
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == Role::System)
            .map(|m| m.content.as_str())
            .collect();
        let messages: Vec<Value> = request
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect();
        let mut body = json!({
            "model": model,
            "messages": messages,
            "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            "stream": true,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        merge_extra(&mut body, &self.extra);
        body
    }

    /// A Messages body offering `tools` (`input_schema` per tool).
    fn tool_body(&self, request: &ToolRequest) -> Value {
        let model = request.model.as_deref().unwrap_or(&self.model);
        let (system, messages) = anthropic_messages(&request.messages);
        let mut body = json!({
            "model": model,
            "messages": messages,
            "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            "stream": true,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if !request.tools.is_empty() {
            body["tools"] = Value::Array(
                request
                    .tools
                    .iter()
                    .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
                    .collect(),
            );
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        merge_extra(&mut body, &self.extra);
        body
    }

    fn headers(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        );
        if let Some(key) = &self.key {
            secret_header(&mut headers, "x-api-key", "", key)?;
        }
        Ok(headers)
    }
}

impl Instrument for AnthropicInstrument {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Anthropic
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
            tracing::debug!(instrument = %inner.name, url = %inner.url, "anthropic call");
            inner
                .http
                .stream_call(
                    &inner.url,
                    &headers,
                    &body,
                    AnthropicDecoder::default(),
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
            tracing::debug!(instrument = %inner.name, url = %inner.url, tools = request.tools.len(), "anthropic tool turn");
            inner
                .http
                .stream_turn(
                    &inner.url,
                    &headers,
                    &body,
                    AnthropicDecoder::default(),
                    events,
                    &cancel,
                )
                .await
        })
    }
}

/// Decodes Anthropic Messages SSE events.
#[derive(Debug, Default)]
pub(crate) struct AnthropicDecoder {
    sse: SseParser,
    events: Vec<SseEvent>,
}

impl AnthropicDecoder {
    fn decode(&mut self, out: &mut Vec<Decoded>) {
        for ev in self.events.drain(..) {
            let v: Value = match serde_json::from_str(&ev.data) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, event = %ev.event, "anthropic stream: skipping an event that is not JSON");
                    out.push(Decoded::Invalid(ev.data));
                    continue;
                }
            };
            let kind = v
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or(ev.event.as_str());
            match kind {
                "message_start" => {
                    if let Some(u) = v.pointer("/message/usage") {
                        out.push(Decoded::Usage {
                            prompt: u.get("input_tokens").and_then(Value::as_u64),
                            completion: u.get("output_tokens").and_then(Value::as_u64),
                        });
                    }
                }
                "content_block_start"
                    if v.pointer("/content_block/type").and_then(Value::as_str)
                        == Some("tool_use") =>
                {
                    let block = v.get("content_block");
                    let field = |k: &str| {
                        block
                            .and_then(|b| b.get(k))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    };
                    // A non-empty `input` in the start block is the whole input.
                    let arguments = match block.and_then(|b| b.get("input")) {
                        Some(Value::Object(o)) if !o.is_empty() => {
                            Value::Object(o.clone()).to_string()
                        }
                        _ => String::new(),
                    };
                    out.push(Decoded::ToolCall {
                        index: block_index(&v),
                        id: field("id"),
                        name: field("name"),
                        arguments,
                    });
                }
                "content_block_delta"
                    if v.pointer("/delta/type").and_then(Value::as_str)
                        == Some("input_json_delta") =>
                {
                    out.push(Decoded::ToolCall {
                        index: block_index(&v),
                        id: None,
                        name: None,
                        arguments: v
                            .pointer("/delta/partial_json")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    });
                }
                "content_block_start" => {
                    if let Some(t) = v.pointer("/content_block/text").and_then(Value::as_str) {
                        out.push(Decoded::Token(t.to_string()));
                    }
                }
                "content_block_delta" => {
                    if v.pointer("/delta/type").and_then(Value::as_str) == Some("text_delta")
                        && let Some(t) = v.pointer("/delta/text").and_then(Value::as_str)
                    {
                        out.push(Decoded::Token(t.to_string()));
                    }
                }
                "message_delta" => {
                    if let Some(r) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                        out.push(Decoded::Finish(finish_reason(r)));
                    }
                    if let Some(u) = v.get("usage") {
                        out.push(Decoded::Usage {
                            prompt: u.get("input_tokens").and_then(Value::as_u64),
                            completion: u.get("output_tokens").and_then(Value::as_u64),
                        });
                    }
                }
                "message_stop" => out.push(Decoded::Done),
                "error" => out.push(Decoded::Error(
                    json_error_message(&v).unwrap_or_else(|| ev.data.clone()),
                )),
                _ => {} // ping, content_block_stop, future event types
            }
        }
    }
}

/// The `index` of a content-block event.
fn block_index(v: &Value) -> usize {
    v.get("index").and_then(Value::as_u64).unwrap_or(0) as usize
}

impl Decoder for AnthropicDecoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        self.sse.feed(bytes, &mut self.events);
        self.decode(out);
    }

    fn finish(&mut self, out: &mut Vec<Decoded>) {
        self.sse.finish(&mut self.events);
        self.decode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{ChatMessage, FinishReason};

    #[test]
    fn system_goes_to_the_top_level_field() {
        let config: InstrumentConfig =
            toml::from_str("name = \"a\"\nkind = \"anthropic\"\nmodel = \"m\"").unwrap();
        let i = AnthropicInstrument::new(&config).unwrap();
        let body = i.inner.body(&CompletionRequest {
            messages: vec![
                ChatMessage::new(Role::System, "be brief"),
                ChatMessage::new(Role::User, "hi"),
            ],
            ..Default::default()
        });
        assert_eq!(body["system"], "be brief");
        assert_eq!(body["messages"], json!([{"role": "user", "content": "hi"}]));
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
    }

    #[test]
    fn decodes_the_event_sequence() {
        let mut d = AnthropicDecoder::default();
        let mut out = Vec::new();
        d.feed(
            b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n\
event: ping\ndata: {\"type\": \"ping\"}\n\n\
event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n\
event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            &mut out,
        );
        assert_eq!(
            out,
            vec![
                Decoded::Usage {
                    prompt: Some(7),
                    completion: Some(1)
                },
                Decoded::Token("Hi".into()),
                Decoded::Finish(FinishReason::Stop),
                Decoded::Usage {
                    prompt: None,
                    completion: Some(3)
                },
                Decoded::Done
            ]
        );
    }
}
