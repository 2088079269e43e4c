//! The HTTP side shared by the HTTP instruments: one reqwest client per instrument
//! (HTTP/1.1, rustls for https), connect and idle timeouts, cancellation that drops the
//! connection, retries with exponential backoff on 429 / 5xx (honouring `Retry-After`),
//! and error messages taken from the server's own JSON.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;

use super::secret::ApiKey;
use super::stream::{Collector, Decoder, read_stream, read_turn};
use crate::instrument::{
    CancellationToken, Completion, InstrumentConfig, InstrumentError, InstrumentEvent, Result,
    ToolTurn,
};

/// First retry wait when the server gives no `Retry-After`; doubles each attempt.
const RETRY_BASE: Duration = Duration::from_millis(500);
/// Longest wait between attempts, whatever the server asks.
const RETRY_CAP: Duration = Duration::from_secs(60);
/// How much of an error body is kept.
const ERROR_BODY_LIMIT: usize = 2048;

/// The HTTP client of one instrument.
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    /// No byte for this long: timeout.
    pub(crate) idle_timeout: Duration,
    max_retries: u32,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("idle_timeout", &self.idle_timeout)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client with the config's timeouts and retries.
    pub(crate) fn new(config: &InstrumentConfig) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs.max(1)))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("symphony/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| InstrumentError::Config(format!("HTTP client: {}", error_chain(&e))))?;
        Ok(Self {
            client,
            idle_timeout: Duration::from_secs(config.idle_timeout_secs.max(1)),
            max_retries: config.max_retries,
        })
    }

    /// POSTs `body` as JSON and returns the response once it has a success status,
    /// retrying 429 and 5xx answers. Cancelling drops the request at once.
    /// One streamed call: POSTs `body` (with retries) and decodes the answer with
    /// `decoder` into `events` until it ends, times out or `cancel` fires.
    pub(crate) async fn stream_call<D: Decoder>(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        decoder: D,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: &CancellationToken,
    ) -> Result<Completion> {
        let started = Instant::now();
        let response = self
            .post_stream(url, headers, body, &events, cancel)
            .await?;
        read_stream(
            response,
            decoder,
            Collector::new(events, started),
            self.idle_timeout,
            cancel,
        )
        .await
    }

    /// [`HttpClient::stream_call`] for a turn that offers tools.
    pub(crate) async fn stream_turn<D: Decoder>(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        decoder: D,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: &CancellationToken,
    ) -> Result<ToolTurn> {
        let started = Instant::now();
        let response = self
            .post_stream(url, headers, body, &events, cancel)
            .await?;
        read_turn(
            response,
            decoder,
            Collector::new(events, started),
            self.idle_timeout,
            cancel,
        )
        .await
    }

    pub(crate) async fn post_stream(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        events: &mpsc::Sender<InstrumentEvent>,
        cancel: &CancellationToken,
    ) -> Result<Response> {
        let mut attempt: u32 = 1;
        loop {
            let send = self
                .client
                .post(url)
                .headers(headers.clone())
                .json(body)
                .send();
            let response = tokio::select! {
                _ = cancel.cancelled() => return Err(cancelled()),
                r = tokio::time::timeout(self.idle_timeout, send) => match r {
                    Err(_) => return Err(InstrumentError::Timeout { after: self.idle_timeout, partial: String::new() }),
                    Ok(Err(e)) => return Err(send_error(url, &e)),
                    Ok(Ok(r)) => r,
                },
            };
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let retry_after = retry_after(response.headers());
            let message = tokio::select! {
                _ = cancel.cancelled() => return Err(cancelled()),
                m = error_body(response, self.idle_timeout) => m,
            };
            let message = if message.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                message
            };
            let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            if !retryable || attempt > self.max_retries {
                return Err(InstrumentError::Http {
                    status: status.as_u16(),
                    message,
                });
            }
            let wait = retry_after
                .unwrap_or_else(|| RETRY_BASE.saturating_mul(1 << (attempt - 1).min(16)))
                .min(RETRY_CAP);
            tracing::info!(
                url,
                status = status.as_u16(),
                ?wait,
                attempt,
                "retrying model request"
            );
            let event = InstrumentEvent::Retrying {
                attempt: attempt + 1,
                after: wait,
                reason: format!("HTTP {}: {message}", status.as_u16()),
            };
            tokio::select! {
                _ = cancel.cancelled() => return Err(cancelled()),
                _ = events.send(event) => {}
            }
            tokio::select! {
                _ = cancel.cancelled() => return Err(cancelled()),
                _ = tokio::time::sleep(wait) => {}
            }
            attempt += 1;
        }
    }

    /// One POST with a small JSON answer, within `timeout` overall, no retries (a
    /// completion that is late is worthless): cancelling drops the connection at once.
    pub(crate) async fn post_json_once(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<Value> {
        let send = async {
            let response = self
                .client
                .post(url)
                .headers(headers.clone())
                .json(body)
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| {
                    if e.is_timeout() {
                        InstrumentError::Timeout {
                            after: timeout,
                            partial: String::new(),
                        }
                    } else {
                        send_error(url, &e)
                    }
                })?;
            let status = response.status();
            if !status.is_success() {
                let message = error_body(response, timeout).await;
                return Err(InstrumentError::Http {
                    status: status.as_u16(),
                    message,
                });
            }
            let bytes = response.bytes().await.map_err(|e| {
                if e.is_timeout() {
                    InstrumentError::Timeout {
                        after: timeout,
                        partial: String::new(),
                    }
                } else {
                    InstrumentError::Protocol(format!("{url}: {}", error_chain(&e)))
                }
            })?;
            serde_json::from_slice(&bytes)
                .map_err(|e| InstrumentError::Protocol(format!("{url}: not JSON: {e}")))
        };
        tokio::select! {
            _ = cancel.cancelled() => Err(cancelled()),
            r = send => r,
        }
    }

    /// A GET or POST with a small JSON answer, within `timeout` overall (no retries).
    pub(crate) async fn request_json(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Value> {
        let mut request = self.client.request(method, url).timeout(timeout);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| send_error(url, &e))?;
        let status = response.status();
        if !status.is_success() {
            let message = error_body(response, timeout).await;
            return Err(InstrumentError::Http {
                status: status.as_u16(),
                message,
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| InstrumentError::Protocol(format!("{url}: {}", error_chain(&e))))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| InstrumentError::Protocol(format!("{url}: not JSON: {e}")))
    }
}

fn cancelled() -> InstrumentError {
    InstrumentError::Cancelled {
        partial: String::new(),
    }
}

/// A header carrying a secret, marked sensitive so it never shows in debug output.
pub(crate) fn secret_header(
    headers: &mut HeaderMap,
    name: &'static str,
    prefix: &str,
    key: &ApiKey,
) -> Result<()> {
    let mut value = HeaderValue::from_str(&format!("{prefix}{}", key.expose())).map_err(|_| {
        InstrumentError::Config(format!(
            "the key in ${} is not a valid header value",
            key.var()
        ))
    })?;
    value.set_sensitive(true);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// `{base}{path}`, tolerating a trailing `/` or `/v1` on the configured base URL.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = if path.starts_with("/v1/") {
        base.strip_suffix("/v1").unwrap_or(base)
    } else {
        base
    };
    format!("{base}{path}")
}

/// Merges the config's `extra` parameters into a request body (objects merge key by key).
pub(crate) fn merge_extra(body: &mut Value, extra: &std::collections::BTreeMap<String, Value>) {
    let Value::Object(map) = body else {
        return;
    };
    for (k, v) in extra {
        match (map.get_mut(k), v) {
            (Some(Value::Object(existing)), Value::Object(add)) => {
                for (k2, v2) in add {
                    existing.insert(k2.clone(), v2.clone());
                }
            }
            _ => {
                map.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare from model servers and ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// Reads an error body (bounded in size and time) and extracts the server's message.
async fn error_body(mut response: Response, idle: Duration) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_LIMIT * 4 {
        match tokio::time::timeout(idle, response.chunk()).await {
            Ok(Ok(Some(bytes))) => body.extend_from_slice(&bytes),
            _ => break,
        }
    }
    server_message(&String::from_utf8_lossy(&body))
}

/// The server's own message from an error body: `{"error":{"message":..}}` (OpenAI,
/// Anthropic), `{"error":".."}` (Ollama), `{"message":..}`, or the text itself.
pub(crate) fn server_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body)
        && let Some(m) = json_error_message(&v)
    {
        return m;
    }
    let text = body.trim();
    let mut end = text.len().min(ERROR_BODY_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The message of a JSON error object in any of the shapes model servers use.
pub(crate) fn json_error_message(v: &Value) -> Option<String> {
    match v.get("error") {
        Some(Value::String(s)) => return Some(s.clone()),
        Some(e @ Value::Object(_)) => {
            if let Some(m) = e.get("message").and_then(Value::as_str) {
                return Some(m.to_string());
            }
            return Some(e.to_string());
        }
        _ => {}
    }
    v.get("message").and_then(Value::as_str).map(str::to_string)
}

/// A send failure (connect refused, DNS, TLS, connect timeout).
fn send_error(url: &str, e: &reqwest::Error) -> InstrumentError {
    InstrumentError::Connect {
        endpoint: url.to_string(),
        message: error_chain(e),
    }
}

/// An error and its sources, joined with `: ` (reqwest's own message is generic).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_in_every_shape() {
        assert_eq!(
            server_message(r#"{"error":{"message":"Rate limit","type":"x"}}"#),
            "Rate limit"
        );
        assert_eq!(
            server_message(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "Overloaded"
        );
        assert_eq!(
            server_message(r#"{"error":"model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(server_message("  Bad Gateway\n"), "Bad Gateway");
    }

    #[test]
    fn urls_join_with_or_without_v1() {
        assert_eq!(
            join_url("http://h:1/", "/v1/messages"),
            "http://h:1/v1/messages"
        );
        assert_eq!(
            join_url("http://h:1/v1", "/v1/chat/completions"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(join_url("http://h:1", "/api/chat"), "http://h:1/api/chat");
    }

    #[test]
    fn extra_merges_objects() {
        let mut body = serde_json::json!({"model": "m", "options": {"temperature": 0.1}});
        let mut extra = std::collections::BTreeMap::new();
        extra.insert("options".to_string(), serde_json::json!({"num_ctx": 4096}));
        extra.insert("top_p".to_string(), serde_json::json!(0.9));
        merge_extra(&mut body, &extra);
        assert_eq!(
            body,
            serde_json::json!({"model": "m", "top_p": 0.9, "options": {"temperature": 0.1, "num_ctx": 4096}})
        );
    }
}
