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
//!
//! The process is the instrument's "model" for the pool: loaded while it runs. An
//! extension not started yet (its activation is not `on_startup`) is started by the
//! first call, which waits for it (bounded); prewarm starts it and forwards the
//! optional request `instrument.prewarm`; unload cancels the calls running on it,
//! forwards the optional `instrument.unload` and stops the process. An extension
//! answering those two with `unknown_method` is fine.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use symphony_extensions::host::Event;
use symphony_extensions::host::wire::UNKNOWN_METHOD;
use symphony_extensions::{ExtensionHandle, HostError, Manifest};
use symphony_protocol::envelope::Priority;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::process::{Launcher, Process};
use crate::instrument::{
    CallFuture, CancellationToken, Completion, CompletionRequest, FinishReason, Instrument,
    InstrumentError, InstrumentEvent, InstrumentKind, LoadedModel, ResidencyFuture, Usage,
};

/// Topic of streamed tokens.
pub const TOKEN_TOPIC: &str = "instrument.token";
/// Topic of token counts.
pub const USAGE_TOPIC: &str = "instrument.usage";
/// Topic of the cancel notice sent to the extension.
const CANCEL_TOPIC: &str = "instrument.cancel";
/// The optional request forwarded on prewarm (load a model now).
pub const PREWARM_METHOD: &str = "instrument.prewarm";
/// The optional request forwarded on unload (free the model now).
pub const UNLOAD_METHOD: &str = "instrument.unload";
/// How long the extension may take to answer `instrument.unload` (it is stopped
/// anyway).
const UNLOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// An instrument extension as a model backend.
///
/// Residency: the extension's process is its "model". It is loaded while the
/// process runs ([`Instrument::loaded_models`] lists the instrument's model then),
/// [`Instrument::prewarm`] starts the process (and forwards `instrument.prewarm`),
/// [`Instrument::unload`] cancels the calls running on it, forwards
/// `instrument.unload` and stops the process. An extension that does not know
/// those two requests is fine.
#[derive(Debug, Clone)]
pub struct ExtensionInstrument {
    process: Arc<Process>,
    name: String,
    model: String,
    timeout: Duration,
    cancel_grace: Duration,
    /// The calls running now, by request id, with a token that cancels each.
    calls: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl ExtensionInstrument {
    /// The instrument of a started extension: named after its id, its model is the
    /// extension's name; calls may take 10 minutes.
    pub fn new(handle: ExtensionHandle) -> Self {
        Self::of(Process::started(handle, None))
    }

    /// The instrument of an extension started by `launcher` on its first call (or
    /// prewarm).
    pub fn lazy(manifest: Manifest, launcher: Arc<dyn Launcher>) -> Self {
        Self::of(Process::lazy(manifest, launcher))
    }

    /// A started extension that `launcher` starts again should it be unloaded
    /// from the host.
    pub fn started(handle: ExtensionHandle, launcher: Arc<dyn Launcher>) -> Self {
        Self::of(Process::started(handle, Some(launcher)))
    }

    fn of(process: Process) -> Self {
        let name = process.id().to_string();
        let model = process.manifest().name.clone();
        ExtensionInstrument {
            process: Arc::new(process),
            name,
            model,
            timeout: Duration::from_secs(600),
            cancel_grace: Duration::from_millis(500),
            calls: Arc::new(Mutex::new(HashMap::new())),
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

    /// The longest the extension may take to start for a call or a prewarm (20 s by
    /// default); past it the call fails saying so.
    pub fn with_start_timeout(self, timeout: Duration) -> Self {
        self.process.set_start_timeout(timeout);
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

    /// The extension's id.
    pub fn id(&self) -> &str {
        self.process.id()
    }

    /// The extension behind it, once started.
    pub fn handle(&self) -> Option<ExtensionHandle> {
        self.process.handle()
    }

    /// Whether its process runs now.
    pub fn is_running(&self) -> bool {
        self.process.is_active()
    }

    /// How many calls run on it now.
    pub fn running_calls(&self) -> usize {
        self.calls.lock().len()
    }

    pub(crate) fn process(&self) -> &Arc<Process> {
        &self.process
    }
}

/// Forgets a call's cancel token when the call ends, however it ends.
struct Registered {
    calls: Arc<Mutex<HashMap<String, CancellationToken>>>,
    id: String,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.calls.lock().remove(&self.id);
    }
}

/// The resident memory of process `pid` (Linux `/proc`; `None` elsewhere).
fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Sends `instrument.cancel` for a call whose future is dropped before it ends.
struct CancelOnDrop {
    /// `None` once the call ended.
    handle: Option<ExtensionHandle>,
    id: String,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            tracing::debug!(ext = %h.id(), request = %self.id, "call dropped; cancelling it");
            let _ = h.send_event(
                CANCEL_TOPIC,
                json!({"request": self.id}),
                Priority::High,
                None,
            );
        }
    }
}

/// Sends an optional request: an extension that does not know it is fine.
async fn forward(
    h: &ExtensionHandle,
    method: &str,
    timeout: Duration,
) -> crate::instrument::Result<()> {
    match h
        .request_with(method, json!({}), Priority::Normal, timeout)
        .await
    {
        Ok(_) => Ok(()),
        Err(HostError::Remote { code, .. })
            if code == UNKNOWN_METHOD || code == "method_not_found" || code == "-32601" =>
        {
            Ok(())
        }
        Err(e) => Err(map_error(e, String::new(), h.id())),
    }
}

fn not_started(id: &str, message: String) -> InstrumentError {
    InstrumentError::Connect {
        endpoint: format!("extension {id}"),
        message,
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
        let id = Uuid::new_v4().to_string();
        // Unloading the instrument cancels this token (not the caller's).
        let mine = cancel.child_token();
        self.calls.lock().insert(id.clone(), mine.clone());
        let registered = Registered {
            calls: self.calls.clone(),
            id: id.clone(),
        };
        let process = self.process.clone();
        let timeout = self.timeout;
        let grace = self.cancel_grace;
        Box::pin(async move {
            let _registered = registered;
            let started = Instant::now();
            let handle = tokio::select! {
                biased;
                () = mine.cancelled() => {
                    return Err(InstrumentError::Cancelled { partial: String::new() });
                }
                h = process.ensure() => h.map_err(|e| not_started(process.id(), e))?,
            };
            // A call dropped before it ends (its run cancelled) still tells the
            // extension to stop it.
            let mut abandoned = CancelOnDrop {
                handle: Some(handle.clone()),
                id: id.clone(),
            };
            let call = Call {
                handle,
                timeout,
                grace,
                id,
                text: String::new(),
                usage: Usage::default(),
                first_token: None,
                started,
            };
            let result = call.run(request, events, mine).await;
            abandoned.handle = None;
            result
        })
    }

    fn supports_residency(&self) -> bool {
        true
    }

    fn loaded_models(&self) -> ResidencyFuture<Vec<LoadedModel>> {
        let loaded = self.process.is_active().then(|| LoadedModel {
            name: self.model.clone(),
            // The process's memory (its own, not its children's).
            size: self
                .process
                .handle()
                .and_then(|h| h.pid())
                .and_then(resident_bytes)
                .unwrap_or(0),
            size_vram: 0,
            expires_at: None,
        });
        Box::pin(async move { Ok(loaded.into_iter().collect()) })
    }

    fn prewarm(&self) -> ResidencyFuture<()> {
        let process = self.process.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            let h = process
                .ensure()
                .await
                .map_err(|e| not_started(process.id(), e))?;
            forward(&h, PREWARM_METHOD, timeout).await
        })
    }

    fn unload(&self) -> ResidencyFuture<()> {
        let process = self.process.clone();
        let calls = self.calls.clone();
        let wait = self.cancel_grace + Duration::from_secs(2);
        Box::pin(async move {
            // The calls running on it first, as Esc would.
            let tokens: Vec<CancellationToken> = calls.lock().values().cloned().collect();
            for t in &tokens {
                t.cancel();
            }
            let deadline = Instant::now() + wait;
            while !calls.lock().is_empty() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if let Some(h) = process.handle().filter(|_| process.is_active())
                && let Err(e) = forward(&h, UNLOAD_METHOD, UNLOAD_TIMEOUT).await
            {
                tracing::warn!(ext = %process.id(), error = %e, "instrument.unload failed; stopping it anyway");
            }
            process.stop().await;
            Ok(())
        })
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
