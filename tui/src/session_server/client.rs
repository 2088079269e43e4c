//! The thin client: puts the terminal in raw mode, sends `hello`, then forwards
//! every terminal event (keys, mouse, paste, resize) to the session server and writes
//! the server's bytes to standard output as they come. It restores the terminal on
//! every way out. SIGHUP or a closed terminal ends it; the session runs on.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use symphony_protocol::local_socket::connect_own;
use symphony_protocol::session::{
    ClientMessage, ExitReason, Frame, Hello, ServerMessage, Size, VERSION, encode_message,
    read_frame, write_message,
};
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::terminal::{TerminalGuard, TerminalInput};

/// How a client ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The server ended it (detached, or the session ended).
    Server(ExitReason),
    /// The terminal went away (SIGHUP, closed): detached.
    TerminalGone,
    /// The server's connection ended without a word (it crashed or was killed).
    ServerLost,
}

/// What the client sends in its `hello`.
#[derive(Debug, Clone)]
pub struct AttachOptions {
    /// Files to open in the session.
    pub files: Vec<PathBuf>,
    /// Watch only.
    pub read_only: bool,
    /// Mouse reporting on.
    pub mouse: bool,
}

/// The hello for this terminal.
fn hello(opts: &AttachOptions) -> Hello {
    let (cols, rows) = crossterm::terminal::size().unwrap_or((80, 24));
    Hello {
        version: VERSION,
        size: Size { cols, rows },
        term: std::env::var("TERM").unwrap_or_default(),
        colorterm: std::env::var("COLORTERM").unwrap_or_default(),
        files: opts.files.clone(),
        read_only: opts.read_only,
    }
}

/// A connection to a session server that has said `welcome`.
#[derive(Debug)]
pub struct Attached {
    stream: tokio::net::UnixStream,
    /// The session's name.
    pub session: String,
}

/// Connects to `socket` and says hello; the error says why a session refused.
pub async fn connect(socket: &Path, opts: &AttachOptions) -> anyhow::Result<Attached> {
    let mut stream = connect_own(socket, "session server").await?;
    write_message(&mut stream, &ClientMessage::Hello(hello(opts))).await?;
    match read_frame::<ServerMessage>(&mut stream).await? {
        Some(Frame::Message(ServerMessage::Welcome { session, .. })) => {
            Ok(Attached { stream, session })
        }
        Some(Frame::Message(ServerMessage::Refused { reason })) => {
            anyhow::bail!("the session refused: {reason}")
        }
        Some(other) => anyhow::bail!("the session answered {other:?} to hello"),
        None => anyhow::bail!("the session closed the connection"),
    }
}

/// Runs the attached client until it detaches or the session ends.
pub async fn run(attached: Attached, mouse: bool) -> anyhow::Result<Ended> {
    let (mut read, mut write) = attached.stream.into_split();
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let guard = TerminalGuard::enter(mouse).context("setting up the terminal")?;
    let mut events = TerminalInput::new();
    let mut stdout = std::io::stdout().lock();
    let ended = loop {
        tokio::select! {
            biased;
            frame = read_frame::<ServerMessage>(&mut read) => match frame {
                Ok(Some(Frame::Output(bytes))) => {
                    if stdout.write_all(&bytes).and_then(|()| stdout.flush()).is_err() {
                        break Ended::TerminalGone;
                    }
                }
                Ok(Some(Frame::Message(ServerMessage::Exit { reason }))) => break Ended::Server(reason),
                Ok(Some(Frame::Message(other))) => tracing::debug!("from the server: {other:?}"),
                Ok(None) => break Ended::ServerLost,
                Err(e) => {
                    tracing::warn!("session connection: {e}");
                    break Ended::ServerLost;
                }
            },
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    let msg = match serde_json::to_value(&ev) {
                        Ok(event) => ClientMessage::Input { event },
                        Err(e) => {
                            tracing::warn!("an event that cannot be sent: {e}");
                            continue;
                        }
                    };
                    let frame = match encode_message(&msg) {
                        Ok(f) => f,
                        Err(e) => {
                            tracing::warn!("{e}");
                            continue;
                        }
                    };
                    if write.write_all(&frame).await.is_err() {
                        break Ended::ServerLost;
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!("reading the terminal: {e}");
                    break Ended::TerminalGone;
                }
                None => break Ended::TerminalGone,
            },
            _ = sighup.recv() => break Ended::TerminalGone,
            _ = sigterm.recv() => break Ended::TerminalGone,
        }
    };
    drop(stdout);
    drop(guard);
    if ended == Ended::TerminalGone {
        // Say so rather than vanish: the server detaches this client.
        let _ = write_message(&mut write, &ClientMessage::Detach).await;
    }
    Ok(ended)
}
