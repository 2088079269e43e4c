//! A model node's call: a pool slot, the instrument's stream turned into Token and
//! Throughput events at once, the call's figures recorded as a pool sample, and the
//! pool entry marked Hot or Failed.
//!
//! Everything a model sends enters the Conductor here, so this is where registered
//! API keys are taken out of it (tokens, retry reasons, the answer and the error):
//! a server that echoes the key gets it neither shown, stored nor logged.

use std::time::{Duration, Instant};

use symphony_pit::pool::{CallSample, Priority};
use tokio::sync::mpsc;

use super::exec::RunEnv;
use crate::backends::secret::{StreamRedactor, redact};
use crate::events::ConductorEvent;
use crate::instrument::{ChatMessage, CompletionRequest, InstrumentError, InstrumentEvent};

/// Longest wait for a free slot.
const SLOT_WAIT: Duration = Duration::from_secs(600);
/// Shortest gap between two Throughput events of a node.
const THROUGHPUT_EVERY: Duration = Duration::from_millis(200);

/// Calls `instrument` with `messages` for node `node`; the answer, or why it failed.
pub(crate) async fn call(
    env: &RunEnv,
    node: &str,
    instrument: &str,
    messages: Vec<ChatMessage>,
) -> Result<String, String> {
    let inst = env.instruments.get(instrument)?;
    let cancel = env.cancel.lock().child_token();
    env.instruments.prepare(instrument);
    let pool = env.instruments.pool.clone();
    let acquired = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err("cancelled".into()),
        r = pool.acquire(instrument, Priority::High, SLOT_WAIT) => r,
    };
    let (_entry, slot) = acquired.map_err(|e| format!("instrument `{instrument}`: {e}"))?;
    env.instruments.touch();
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel(256);
    let request = CompletionRequest {
        messages,
        ..CompletionRequest::default()
    };
    let mut fut = inst.call(request, tx, cancel.clone());
    let mut chunks: u64 = 0;
    let mut first: Option<Instant> = None;
    let mut last_tp = Instant::now();
    let mut usage_tokens: Option<u64> = None;
    let mut clean = StreamRedactor::new();
    let mut on_event = |ev: InstrumentEvent,
                        chunks: &mut u64,
                        first: &mut Option<Instant>,
                        usage: &mut Option<u64>| match ev {
        InstrumentEvent::Token(text) => {
            *chunks += 1;
            let text = clean.push(&text);
            let now = Instant::now();
            let t0 = *first.get_or_insert(now);
            if !text.is_empty() {
                let _ = env.tx.send(ConductorEvent::Token {
                    run: env.run,
                    node: node.to_owned(),
                    text,
                });
            }
            if now.duration_since(last_tp) >= THROUGHPUT_EVERY {
                last_tp = now;
                let secs = now.duration_since(t0).as_secs_f64();
                if secs > 0.0 {
                    let _ = env.tx.send(ConductorEvent::Throughput {
                        run: env.run,
                        node: node.to_owned(),
                        tokens_per_second: *chunks as f64 / secs,
                    });
                }
            }
        }
        InstrumentEvent::Usage(u) => *usage = Some(u.completion_tokens),
        InstrumentEvent::Retrying {
            attempt,
            after,
            reason,
        } => {
            let reason = redact(&reason).into_owned();
            tracing::info!(instrument, attempt, reason, "instrument retrying");
            let _ = env.tx.send(ConductorEvent::Retrying {
                run: env.run,
                node: node.to_owned(),
                instrument: instrument.to_owned(),
                attempt,
                after,
                reason,
            });
        }
    };
    let mut open = true;
    let result = loop {
        tokio::select! {
            biased;
            ev = rx.recv(), if open => match ev {
                Some(ev) => on_event(ev, &mut chunks, &mut first, &mut usage_tokens),
                None => open = false,
            },
            r = &mut fut => {
                while let Ok(ev) = rx.try_recv() {
                    on_event(ev, &mut chunks, &mut first, &mut usage_tokens);
                }
                break r;
            }
        }
    };
    let held = clean.finish();
    if !held.is_empty() {
        let _ = env.tx.send(ConductorEvent::Token {
            run: env.run,
            node: node.to_owned(),
            text: held,
        });
    }
    let result = result
        .map(|mut done| {
            done.text = redact(&done.text).into_owned();
            done
        })
        .map_err(InstrumentError::redacted);
    let elapsed = started.elapsed();
    let out = match result {
        Ok(done) => {
            let tokens = usage_tokens
                .or((done.usage.completion_tokens > 0).then_some(done.usage.completion_tokens))
                .unwrap_or(chunks);
            let ttft = done
                .time_to_first_token
                .or(first.map(|f| f.duration_since(started)));
            let gen_secs = first.map_or(elapsed.as_secs_f64(), |f| f.elapsed().as_secs_f64());
            let tps = if gen_secs > 0.0 {
                tokens as f64 / gen_secs
            } else {
                0.0
            };
            let _ = env.tx.send(ConductorEvent::Throughput {
                run: env.run,
                node: node.to_owned(),
                tokens_per_second: tps,
            });
            env.instruments.record_tps(instrument, tps);
            let _ = pool.record_call(
                instrument,
                CallSample::ok(elapsed, ttft, tokens.min(u32::MAX as u64) as u32),
            );
            env.instruments.mark_hot(instrument);
            Ok(done.text)
        }
        Err(InstrumentError::Cancelled { .. }) => Err("cancelled".to_owned()),
        Err(e) => {
            let reason = format!("instrument `{instrument}`: {e}");
            let _ = pool.record_call(instrument, CallSample::failed(elapsed));
            env.instruments.fail(instrument, &e.to_string());
            Err(reason)
        }
    };
    drop(slot);
    env.instruments.touch();
    out
}
