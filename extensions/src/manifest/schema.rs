//! The typed configuration schema of a manifest (`[config.<name>]` tables).

use serde::{Deserialize, Serialize};

/// The type of a configuration field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigType {
    /// A string.
    String,
    /// A signed integer.
    Integer,
    /// A floating-point number.
    Float,
    /// `true` / `false`.
    Boolean,
    /// An array of strings.
    StringList,
}

/// One configuration field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    /// Its type.
    #[serde(rename = "type")]
    pub ty: ConfigType,
    /// The default value; must have the field's type.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// A secret (API key...): never logged, never shown, and never given a default.
    #[serde(default)]
    pub secret: bool,
    /// What it is for.
    #[serde(default)]
    pub description: String,
}

impl ConfigField {
    /// Checks the default against the type; a secret must not carry a default.
    pub fn validate(&self) -> Result<(), String> {
        let Some(default) = &self.default else {
            return Ok(());
        };
        if self.secret {
            return Err("a secret field must not have a default value".into());
        }
        let ok = match self.ty {
            ConfigType::String => default.is_str(),
            ConfigType::Integer => default.is_integer(),
            ConfigType::Float => default.is_float() || default.is_integer(),
            ConfigType::Boolean => default.is_bool(),
            ConfigType::StringList => default
                .as_array()
                .is_some_and(|a| a.iter().all(toml::Value::is_str)),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("default {default} is not of type {:?}", self.ty))
        }
    }

    /// The default as JSON, if any.
    pub fn default_json(&self) -> Option<serde_json::Value> {
        self.default
            .as_ref()
            .and_then(|v| serde_json::to_value(v).ok())
    }
}
