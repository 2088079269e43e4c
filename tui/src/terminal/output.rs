//! [`Output`]: a ratatui backend that writes fewer bytes per frame than
//! `CrosstermBackend`. It keeps what the terminal shows (the last frame), so
//! it can
//! - shift a row with ICH / DCH (`CSI n @`, `CSI n P`) when the new row is the
//!   old one shifted from a column (a typed or deleted character), then write
//!   only the cells that still differ;
//! - keep the SGR state across cells and frames and change only what differs
//!   (no reset after every frame);
//! - move the cursor only when it is not already where the next cell goes,
//!   with the shortest sequence (or by rewriting a few equal cells);
//! - buffer a frame and hand it to the terminal in one write.

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::{Cell, CellDiffOption};
use ratatui::layout::{Position, Size};
use unicode_width::UnicodeWidthStr;

use super::sgr::{Pen, transition};

/// The longest shift (in cells) tried for one row.
const MAX_SHIFT: usize = 4;

/// What the terminal is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Term {
    /// `None`: unknown (start, or after writing the last column).
    cursor: Option<(u16, u16)>,
    /// `None`: unknown (start).
    pen: Option<Pen>,
}

/// A ratatui backend writing short escape sequences to `W` (see the module docs).
#[derive(Debug)]
pub struct Output<W: Write> {
    out: W,
    buf: Vec<u8>,
    term: Term,
    /// The screen as last written, row-major, `width * height` cells.
    screen: Vec<Cell>,
    width: u16,
    height: u16,
    /// A fixed size (tests); `None` asks the terminal.
    fixed: Option<Size>,
    /// Bytes handed to `out` so far.
    written: u64,
}

/// Display width of a cell's symbol (1 for the plain ASCII common case).
fn cell_width(cell: &Cell) -> usize {
    let s = cell.symbol();
    if s.len() == 1 { 1 } else { s.width() }
}

/// A cell written as one column with nothing special about it.
fn narrow(cell: &Cell) -> bool {
    cell.diff_option == CellDiffOption::None && cell_width(cell) == 1
}

fn push_num(out: &mut Vec<u8>, n: usize) {
    let _ = write!(out, "{n}");
}

/// The shortest way from `from` to `(x, y)` (not writing cells).
fn move_seq(out: &mut Vec<u8>, from: Option<(u16, u16)>, x: u16, y: u16) {
    let cup = |out: &mut Vec<u8>| {
        out.extend_from_slice(b"\x1b[");
        if (x, y) != (0, 0) {
            push_num(out, usize::from(y) + 1);
            if x != 0 {
                out.push(b';');
                push_num(out, usize::from(x) + 1);
            }
        }
        out.push(b'H');
    };
    let Some((cx, cy)) = from else {
        cup(out);
        return;
    };
    if (cx, cy) == (x, y) {
        return;
    }
    let mut rel = Vec::new();
    let step = |rel: &mut Vec<u8>, n: u16, c: u8| {
        rel.extend_from_slice(b"\x1b[");
        if n > 1 {
            push_num(rel, usize::from(n));
        }
        rel.push(c);
    };
    if x == 0 && cx != 0 {
        rel.push(b'\r');
    } else if x > cx {
        step(&mut rel, x - cx, b'C');
    } else if x < cx {
        step(&mut rel, cx - x, b'D');
    }
    if y > cy {
        step(&mut rel, y - cy, b'B');
    } else if y < cy {
        step(&mut rel, cy - y, b'A');
    }
    let mut abs = Vec::new();
    cup(&mut abs);
    out.extend_from_slice(if rel.len() < abs.len() { &rel } else { &abs });
}

impl<W: Write> Output<W> {
    /// A backend writing to `out` (usually stdout); the size comes from the terminal.
    pub fn new(out: W) -> Self {
        Output {
            out,
            buf: Vec::with_capacity(16 * 1024),
            term: Term {
                cursor: None,
                pen: None,
            },
            screen: Vec::new(),
            width: 0,
            height: 0,
            fixed: None,
            written: 0,
        }
    }

    /// A backend of a fixed size (for tests and benches): the screen starts blank.
    pub fn with_size(out: W, width: u16, height: u16) -> Self {
        let mut o = Output::new(out);
        o.fixed = Some(Size { width, height });
        o.reset_screen(width, height);
        o
    }

    /// Gives a fixed-size backend (a session client's screen) a new size: the next
    /// frame clears and redraws (ratatui's autoresize sees it).
    pub fn set_size(&mut self, width: u16, height: u16) {
        self.fixed = Some(Size { width, height });
    }

    /// The writer.
    pub fn writer(&self) -> &W {
        &self.out
    }

    /// The writer, mutably (what is written there bypasses the screen model:
    /// keep it to sequences that neither move the cursor nor change colours).
    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    fn reset_screen(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.screen = vec![Cell::EMPTY; usize::from(width) * usize::from(height)];
    }

    /// Grows the model when a cell lands outside it (the terminal grew
    /// before ratatui cleared it); new cells are blank.
    fn ensure(&mut self, x: u16, y: u16) {
        if x < self.width && y < self.height {
            return;
        }
        let (w, h) = (self.width.max(x + 1), self.height.max(y + 1));
        let mut screen = vec![Cell::EMPTY; usize::from(w) * usize::from(h)];
        for row in 0..usize::from(self.height) {
            let from = row * usize::from(self.width);
            let to = row * usize::from(w);
            screen[to..to + usize::from(self.width)]
                .clone_from_slice(&self.screen[from..from + usize::from(self.width)]);
        }
        self.screen = screen;
        self.width = w;
        self.height = h;
    }

    fn row(&self, y: u16) -> &[Cell] {
        let w = usize::from(self.width);
        let start = usize::from(y) * w;
        &self.screen[start..start + w]
    }

    /// Appends the update of one row to `self.buf` and records the new row.
    fn draw_row(&mut self, y: u16, changes: &[(u16, Cell)]) {
        let old: Vec<Cell> = self.row(y).to_vec();
        let mut new = old.clone();
        for (x, cell) in changes {
            let x = usize::from(*x);
            let w = cell_width(cell).max(1);
            new[x] = cell.clone();
            // Cells under a wide character: blank, as ratatui leaves them.
            for hidden in new.iter_mut().skip(x + 1).take(w - 1) {
                *hidden = Cell::EMPTY;
            }
        }
        let simple = old.iter().all(narrow) && new.iter().all(narrow);
        let mut best: Option<(Vec<u8>, Term)> = None;
        if simple {
            let keep = |best: &mut Option<(Vec<u8>, Term)>, cand: (Vec<u8>, Term)| {
                if best.as_ref().is_none_or(|b| cand.0.len() < b.0.len()) {
                    *best = Some(cand);
                }
            };
            let shown: Vec<Option<&Cell>> = old.iter().map(Some).collect();
            keep(&mut best, self.encode(y, &shown, &new, None));
            if let Some(x0) = (0..new.len()).find(|&i| old[i] != new[i]) {
                let w = new.len();
                for n in 1..=MAX_SHIFT.min(w - x0 - 1) {
                    // Right: the old cells from x0 now start at x0 + n.
                    if new[x0 + n] == old[x0] {
                        let mut shifted: Vec<Option<&Cell>> = old[..x0].iter().map(Some).collect();
                        shifted.extend(std::iter::repeat_n(None, n));
                        shifted.extend(old[x0..w - n].iter().map(Some));
                        keep(
                            &mut best,
                            self.encode(y, &shifted, &new, Some((x0, n, b'@'))),
                        );
                    }
                    // Left: the old cells from x0 + n now start at x0.
                    if new[x0] == old[x0 + n] {
                        let mut shifted: Vec<Option<&Cell>> = old[..x0].iter().map(Some).collect();
                        shifted.extend(old[x0 + n..].iter().map(Some));
                        shifted.extend(std::iter::repeat_n(None, n));
                        keep(
                            &mut best,
                            self.encode(y, &shifted, &new, Some((x0, n, b'P'))),
                        );
                    }
                }
            }
        }
        match best {
            Some((bytes, term)) => {
                self.buf.extend_from_slice(&bytes);
                self.term = term;
            }
            None => self.write_cells(y, changes),
        }
        let w = usize::from(self.width);
        let start = usize::from(y) * w;
        self.screen[start..start + w].clone_from_slice(&new);
    }

    /// Bytes that turn a row showing `shown` (`None`: unknown cell) into
    /// `new`, after an optional shift `(x, n, b'@' | b'P')`; all cells narrow.
    fn encode(
        &self,
        y: u16,
        shown: &[Option<&Cell>],
        new: &[Cell],
        shift: Option<(usize, usize, u8)>,
    ) -> (Vec<u8>, Term) {
        let mut out = Vec::new();
        let mut term = self.term;
        if let Some((x, n, op)) = shift {
            let x = x as u16;
            move_seq(&mut out, term.cursor, x, y);
            out.extend_from_slice(b"\x1b[");
            if n > 1 {
                push_num(&mut out, n);
            }
            out.push(op);
            term.cursor = Some((x, y));
        }
        let width = new.len();
        let mut x = 0;
        while x < width {
            if shown[x] == Some(&new[x]) {
                x += 1;
                continue;
            }
            // Reach x: move, or rewrite the few equal cells in between when
            // they need no colour change and that is shorter.
            match term.cursor {
                Some((cx, cy)) if cy == y && usize::from(cx) < x => {
                    let gap = usize::from(cx)..x;
                    let mut moved = Vec::new();
                    move_seq(&mut moved, term.cursor, x as u16, y);
                    let same_pen = new[gap.clone()]
                        .iter()
                        .all(|c| Some(Pen::of(c)) == term.pen && c.symbol().len() == 1);
                    if same_pen && gap.len() <= moved.len() {
                        for c in &new[gap] {
                            out.extend_from_slice(c.symbol().as_bytes());
                        }
                    } else {
                        out.extend_from_slice(&moved);
                    }
                }
                cursor => move_seq(&mut out, cursor, x as u16, y),
            }
            let cell = &new[x];
            let pen = Pen::of(cell);
            transition(&mut out, term.pen, pen);
            term.pen = Some(pen);
            out.extend_from_slice(cell.symbol().as_bytes());
            x += 1;
            term.cursor = (x < width).then_some((x as u16, y));
        }
        (out, term)
    }

    /// The plain way: exactly the changed cells, in order.
    fn write_cells(&mut self, y: u16, changes: &[(u16, Cell)]) {
        for (x, cell) in changes {
            move_seq(&mut self.buf, self.term.cursor, *x, y);
            let pen = Pen::of(cell);
            transition(&mut self.buf, self.term.pen, pen);
            self.term.pen = Some(pen);
            self.buf.extend_from_slice(cell.symbol().as_bytes());
            let w = cell_width(cell);
            let next = usize::from(*x) + w;
            // A zero-width symbol leaves the cursor where the terminal decides.
            self.term.cursor =
                (w > 0 && next < usize::from(self.width)).then_some((next as u16, y));
        }
    }

    fn erase(&mut self, seq: &[u8], cells: std::ops::Range<usize>) {
        // Erased cells take the current background: use the default one.
        transition(&mut self.buf, self.term.pen, Pen::DEFAULT);
        self.term.pen = Some(Pen::DEFAULT);
        self.buf.extend_from_slice(seq);
        let end = cells.end.min(self.screen.len());
        for c in &mut self.screen[cells.start.min(end)..end] {
            *c = Cell::EMPTY;
        }
    }

    fn query_size(&self) -> io::Result<Size> {
        match self.fixed {
            Some(s) => Ok(s),
            None => {
                let (width, height) = crossterm::terminal::size()?;
                Ok(Size { width, height })
            }
        }
    }
}

impl<W: Write> Backend for Output<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut row: Vec<(u16, Cell)> = Vec::new();
        let mut row_y = None;
        for (x, y, cell) in content {
            self.ensure(x, y);
            if row_y != Some(y) {
                if let Some(ry) = row_y {
                    self.draw_row(ry, &row);
                }
                row.clear();
                row_y = Some(y);
            }
            row.push((x, cell.clone()));
        }
        if let Some(ry) = row_y {
            self.draw_row(ry, &row);
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.buf.extend_from_slice(b"\x1b[?25l");
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.buf.extend_from_slice(b"\x1b[?25h");
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        let (x, y) = self.term.cursor.unwrap_or((0, 0));
        Ok(Position { x, y })
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        move_seq(&mut self.buf, self.term.cursor, p.x, p.y);
        self.term.cursor = Some((p.x, p.y));
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        let size = self.query_size()?;
        transition(&mut self.buf, self.term.pen, Pen::DEFAULT);
        self.term.pen = Some(Pen::DEFAULT);
        self.buf.extend_from_slice(b"\x1b[2J");
        self.reset_screen(size.width, size.height);
        Ok(())
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        let w = usize::from(self.width);
        let at = self
            .term
            .cursor
            .map(|(x, y)| usize::from(y) * w + usize::from(x));
        match (clear_type, at) {
            (ClearType::All, _) => return self.clear(),
            (ClearType::AfterCursor, Some(i)) => self.erase(b"\x1b[J", i..self.screen.len()),
            (ClearType::BeforeCursor, Some(i)) => self.erase(b"\x1b[1J", 0..i + 1),
            (ClearType::CurrentLine, Some(i)) => {
                let start = i - i % w.max(1);
                self.erase(b"\x1b[2K", start..start + w);
            }
            (ClearType::UntilNewLine, Some(i)) => {
                let end = i - i % w.max(1) + w;
                self.erase(b"\x1b[K", i..end);
            }
            // Cursor unknown: clear everything rather than guess.
            (_, None) => return self.clear(),
        }
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        self.query_size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        let size = self.query_size()?;
        let pixels = match self.fixed {
            Some(_) => Size::default(),
            None => {
                let ws = crossterm::terminal::window_size()?;
                Size {
                    width: ws.width,
                    height: ws.height,
                }
            }
        };
        Ok(WindowSize {
            columns_rows: size,
            pixels,
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests;
