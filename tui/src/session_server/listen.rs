//! The session server's socket: accepts clients of our own uid, reads each one's
//! handshake and messages on a task of its own, and hands the loop what they ask as
//! [`ServerInput`]. The loop alone touches the state and the screens.

use std::os::unix::net::UnixStream as StdStream;

use crossterm::event::Event;
use symphony_protocol::local_socket;
use symphony_protocol::session::{
    ClientMessage, Frame, Hello, ServerMessage, SessionInfo, VERSION, read_frame, write_message,
};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use super::screens::ClientId;

/// How long a new connection may take to say what it wants.
const HANDSHAKE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What clients ask of the loop.
#[derive(Debug)]
pub enum ServerInput {
    /// A client attached (its `welcome` is sent): draw it whole from now on.
    Attach {
        /// Its number.
        id: ClientId,
        /// What it said.
        hello: Hello,
        /// Its socket's writing half (for queued bytes).
        write: OwnedWriteHalf,
        /// A nonblocking copy of its socket (for bytes written at once).
        direct: StdStream,
    },
    /// A terminal event of a client.
    Event {
        /// Whose.
        id: ClientId,
        /// The event.
        event: Event,
    },
    /// A client asked to detach.
    Detach(ClientId),
    /// A client's connection ended (killed, SIGHUP, terminal closed).
    Gone(ClientId),
    /// `symphony ls` asks about the session.
    Query(oneshot::Sender<SessionInfo>),
    /// `symphony kill-session`: the answer is `killed` or `unsaved`.
    Kill {
        /// End it even with unsaved buffers.
        force: bool,
        /// Where the answer goes.
        reply: oneshot::Sender<ServerMessage>,
    },
}

/// Accepts clients on `listener` for ever, each served by [`serve`].
pub async fn accept_loop(
    listener: UnixListener,
    session: String,
    tx: UnboundedSender<ServerInput>,
) {
    let mut next: ClientId = 1;
    loop {
        match local_socket::accept(&listener).await {
            Ok(stream) => {
                let id = next;
                next += 1;
                tokio::spawn(serve(id, stream, session.clone(), tx.clone()));
            }
            Err(e) => {
                tracing::warn!("accepting a session client: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        if tx.is_closed() {
            return;
        }
    }
}

/// Serves one connection until it ends.
async fn serve(
    id: ClientId,
    stream: UnixStream,
    session: String,
    tx: UnboundedSender<ServerInput>,
) {
    if let Err(e) = serve_inner(id, stream, &session, &tx).await {
        tracing::info!(client = id, "session client: {e}");
    }
}

async fn serve_inner(
    id: ClientId,
    stream: UnixStream,
    session: &str,
    tx: &UnboundedSender<ServerInput>,
) -> anyhow::Result<()> {
    let std = stream.into_std()?;
    let direct = std.try_clone()?;
    let stream = UnixStream::from_std(std)?;
    let (mut read, mut write) = stream.into_split();
    let first = tokio::time::timeout(HANDSHAKE_WAIT, read_frame::<ClientMessage>(&mut read))
        .await
        .map_err(|_| anyhow::anyhow!("no handshake within {HANDSHAKE_WAIT:?}"))??;
    let gone = || anyhow::anyhow!("the session is ending");
    match first {
        Some(Frame::Message(ClientMessage::Hello(hello))) => {
            if hello.version != VERSION {
                let reason = format!(
                    "this session server speaks session protocol {VERSION}, the client {} \
                     (run the same symphony for both)",
                    hello.version
                );
                write_message(&mut write, &ServerMessage::Refused { reason }).await?;
                return Ok(());
            }
            write_message(
                &mut write,
                &ServerMessage::Welcome {
                    version: VERSION,
                    session: session.to_owned(),
                },
            )
            .await?;
            tracing::info!(client = id, ?hello, "client attached");
            tx.send(ServerInput::Attach {
                id,
                hello,
                write,
                direct,
            })
            .map_err(|_| gone())?;
            read_inputs(id, &mut read, tx).await;
            let _ = tx.send(ServerInput::Gone(id));
        }
        Some(Frame::Message(ClientMessage::Query)) => {
            let (reply, answer) = oneshot::channel();
            tx.send(ServerInput::Query(reply)).map_err(|_| gone())?;
            let info = answer.await?;
            write_message(&mut write, &ServerMessage::Info(info)).await?;
        }
        Some(Frame::Message(ClientMessage::Kill { force })) => {
            let (reply, answer) = oneshot::channel();
            tx.send(ServerInput::Kill { force, reply })
                .map_err(|_| gone())?;
            let msg = answer.await?;
            write_message(&mut write, &msg).await?;
        }
        Some(other) => {
            let reason = format!("expected hello, query or kill first, not {other:?}");
            write_message(&mut write, &ServerMessage::Refused { reason }).await?;
        }
        None => {}
    }
    Ok(())
}

/// Passes a client's events on until it detaches or its connection ends.
async fn read_inputs(
    id: ClientId,
    read: &mut tokio::net::unix::OwnedReadHalf,
    tx: &UnboundedSender<ServerInput>,
) {
    loop {
        match read_frame::<ClientMessage>(read).await {
            Ok(Some(Frame::Message(ClientMessage::Input { event }))) => {
                match serde_json::from_value::<Event>(event) {
                    Ok(event) => {
                        if tx.send(ServerInput::Event { id, event }).is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::warn!(client = id, "an unreadable terminal event: {e}"),
                }
            }
            Ok(Some(Frame::Message(ClientMessage::Detach))) => {
                let _ = tx.send(ServerInput::Detach(id));
                return;
            }
            Ok(Some(other)) => tracing::warn!(client = id, "ignored from a client: {other:?}"),
            Ok(None) => return,
            Err(e) => {
                tracing::info!(client = id, "client connection: {e}");
                return;
            }
        }
    }
}
