//! The built-in instruments (model backends): OpenAI-compatible, Ollama, Anthropic and
//! command. Each implements [`crate::instrument::Instrument`].
