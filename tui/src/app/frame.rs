//! Frames: what the loop draws and how little of it. A whole frame is drawn
//! and diffed against the one on the terminal; a keystroke echoed ahead of the
//! core draws only its caret's row and the status line; the core's updates of
//! the focused view draw only the rows they changed.

use std::io::Write;
use std::time::Instant;

use ratatui::layout::Rect;

use super::State;
use crate::session::SessionEvent;
use crate::terminal::Screen;
use crate::ui::{RowPrints, draw_echo, draw_screen, echo_damage};

/// Draws one whole frame and hands pending clipboard text to the terminal.
pub fn draw_frame<W: Write>(screen: &mut Screen<W>, state: &mut State) -> std::io::Result<()> {
    let started = Instant::now();
    let bytes_before = screen.backend().bytes_written();
    screen.draw(|area, buf| draw_screen(state, area, buf))?;
    write_osc52(screen, state)?;
    tracing::trace!(
        us = started.elapsed().as_micros() as u64,
        bytes = screen.backend().bytes_written() - bytes_before,
        "frame drawn"
    );
    Ok(())
}

/// Which of a keystroke's rows to draw (see [`draw_echo_rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoRows {
    /// The caret's row: the first thing a key shows.
    Caret,
    /// The status line, after the key's other work (its row is drawn).
    Status,
    /// Both.
    Both,
}

/// Draws a keystroke echoed ahead of the core: only the caret's row and/or
/// the status line, when nothing else can be on them. Returns false when the
/// whole frame must be drawn instead.
pub fn draw_echo_rows<W: Write>(
    screen: &mut Screen<W>,
    state: &mut State,
    which: EchoRows,
) -> std::io::Result<bool> {
    let started = Instant::now();
    let Some([row, status]) = echo_damage(state, screen.area()) else {
        return Ok(false);
    };
    let both = [row, status];
    let rows: &[Rect] = match which {
        EchoRows::Caret => &both[..1],
        EchoRows::Status => &both[1..],
        EchoRows::Both => &both,
    };
    let drawn = draw_rows(screen, state, rows)?;
    tracing::trace!(
        us = started.elapsed().as_micros() as u64,
        ?which,
        drawn,
        "echo drawn"
    );
    Ok(drawn)
}

/// Whether `event` changes at most the focused editor pane's rows and the
/// status line: the core's update of the focused view, or its caret move.
/// (What else it changes on screen [`RowPrints`] sees; these two are the
/// events a keystroke brings back.)
pub fn changes_rows_only(state: &State, event: &SessionEvent) -> bool {
    let view = match event {
        SessionEvent::Update { view, .. } | SessionEvent::ScrollTo { view, .. } => view.0,
        _ => return false,
    };
    state.focused_view() == Some(view)
}

/// What [`draw_changes`] drew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawn {
    /// This many rows (the status line among them).
    Rows(usize),
    /// A whole frame.
    Frame,
}

/// Draws what changed since the last frame: when `before` holds the focused
/// pane's [`RowPrints`] from that frame (only row-changing events came since,
/// see [`changes_rows_only`]), only the rows whose prints differ and the
/// status line; otherwise, or when the pane moved or scrolled, a whole frame.
pub fn draw_changes<W: Write>(
    screen: &mut Screen<W>,
    state: &mut State,
    before: Option<RowPrints>,
) -> std::io::Result<Drawn> {
    let started = Instant::now();
    let area = screen.area();
    let rows = before.and_then(|b| RowPrints::take(state, area)?.changed_rows(&b, area));
    if let Some(rows) = rows
        && draw_rows(screen, state, &rows)?
    {
        tracing::trace!(
            us = started.elapsed().as_micros() as u64,
            rows = rows.len(),
            "changed rows drawn"
        );
        return Ok(Drawn::Rows(rows.len()));
    }
    draw_frame(screen, state)?;
    Ok(Drawn::Frame)
}

/// Draws `rows` of the focused pane and the status line over the frame on the
/// terminal; false when there is no frame yet to draw over.
fn draw_rows<W: Write>(
    screen: &mut Screen<W>,
    state: &mut State,
    rows: &[Rect],
) -> std::io::Result<bool> {
    let bytes_before = screen.backend().bytes_written();
    if !screen.draw_rows(rows, |area, buf| draw_echo(state, area, rows, buf))? {
        return Ok(false);
    }
    write_osc52(screen, state)?;
    tracing::trace!(
        bytes = screen.backend().bytes_written() - bytes_before,
        "rows written"
    );
    Ok(true)
}

/// Hands clipboard text (OSC 52) to the terminal.
fn write_osc52<W: Write>(screen: &mut Screen<W>, state: &mut State) -> std::io::Result<()> {
    if !state.osc52.is_empty() {
        let out = screen.backend_mut().writer_mut();
        for seq in state.osc52.drain(..) {
            out.write_all(seq.as_bytes())?;
        }
        out.flush()?;
    }
    Ok(())
}
