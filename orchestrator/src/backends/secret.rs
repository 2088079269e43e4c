//! API keys: read from the environment variable a config names, and never printed
//! (Debug and Display are redacted; HTTP headers carrying them are marked sensitive).
//!
//! Every key value read is also registered in one process-wide registry, and
//! [`redact`] replaces each registered value in any text: the instrument errors'
//! messages, the tokens and answers the Conductor passes on, the run journals, the
//! artifacts and the log file all go through it. [`secret_vars`] names the
//! variables a child process that does not need a key must not inherit.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;

use crate::instrument::{InstrumentError, Result};

/// An API key. Its `Debug` and `Display` show only the variable it came from.
#[derive(Clone)]
pub struct ApiKey {
    var: String,
    value: String,
}

impl ApiKey {
    /// Reads the key from the variable `var`; a missing or empty variable is a
    /// configuration error naming the variable (never a value).
    pub fn from_env(var: &str) -> Result<Self> {
        register_var(var);
        match std::env::var(var) {
            Ok(value) if !value.trim().is_empty() => {
                register(&value);
                Ok(Self {
                    var: var.to_string(),
                    value: value.trim().to_string(),
                })
            }
            _ => Err(InstrumentError::Config(format!(
                "the environment variable {var} (api_key_env) is not set"
            ))),
        }
    }

    /// The variable the key came from.
    pub fn var(&self) -> &str {
        &self.var
    }

    /// The key itself, for the one header that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(${}, redacted)", self.var)
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<key from ${}>", self.var)
    }
}

/// Reads the key a config asks for: `None` when no variable is configured.
pub(crate) fn key_from_config(var: Option<&str>) -> Result<Option<ApiKey>> {
    match var {
        Some(v) if !v.is_empty() => ApiKey::from_env(v).map(Some),
        _ => Ok(None),
    }
}

/// What replaces a secret in text.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not treated as secrets (they would match ordinary text).
pub const MIN_SECRET_LEN: usize = 8;

pub use symphony_protocol::secret_env::{KNOWN_KEY_VARS, looks_like_key_var};

struct Registry {
    values: Vec<String>,
    vars: Vec<String>,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    values: Vec::new(),
    vars: Vec::new(),
});

fn read_registry() -> std::sync::RwLockReadGuard<'static, Registry> {
    REGISTRY.read().unwrap_or_else(|p| p.into_inner())
}

fn write_registry() -> std::sync::RwLockWriteGuard<'static, Registry> {
    REGISTRY.write().unwrap_or_else(|p| p.into_inner())
}

/// Registers a secret value: from now on [`redact`] replaces it (and its trimmed
/// form). Values shorter than [`MIN_SECRET_LEN`] are ignored.
pub fn register(value: &str) {
    let mut r = write_registry();
    for v in [value, value.trim()] {
        if v.len() >= MIN_SECRET_LEN && !r.values.iter().any(|have| have == v) {
            r.values.push(v.to_owned());
        }
    }
    // Longest first, so a key that contains another is replaced whole.
    r.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
}

/// Registers a variable that holds a key (`api_key_env`) and, if it is set, its value.
pub fn register_var(var: &str) {
    if var.is_empty() {
        return;
    }
    {
        let mut r = write_registry();
        if !r.vars.iter().any(|v| v == var) {
            r.vars.push(var.to_owned());
        }
    }
    if let Ok(value) = std::env::var(var) {
        register(&value);
    }
}

/// Registers the well-known key variables ([`KNOWN_KEY_VARS`]) and any variable whose
/// name ends in `_API_KEY`, with their values. Call once at start.
pub fn register_environment() {
    for var in KNOWN_KEY_VARS {
        register_var(var);
    }
    for name in symphony_protocol::secret_env::key_vars_set() {
        register_var(&name);
    }
}

/// The variables a child that needs no key must not inherit: those registered (every
/// configured `api_key_env`), the well-known ones and any `*_API_KEY` set now.
pub fn secret_vars() -> Vec<String> {
    let mut out: Vec<String> = read_registry().vars.clone();
    for var in KNOWN_KEY_VARS {
        out.push((*var).to_owned());
    }
    out.extend(symphony_protocol::secret_env::key_vars_set());
    out.sort();
    out.dedup();
    out
}

/// `text` with every registered secret replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let r = read_registry();
    let mut out = Cow::Borrowed(text);
    for v in &r.values {
        if out.contains(v.as_str()) {
            out = Cow::Owned(out.replace(v.as_str(), REDACTED));
        }
    }
    out
}

/// [`redact`], `None` when nothing changed (for hooks that only want a change).
pub fn redact_changed(text: &str) -> Option<String> {
    match redact(text) {
        Cow::Borrowed(_) => None,
        Cow::Owned(s) => Some(s),
    }
}

/// Redacts text that arrives in pieces (streamed tokens): a secret split across two
/// pieces is still caught, because the end of a piece that could be the start of a
/// secret is held back until the next piece (or [`StreamRedactor::finish`]).
#[derive(Debug, Default)]
pub struct StreamRedactor {
    held: String,
}

impl StreamRedactor {
    /// A redactor with nothing held.
    pub fn new() -> Self {
        Self::default()
    }

    /// The text that can be passed on now, redacted.
    pub fn push(&mut self, piece: &str) -> String {
        self.held.push_str(piece);
        let clean = redact(&self.held).into_owned();
        let keep = {
            let r = read_registry();
            r.values
                .iter()
                .map(|v| partial_overlap(&clean, v))
                .max()
                .unwrap_or(0)
        };
        let cut = clean.len() - keep;
        self.held = clean[cut..].to_owned();
        clean[..cut].to_owned()
    }

    /// The stream ended: what was held back, redacted.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.held);
        redact(&rest).into_owned()
    }
}

/// The length of the longest end of `text` that is a proper start of `secret`
/// (on a character boundary).
fn partial_overlap(text: &str, secret: &str) -> usize {
    let max = secret.len().saturating_sub(1).min(text.len());
    (1..=max)
        .rev()
        .find(|&n| {
            let start = text.len() - n;
            text.is_char_boundary(start) && secret.as_bytes().starts_with(&text.as_bytes()[start..])
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_key_is_replaced_everywhere_and_short_values_are_not_secrets() {
        register("sk-unit-test-key-0123456789");
        register("abc");
        assert_eq!(
            redact("401: bad key sk-unit-test-key-0123456789 (sk-unit-test-key-0123456789)"),
            "401: bad key [redacted] ([redacted])"
        );
        assert_eq!(redact("abc stays"), "abc stays");
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_key_split_across_streamed_pieces_is_still_redacted() {
        register("sk-stream-key-abcdefgh");
        let mut r = StreamRedactor::new();
        let mut out = String::new();
        for piece in ["the key is sk-str", "eam-key-ab", "cdefgh, ", "bye sk-"] {
            out.push_str(&r.push(piece));
        }
        out.push_str(&r.finish());
        assert_eq!(out, "the key is [redacted], bye sk-");
    }

    #[test]
    fn configured_key_variables_are_kept_from_children() {
        register_var("SYMPHONY_UNIT_TEST_KEY_VAR");
        assert!(secret_vars().contains(&"SYMPHONY_UNIT_TEST_KEY_VAR".to_owned()));
    }
}
