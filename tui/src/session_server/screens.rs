//! [`Screens`]: where the loop's frames go. In-process, one screen on standard
//! output; in a session server, one per attached client, each of its own size, each
//! writing its escape bytes into that client's socket (ratatui's diff against what
//! that client shows keeps them minimal).
//!
//! A client's bytes are written to its socket at once, from the loop (no hop through
//! another task): a keystroke's echo leaves before the rest of its work, as it does
//! in-process. Only when the socket is full (a slow or stopped client) do the rest
//! queue for a writer task, so one stuck client never stalls the session.

use std::io::{self, Write};
use std::os::unix::net::UnixStream as StdStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ratatui::layout::Rect;
use symphony_protocol::session::{ExitReason, ServerMessage, encode_message, encode_output};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::app::State;
use crate::app::frame::{Drawn, EchoRows, draw_changes, draw_echo_rows};
use crate::terminal::{Output, Screen};
use crate::ui::RowPrints;

/// A client's number in this server.
pub type ClientId = u64;

/// Where a screen's bytes go.
#[derive(Debug)]
pub enum Out {
    /// The terminal.
    Stdout(io::Stdout),
    /// A client's socket.
    Client(SharedSink),
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Out::Stdout(o) => o.write(b),
            Out::Client(c) => c.write(b),
        }
    }

    fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Out::Stdout(o) => o.write_all(b),
            Out::Client(c) => c.write_all(b),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::Stdout(o) => o.flush(),
            Out::Client(c) => c.flush(),
        }
    }
}

/// A screen writing to the terminal or a client's socket.
pub type AnyScreen = Screen<Out>;

/// The bytes of one client: written straight to its socket while nothing is queued,
/// else queued behind what is (see the module docs).
#[derive(Debug)]
pub struct ClientSink {
    buf: Vec<u8>,
    stream: StdStream,
    queue: UnboundedSender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
    /// The client is gone (a write failed).
    broken: bool,
}

impl ClientSink {
    /// A sink for `stream` (a nonblocking copy of the client's socket) with the
    /// writer task that drains its queue into `writer`.
    pub fn new(
        stream: StdStream,
        writer: tokio::net::unix::OwnedWriteHalf,
    ) -> (ClientSink, JoinHandle<()>) {
        let (queue, rx) = unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(drain(writer, rx, queued.clone()));
        (
            ClientSink {
                buf: Vec::new(),
                stream,
                queue,
                queued,
                broken: false,
            },
            task,
        )
    }

    /// Sends one whole frame (already encoded).
    pub fn send_frame(&mut self, frame: Vec<u8>) {
        if self.broken {
            return;
        }
        let mut rest = &frame[..];
        if self.queued.load(Ordering::SeqCst) == 0 {
            loop {
                match self.stream.write(rest) {
                    Ok(0) => {
                        self.broken = true;
                        return;
                    }
                    Ok(n) if n == rest.len() => return,
                    Ok(n) => rest = &rest[n..],
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        tracing::debug!("a client's socket failed: {e}");
                        self.broken = true;
                        return;
                    }
                }
            }
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
        if self.queue.send(rest.to_vec()).is_err() {
            self.broken = true;
        }
    }

    /// Sends a message.
    pub fn send_message(&mut self, msg: &ServerMessage) {
        match encode_message(msg) {
            Ok(frame) => self.send_frame(frame),
            Err(e) => tracing::error!("encoding {msg:?}: {e}"),
        }
    }
}

impl Write for ClientSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let frame = encode_output(&self.buf);
            self.buf.clear();
            self.send_frame(frame);
        }
        Ok(())
    }
}

/// Writes queued frames in order until the queue closes or the client goes.
async fn drain(
    mut writer: tokio::net::unix::OwnedWriteHalf,
    mut rx: UnboundedReceiver<Vec<u8>>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(frame) = rx.recv().await {
        let done = writer.write_all(&frame).await;
        queued.fetch_sub(1, Ordering::SeqCst);
        if let Err(e) = done {
            tracing::debug!("writing to a client: {e}");
            return;
        }
    }
    let _ = writer.shutdown().await;
}

/// A sink shared by the screen (as its writer) and the server (for messages).
#[derive(Debug, Clone)]
pub struct SharedSink(std::rc::Rc<std::cell::RefCell<ClientSink>>);

impl SharedSink {
    /// Shares `sink`.
    pub fn new(sink: ClientSink) -> SharedSink {
        SharedSink(std::rc::Rc::new(std::cell::RefCell::new(sink)))
    }

    /// Sends a message.
    pub fn send_message(&self, msg: &ServerMessage) {
        self.0.borrow_mut().send_message(msg);
    }

    fn broken(&self) -> bool {
        self.0.borrow().broken
    }
}

impl Write for SharedSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().write(b)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().flush()
    }
}

/// One attached client.
#[derive(Debug)]
pub struct Client {
    /// Its number.
    pub id: ClientId,
    screen: AnyScreen,
    sink: SharedSink,
    writer: JoinHandle<()>,
    /// Its keys are not applied.
    pub read_only: bool,
}

/// The screens of the loop (see the module docs).
#[derive(Debug)]
pub enum Screens {
    /// In-process: the terminal on standard output.
    Local(AnyScreen),
    /// A session server: its attached clients, the one whose size the layout
    /// follows first (the last to type or attach).
    Clients(Vec<Client>),
}

impl Screens {
    /// The screen on standard output.
    pub fn local() -> io::Result<Screens> {
        Ok(Screens::Local(Screen::new(Output::new(Out::Stdout(
            io::stdout(),
        )))?))
    }

    /// The size the layout follows (80 x 24 with no client attached).
    pub fn area(&self) -> Rect {
        match self {
            Screens::Local(s) => s.area(),
            Screens::Clients(c) => c
                .first()
                .map_or(Rect::new(0, 0, 80, 24), |c| c.screen.area()),
        }
    }

    /// The one screen, when there is exactly one (only then can a frame draw just
    /// some rows of it: several screens of other sizes are diffed whole).
    pub fn single_area(&self) -> Option<Rect> {
        match self {
            Screens::Local(s) => Some(s.area()),
            Screens::Clients(c) if c.len() == 1 => Some(c[0].screen.area()),
            Screens::Clients(_) => None,
        }
    }

    fn each(&mut self, mut f: impl FnMut(&mut AnyScreen) -> io::Result<bool>) -> io::Result<bool> {
        match self {
            Screens::Local(s) => f(s),
            Screens::Clients(clients) => {
                let mut all = !clients.is_empty();
                for c in clients.iter_mut() {
                    all &= f(&mut c.screen)?;
                }
                Ok(all)
            }
        }
    }

    /// [`draw_changes`] on every screen (`before` only counts with a single one).
    pub fn draw_changes(&mut self, state: &mut State, before: Option<RowPrints>) -> io::Result<()> {
        let mut before = if self.single_area().is_some() {
            before
        } else {
            None
        };
        self.each(|s| draw_changes(s, state, before.take()).map(|d| d == Drawn::Frame))?;
        Ok(())
    }

    /// [`draw_echo_rows`] on every screen; true when each drew its rows.
    pub fn draw_echo_rows(&mut self, state: &mut State, which: EchoRows) -> io::Result<bool> {
        self.each(|s| draw_echo_rows(s, state, which))
    }

    /// Shows the cursor again (on exit).
    pub fn show_cursor(&mut self) -> io::Result<()> {
        self.each(|s| s.show_cursor().map(|()| true)).map(drop)
    }

    /// Clients attached (1 in-process).
    pub fn count(&self) -> usize {
        match self {
            Screens::Local(_) => 1,
            Screens::Clients(c) => c.len(),
        }
    }

    /// Adds a client of `cols` x `rows` writing to `sink`; it is drawn whole at the
    /// next frame (its screen starts unknown) and the layout follows it.
    pub fn attach(
        &mut self,
        id: ClientId,
        sink: SharedSink,
        writer: JoinHandle<()>,
        (cols, rows): (u16, u16),
        read_only: bool,
    ) -> io::Result<()> {
        let Screens::Clients(clients) = self else {
            return Ok(());
        };
        let out = Out::Client(sink.clone());
        let screen = Screen::new(Output::with_size(out, cols.max(1), rows.max(1)))?;
        clients.insert(
            0,
            Client {
                id,
                screen,
                sink,
                writer,
                read_only,
            },
        );
        Ok(())
    }

    /// Notes input from `id`: a resize changes its screen; the layout follows it
    /// from now on. Returns whether the event is to be applied (not for a read-only
    /// client's keys) and the layout's size when it changed.
    pub fn on_input(
        &mut self,
        id: ClientId,
        ev: &crossterm::event::Event,
    ) -> (bool, Option<(u16, u16)>) {
        let Screens::Clients(clients) = self else {
            return (true, None);
        };
        let Some(i) = clients.iter().position(|c| c.id == id) else {
            return (false, None);
        };
        let before = clients.first().map(|c| c.screen.area());
        if let crossterm::event::Event::Resize(w, h) = *ev {
            clients[i].screen.backend_mut().set_size(w.max(1), h.max(1));
        }
        let read_only = clients[i].read_only;
        if !read_only || matches!(ev, crossterm::event::Event::Resize(..)) {
            let c = clients.remove(i);
            clients.insert(0, c);
        }
        let after = clients.first().map(|c| c.screen.area());
        let resized = (after != before || matches!(ev, crossterm::event::Event::Resize(..)))
            .then_some(after)
            .flatten()
            .map(|a| (a.width, a.height));
        let apply = !read_only && !matches!(ev, crossterm::event::Event::Resize(..));
        (apply, resized)
    }

    /// Ends client `id` with `reason`; the layout follows the next one. Returns the
    /// new layout size, if any client is left.
    pub fn detach(&mut self, id: ClientId, reason: ExitReason) -> Option<(u16, u16)> {
        let Screens::Clients(clients) = self else {
            return None;
        };
        if let Some(i) = clients.iter().position(|c| c.id == id) {
            let c = clients.remove(i);
            c.sink.send_message(&ServerMessage::Exit { reason });
            tracing::info!(client = id, ?reason, "client detached");
        }
        clients
            .first()
            .map(|c| (c.screen.area().width, c.screen.area().height))
    }

    /// Drops clients whose socket failed (gone without detaching).
    pub fn drop_broken(&mut self) -> bool {
        let Screens::Clients(clients) = self else {
            return false;
        };
        let n = clients.len();
        clients.retain(|c| !c.sink.broken());
        clients.len() != n
    }

    /// Ends every client (the session ends) and waits a moment for their bytes to
    /// leave.
    pub async fn end_all(self) {
        let Screens::Clients(clients) = self else {
            return;
        };
        let mut writers = Vec::new();
        for c in clients {
            c.sink.send_message(&ServerMessage::Exit {
                reason: ExitReason::SessionEnded,
            });
            writers.push(c.writer);
            // Dropping the screen and sink closes the queue: the writer finishes.
        }
        for w in writers {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), w).await;
        }
    }
}
