//! Test support for the Conductor tests: a scripted instrument that STANDS IN FOR A MODEL
//! (it streams tokens it was given, fails, or stalls until cancelled), a Conductor started
//! on a temporary artifact store, and helpers to collect its events.
#![allow(dead_code)]

pub mod sse;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use symphony_conductor::conductor::{Conductor, ConductorConfig, InstrumentFactory};
use symphony_conductor::events::{ConductorEvent, RunId, RunOutcome};
use symphony_conductor::instrument::{
    CallFuture, CancellationToken, Completion, CompletionRequest, FinishReason, Instrument,
    InstrumentConfig, InstrumentError, InstrumentEvent, InstrumentKind, Usage,
};
use tokio::sync::mpsc;

/// What one call of the scripted instrument does.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Streams these tokens, then completes with their concatenation.
    Tokens(Vec<String>),
    /// Fails at once with this error.
    Fail(InstrumentError),
    /// Streams these tokens, then waits until cancelled.
    Stall(Vec<String>),
}

/// A test instrument standing in for a model: each call pops the next behaviour of its
/// script (the last one repeats).
pub struct Scripted {
    name: String,
    script: Mutex<VecDeque<Behaviour>>,
    last: Mutex<Behaviour>,
    pub calls: AtomicUsize,
    pub requests: Mutex<Vec<CompletionRequest>>,
    pub tokens: Mutex<Vec<CancellationToken>>,
}

impl Scripted {
    pub fn new(name: &str, script: Vec<Behaviour>) -> Arc<Self> {
        let last = script
            .last()
            .cloned()
            .unwrap_or(Behaviour::Tokens(Vec::new()));
        Arc::new(Self {
            name: name.into(),
            script: Mutex::new(script.into()),
            last: Mutex::new(last),
            calls: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            tokens: Mutex::new(Vec::new()),
        })
    }

    pub fn tokens(name: &str, tokens: &[&str]) -> Arc<Self> {
        Self::new(
            name,
            vec![Behaviour::Tokens(
                tokens.iter().map(|s| s.to_string()).collect(),
            )],
        )
    }
}

impl Instrument for Scripted {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Command
    }
    fn model(&self) -> &str {
        "scripted"
    }
    fn call(
        &self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> CallFuture {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.requests.lock().push(request);
        self.tokens.lock().push(cancel.clone());
        let b = self
            .script
            .lock()
            .pop_front()
            .unwrap_or_else(|| self.last.lock().clone());
        Box::pin(async move {
            let started = Instant::now();
            match b {
                Behaviour::Fail(e) => Err(e),
                Behaviour::Tokens(tokens) => {
                    let mut text = String::new();
                    for t in tokens {
                        text.push_str(&t);
                        let _ = events.send(InstrumentEvent::Token(t)).await;
                        tokio::task::yield_now().await;
                    }
                    let usage = Usage {
                        prompt_tokens: 10,
                        completion_tokens: text.len() as u64,
                    };
                    let _ = events.send(InstrumentEvent::Usage(usage)).await;
                    Ok(Completion {
                        text,
                        finish: FinishReason::Stop,
                        usage,
                        time_to_first_token: None,
                        elapsed: started.elapsed(),
                    })
                }
                Behaviour::Stall(tokens) => {
                    let mut text = String::new();
                    for t in tokens {
                        text.push_str(&t);
                        let _ = events.send(InstrumentEvent::Token(t)).await;
                    }
                    cancel.cancelled().await;
                    Err(InstrumentError::Cancelled { partial: text })
                }
            }
        })
    }
}

/// An `[[instruments]]` entry for a scripted instrument.
pub fn instrument_config(name: &str, slots: usize) -> InstrumentConfig {
    toml::from_str(&format!(
        "name = \"{name}\"\nkind = \"command\"\ncommand = [\"true\"]\nmax_concurrency = {slots}"
    ))
    .expect("valid instrument config")
}

/// A factory handing out the given instruments by name.
pub fn factory(instruments: Vec<Arc<Scripted>>) -> InstrumentFactory {
    Arc::new(move |cfg: &InstrumentConfig| {
        instruments
            .iter()
            .find(|i| i.name == cfg.name)
            .map(|i| i.clone() as Arc<dyn Instrument>)
            .ok_or_else(|| InstrumentError::Config(format!("no scripted {}", cfg.name)))
    })
}

/// A started Conductor on a temporary store.
pub struct Harness {
    pub conductor: Conductor,
    pub events: mpsc::UnboundedReceiver<ConductorEvent>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// Starts with `config` (its store_dir replaced by a temp dir) and these instruments.
    pub fn start(mut config: ConductorConfig, instruments: Vec<Arc<Scripted>>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        config.store_dir = dir.path().join("artifacts");
        let (conductor, events) =
            Conductor::start_with(config, factory(instruments)).expect("conductor starts");
        Self {
            conductor,
            events,
            dir,
        }
    }

    /// One scripted instrument called `local`, the default.
    pub fn with(instrument: Arc<Scripted>) -> Self {
        let config = ConductorConfig {
            instruments: vec![instrument_config(&instrument.name, 2)],
            ..Default::default()
        };
        Self::start(config, vec![instrument])
    }

    /// The events up to and including `run`'s RunFinished (panics after 20 s: a hang).
    pub async fn until_finished(&mut self, run: RunId) -> Vec<ConductorEvent> {
        self.until(|e| matches!(e, ConductorEvent::RunFinished { run: r, .. } if *r == run))
            .await
    }

    /// The events up to and including the first one matching `stop`.
    pub async fn until(&mut self, stop: impl Fn(&ConductorEvent) -> bool) -> Vec<ConductorEvent> {
        let mut out = Vec::new();
        let deadline = Duration::from_secs(20);
        loop {
            let ev = tokio::time::timeout(deadline, self.events.recv())
                .await
                .expect("the Conductor went silent (hang)")
                .expect("event channel open");
            let done = stop(&ev);
            out.push(ev);
            if done {
                return out;
            }
        }
    }
}

/// The outcome and answer of the RunFinished among `events`.
pub fn finished(events: &[ConductorEvent]) -> (RunOutcome, Option<String>) {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            ConductorEvent::RunFinished {
                outcome, answer, ..
            } => Some((outcome.clone(), answer.clone())),
            _ => None,
        })
        .expect("a RunFinished event")
}

/// The Token texts of `node` among `events`, in order.
pub fn tokens(events: &[ConductorEvent], node: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ConductorEvent::Token { node: n, text, .. } if n == node => Some(text.clone()),
            _ => None,
        })
        .collect()
}
