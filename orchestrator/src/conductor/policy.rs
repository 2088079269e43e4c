//! Model policies: which instrument a model node uses, which one to fall back to when it
//! fails, and how fan-out candidates are scored. The default policy is in Rust (the
//! node's configured instrument, the instrument's own retries, candidates in order); a
//! user policy (a Python function, with the `python` feature) answers `None` to keep it.

/// A user policy consulted by model nodes; every answer `None` keeps the default.
pub trait ModelPolicy: Send + Sync {
    /// The instrument for `node` (configured: the node's own or the default one).
    fn instrument(
        &self,
        node: &str,
        prompt: &str,
        configured: Option<&str>,
        instruments: &[String],
    ) -> Option<String>;

    /// The instrument to try after `instrument` failed with `error` on `attempt` (1-based).
    fn fallback(
        &self,
        node: &str,
        instrument: &str,
        error: &str,
        attempt: u32,
        instruments: &[String],
    ) -> Option<String>;

    /// One score per candidate (the highest wins).
    fn score(&self, candidates: &[String]) -> Option<Vec<f64>>;
}

use super::exec::RunEnv;
use crate::instrument::ChatMessage;

/// Most instruments one model node tries (the first and the fallbacks a policy names).
const MAX_INSTRUMENTS: u32 = 4;

/// The configured instruments' names.
fn names(env: &RunEnv) -> Vec<String> {
    env.instruments
        .statuses()
        .into_iter()
        .map(|s| s.name)
        .collect()
}

/// The instrument of model node `node`: the policy's choice, else `configured`.
pub(crate) fn choose(
    env: &RunEnv,
    node: &str,
    prompt: &str,
    configured: Option<String>,
) -> Option<String> {
    env.policy
        .as_ref()
        .and_then(|p| p.instrument(node, prompt, configured.as_deref(), &names(env)))
        .or(configured)
}

/// Calls `instrument` for `node`; when it fails, the instrument the policy falls back to
/// (if any). The answer and the instrument that gave it.
pub(crate) async fn call_with_fallbacks(
    env: &RunEnv,
    node: &str,
    mut instrument: String,
    messages: Vec<ChatMessage>,
) -> Result<(String, String), String> {
    let mut attempt = 1;
    loop {
        match super::model::call(env, node, &instrument, messages.clone()).await {
            Ok(answer) => return Ok((answer, instrument)),
            Err(e) if e == "cancelled" || attempt >= MAX_INSTRUMENTS => return Err(e),
            Err(e) => {
                let next = env
                    .policy
                    .as_ref()
                    .and_then(|p| p.fallback(node, &instrument, &e, attempt, &names(env)));
                let Some(next) = next else { return Err(e) };
                tracing::info!(
                    node,
                    from = instrument,
                    to = next,
                    error = e,
                    "policy fallback"
                );
                instrument = next;
                attempt += 1;
            }
        }
    }
}
