//! The environment variables that hold model services' API keys, shared by every
//! Symphony process: the client redacts their values and keeps them from children
//! that need no key (the editor process), and the editor keeps them from language
//! servers.

/// The key variables of the well-known model services.
pub const KNOWN_KEY_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "DEEPSEEK_API_KEY",
    "OPENROUTER_API_KEY",
    "TOGETHER_API_KEY",
    "FIREWORKS_API_KEY",
    "XAI_API_KEY",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "COHERE_API_KEY",
];

/// Whether a variable name is one that holds a model service's key: a well-known
/// one, or any name ending in `_API_KEY`.
pub fn looks_like_key_var(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    KNOWN_KEY_VARS.contains(&upper.as_str()) || upper.ends_with("_API_KEY")
}

/// The key variables set in this process's environment now.
pub fn key_vars_set() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| looks_like_key_var(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_variables_are_recognised_by_name() {
        assert!(looks_like_key_var("OPENAI_API_KEY"));
        assert!(looks_like_key_var("my_service_api_key"));
        assert!(looks_like_key_var("HF_TOKEN"));
        assert!(!looks_like_key_var("PATH"));
        assert!(!looks_like_key_var("API_KEYS_DIR"));
    }
}
