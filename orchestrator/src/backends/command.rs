//! The `command` instrument: runs a program (an `llm` CLI, `ollama run MODEL`, a script)
//! with the prompt on stdin and streams its stdout as tokens. Cancel kills the program
//! (its whole process group); a non-zero exit is an error carrying the tail of stderr.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStdout, Command};
use tokio::sync::mpsc;

use super::stream::{ByteSource, Collector, Decoded, Decoder, read_stream};
use crate::instrument::{
    CallFuture, CancellationToken, ChatMessage, Completion, CompletionRequest, Instrument,
    InstrumentConfig, InstrumentError, InstrumentEvent, InstrumentKind, Result, Role,
};

/// How much of stderr is kept for the error message.
const STDERR_TAIL: usize = 2048;

/// A program backend.
#[derive(Debug, Clone)]
pub struct CommandInstrument {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    model: String,
    argv: Vec<String>,
    idle_timeout: Duration,
}

impl CommandInstrument {
    /// Builds the instrument; `command` must name a program.
    pub fn new(config: &InstrumentConfig) -> Result<Self> {
        if config.command.is_empty() || config.command[0].is_empty() {
            return Err(InstrumentError::Config(format!(
                "instrument {}: kind \"command\" needs `command = [\"program\", \"arg\"...]`",
                config.name
            )));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                name: config.name.clone(),
                model: config.model.clone(),
                argv: config.command.clone(),
                idle_timeout: Duration::from_secs(config.idle_timeout_secs.max(1)),
            }),
        })
    }
}

/// Renders a chat as plain text for a program's stdin: a lone message as it is,
/// otherwise each message under a `System:` / `User:` / `Assistant:` heading.
pub fn render_prompt(messages: &[ChatMessage]) -> String {
    if let [only] = messages {
        return only.content.clone();
    }
    let mut out = String::new();
    for m in messages {
        let who = match m.role {
            Role::System => "System",
            Role::User => "User",
            Role::Assistant => "Assistant",
        };
        out.push_str(who);
        out.push_str(":\n");
        out.push_str(&m.content);
        out.push_str("\n\n");
    }
    out
}

impl Instrument for CommandInstrument {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn kind(&self) -> InstrumentKind {
        InstrumentKind::Command
    }

    fn model(&self) -> &str {
        &self.inner.model
    }

    fn call(
        &self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> CallFuture {
        let inner = self.inner.clone();
        Box::pin(async move { inner.run(request, events, cancel).await })
    }
}

impl Inner {
    async fn run(
        &self,
        request: CompletionRequest,
        events: mpsc::Sender<InstrumentEvent>,
        cancel: CancellationToken,
    ) -> Result<Completion> {
        let started = Instant::now();
        let program = &self.argv[0];
        let mut command = Command::new(program);
        command
            .args(&self.argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command.spawn().map_err(|e| InstrumentError::Connect {
            endpoint: program.clone(),
            message: e.to_string(),
        })?;
        tracing::debug!(instrument = %self.name, %program, pid = child.id(), "command call");
        let guard = KillGuard { pid: child.id() };

        let prompt = render_prompt(&request.messages);
        let stdin = child.stdin.take();
        tokio::spawn(async move {
            if let Some(mut stdin) = stdin {
                // A program that does not read its stdin is fine.
                let _ = stdin.write_all(prompt.as_bytes()).await;
                let _ = stdin.shutdown().await;
            }
        });
        let stderr = child.stderr.take();
        let stderr_tail = tokio::spawn(async move {
            let mut tail = Vec::new();
            if let Some(mut stderr) = stderr {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    tail.extend_from_slice(&buf[..n]);
                    if tail.len() > STDERR_TAIL {
                        tail.drain(..tail.len() - STDERR_TAIL);
                    }
                }
            }
            String::from_utf8_lossy(&tail).trim().to_string()
        });
        let Some(stdout) = child.stdout.take() else {
            return Err(InstrumentError::Protocol("no stdout pipe".into()));
        };

        let collector = Collector::new(events, started);
        let read = read_stream(
            Stdout(stdout),
            Utf8Decoder::default(),
            collector,
            self.idle_timeout,
            &cancel,
        )
        .await;
        let completion = match read {
            Ok(c) => c,
            Err(e) => {
                guard.kill();
                let _ = child.kill().await;
                return Err(e);
            }
        };
        let status = tokio::select! {
            _ = cancel.cancelled() => {
                guard.kill();
                let _ = child.kill().await;
                return Err(InstrumentError::Cancelled { partial: completion.text });
            }
            s = tokio::time::timeout(self.idle_timeout, child.wait()) => s,
        };
        let status = match status {
            Err(_) => {
                guard.kill();
                let _ = child.kill().await;
                return Err(InstrumentError::Timeout {
                    after: self.idle_timeout,
                    partial: completion.text,
                });
            }
            Ok(Err(e)) => {
                return Err(InstrumentError::Protocol(format!(
                    "waiting for {program}: {e}"
                )));
            }
            Ok(Ok(s)) => s,
        };
        if status.success() {
            return Ok(Completion {
                elapsed: started.elapsed(),
                ..completion
            });
        }
        let tail = tokio::time::timeout(Duration::from_secs(1), stderr_tail)
            .await
            .ok()
            .and_then(|r| r.ok())
            .unwrap_or_default();
        let what = match status.code() {
            Some(code) => format!("exit status {code}"),
            None => "a signal".to_string(),
        };
        let mut message = format!("{program} ended with {what}");
        if !tail.is_empty() {
            message.push_str(": ");
            message.push_str(&tail);
        }
        Err(InstrumentError::Stream {
            message,
            partial: completion.text,
        })
    }
}

/// Kills the program's whole process group (scripts start children of their own).
pub(crate) struct KillGuard {
    pub(crate) pid: Option<u32>,
}

impl KillGuard {
    pub(crate) fn kill(&self) {
        #[cfg(unix)]
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) with a negative pid signals the process group we created
            // with process_group(0); it touches no memory of ours.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

struct Stdout(ChildStdout);

impl ByteSource for Stdout {
    async fn next_chunk(&mut self) -> std::result::Result<Option<Vec<u8>>, String> {
        let mut buf = vec![0u8; 8192];
        match self.0.read(&mut buf).await {
            Ok(0) => Ok(None),
            Ok(n) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Turns stdout bytes into text, keeping a character split across reads whole.
#[derive(Debug, Default)]
struct Utf8Decoder {
    pending: Vec<u8>,
}

impl Decoder for Utf8Decoder {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                // Invalid bytes (not a split character): replace them and move on.
                let text = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                out.push(Decoded::Token(text));
                return;
            }
        };
        let rest = self.pending.split_off(valid);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        if !text.is_empty() {
            out.push(Decoded::Token(text));
        }
    }

    fn finish(&mut self, out: &mut Vec<Decoded>) {
        if !self.pending.is_empty() {
            out.push(Decoded::Token(
                String::from_utf8_lossy(&self.pending).into_owned(),
            ));
            self.pending.clear();
        }
        out.push(Decoded::Done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_across_reads_stays_whole() {
        let mut d = Utf8Decoder::default();
        let mut out = Vec::new();
        let bytes = "a✓b".as_bytes();
        d.feed(&bytes[..2], &mut out);
        d.feed(&bytes[2..], &mut out);
        d.finish(&mut out);
        assert_eq!(
            out,
            vec![
                Decoded::Token("a".into()),
                Decoded::Token("✓b".into()),
                Decoded::Done
            ]
        );
    }

    #[test]
    fn prompt_rendering() {
        assert_eq!(render_prompt(&[ChatMessage::new(Role::User, "hi")]), "hi");
        assert_eq!(
            render_prompt(&[
                ChatMessage::new(Role::System, "s"),
                ChatMessage::new(Role::User, "u")
            ]),
            "System:\ns\n\nUser:\nu\n\n"
        );
    }
}
