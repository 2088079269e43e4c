//! Terminal input without a reader thread.
//!
//! crossterm's `EventStream` waits for input on a thread of its own and wakes
//! the loop from there: every key costs two thread wake-ups before it is
//! handled. When standard input is the terminal (the usual case, and over
//! SSH), [`TerminalInput`] instead registers it with the async runtime and
//! reads the parsed events with crossterm's zero-timeout `poll` + `read` on
//! the loop's own thread, so a key wakes the loop once. A window-size change
//! arrives through SIGWINCH, which crossterm turns into a `Resize` event on
//! that same read. Anything else (standard input redirected) falls back to
//! `EventStream`.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Standard input, borrowed (never closed here).
#[derive(Debug)]
struct Stdin;

impl AsRawFd for Stdin {
    fn as_raw_fd(&self) -> RawFd {
        libc::STDIN_FILENO
    }
}

/// Where terminal events come from.
#[derive(Debug)]
enum Source {
    /// Standard input is the terminal: readiness from the runtime.
    Direct {
        fd: AsyncFd<Stdin>,
        winch: Signal,
        queue: VecDeque<Event>,
    },
    /// crossterm's own stream (its reader thread).
    Stream(EventStream),
}

/// The terminal's events, one at a time (see the module docs).
#[derive(Debug)]
pub struct TerminalInput(Source);

impl TerminalInput {
    /// Reads from standard input when it is a terminal, else through
    /// crossterm's stream (which opens `/dev/tty`).
    pub fn new() -> TerminalInput {
        // SAFETY: isatty only inspects the descriptor.
        let tty = unsafe { libc::isatty(libc::STDIN_FILENO) } == 1;
        if tty {
            // SAFETY: standard input stays open for the life of the
            // process (nothing in the client closes descriptor 0).
            let fd = unsafe { AsyncFd::register_with_interest(Stdin, Interest::READABLE) };
            match (
                fd.map_err(io::Error::from),
                signal(SignalKind::window_change()),
            ) {
                (Ok(fd), Ok(winch)) => {
                    return TerminalInput(Source::Direct {
                        fd,
                        winch,
                        queue: VecDeque::new(),
                    });
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!("reading the terminal through crossterm's thread: {e}");
                }
            }
        }
        TerminalInput(Source::Stream(EventStream::new()))
    }

    /// The next event; `None` when the terminal is gone.
    pub async fn next(&mut self) -> Option<io::Result<Event>> {
        let (fd, winch, queue) = match &mut self.0 {
            Source::Stream(s) => return s.next().await,
            Source::Direct { fd, winch, queue } => (fd, winch, queue),
        };
        loop {
            if let Some(ev) = queue.pop_front() {
                return Some(Ok(ev));
            }
            // Wait for input without a system call while nothing is ready:
            // every pass of the client's loop polls this future afresh.
            tokio::select! {
                ready = fd.readable() => match ready {
                    Ok(mut guard) => {
                        // The terminal hung up (an SSH drop, a killed tmux
                        // pane). Checked before reading: on a hung-up terminal
                        // crossterm's read loop retries its error for ever.
                        if guard.ready().is_read_closed() {
                            return None;
                        }
                        // One event, handed out at once: the next call reads
                        // on (a typed key is drawn before more system calls).
                        match crossterm::event::poll(Duration::ZERO) {
                            Ok(true) => match crossterm::event::read() {
                                Ok(ev) => return Some(Ok(ev)),
                                Err(e) => return Some(Err(e)),
                            },
                            // Nothing left: wait for the next edge. A byte that
                            // came after the read makes the fd ready again (the
                            // clear only applies to the readiness this guard saw).
                            Ok(false) => guard.clear_ready(),
                            Err(e) => return Some(Err(e)),
                        }
                    }
                    Err(e) => return Some(Err(e)),
                },
                // crossterm turns the signal into a Resize on this read.
                Some(()) = winch.recv() => {
                    if hung_up() {
                        return None;
                    }
                    if let Err(e) = drain(queue) {
                        return Some(Err(e));
                    }
                }
            }
        }
    }
}

impl Default for TerminalInput {
    fn default() -> Self {
        TerminalInput::new()
    }
}

/// Whether standard input reports a hang-up or an error (it is no terminal
/// any more).
fn hung_up() -> bool {
    let mut pfd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no waiting.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n > 0 && pfd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// Moves every event crossterm can give without waiting into `queue`.
fn drain(queue: &mut VecDeque<Event>) -> io::Result<()> {
    while crossterm::event::poll(Duration::ZERO)? {
        queue.push_back(crossterm::event::read()?);
    }
    Ok(())
}
