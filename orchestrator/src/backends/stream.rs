//! The streaming loop shared by every instrument: read bytes (idle timeout, cancel),
//! decode them into tokens / usage / finish, send events as they come, and end with a
//! [`Completion`] or an error that keeps the partial answer.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::instrument::tools::ToolCallAssembler;
use crate::instrument::{
    CancellationToken, Completion, FinishReason, InstrumentError, InstrumentEvent, Result,
    ToolTurn, Usage,
};

/// What a wire-format decoder found in the bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decoded {
    /// Answer text.
    Token(String),
    /// Token counts; `None` leaves a count as it was.
    Usage {
        prompt: Option<u64>,
        completion: Option<u64>,
    },
    /// Why generation stopped.
    Finish(FinishReason),
    /// A piece of a tool call: the call at `index` gets its id and name (when given)
    /// and `arguments` appended (a fragment of JSON text).
    ToolCall {
        index: usize,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    /// The answer is complete (`[DONE]`, `done: true`, `message_stop`).
    Done,
    /// The server reported an error inside the stream.
    Error(String),
    /// A line or event that could not be understood (skipped), as it came.
    Invalid(String),
}

/// How much of the first line that could not be understood an error quotes.
const QUOTE_LIMIT: usize = 120;

/// A wire format: bytes in, [`Decoded`] items out.
pub(crate) trait Decoder: Send {
    /// Decodes a chunk of bytes (split anywhere).
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Decoded>);
    /// The byte stream ended: decodes what is left.
    fn finish(&mut self, out: &mut Vec<Decoded>);
}

/// The state of one call: the answer so far, usage, timing; sends the events.
pub(crate) struct Collector {
    events: mpsc::Sender<InstrumentEvent>,
    started: Instant,
    text: String,
    usage: Usage,
    finish: Option<FinishReason>,
    first_token: Option<Duration>,
    done: bool,
    /// Whether any item the server sent was understood.
    understood: bool,
    /// The first line that was not (skipped), for the error when nothing was.
    first_invalid: Option<String>,
    /// Tool calls being assembled.
    tools: ToolCallAssembler,
}

impl Collector {
    /// Starts timing a call now.
    pub(crate) fn new(events: mpsc::Sender<InstrumentEvent>, started: Instant) -> Self {
        Self {
            events,
            started,
            text: String::new(),
            usage: Usage::default(),
            finish: None,
            first_token: None,
            done: false,
            understood: false,
            first_invalid: None,
            tools: ToolCallAssembler::default(),
        }
    }

    /// The answer so far.
    pub(crate) fn partial(&self) -> String {
        self.text.clone()
    }

    /// Whether the answer is complete.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Applies one decoded item, sending its event (awaits a full channel).
    pub(crate) async fn apply(&mut self, item: Decoded) -> Result<()> {
        if !matches!(item, Decoded::Invalid(_) | Decoded::Done) {
            self.understood = true;
        }
        match item {
            Decoded::Token(t) => {
                if t.is_empty() {
                    return Ok(());
                }
                if self.first_token.is_none() {
                    self.first_token = Some(self.started.elapsed());
                }
                self.text.push_str(&t);
                // A receiver that went away is not an error: the call still completes.
                let _ = self.events.send(InstrumentEvent::Token(t)).await;
            }
            Decoded::Usage { prompt, completion } => {
                if let Some(p) = prompt {
                    self.usage.prompt_tokens = p;
                }
                if let Some(c) = completion {
                    self.usage.completion_tokens = c;
                }
                let _ = self.events.send(InstrumentEvent::Usage(self.usage)).await;
            }
            Decoded::Finish(f) => self.finish = Some(f),
            Decoded::ToolCall {
                index,
                id,
                name,
                arguments,
            } => {
                if self.first_token.is_none() {
                    self.first_token = Some(self.started.elapsed());
                }
                self.tools
                    .apply(index, id.as_deref(), name.as_deref(), &arguments);
            }
            Decoded::Done => {
                self.done = true;
                self.check_understood()?;
            }
            Decoded::Invalid(line) => {
                if self.first_invalid.is_none() {
                    self.first_invalid = Some(line);
                }
            }
            Decoded::Error(message) => {
                return Err(InstrumentError::Stream {
                    message,
                    partial: self.partial(),
                });
            }
        }
        Ok(())
    }

    /// A stream that sent only lines that could not be understood is an error, not
    /// an empty answer.
    fn check_understood(&self) -> Result<()> {
        match &self.first_invalid {
            Some(line) if !self.understood => Err(InstrumentError::Protocol(format!(
                "the model server sent no valid events: first line was {:?}",
                quote(line)
            ))),
            _ => Ok(()),
        }
    }

    /// The finished turn with its tool calls.
    pub(crate) fn turn(mut self) -> ToolTurn {
        let tools = std::mem::take(&mut self.tools);
        ToolTurn {
            completion: self.completion(),
            tool_calls: tools.finish(),
        }
    }

    /// The finished call.
    pub(crate) fn completion(self) -> Completion {
        Completion {
            text: self.text,
            finish: self.finish.unwrap_or(FinishReason::Stop),
            usage: self.usage,
            time_to_first_token: self.first_token,
            elapsed: self.started.elapsed(),
        }
    }

    /// How the call ends when the bytes stop: complete, or dropped mid-answer (a
    /// stream that dies while the model writes a tool call says which tool).
    pub(crate) fn end_of_stream(self) -> Result<Self> {
        self.check_understood()?;
        if self.done || self.finish.is_some() {
            Ok(self)
        } else if let Some(name) = self.tools.last_name() {
            Err(InstrumentError::Stream {
                message: format!(
                    "the stream ended while the model was writing a call to {name}; the call was not run"
                ),
                partial: self.text,
            })
        } else {
            Err(InstrumentError::Dropped { partial: self.text })
        }
    }
}

/// Something that yields chunks of bytes: an HTTP body or a process's stdout.
pub(crate) trait ByteSource: Send {
    /// The next chunk; `Ok(None)` at the end; `Err` when the connection broke.
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = std::result::Result<Option<Vec<u8>>, String>> + Send;
}

impl ByteSource for reqwest::Response {
    async fn next_chunk(&mut self) -> std::result::Result<Option<Vec<u8>>, String> {
        match self.chunk().await {
            Ok(Some(b)) => Ok(Some(b.to_vec())),
            Ok(None) => Ok(None),
            Err(e) => Err(super::http::error_chain(&e)),
        }
    }
}

/// Reads `source` to the end through `decoder`, with an idle timeout and cancellation.
/// Dropping `source` on return closes the connection.
pub(crate) async fn read_stream<S: ByteSource, D: Decoder>(
    source: S,
    decoder: D,
    collector: Collector,
    idle: Duration,
    cancel: &CancellationToken,
) -> Result<Completion> {
    Ok(read_collected(source, decoder, collector, idle, cancel)
        .await?
        .completion())
}

/// [`read_stream`] for a turn that may end in tool calls.
pub(crate) async fn read_turn<S: ByteSource, D: Decoder>(
    source: S,
    decoder: D,
    collector: Collector,
    idle: Duration,
    cancel: &CancellationToken,
) -> Result<ToolTurn> {
    Ok(read_collected(source, decoder, collector, idle, cancel)
        .await?
        .turn())
}

async fn read_collected<S: ByteSource, D: Decoder>(
    mut source: S,
    mut decoder: D,
    mut collector: Collector,
    idle: Duration,
    cancel: &CancellationToken,
) -> Result<Collector> {
    let mut items = Vec::new();
    loop {
        let chunk = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                return Err(InstrumentError::Cancelled { partial: collector.partial() });
            }
            r = tokio::time::timeout(idle, source.next_chunk()) => r,
        };
        let ended = match chunk {
            Err(_) => {
                return Err(InstrumentError::Timeout {
                    after: idle,
                    partial: collector.partial(),
                });
            }
            Ok(Ok(Some(bytes))) => {
                decoder.feed(&bytes, &mut items);
                false
            }
            Ok(Ok(None)) => {
                decoder.finish(&mut items);
                true
            }
            Ok(Err(message)) => {
                tracing::debug!(%message, "model stream broke");
                decoder.finish(&mut items);
                true
            }
        };
        for item in items.drain(..) {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    return Err(InstrumentError::Cancelled { partial: collector.partial() });
                }
                r = collector.apply(item) => r?,
            }
        }
        if collector.is_done() {
            return Ok(collector);
        }
        if ended {
            return collector.end_of_stream();
        }
    }
}

/// The start of `line` (at most [`QUOTE_LIMIT`] characters, `...` when cut).
fn quote(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Maps the finish words servers use to a [`FinishReason`].
pub(crate) fn finish_reason(word: &str) -> FinishReason {
    match word {
        "stop" | "end_turn" | "stop_sequence" | "eos" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "tool_use" => FinishReason::Other("tool_calls".to_string()),
        other => FinishReason::Other(other.to_string()),
    }
}
