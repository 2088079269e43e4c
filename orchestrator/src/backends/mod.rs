//! The built-in instruments (model backends): OpenAI-compatible, Ollama, Anthropic and
//! command. Each implements [`crate::instrument::Instrument`].
//!
//! - [`build`] turns an `[[instruments]]` config into a ready instrument.
//! - [`detect_local`] finds what this machine offers when nothing is configured: an
//!   Ollama on 127.0.0.1:11434, and `OPENAI_API_KEY` / `ANTHROPIC_API_KEY` in the
//!   environment (only the variable's name goes into the suggestion, never the key).
//! - [`sse`] and [`ndjson`]: incremental parsers for the wire formats.
//!
//! ```no_run
//! # async fn demo() -> Result<(), symphony_conductor::instrument::InstrumentError> {
//! use symphony_conductor::instrument::*;
//! let config: InstrumentConfig = toml::from_str(r#"
//!     name = "local"
//!     kind = "openai"
//!     base_url = "http://127.0.0.1:8080"
//!     model = "qwen2.5-coder"
//! "#).expect("valid config");
//! let instrument = symphony_conductor::backends::build(&config)?;
//! let (tx, mut rx) = tokio::sync::mpsc::channel(64);
//! let request = CompletionRequest {
//!     messages: vec![ChatMessage::new(Role::User, "hello")],
//!     ..Default::default()
//! };
//! let call = tokio::spawn(instrument.call(request, tx, CancellationToken::new()));
//! while let Some(event) = rx.recv().await {
//!     if let InstrumentEvent::Token(text) = event {
//!         print!("{text}"); // as it arrives
//!     }
//! }
//! let completion = call.await.expect("joined")?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

pub mod anthropic;
pub mod command;
pub(crate) mod http;
pub mod ndjson;
pub mod ollama;
pub mod openai;
pub mod secret;
pub mod sse;
mod stream;

pub use anthropic::AnthropicInstrument;
pub use command::CommandInstrument;
pub use ollama::OllamaInstrument;
pub use openai::OpenAiInstrument;
pub use secret::ApiKey;

use crate::instrument::{Instrument, InstrumentConfig, InstrumentError, InstrumentKind, Result};

/// Builds the instrument a config describes. Reads the API key variable now: a
/// configured variable that is missing is a [`InstrumentError::Config`].
pub fn build(config: &InstrumentConfig) -> Result<Arc<dyn Instrument>> {
    Ok(match config.kind {
        InstrumentKind::Openai => Arc::new(OpenAiInstrument::new(config)?),
        InstrumentKind::Ollama => Arc::new(OllamaInstrument::new(config)?),
        InstrumentKind::Anthropic => Arc::new(AnthropicInstrument::new(config)?),
        InstrumentKind::Command => Arc::new(CommandInstrument::new(config)?),
        InstrumentKind::Extension => {
            return Err(InstrumentError::Config(format!(
                "instrument {}: extension instruments are provided by extensions, not built here",
                config.name
            )));
        }
    })
}

/// Ollama's default address.
pub const OLLAMA_LOCAL_URL: &str = ollama::DEFAULT_BASE_URL;
/// The model suggested for a detected `OPENAI_API_KEY` (the user can change it).
pub const SUGGESTED_OPENAI_MODEL: &str = "gpt-4o-mini";
/// The model suggested for a detected `ANTHROPIC_API_KEY` (the user can change it).
pub const SUGGESTED_ANTHROPIC_MODEL: &str = "claude-3-5-haiku-latest";
/// How long detection waits for a local Ollama.
const DETECT_TIMEOUT: Duration = Duration::from_millis(400);

/// An instrument found on this machine, suggested when nothing is configured.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedInstrument {
    /// A config that would use it (`api_key_env` names the variable; no key inside).
    pub config: InstrumentConfig,
    /// What was found, for the AI pane ("Ollama at http://127.0.0.1:11434 with 3 models").
    pub found: String,
}

/// Looks for an Ollama on 127.0.0.1:11434 and for `OPENAI_API_KEY` /
/// `ANTHROPIC_API_KEY` in the environment.
pub async fn detect_local() -> Vec<DetectedInstrument> {
    detect_with(OLLAMA_LOCAL_URL, |var| {
        std::env::var_os(var).is_some_and(|v| !v.is_empty())
    })
    .await
}

/// [`detect_local`] with the Ollama address and the environment check given.
pub async fn detect_with(
    ollama_base: &str,
    has_env: impl Fn(&str) -> bool,
) -> Vec<DetectedInstrument> {
    let mut found = Vec::new();
    if let Some(models) = probe_ollama(ollama_base).await {
        let mut config = suggested("ollama", InstrumentKind::Ollama);
        config.base_url = Some(ollama_base.to_string());
        config.model = models.first().cloned().unwrap_or_default();
        let what = match models.len() {
            0 => "no model pulled yet (`ollama pull MODEL`)".to_string(),
            1 => "1 model".to_string(),
            n => format!("{n} models"),
        };
        found.push(DetectedInstrument {
            config,
            found: format!("Ollama at {ollama_base} with {what}"),
        });
    }
    for (var, name, kind, model) in [
        (
            "OPENAI_API_KEY",
            "openai",
            InstrumentKind::Openai,
            SUGGESTED_OPENAI_MODEL,
        ),
        (
            "ANTHROPIC_API_KEY",
            "anthropic",
            InstrumentKind::Anthropic,
            SUGGESTED_ANTHROPIC_MODEL,
        ),
    ] {
        if has_env(var) {
            let mut config = suggested(name, kind);
            config.model = model.to_string();
            config.api_key_env = Some(var.to_string());
            found.push(DetectedInstrument {
                config,
                found: format!("${var} is set"),
            });
        }
    }
    found
}

fn suggested(name: &str, kind: InstrumentKind) -> InstrumentConfig {
    InstrumentConfig {
        name: name.to_string(),
        kind,
        base_url: None,
        model: String::new(),
        api_key_env: None,
        command: Vec::new(),
        max_concurrency: 2,
        connect_timeout_secs: 5,
        idle_timeout_secs: 60,
        max_retries: 3,
        extra: Default::default(),
    }
}

/// The model names of an Ollama that answers `/api/tags` quickly, or `None`.
async fn probe_ollama(base: &str) -> Option<Vec<String>> {
    let client = reqwest::Client::builder()
        .timeout(DETECT_TIMEOUT)
        .connect_timeout(DETECT_TIMEOUT)
        .build()
        .ok()?;
    let url = http::join_url(base, "/api/tags");
    let response = client.get(&url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let v: serde_json::Value = response.json().await.ok()?;
    let models = v.get("models")?.as_array()?;
    Some(
        models
            .iter()
            .filter_map(|m| m.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect(),
    )
}
