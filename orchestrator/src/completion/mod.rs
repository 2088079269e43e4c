//! Inline completion ("ghost text") backends: fill-in-the-middle requests to a model
//! server, one module per wire format, a cache by (prefix, suffix) hash and the
//! context builder.
//!
//! - [`config`]: `[completion]` in config.toml.
//! - [`context`]: what is sent around the cursor, cut to a byte budget.
//! - [`llama`] (`/infill`), [`openai`] (`/v1/completions`), [`ollama`] (`/api/generate`).
//! - [`cache`]: suggestions by context hash.
//! - [`ring`]: chunks of recently edited or opened files, sent as extra context.
//!
//! [`FimClient::complete`] is async and cancellable; the client runs it off the UI
//! thread and drops answers that come for a context it has left.

use parking_lot::Mutex;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

pub mod cache;
pub mod config;
pub mod context;
pub mod llama;
pub mod ollama;
pub mod openai;
pub mod ring;

pub use config::{CompletionConfig, FimFormat};
pub use context::{ExtraChunk, FimContext};
pub use ring::ChunkRing;

use crate::backends::ApiKey;
use crate::backends::http::{HttpClient, join_url, merge_extra, secret_header};
use crate::instrument::{
    CancellationToken, InstrumentConfig, InstrumentError, InstrumentKind, Result, Usage,
};

/// A model's answer: one or more alternative texts to insert at the cursor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suggestion {
    /// The alternatives, the model's first choice first (never empty from a backend).
    pub alternatives: Vec<String>,
    /// Tokens read and written, as far as the server says.
    pub usage: Usage,
    /// The server's own time in milliseconds, when it says.
    pub server_ms: Option<f64>,
    /// Served from the cache, no request made.
    pub cached: bool,
}

impl Suggestion {
    /// The first alternative.
    pub fn text(&self) -> &str {
        self.alternatives.first().map_or("", String::as_str)
    }

    /// Each alternative cut to `max_lines` lines; empty alternatives dropped.
    pub fn limited(mut self, max_lines: usize) -> Self {
        for alt in &mut self.alternatives {
            *alt = first_lines(alt, max_lines.max(1)).to_string();
        }
        self.alternatives.retain(|a| !a.trim().is_empty());
        self
    }
}

fn first_lines(text: &str, n: usize) -> &str {
    match text.match_indices('\n').nth(n - 1) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

pub(crate) fn usage_of(prompt: Option<f64>, completion: Option<f64>) -> Usage {
    Usage {
        prompt_tokens: prompt.unwrap_or(0.0).max(0.0) as u64,
        completion_tokens: completion.unwrap_or(0.0).max(0.0) as u64,
    }
}

/// Sends completion requests to one instrument's server in one wire format.
#[derive(Debug)]
pub struct FimClient {
    http: HttpClient,
    url: String,
    headers: HeaderMap,
    model: String,
    format: FimFormat,
    config: CompletionConfig,
    extra: std::collections::BTreeMap<String, Value>,
    cache: Mutex<cache::SuggestionCache>,
}

impl FimClient {
    /// A client for `instrument` (its base URL, model, key and `extra` parameters).
    pub fn new(config: &CompletionConfig, instrument: &InstrumentConfig) -> Result<Self> {
        let format = config.format.unwrap_or(match instrument.kind {
            InstrumentKind::Ollama => FimFormat::Ollama,
            _ => FimFormat::Infill,
        });
        let base = instrument.base_url.clone().unwrap_or_else(|| match format {
            FimFormat::Ollama => crate::backends::OLLAMA_LOCAL_URL.to_string(),
            _ => "http://127.0.0.1:8012".to_string(),
        });
        let path = match format {
            FimFormat::Infill => llama::PATH,
            FimFormat::Openai | FimFormat::OpenaiTemplate => openai::PATH,
            FimFormat::Ollama => ollama::PATH,
            FimFormat::Lsp => {
                return Err(InstrumentError::Config(
                    "[completion] format = \"lsp\" is answered by the language server, not an instrument".into(),
                ));
            }
        };
        let mut headers = HeaderMap::new();
        if let Some(var) = &instrument.api_key_env {
            let key = ApiKey::from_env(var)?;
            secret_header(&mut headers, "authorization", "Bearer ", &key)?;
        }
        if format == FimFormat::OpenaiTemplate && !config.template.contains("{prefix}") {
            return Err(InstrumentError::Config(
                "[completion] template has no {prefix}".into(),
            ));
        }
        Ok(Self {
            http: HttpClient::new(instrument)?,
            url: join_url(&base, path),
            headers,
            model: instrument.model.clone(),
            format,
            config: config.clone(),
            extra: instrument.extra.clone(),
            cache: Mutex::new(cache::SuggestionCache::default()),
        })
    }

    /// Where requests go.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The wire format.
    pub fn format(&self) -> FimFormat {
        self.format
    }

    /// The request body for `ctx`, never over `max_request_bytes`.
    pub fn body(&self, ctx: &FimContext) -> Result<Value> {
        let mut body = match self.format {
            FimFormat::Infill => llama::body(ctx, &self.config),
            FimFormat::Openai => openai::body(ctx, &self.config, &self.model, None),
            FimFormat::OpenaiTemplate => {
                openai::body(ctx, &self.config, &self.model, Some(&self.config.template))
            }
            // (`new` refuses `Lsp`: no client of it exists)
            FimFormat::Ollama | FimFormat::Lsp => ollama::body(ctx, &self.config, &self.model),
        };
        merge_extra(&mut body, &self.extra);
        let len = body.to_string().len();
        if len > self.config.max_request_bytes {
            return Err(InstrumentError::Config(format!(
                "a completion request of {len} bytes exceeds [completion] max_request_bytes = {}",
                self.config.max_request_bytes
            )));
        }
        Ok(body)
    }

    /// A suggestion for `ctx`: from the cache, or one request (no retries: a late
    /// suggestion is worthless) that `cancel` drops at once.
    pub async fn complete(
        &self,
        ctx: &FimContext,
        cancel: &CancellationToken,
    ) -> Result<Suggestion> {
        let key = cache::key(&ctx.before(), &ctx.suffix);
        if let Some(hit) = self.cache.lock().get(key) {
            let mut hit = hit.clone();
            hit.cached = true;
            return Ok(hit);
        }
        let body = self.body(ctx)?;
        let timeout = Duration::from_secs(self.config.timeout_secs.max(1));
        let answer = self
            .http
            .post_json_once(&self.url, &self.headers, &body, timeout, cancel)
            .await?;
        let suggestion = match self.format {
            FimFormat::Infill => llama::parse(&answer)?,
            FimFormat::Openai | FimFormat::OpenaiTemplate => openai::parse(&answer)?,
            FimFormat::Ollama | FimFormat::Lsp => ollama::parse(&answer)?,
        }
        .limited(self.config.max_lines);
        self.cache.lock().insert(key, suggestion.clone());
        Ok(suggestion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_cut_to_max_lines_and_blank_ones_dropped() {
        let s = Suggestion {
            alternatives: vec!["a\nb\nc\n".into(), "  \n".into()],
            ..Default::default()
        }
        .limited(2);
        assert_eq!(s.alternatives, vec!["a\nb".to_string()]);
    }

    #[test]
    fn a_template_is_filled_once_per_placeholder() {
        assert_eq!(
            openai::fill("<P>{prefix}<S>{suffix}<M>", "x{suffix}", "y"),
            "<P>x{suffix}<S>y<M>"
        );
    }
}
