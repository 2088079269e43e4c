//! API keys: read from the environment variable a config names, and never printed
//! (Debug and Display are redacted; HTTP headers carrying them are marked sensitive).

use std::fmt;

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
        match std::env::var(var) {
            Ok(value) if !value.trim().is_empty() => Ok(Self {
                var: var.to_string(),
                value: value.trim().to_string(),
            }),
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
