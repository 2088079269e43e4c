//! The contract between the Conductor and a model backend: a chat request goes in,
//! events (tokens, usage) stream out through a channel, and the call ends with a
//! [`Completion`] or an [`InstrumentError`] that keeps the partial answer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub mod config;
pub mod tools;

pub use config::InstrumentConfig;
pub use tools::{
    AgentMessage, ToolCall, ToolRequest, ToolResult, ToolSpec, ToolTurn, ToolTurnFuture,
};

use crate::backends::secret::redact;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
pub use tokio_util::sync::CancellationToken;

/// Who said a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person (or the workflow speaking for them).
    User,
    /// The model.
    Assistant,
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

impl ChatMessage {
    /// A message with this role and text.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// A request to a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    /// The conversation, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Overrides the instrument's configured model for this call.
    pub model: Option<String>,
}

/// Token counts for one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
}

/// What streams out of a call while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum InstrumentEvent {
    /// Text as it arrived (one SSE / NDJSON chunk, or one read of a command's stdout).
    Token(String),
    /// Token counts, when the server reports them.
    Usage(Usage),
    /// A retry is about to happen (after a 429 or a 5xx), with the wait.
    Retrying {
        /// Attempt number about to start (2 for the first retry).
        attempt: u32,
        /// How long the instrument waits first.
        after: Duration,
        /// Why (the HTTP status and message).
        reason: String,
    },
}

/// Why a call stopped generating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    /// The model finished.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// Anything else the server said.
    Other(String),
}

/// A finished call.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The whole answer.
    pub text: String,
    /// Why it ended.
    pub finish: FinishReason,
    /// Token counts (zero when the server sent none).
    pub usage: Usage,
    /// Time from sending the request to the first token.
    pub time_to_first_token: Option<Duration>,
    /// Time from sending the request to the end.
    pub elapsed: Duration,
}

/// Why a call failed. Every variant that can happen mid-stream keeps the partial answer.
///
/// Its `Display` never shows a registered API key ([`crate::backends::secret::redact`]),
/// whatever the server echoed; [`InstrumentError::redacted`] cleans the fields too.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InstrumentError {
    /// Could not connect or send (server down, refused, DNS).
    #[error("cannot reach {}: {}", redact(.endpoint), redact(.message))]
    Connect {
        /// What was being reached (URL or program).
        endpoint: String,
        /// The OS or client error.
        message: String,
    },
    /// The server answered with an error status (after retries, when retryable).
    #[error("HTTP {status}: {}", redact(.message))]
    Http {
        /// The status code.
        status: u16,
        /// The server's own error message, as it sent it.
        message: String,
    },
    /// The server reported an error inside the stream.
    #[error("the model server reported an error: {}", redact(.message))]
    Stream {
        /// The server's message.
        message: String,
        /// What had arrived before.
        partial: String,
    },
    /// The connection closed (or the process exited) before the answer was complete.
    #[error("the connection dropped mid-answer ({} bytes kept)", partial.len())]
    Dropped {
        /// What had arrived before.
        partial: String,
    },
    /// No byte arrived within the timeout.
    #[error("timed out after {after:?}")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
        /// What had arrived before.
        partial: String,
    },
    /// The caller cancelled (Esc).
    #[error("cancelled")]
    Cancelled {
        /// What had arrived before.
        partial: String,
    },
    /// The reply could not be understood.
    #[error("unexpected reply: {}", redact(.0))]
    Protocol(String),
    /// The instrument is misconfigured (missing key variable, bad URL...).
    #[error("configuration: {}", redact(.0))]
    Config(String),
    /// The backend cannot do this (prewarm, unload, list loaded models...).
    #[error("{operation} is not supported by {kind}")]
    Unsupported {
        /// What was asked ("prewarm", "unload", "listing loaded models").
        operation: String,
        /// The backend kind ("openai", "anthropic", "command"...).
        kind: String,
    },
}

impl InstrumentError {
    /// The same error with every registered secret removed from its text fields
    /// (messages and partial answers), for what is shown, stored and logged.
    pub fn redacted(self) -> Self {
        let r = |s: String| redact(&s).into_owned();
        match self {
            Self::Connect { endpoint, message } => Self::Connect {
                endpoint: r(endpoint),
                message: r(message),
            },
            Self::Http { status, message } => Self::Http {
                status,
                message: r(message),
            },
            Self::Stream { message, partial } => Self::Stream {
                message: r(message),
                partial: r(partial),
            },
            Self::Dropped { partial } => Self::Dropped {
                partial: r(partial),
            },
            Self::Timeout { after, partial } => Self::Timeout {
                after,
                partial: r(partial),
            },
            Self::Cancelled { partial } => Self::Cancelled {
                partial: r(partial),
            },
            Self::Protocol(m) => Self::Protocol(r(m)),
            Self::Config(m) => Self::Config(r(m)),
            e @ Self::Unsupported { .. } => e,
        }
    }

    /// The partial answer kept by a mid-stream failure, if any.
    pub fn partial(&self) -> Option<&str> {
        match self {
            InstrumentError::Stream { partial, .. }
            | InstrumentError::Dropped { partial }
            | InstrumentError::Timeout { partial, .. }
            | InstrumentError::Cancelled { partial } => Some(partial),
            _ => None,
        }
    }
}

/// The result of a call.
pub type Result<T> = std::result::Result<T, InstrumentError>;

/// A boxed call future.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<Completion>> + Send + 'static>>;

/// A boxed future of a residency operation (loaded models, prewarm, unload).
pub type ResidencyFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// A model loaded in the backend's memory (Ollama's `/api/ps` entries), for the pool pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedModel {
    /// `name:tag`.
    pub name: String,
    /// Bytes in memory.
    #[serde(default)]
    pub size: u64,
    /// Bytes of it in GPU memory.
    #[serde(default)]
    pub size_vram: u64,
    /// When the backend unloads it (RFC 3339).
    #[serde(default)]
    pub expires_at: Option<String>,
}

fn unsupported<T: Send + 'static>(operation: &str, kind: InstrumentKind) -> ResidencyFuture<T> {
    let err = InstrumentError::Unsupported {
        operation: operation.to_owned(),
        kind: kind.as_str().to_owned(),
    };
    Box::pin(async move { Err(err) })
}

/// The kinds of built-in backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstrumentKind {
    /// Any OpenAI-compatible server (`/v1/chat/completions`, SSE).
    Openai,
    /// Ollama's own API (`/api/chat`, NDJSON).
    Ollama,
    /// Anthropic's Messages API (`/v1/messages`, SSE).
    Anthropic,
    /// A program: prompt on stdin, answer on stdout.
    Command,
    /// An out-of-process extension instrument.
    Extension,
}

impl InstrumentKind {
    /// The kind as config.toml spells it ("openai", "ollama"...).
    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentKind::Openai => "openai",
            InstrumentKind::Ollama => "ollama",
            InstrumentKind::Anthropic => "anthropic",
            InstrumentKind::Command => "command",
            InstrumentKind::Extension => "extension",
        }
    }
}

/// A model backend.
///
/// `call` returns at once with a future; the future streams [`InstrumentEvent`]s into
/// `events` as they arrive and resolves when the answer is complete. Cancelling `cancel`
/// stops the call for real (closes the connection, kills the process) and resolves the
/// future with [`InstrumentError::Cancelled`] holding the partial answer. A full `events`
/// channel is never a reason to drop a token: senders await.
pub trait Instrument: Send + Sync {
    /// The configured name (`[[instruments]] name`).
    fn name(&self) -> &str;
    /// Which backend this is.
    fn kind(&self) -> InstrumentKind;
    /// The model it asks for by default.
    fn model(&self) -> &str;
    /// Starts a call.
    fn call(
        &self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> CallFuture;

    /// Whether the backend takes tools on its own wire ([`Instrument::call_with_tools`]).
    /// A `command` instrument does not; the agent says so when one is chosen.
    fn supports_tools(&self) -> bool {
        false
    }
    /// Starts a model turn that offers `request.tools`; it ends with the text and the
    /// tool calls the model made. Streams tokens into `events` like [`Instrument::call`].
    fn call_with_tools(
        &self,
        request: ToolRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> ToolTurnFuture {
        let _ = (request, events, cancel);
        let err = InstrumentError::Unsupported {
            operation: "tool calling".to_owned(),
            kind: self.kind().as_str().to_owned(),
        };
        Box::pin(async move { Err(err) })
    }

    /// Whether the backend reports which models are loaded and can load (prewarm) and
    /// unload them on request. The Pool Manager polls [`Instrument::loaded_models`] only
    /// for these. Backends opt in by overriding this and the three methods below.
    fn supports_residency(&self) -> bool {
        false
    }
    /// The models loaded in memory now (bounded by a short timeout).
    fn loaded_models(&self) -> ResidencyFuture<Vec<LoadedModel>> {
        unsupported("listing loaded models", self.kind())
    }
    /// Loads the configured model ahead of the first call.
    fn prewarm(&self) -> ResidencyFuture<()> {
        unsupported("prewarm", self.kind())
    }
    /// Unloads the configured model now.
    fn unload(&self) -> ResidencyFuture<()> {
        unsupported("unload", self.kind())
    }
}
