//! The `ollama` instrument: Ollama's own API. `POST /api/chat` streams NDJSON
//! (`message.content`, `done`, `done_reason`, `prompt_eval_count`, `eval_count`);
//! `/api/tags` lists models, `/api/ps` the loaded ones, and `keep_alive` prewarms
//! and unloads.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::http::{HttpClient, join_url, json_error_message, merge_extra};
use super::ndjson::NdjsonParser;
use super::stream::{Decoded, Decoder, finish_reason};
use crate::instrument::{
    AgentMessage, CallFuture, CancellationToken, CompletionRequest, Instrument, InstrumentConfig,
    InstrumentError, InstrumentEvent, InstrumentKind, ResidencyFuture, Result, ToolRequest,
    ToolTurnFuture,
};

/// One conversation message on Ollama's wire (tool calls carry their arguments as
/// an object; results go back as `tool` messages naming the tool).
fn ollama_message(m: &AgentMessage) -> Value {
    match m {
        AgentMessage::System { content } => json!({"role": "system", "content": content}),
        AgentMessage::User { content } => json!({"role": "user", "content": content}),
        AgentMessage::Assistant {
            content,
            tool_calls,
        } => {
            let mut v = json!({"role": "assistant", "content": content});
            if !tool_calls.is_empty() {
                v["tool_calls"] = Value::Array(
                    tool_calls
                        .iter()
                        .map(|c| {
                            let args = c.parsed_arguments().unwrap_or_else(|_| json!({}));
                            json!({"function": {"name": c.name, "arguments": args}})
                        })
                        .collect(),
                );
            }
            v
        }
        AgentMessage::Tool(r) => {
            json!({"role": "tool", "content": r.content, "tool_name": r.name})
        }
    }
}

/// Where `ollama` instruments go when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434";
/// How long a keep_alive request (prewarm, unload) may take: loading a big model can
/// take a while.
const MANAGEMENT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `/api/tags` may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `/api/ps` may take (polled every few seconds by the pool).
const PS_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a prewarmed model stays loaded.
pub const PREWARM_KEEP_ALIVE: &str = "5m";

/// A model Ollama has pulled (`/api/tags`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OllamaModel {
    /// `name:tag`.
    pub name: String,
    /// Size on disk in bytes.
    #[serde(default)]
    pub size: u64,
    /// When it was last modified (RFC 3339, as Ollama sends it).
    #[serde(default)]
    pub modified_at: Option<String>,
}

/// A model loaded in memory (`/api/ps`): the trait's type, which Ollama's entries fill.
pub use crate::instrument::LoadedModel;

/// An Ollama backend.
#[derive(Debug, Clone)]
pub struct OllamaInstrument {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    model: String,
    base: String,
    extra: std::collections::BTreeMap<String, Value>,
    http: HttpClient,
}

impl OllamaInstrument {
    /// Builds the instrument (Ollama needs no key).
    pub fn new(config: &InstrumentConfig) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner {
                name: config.name.clone(),
                model: config.model.clone(),
                base: config
                    .base_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
                extra: config.extra.clone(),
                http: HttpClient::new(config)?,
            }),
        })
    }

    /// The models Ollama has pulled (`GET /api/tags`).
    pub async fn list_models(&self) -> Result<Vec<OllamaModel>> {
        self.models("/api/tags", LIST_TIMEOUT).await
    }

    /// The models loaded in memory now (`GET /api/ps`), for the pool pane.
    pub async fn loaded_models(&self) -> Result<Vec<LoadedModel>> {
        self.models("/api/ps", PS_TIMEOUT).await
    }

    /// Loads the configured model and keeps it for [`PREWARM_KEEP_ALIVE`].
    pub async fn prewarm(&self) -> Result<()> {
        self.keep_alive(json!(PREWARM_KEEP_ALIVE)).await
    }

    /// Unloads the configured model now.
    pub async fn unload(&self) -> Result<()> {
        self.keep_alive(json!(0)).await
    }

    /// `POST /api/generate` with an empty prompt: Ollama loads (or, with `keep_alive`
    /// 0, unloads) the model and answers at once without generating.
    async fn keep_alive(&self, keep_alive: Value) -> Result<()> {
        let url = join_url(&self.inner.base, "/api/generate");
        let body = json!({
            "model": self.inner.model,
            "prompt": "",
            "keep_alive": keep_alive,
            "stream": false,
        });
        self.inner
            .http
            .request_json(Method::POST, &url, Some(&body), MANAGEMENT_TIMEOUT)
            .await?;
        Ok(())
    }

    async fn models<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        timeout: Duration,
    ) -> Result<Vec<T>> {
        let url = join_url(&self.inner.base, path);
        let v = self
            .inner
            .http
            .request_json(Method::GET, &url, None, timeout)
            .await?;
        let models = v.get("models").cloned().unwrap_or(Value::Array(Vec::new()));
        serde_json::from_value(models)
            .map_err(|e| InstrumentError::Protocol(format!("{url}: unexpected models list: {e}")))
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

    /// A `/api/chat` body offering `tools` (OpenAI-style function descriptions).
    fn tool_body(&self, request: &ToolRequest) -> Value {
        let messages = request.messages.iter().map(ollama_message).collect();
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

    fn body_with(
        &self,
        model: Option<&str>,
        messages: Value,
        max_tokens: Option<u32>,
        temperature: Option<f32>,
    ) -> Value {
        let model = model.unwrap_or(&self.model);
        let mut options = serde_json::Map::new();
        if let Some(m) = max_tokens {
            options.insert("num_predict".into(), json!(m));
        }
        if let Some(t) = temperature {
            options.insert("temperature".into(), json!(t));
        }
        let mut body = json!({
            "model": model,
            "messages": messages,
            "stream": true,
        });
        if !options.is_empty() {
            body["options"] = Value::Object(options);
        }
        merge_extra(&mut body, &self.extra);
        body
    }
}

impl Instrument for OllamaInstrument {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Ollama
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
            let url = join_url(&inner.base, "/api/chat");
            let body = inner.body(&request);
            tracing::debug!(instrument = %inner.name, %url, "ollama call");
            let decoder = OllamaDecoder::default();
            inner
                .http
                .stream_call(&url, &HeaderMap::new(), &body, decoder, events, &cancel)
                .await
        })
    }

    fn supports_residency(&self) -> bool {
        true
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
            let url = join_url(&inner.base, "/api/chat");
            let body = inner.tool_body(&request);
            tracing::debug!(instrument = %inner.name, %url, tools = request.tools.len(), "ollama tool turn");
            inner
                .http
                .stream_turn(
                    &url,
                    &HeaderMap::new(),
                    &body,
                    OllamaDecoder::default(),
                    events,
                    &cancel,
                )
                .await
        })
    }

    fn loaded_models(&self) -> ResidencyFuture<Vec<LoadedModel>> {
        let me = self.clone();
        Box::pin(async move { OllamaInstrument::loaded_models(&me).await })
    }

    fn prewarm(&self) -> ResidencyFuture<()> {
        let me = self.clone();
        Box::pin(async move { OllamaInstrument::prewarm(&me).await })
    }

    fn unload(&self) -> ResidencyFuture<()> {
        let me = self.clone();
        Box::pin(async move { OllamaInstrument::unload(&me).await })
    }
}

/// Parses an RFC 3339 timestamp as Ollama writes `expires_at`
/// (`2026-11-24T08:05:00Z`, `2024-06-04T14:38:31.83753-07:00`).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = std::str::from_utf8(b.get(r)?).ok()?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = std::str::from_utf8(b.get(start..i)?).ok()?;
        let mut padded: String = digits.chars().take(9).collect();
        while padded.len() < 9 {
            padded.push('0');
        }
        nanos = padded.parse().ok()?;
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset;
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs as u64))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))?
    };
    base.checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// Decodes Ollama's `/api/chat` NDJSON lines.
#[derive(Debug, Default)]
pub(crate) struct OllamaDecoder {
    lines: NdjsonParser,
    pending: Vec<String>,
    /// Tool calls seen so far (Ollama sends each whole, without an index).
    calls: usize,
}

impl OllamaDecoder {
    fn decode(&mut self, out: &mut Vec<Decoded>) {
        for line in self.pending.drain(..) {
            let v: Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "ollama stream: skipping a line that is not JSON");
                    out.push(Decoded::Invalid(line));
                    continue;
                }
            };
            if v.get("error").is_some() {
                out.push(Decoded::Error(
                    json_error_message(&v).unwrap_or_else(|| line.clone()),
                ));
                continue;
            }
            if let Some(t) = v.pointer("/message/content").and_then(Value::as_str) {
                out.push(Decoded::Token(t.to_string()));
            }
            let calls = v.pointer("/message/tool_calls").and_then(Value::as_array);
            for call in calls.into_iter().flatten() {
                let arguments = match call.pointer("/function/arguments") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                out.push(Decoded::ToolCall {
                    index: self.calls,
                    id: call.get("id").and_then(Value::as_str).map(str::to_string),
                    name: call
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    arguments,
                });
                self.calls += 1;
            }
            if v.get("done").and_then(Value::as_bool) == Some(true) {
                let reason = v
                    .get("done_reason")
                    .and_then(Value::as_str)
                    .unwrap_or("stop");
                out.push(Decoded::Finish(finish_reason(reason)));
                out.push(Decoded::Usage {
                    prompt: v.get("prompt_eval_count").and_then(Value::as_u64),
                    completion: v.get("eval_count").and_then(Value::as_u64),
                });
                out.push(Decoded::Done);
            }
        }
    }
}

impl Decoder for OllamaDecoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        self.lines.feed(bytes, &mut self.pending);
        self.decode(out);
    }

    fn finish(&mut self, out: &mut Vec<Decoded>) {
        // A last line without its newline counts only if it is whole JSON.
        if let Some(tail) = self.lines.finish()
            && serde_json::from_str::<Value>(&tail).is_ok()
        {
            self.pending.push(tail);
        }
        self.decode(out);
    }
}
