//! `[completion]` in config.toml: which instrument answers inline completions, in which
//! wire format, when (debounce, per-language switches) and how much context is sent.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The wire format a completion request is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FimFormat {
    /// llama.cpp's `POST /infill`, as llama.vim sends it.
    Infill,
    /// OpenAI-compatible `POST /v1/completions` with `prompt` + `suffix`.
    Openai,
    /// `POST /v1/completions` with the prefix and suffix put into [`CompletionConfig::template`]
    /// (for models that need their own FIM tokens and servers without `suffix`).
    OpenaiTemplate,
    /// Ollama's `POST /api/generate` with `suffix`.
    Ollama,
    /// LSP 3.18 `textDocument/inlineCompletion` from the buffer's language server (one
    /// that offers `inlineCompletionProvider`, e.g. a Copilot language server), asked
    /// through the editor process; no instrument is needed.
    Lsp,
}

/// The default FIM template (Qwen2.5-Coder / StarCoder2 style tokens).
pub const DEFAULT_TEMPLATE: &str = "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>";

/// `[completion]`: every field has a default, so `[completion]\ninstrument = "x"` is enough.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompletionConfig {
    /// Inline completion on at start (the toggle key flips it for the session).
    pub enabled: bool,
    /// The `[[instruments]]` entry that answers (its base URL, model and key are used);
    /// not needed with `format = "lsp"`.
    pub instrument: Option<String>,
    /// The wire format; by default from the instrument's kind (ollama: `ollama`,
    /// otherwise `infill`).
    pub format: Option<FimFormat>,
    /// For `openai-template`: `{prefix}` and `{suffix}` are replaced.
    pub template: String,
    /// The pause after the last keystroke before a request goes out.
    pub debounce_ms: u64,
    /// At most this many lines of a suggestion are shown and accepted.
    pub max_lines: usize,
    /// Lines before the cursor's line sent as the prefix.
    pub prefix_lines: usize,
    /// Lines after the cursor's line sent as the suffix.
    pub suffix_lines: usize,
    /// Chunks of recently edited files sent as extra context (`input_extra`).
    pub extra_chunks: usize,
    /// Lines per extra chunk.
    pub extra_chunk_lines: usize,
    /// A request body never exceeds this many bytes: extra chunks go first, then the
    /// prefix loses lines from its start and the suffix from its end.
    pub max_request_bytes: usize,
    /// Tokens to generate at most.
    pub n_predict: u32,
    /// llama.cpp: time budget for the prompt.
    pub t_max_prompt_ms: u64,
    /// llama.cpp: time budget for the prediction.
    pub t_max_predict_ms: u64,
    /// How many alternatives to ask for (OpenAI-compatible `n`; others give one).
    pub alternatives: u32,
    /// Seconds a request may take in all before it is given up.
    pub timeout_secs: u64,
    /// Per-language switches by language name (`markdown = false`); unlisted are on.
    pub languages: BTreeMap<String, bool>,
}

impl Default for CompletionConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            instrument: None,
            format: None,
            template: DEFAULT_TEMPLATE.to_string(),
            debounce_ms: 150,
            max_lines: 8,
            prefix_lines: 64,
            suffix_lines: 16,
            extra_chunks: 4,
            extra_chunk_lines: 32,
            max_request_bytes: 16 * 1024,
            n_predict: 64,
            t_max_prompt_ms: 500,
            t_max_predict_ms: 1000,
            alternatives: 1,
            timeout_secs: 10,
            languages: BTreeMap::new(),
        }
    }
}

impl CompletionConfig {
    /// Whether a backend is named: an instrument, or the language server.
    pub fn has_backend(&self) -> bool {
        self.instrument.is_some() || self.format == Some(FimFormat::Lsp)
    }

    /// Whether completion is wanted in a buffer of `language` (case-insensitive).
    pub fn enabled_for(&self, language: Option<&str>) -> bool {
        let Some(language) = language else {
            return true;
        };
        self.languages
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(language))
            .is_none_or(|(_, on)| *on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_section_takes_defaults_and_language_switches() {
        let c: CompletionConfig = toml::from_str(
            "enabled = true\ninstrument = \"local\"\nformat = \"openai-template\"\n[languages]\nMarkdown = false\n",
        )
        .unwrap();
        assert!(c.enabled);
        assert_eq!(c.format, Some(FimFormat::OpenaiTemplate));
        assert_eq!(c.debounce_ms, 150);
        assert!(!c.enabled_for(Some("markdown")));
        assert!(c.enabled_for(Some("rust")));
        assert!(c.enabled_for(None));
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<CompletionConfig>("debounse_ms = 3").is_err());
    }
}
