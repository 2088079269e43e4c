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
