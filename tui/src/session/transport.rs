//! One connection to the editor: a child over stdio or a local socket, with a
//! reader task (lines -> JSON values), a writer task (queued lines -> bytes)
//! and, for a child, a task that logs its stderr.
//!
//! The end of a connection is reported once, by the reader, after every line
//! the editor wrote before it died has been read and passed on (for a child,
//! with its exit status): an answer still in the pipe is never lost to a close
//! reported early.

use std::io;
use std::process::Stdio;

use serde_json::Value;
use symphony_protocol::framing::{FrameError, LineReader};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::EditorTarget;

/// What a connection reports to the actor.
#[derive(Debug)]
pub(super) enum Incoming {
    /// One JSON message from the editor.
    Message(Value),
    /// The connection is gone (the reason is for logs and the status line).
    Closed(String),
}

/// Messages tagged with the connection generation they came from, so that
/// late messages of a dead connection are ignored.
pub(super) type Inbox = UnboundedSender<(u64, Incoming)>;

/// A live connection. Dropping it stops its tasks and kills the child.
#[derive(Debug)]
pub(super) struct Connection {
    out: Option<UnboundedSender<String>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Connection {
    /// Queues one line (without its `\n`) for the editor.
    pub fn send(&self, line: String) {
        if let Some(out) = &self.out
            && out.send(line).is_err()
        {
            tracing::debug!("editor writer already gone");
        }
    }

    /// Closes the editor's input: an editor exits cleanly on end of input.
    pub fn close_input(&mut self) {
        self.out = None;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the editor (or connects to it).
pub(super) async fn open(
    target: &EditorTarget,
    generation: u64,
    inbox: Inbox,
) -> io::Result<Connection> {
    let (out, out_rx) = unbounded_channel();
    let mut tasks = Vec::new();
    match target {
        EditorTarget::Spawn { program } => {
            let mut command = tokio::process::Command::new(program);
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            // The editor (and the language servers it starts) needs no API key.
            for var in symphony_conductor::backends::secret::secret_vars() {
                command.env_remove(var);
            }
            let mut child = command
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", program.display())))?;
            let (Some(stdin), Some(stdout), Some(stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(io::Error::other("child without stdio pipes"));
            };
            tracing::info!(pid = child.id(), program = %program.display(), "editor started");
            tasks.push(tokio::spawn(write_lines(stdin, out_rx)));
            tasks.push(tokio::spawn(log_stderr(stderr)));
            tasks.push(tokio::spawn(async move {
                // Owning the child here: aborting this task drops it, which kills it.
                let read = read_lines(stdout, generation, &inbox).await;
                // Its output is closed: it exited, or is about to. Say how.
                let reason = match tokio::time::timeout(EXIT_WAIT, child.wait()).await {
                    Ok(Ok(status)) => format!("symphony-editor exited ({status})"),
                    Ok(Err(e)) => format!("symphony-editor: {e}"),
                    Err(_) => {
                        let _ = child.start_kill();
                        format!("{read}; stopped it")
                    }
                };
                let _ = inbox.send((generation, Incoming::Closed(reason)));
            }));
        }
        EditorTarget::Connect { socket } => {
            let stream = connect_own(socket).await?;
            tracing::info!(socket = %socket.display(), "connected to editor");
            let (read, write) = stream.into_split();
            tasks.push(tokio::spawn(async move {
                let reason = read_lines(read, generation, &inbox).await;
                let _ = inbox.send((generation, Incoming::Closed(reason)));
            }));
            tasks.push(tokio::spawn(write_lines(write, out_rx)));
        }
    }
    Ok(Connection {
        out: Some(out),
        tasks,
    })
}

/// Connects to the editor socket at `path` only if it is ours (the socket file and
/// the process serving it: see `symphony_protocol::local_socket::connect_own`).
async fn connect_own(path: &std::path::Path) -> io::Result<tokio::net::UnixStream> {
    symphony_protocol::local_socket::connect_own(path, "editor").await
}

/// How long a child that closed its output gets to exit before it is killed.
const EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Passes every message on until the editor's output ends; returns why it ended.
async fn read_lines(read: impl AsyncRead + Unpin, generation: u64, inbox: &Inbox) -> String {
    let mut reader = LineReader::new(read);
    loop {
        match reader.next_line().await {
            None => break "the editor closed its output".to_owned(),
            Some(Ok(line)) => {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(&line) {
                    Ok(v) => {
                        if inbox.send((generation, Incoming::Message(v))).is_err() {
                            break "the session stopped".to_owned();
                        }
                    }
                    Err(e) => tracing::warn!("editor sent a line that is not JSON: {e}"),
                }
            }
            Some(Err(FrameError::Io(e))) => break format!("reading from the editor: {e}"),
            Some(Err(e)) => tracing::warn!("unreadable line from the editor: {e}"),
        }
    }
}

/// Writes queued lines until the queue closes (then the editor sees end of input)
/// or the editor stops reading: then its output ends too, and the reader reports it.
async fn write_lines(write: impl AsyncWrite + Unpin, mut lines: UnboundedReceiver<String>) {
    let mut write = tokio::io::BufWriter::with_capacity(64 * 1024, write);
    let mut buf = Vec::new();
    while let Some(first) = lines.recv().await {
        buf.clear();
        buf.extend_from_slice(first.as_bytes());
        buf.push(b'\n');
        // Batch whatever else is already queued into one write.
        while let Ok(more) = lines.try_recv() {
            buf.extend_from_slice(more.as_bytes());
            buf.push(b'\n');
        }
        let result = async {
            write.write_all(&buf).await?;
            write.flush().await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!("writing to the editor: {e}");
            return;
        }
    }
    // Input closed on purpose (shutdown): let the editor see end of input.
    let _ = write.shutdown().await;
}

async fn log_stderr(stderr: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "symphony_editor", "{line}");
    }
}
