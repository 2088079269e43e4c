//! [`Screen`]: the frames on the terminal. It keeps the frame the terminal
//! shows and draws either a whole new frame (diffed against it) or only some
//! rows of it: a keystroke echoed ahead of the core changes one row and the
//! status line, and drawing and diffing a whole screen for that is most of
//! the keystroke's cost.

use std::io::{self, Write};

use ratatui::backend::Backend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect};

use super::Output;

/// The terminal's frames (see the module docs).
#[derive(Debug)]
pub struct Screen<W: Write> {
    out: Output<W>,
    /// What the terminal shows.
    last: Buffer,
    /// The next whole frame (kept to reuse its memory).
    next: Buffer,
    /// Whether the cursor is shown (`None`: unknown).
    cursor_shown: Option<bool>,
    /// Whether `last` is on the terminal (false until the first frame).
    valid: bool,
}

impl<W: Write> Screen<W> {
    /// A screen writing through `out`, sized like the terminal.
    pub fn new(out: Output<W>) -> io::Result<Screen<W>> {
        let size = out.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        Ok(Screen {
            out,
            last: Buffer::empty(area),
            next: Buffer::empty(area),
            cursor_shown: None,
            valid: false,
        })
    }

    /// The whole screen.
    pub fn area(&self) -> Rect {
        self.last.area
    }

    /// The frame the terminal shows.
    pub fn buffer(&self) -> &Buffer {
        &self.last
    }

    /// The backend.
    pub fn backend(&self) -> &Output<W> {
        &self.out
    }

    /// The backend, mutably.
    pub fn backend_mut(&mut self) -> &mut Output<W> {
        &mut self.out
    }

    /// Follows the terminal's size; a new size clears the terminal and the
    /// next frame is drawn whole.
    fn autoresize(&mut self) -> io::Result<()> {
        let size = self.out.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        if area != self.last.area {
            self.last.resize(area);
            self.next.resize(area);
            self.last.reset();
            self.out.clear()?;
            self.valid = true;
        }
        Ok(())
    }

    /// Draws a whole frame: `draw` paints a blank buffer of the screen's
    /// size and returns where the cursor goes (`None`: hidden).
    pub fn draw(
        &mut self,
        draw: impl FnOnce(Rect, &mut Buffer) -> Option<(u16, u16)>,
    ) -> io::Result<()> {
        self.autoresize()?;
        if !self.valid {
            // The terminal's content is unknown: start from a cleared one.
            self.out.clear()?;
            self.last.reset();
            self.valid = true;
        }
        self.next.reset();
        let cursor = draw(self.next.area, &mut self.next);
        let updates = self.last.diff(&self.next);
        self.out.draw(updates.into_iter())?;
        std::mem::swap(&mut self.last, &mut self.next);
        self.finish(cursor)
    }

    /// Redraws only `rows`: their cells are blanked and `draw` paints them
    /// over the frame on the terminal, touching no other cell. Returns false
    /// (drawing nothing) when no frame was drawn yet: draw a whole one then.
    pub fn draw_rows(
        &mut self,
        rows: &[Rect],
        draw: impl FnOnce(Rect, &mut Buffer) -> Option<(u16, u16)>,
    ) -> io::Result<bool> {
        // The size is not asked here (a system call or three): a resize
        // comes as an event, and its whole frame follows this one.
        let area = self.last.area;
        if !self.valid {
            return Ok(false);
        }
        let rows: Vec<Rect> = rows
            .iter()
            .map(|r| r.intersection(area))
            .flat_map(|r| (r.y..r.bottom()).map(move |y| Rect::new(r.x, y, r.width, 1)))
            .collect();
        let mut before = Vec::with_capacity(rows.len());
        for r in &rows {
            let cells = segment(&mut self.last, *r);
            before.push(cells.to_vec());
            for c in cells {
                c.reset();
            }
        }
        let cursor = draw(area, &mut self.last);
        let mut changed: Vec<(u16, u16, Cell)> = Vec::new();
        for (r, old) in rows.iter().zip(before) {
            let prev = Buffer {
                area: *r,
                content: old,
            };
            let now = Buffer {
                area: *r,
                content: segment(&mut self.last, *r).to_vec(),
            };
            changed.extend(
                prev.diff(&now)
                    .into_iter()
                    .map(|(x, y, c)| (x, y, c.clone())),
            );
        }
        self.out.draw(changed.iter().map(|(x, y, c)| (*x, *y, c)))?;
        self.finish(cursor)?;
        Ok(true)
    }

    /// Places or hides the cursor and hands the frame to the terminal.
    fn finish(&mut self, cursor: Option<(u16, u16)>) -> io::Result<()> {
        match cursor {
            None => {
                if self.cursor_shown != Some(false) {
                    self.out.hide_cursor()?;
                    self.cursor_shown = Some(false);
                }
            }
            Some((x, y)) => {
                if self.cursor_shown != Some(true) {
                    self.out.show_cursor()?;
                    self.cursor_shown = Some(true);
                }
                self.out.set_cursor_position(Position { x, y })?;
            }
        }
        Backend::flush(&mut self.out)
    }

    /// Shows the cursor again (on exit).
    pub fn show_cursor(&mut self) -> io::Result<()> {
        self.out.show_cursor()?;
        Backend::flush(&mut self.out)
    }
}

/// The cells of a one-row rectangle inside `buf`.
fn segment(buf: &mut Buffer, r: Rect) -> &mut [Cell] {
    if r.is_empty() {
        return &mut [];
    }
    let start = buf.index_of(r.x, r.y);
    &mut buf.content[start..start + usize::from(r.width)]
}
