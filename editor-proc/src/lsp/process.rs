//! One running language server process: spawned with piped stdio, a writer thread that
//! frames outgoing messages, a reader thread that parses incoming frames (malformed ones
//! are logged and skipped), a stderr thread that logs, and a waiter thread that reports the
//! exit. Every thread reports to the core through an [`LspEvent`] channel, so editing never
//! waits on a server.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::jsonrpc::{self, Frame};

/// What a server's threads (or a restart timer) report to the core.
#[derive(Debug)]
pub struct LspEvent {
    /// Index of the server in the manager.
    pub server: usize,
    /// Which start of that server this is about (events of older instances are ignored).
    pub generation: u64,
    /// What happened.
    pub kind: LspEventKind,
}

/// The kinds of [`LspEvent`].
#[derive(Debug)]
pub enum LspEventKind {
    /// A message from the server.
    Message(Value),
    /// The process ended (exit code, or None when killed by a signal).
    Exited(Option<i32>),
    /// A restart backoff ran out: start the server again.
    RestartDue,
    /// A timer set by the core ran out (e.g. format-on-save waiting for the server).
    Timer(u64),
    /// The time allowed for answering `initialize` ran out.
    InitTimeout,
}

/// A running server process.
pub struct ServerProcess {
    tx: mpsc::Sender<Value>,
    pid: u32,
    exited: Arc<AtomicBool>,
}

impl ServerProcess {
    /// Starts `program args` in `root`; its messages go to `events` tagged with
    /// `server`/`generation`.
    pub fn spawn(
        program: &Path,
        args: &[String],
        root: &Path,
        events: UnboundedSender<LspEvent>,
        server: usize,
        generation: u64,
    ) -> std::io::Result<Self> {
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A language server needs no model service's key.
        for var in symphony_protocol::secret_env::key_vars_set() {
            command.env_remove(var);
        }
        let mut child = command.spawn()?;
        let pid = child.id();
        let (tx, rx) = mpsc::channel::<Value>();
        let name = program.display().to_string();
        if let Some(mut stdin) = child.stdin.take() {
            std::thread::Builder::new()
                .name(format!("lsp-write-{server}"))
                .spawn(move || {
                    for msg in rx {
                        if let Err(e) = jsonrpc::write_message(&mut stdin, &msg) {
                            tracing::debug!("lsp: writing to server failed: {e}");
                            break;
                        }
                    }
                })?;
        }
        if let Some(stdout) = child.stdout.take() {
            let events = events.clone();
            let name = name.clone();
            std::thread::Builder::new()
                .name(format!("lsp-read-{server}"))
                .spawn(move || {
                    let mut r = BufReader::with_capacity(1 << 16, stdout);
                    loop {
                        match jsonrpc::read_frame(&mut r) {
                            Ok(Frame::Message(v)) => {
                                let ev = LspEvent {
                                    server,
                                    generation,
                                    kind: LspEventKind::Message(v),
                                };
                                if events.send(ev).is_err() {
                                    return;
                                }
                            }
                            Ok(Frame::Malformed(why)) => {
                                tracing::warn!("lsp: {name}: skipping malformed output: {why}")
                            }
                            Ok(Frame::Eof) => return,
                            Err(e) => {
                                tracing::debug!("lsp: {name}: reading failed: {e}");
                                return;
                            }
                        }
                    }
                })?;
        }
        if let Some(stderr) = child.stderr.take() {
            let name = name.clone();
            std::thread::Builder::new()
                .name(format!("lsp-err-{server}"))
                .spawn(move || {
                    for line in BufReader::new(stderr).lines() {
                        let Ok(line) = line else { return };
                        tracing::debug!("lsp: {name} stderr: {line:.500}");
                    }
                })?;
        }
        let exited = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&exited);
        std::thread::Builder::new()
            .name(format!("lsp-wait-{server}"))
            .spawn(move || {
                let code = child.wait().ok().and_then(|s| s.code());
                flag.store(true, Ordering::SeqCst);
                let _ = events.send(LspEvent {
                    server,
                    generation,
                    kind: LspEventKind::Exited(code),
                });
            })?;
        Ok(ServerProcess { tx, pid, exited })
    }

    /// Queues a message for the server (dropped silently when it is gone).
    pub fn send(&self, msg: Value) {
        let _ = self.tx.send(msg);
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process has ended.
    pub fn has_exited(&self) -> bool {
        self.exited.load(Ordering::SeqCst)
    }

    /// Waits up to `timeout` for the process to end, then kills it.
    pub fn wait_or_kill(&self, timeout: Duration) {
        let until = Instant::now() + timeout;
        while !self.has_exited() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        if !self.has_exited() {
            self.kill();
        }
    }

    /// Kills the process (SIGKILL).
    pub fn kill(&self) {
        if self.has_exited() {
            return;
        }
        #[cfg(unix)]
        if let Ok(pid) = libc::pid_t::try_from(self.pid) {
            // SAFETY: kill only sends a signal to our own child's pid.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Sends `kind` for `server` after `delay`, from a timer thread.
pub fn send_later(
    events: &UnboundedSender<LspEvent>,
    delay: Duration,
    server: usize,
    generation: u64,
    kind: LspEventKind,
) {
    let events = events.clone();
    let r = std::thread::Builder::new()
        .name("lsp-timer".into())
        .spawn(move || {
            std::thread::sleep(delay);
            let _ = events.send(LspEvent {
                server,
                generation,
                kind,
            });
        });
    if let Err(e) = r {
        tracing::warn!("lsp: cannot start a timer: {e}");
    }
}
