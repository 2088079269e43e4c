//! `[[instruments]]` in config.toml: how one model backend is reached.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::InstrumentKind;

/// One configured instrument.
///
/// ```toml
/// [[instruments]]
/// name = "local"
/// kind = "openai"
/// base_url = "http://127.0.0.1:8080"
/// model = "qwen2.5-coder"
/// api_key_env = "OPENAI_API_KEY"   # the NAME of the variable, never the key
/// max_concurrency = 2
/// connect_timeout_secs = 5
/// idle_timeout_secs = 60           # no byte for this long: timeout
/// max_retries = 3
/// [instruments.extra]              # merged into the request body
/// top_p = 0.9
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentConfig {
    /// Name used by workflows and shown in the pool pane.
    pub name: String,
    /// Which backend.
    pub kind: InstrumentKind,
    /// Base URL (`http://host:port`, without `/v1`), for HTTP kinds.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The model to ask for.
    #[serde(default)]
    pub model: String,
    /// The name of the environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// For `command`: the program and its arguments (the prompt goes to stdin).
    #[serde(default)]
    pub command: Vec<String>,
    /// Calls at once; more wait in the pool's queue.
    #[serde(default = "default_concurrency")]
    pub max_concurrency: usize,
    /// Seconds to connect.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Seconds without a byte before the call times out.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// Retries on 429 and 5xx (with backoff, honouring Retry-After).
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// Extra request parameters merged into the request body.
    #[serde(default)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn default_concurrency() -> usize {
    2
}
fn default_connect_timeout() -> u64 {
    5
}
fn default_idle_timeout() -> u64 {
    60
}
fn default_retries() -> u32 {
    3
}
