//! [`ExtensionInstrument`]: an instrument extension behind the
//! [`Instrument`] trait.
//!
//! The call is the request `invoke` with params `{request_id, prompt, messages,
//! max_tokens, temperature, model}`. While it runs, the extension publishes
//! `instrument.token` events `{request, text}` (streamed as
//! [`InstrumentEvent::Token`]) and may publish `instrument.usage` events `{request,
//! prompt_tokens, completion_tokens}`. The reply may carry `text` (else the tokens
//! joined), `finish` (`stop`, `length`, anything else) and `usage`. Events without a
//! `request` field are taken as belonging to the running call.
//!
//! Cancelling sends the event `instrument.cancel {request}` and, if the call has not
//! ended within [`ExtensionInstrument::cancel_grace`], restarts the extension (its
//! process group is killed, so the command it ran goes too).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use symphony_extensions::host::Event;
use symphony_extensions::{ExtensionHandle, HostError};
use symphony_protocol::envelope::Priority;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::instrument::{
    CallFuture, CancellationToken, Completion, CompletionRequest, FinishReason, Instrument,
    InstrumentError, InstrumentEvent, InstrumentKind, Usage,
};

/// Topic of streamed tokens.
pub const TOKEN_TOPIC: &str = "instrument.token";
/// Topic of token counts.
pub const USAGE_TOPIC: &str = "instrument.usage";
/// Topic of the cancel notice sent to the extension.
const CANCEL_TOPIC: &str = "instrument.cancel";

/// An instrument extension as a model backend.
#[derive(Debug, Clone)]
pub struct ExtensionInstrument {
    handle: ExtensionHandle,
    name: String,
    model: String,
    timeout: Duration,
    cancel_grace: Duration,
}

impl ExtensionInstrument {
    /// The instrument of a started extension: named after its id, its model is the
    /// extension's name; calls may take 10 minutes.
    pub fn new(handle: ExtensionHandle) -> Self {
        let name = handle.id().to_string();
        let model = handle.manifest().name.clone();
        ExtensionInstrument {
            handle,
            name,
            model,
            timeout: Duration::from_secs(600),
            cancel_grace: Duration::from_millis(500),
        }
    }

    /// Another name (as workflows and the pool pane call it).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Another model name shown in the pool pane.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// The longest a call may take (the extension is restarted past it).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long a cancelled call may take to stop before the extension is restarted.
    pub fn cancel_grace(&self) -> Duration {
        self.cancel_grace
    }

    /// Sets [`ExtensionInstrument::cancel_grace`].
    pub fn with_cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = grace;
        self
    }

    /// The extension behind it.
    pub fn handle(&self) -> &ExtensionHandle {
        &self.handle
    }
}

impl Instrument for ExtensionInstrument {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Extension
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn call(
        &self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> CallFuture {
        let call = Call {
            handle: self.handle.clone(),
            timeout: self.timeout,
            grace: self.cancel_grace,
            id: Uuid::new_v4().to_string(),
            text: String::new(),
            usage: Usage::default(),
            first_token: None,
            started: Instant::now(),
        };
        Box::pin(call.run(request, events, cancel))
    }
}

/// One running call.
struct Call {
    handle: ExtensionHandle,
    timeout: Duration,
    grace: Duration,
    id: String,
    text: String,
    usage: Usage,
    first_token: Option<Duration>,
    started: Instant,
}

impl Call {
    async fn run(
        mut self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> crate::instrument::Result<Completion> {
        // Subscribe before asking, so no token can be missed.
        let mut sub = self.handle.subscribe("instrument.*");
        let params = json!({
            "request_id": self.id,
            "prompt": prompt_of(&request),
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "model": request.model,
        });
        let handle = self.handle.clone();
        let timeout = self.timeout;
        let invoke = handle.request_with("invoke", params, Priority::Normal, timeout);
        tokio::pin!(invoke);
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.cancel(&mut invoke).await;
                    return Err(InstrumentError::Cancelled { partial: self.text });
                }
                Some(ev) = sub.recv() => self.on_event(ev, &events).await,
                reply = &mut invoke => {
                    // The extension's events were published before its reply was read.
                    while let Ok(ev) = sub.try_recv() {
                        self.on_event(ev, &events).await;
                    }
                    return self.finish(reply);
                }
            }
        }
    }

    /// Takes one bus event if it is this call's.
    async fn on_event(&mut self, ev: Event, events: &mpsc::Sender<InstrumentEvent>) {
        if ev.source != self.handle.endpoint() {
            return;
        }
        match ev.data.get("request").and_then(Value::as_str) {
            Some(r) if r != self.id => return,
            _ => {}
        }
        if ev.topic == TOKEN_TOPIC {
            let Some(text) = ev.data.get("text").and_then(Value::as_str) else {
                return;
            };
            if text.is_empty() {
                return;
            }
            if self.first_token.is_none() {
                self.first_token = Some(self.started.elapsed());
            }
            self.text.push_str(text);
            let _ = events.send(InstrumentEvent::Token(text.to_string())).await;
        } else if ev.topic == USAGE_TOPIC {
            self.usage = usage_of(&ev.data).unwrap_or(self.usage);
            let _ = events.send(InstrumentEvent::Usage(self.usage)).await;
        }
    }

    /// Asks the extension to stop; restarts it if it does not in time.
    async fn cancel<F>(&self, invoke: &mut std::pin::Pin<&mut F>)
    where
        F: std::future::Future<Output = symphony_extensions::host::Result<Value>>,
    {
        let _ = self.handle.send_event(
            CANCEL_TOPIC,
            json!({"request": self.id}),
            Priority::High,
            None,
        );
        if tokio::time::timeout(self.grace, invoke.as_mut())
            .await
            .is_err()
        {
            tracing::info!(ext = %self.handle.id(), "cancelled call still running; restarting the extension");
            self.handle.restart("call cancelled");
        }
    }

    fn finish(
        self,
        reply: symphony_extensions::host::Result<Value>,
    ) -> crate::instrument::Result<Completion> {
        let v = match reply {
            Ok(v) => v,
            Err(e) => return Err(map_error(e, self.text, self.handle.id())),
        };
        let text = match v.get("text").and_then(Value::as_str) {
            Some(t) => t.to_string(),
            None => self.text,
        };
        let finish = match v.get("finish").and_then(Value::as_str) {
            None | Some("stop") => FinishReason::Stop,
            Some("length") => FinishReason::Length,
            Some(other) => FinishReason::Other(other.to_string()),
        };
        let usage = v.get("usage").and_then(usage_of).unwrap_or(self.usage);
        Ok(Completion {
            text,
            finish,
            usage,
            time_to_first_token: self.first_token,
            elapsed: self.started.elapsed(),
        })
    }
}

/// The conversation as one prompt (for extensions that take plain text).
fn prompt_of(request: &CompletionRequest) -> String {
    let mut s = String::new();
    for m in &request.messages {
        if !s.is_empty() {
            s.push_str("\n\n");
        }
        s.push_str(&m.content);
    }
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

fn usage_of(v: &Value) -> Option<Usage> {
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    if n("prompt_tokens").is_none() && n("completion_tokens").is_none() {
        return None;
    }
    Some(Usage {
        prompt_tokens: n("prompt_tokens").unwrap_or(0),
        completion_tokens: n("completion_tokens").unwrap_or(0),
    })
}

fn map_error(e: HostError, partial: String, id: &str) -> InstrumentError {
    match e {
        HostError::Timeout { timeout, .. } => InstrumentError::Timeout {
            after: timeout,
            partial,
        },
        HostError::Gone(_) if !partial.is_empty() => InstrumentError::Dropped { partial },
        HostError::Gone(_) | HostError::NotRunning(_) | HostError::Transition(_) => {
            InstrumentError::Connect {
                endpoint: format!("extension {id}"),
                message: e.to_string(),
            }
        }
        HostError::Remote { code, message } => InstrumentError::Stream {
            message: format!("{code}: {message}"),
            partial,
        },
        HostError::Disabled(_) => InstrumentError::Config(e.to_string()),
    }
}
