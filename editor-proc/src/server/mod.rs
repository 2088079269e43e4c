//! Serving the protocol: JSON lines over stdio or a local socket (one client at a time,
//! buffers kept between clients). Only protocol lines are ever written to the output.

use std::io;
use std::path::Path;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::core::{Core, ServiceEvents};

pub mod socket;

/// Longest input line accepted; longer lines are dropped (and logged).
pub const MAX_LINE: usize = 64 * 1024 * 1024;

/// Reads lines in a task of its own (so the loop can also wait for background results).
fn spawn_reader<R>(reader: R) -> tokio::sync::mpsc::Receiver<io::Result<Option<Vec<u8>>>>
where
    R: AsyncBufRead + Unpin + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let mut reader = reader;
        loop {
            let mut buf = Vec::with_capacity(256);
            let r = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)
                .await;
            let msg = match r {
                Ok(0) => Ok(None),
                Ok(_) if buf.len() > MAX_LINE && !buf.ends_with(b"\n") => {
                    tracing::warn!("dropping a line longer than {MAX_LINE} bytes");
                    loop {
                        buf.clear();
                        match (&mut reader)
                            .take(1 << 20)
                            .read_until(b'\n', &mut buf)
                            .await
                        {
                            Ok(0) => break,
                            Ok(_) if buf.ends_with(b"\n") => break,
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                    continue;
                }
                Ok(_) => Ok(Some(buf)),
                Err(e) => Err(e),
            };
            let end = !matches!(msg, Ok(Some(_)));
            if tx.send(msg).await.is_err() || end {
                return;
            }
        }
    });
    rx
}

async fn recv_opt<T>(rx: &mut Option<UnboundedReceiver<T>>) -> Option<T> {
    match rx.as_mut() {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// Serves one connection until its input closes; background results (highlighting,
/// file changes) are handled in between lines.
pub async fn serve<R, W>(
    core: &mut Core,
    reader: R,
    mut writer: W,
    events: &mut ServiceEvents,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin,
{
    let mut lines = spawn_reader(reader);
    let mut out = Vec::new();
    loop {
        tokio::select! {
            biased;
            line = lines.recv() => match line {
                None | Some(Ok(None)) => return Ok(()),
                Some(Err(e)) => return Err(e),
                Some(Ok(Some(buf))) => match std::str::from_utf8(&buf) {
                    Ok(line) => core.handle_line_deferred(line, &mut out),
                    Err(e) => tracing::warn!("ignoring a line that is not UTF-8: {e}"),
                },
            },
            r = recv_opt(&mut events.highlight) => match r {
                Some(r) => core.on_highlight(r, &mut out),
                None => events.highlight = None,
            },
            w = recv_opt(&mut events.watch) => match w {
                Some(w) => core.on_watch(w, &mut out),
                None => events.watch = None,
            },
            l = recv_opt(&mut events.lsp) => match l {
                Some(l) => core.on_lsp(l, &mut out),
                None => events.lsp = None,
            },
            // Last and only when nothing else is ready: one slice of a running
            // search. Yielding first lets the reader task queue waiting input,
            // which the biased select then takes before the next slice.
            () = tokio::task::yield_now(), if core.is_searching() => core.run_search_step(&mut out),
        }
        write_lines(&mut writer, &mut out).await?;
        while core.has_pending() {
            core.run_pending(&mut out);
            write_lines(&mut writer, &mut out).await?;
        }
    }
}

async fn write_lines<W: AsyncWrite + Unpin>(
    writer: &mut W,
    out: &mut Vec<String>,
) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let mut bytes = Vec::with_capacity(out.iter().map(|l| l.len() + 1).sum());
    for l in out.drain(..) {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    writer.write_all(&bytes).await?;
    writer.flush().await
}

/// Serves stdin/stdout until stdin closes.
pub async fn serve_stdio(core: &mut Core, events: &mut ServiceEvents) -> io::Result<()> {
    let stdin = BufReader::with_capacity(1 << 16, tokio::io::stdin());
    let stdout = tokio::io::stdout();
    match serve(core, stdin, stdout, events).await {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Listens on a local socket at `path` (see [`socket`]); serves clients of our own uid
/// one after another, forever.
pub async fn serve_socket(
    core: &mut Core,
    path: &Path,
    events: &mut ServiceEvents,
) -> io::Result<()> {
    let listener = socket::bind(path)?;
    tracing::info!("listening on {}", path.display());
    loop {
        let conn = socket::accept(&listener).await?;
        tracing::info!("client connected");
        let (recv, send) = conn.into_split();
        let r = serve(core, BufReader::new(recv), send, events).await;
        tracing::info!("client disconnected: {r:?}");
    }
}
