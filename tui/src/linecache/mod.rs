//! The per-view line cache: applies the core's `update` ops exactly as
//! XI_PROTOCOL.md describes, gaps of unknown lines included.
//!
//! The cache is a run-length list of [`Run`]s: a run of lines the core sent
//! (`Valid`) or a run of lines it did not send (`Invalid`, one counter, O(1)
//! memory however long). A 100 MB file therefore only costs the lines the core
//! actually rendered.

mod predict;
mod styles;

pub use predict::{MAX_PENDING, shift_spans};

pub use styles::{StyleSpan, absolute_spans};

use symphony_protocol::xi::{Line, OpKind, Update};

/// One line the core sent, as the renderer needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CachedLine {
    /// The text without its trailing `\n` (and without a `\r` before it).
    pub text: String,
    /// Byte columns of the cursors on this line.
    pub cursors: Vec<usize>,
    /// Style spans with absolute byte offsets, clamped to `text` and to char
    /// boundaries, in the order the core sent them.
    pub styles: Vec<StyleSpan>,
    /// The 1-based line number the core gave (absent for wrapped continuations).
    pub ln: Option<usize>,
}

impl CachedLine {
    /// Builds a line from the wire form of an `ins` op.
    fn from_wire(line: &Line) -> Self {
        let text = strip_newline(line.text.as_deref().unwrap_or(""));
        let styles = line
            .styles
            .as_deref()
            .map(|s| absolute_spans(s, &text))
            .unwrap_or_default();
        CachedLine {
            cursors: line.cursor.clone().unwrap_or_default(),
            styles,
            ln: line.ln,
            text,
        }
    }

    /// Applies the wire form of an `update` op: the text stays, the cursors are
    /// replaced (absent = none), the styles are replaced when given.
    fn update_from_wire(&mut self, line: &Line) {
        self.cursors = line.cursor.clone().unwrap_or_default();
        if let Some(styles) = line.styles.as_deref() {
            self.styles = absolute_spans(styles, &self.text);
        }
    }
}

/// Removes one trailing `\n` (and a `\r` before it).
fn strip_newline(text: &str) -> String {
    let t = text.strip_suffix('\n').unwrap_or(text);
    let t = t.strip_suffix('\r').unwrap_or(t);
    t.to_owned()
}

/// A run of consecutive lines in the cache.
#[derive(Debug, Clone, PartialEq)]
enum Run {
    /// `n` lines the core has not sent (draw blank).
    Invalid(usize),
    /// Lines the core sent, in order.
    Valid(Vec<CachedLine>),
}

impl Run {
    fn len(&self) -> usize {
        match self {
            Run::Invalid(n) => *n,
            Run::Valid(lines) => lines.len(),
        }
    }
}

/// Builds a run-length list, merging neighbours of the same kind.
#[derive(Default)]
struct RunBuilder {
    runs: Vec<Run>,
}

impl RunBuilder {
    fn push_invalid(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(Run::Invalid(m)) = self.runs.last_mut() {
            *m += n;
        } else {
            self.runs.push(Run::Invalid(n));
        }
    }

    fn push_line(&mut self, line: CachedLine) {
        if let Some(Run::Valid(lines)) = self.runs.last_mut() {
            lines.push(line);
        } else {
            self.runs.push(Run::Valid(vec![line]));
        }
    }

    fn push_lines(&mut self, mut new: Vec<CachedLine>) {
        if new.is_empty() {
            return;
        }
        if let Some(Run::Valid(lines)) = self.runs.last_mut() {
            lines.append(&mut new);
        } else {
            self.runs.push(Run::Valid(new));
        }
    }
}

/// Consumes the old cache from its start, `n` lines at a time.
struct OldCursor {
    runs: std::vec::IntoIter<Run>,
    current: Option<Run>,
}

/// A piece taken from the old cache.
enum Piece {
    Invalid(usize),
    Valid(Vec<CachedLine>),
}

impl OldCursor {
    fn new(runs: Vec<Run>) -> Self {
        OldCursor {
            runs: runs.into_iter(),
            current: None,
        }
    }

    /// Takes up to `n` lines as pieces (fewer if the old cache ends first).
    fn take(&mut self, mut n: usize, out: &mut Vec<Piece>) {
        while n > 0 {
            let run = match self.current.take().or_else(|| self.runs.next()) {
                Some(run) => run,
                None => return,
            };
            let len = run.len();
            if len <= n {
                n -= len;
                out.push(match run {
                    Run::Invalid(m) => Piece::Invalid(m),
                    Run::Valid(lines) => Piece::Valid(lines),
                });
            } else {
                match run {
                    Run::Invalid(m) => {
                        out.push(Piece::Invalid(n));
                        self.current = Some(Run::Invalid(m - n));
                    }
                    Run::Valid(mut lines) => {
                        let rest = lines.split_off(n);
                        out.push(Piece::Valid(lines));
                        self.current = Some(Run::Valid(rest));
                    }
                }
                n = 0;
            }
        }
    }

    /// Drops up to `n` lines.
    fn skip(&mut self, n: usize) {
        self.take(n, &mut Vec::new());
    }
}

/// The lines of one view as the core last described them.
#[derive(Debug, Clone, Default)]
pub struct LineCache {
    runs: Vec<Run>,
    /// First line index of each run (same length as `runs`).
    starts: Vec<usize>,
    len: usize,
    pristine: bool,
    selections: Vec<[usize; 4]>,
    find_ranges: Vec<[usize; 4]>,
    /// Keystrokes drawn ahead of the core (local echo), see `predict.rs`.
    echo: Option<predict::Echo>,
}

impl LineCache {
    /// An empty cache (no lines, pristine).
    pub fn new() -> Self {
        LineCache {
            pristine: true,
            ..Default::default()
        }
    }

    /// Rebuilds the cache from one `update` of the core. Predicted
    /// keystrokes ([`LineCache::predict_edit`]) are taken out first and the
    /// ones the update does not include yet are applied again after it.
    pub fn apply(&mut self, update: &Update) {
        let echo = self.take_predictions();
        self.apply_exact(update);
        if let Some(echo) = echo {
            self.reapply_predictions(echo);
        }
    }

    fn apply_exact(&mut self, update: &Update) {
        let mut old = OldCursor::new(std::mem::take(&mut self.runs));
        let mut out = RunBuilder::default();
        let mut pieces = Vec::new();
        for op in &update.ops {
            match op.op {
                OpKind::Copy => {
                    pieces.clear();
                    old.take(op.n, &mut pieces);
                    let mut ln = op.ln;
                    for piece in pieces.drain(..) {
                        match piece {
                            Piece::Invalid(m) => {
                                out.push_invalid(m);
                                ln = ln.map(|l| l + m);
                            }
                            Piece::Valid(mut lines) => {
                                if let Some(first) = ln {
                                    for (i, line) in lines.iter_mut().enumerate() {
                                        line.ln = Some(first + i);
                                    }
                                    ln = Some(first + lines.len());
                                }
                                out.push_lines(lines);
                            }
                        }
                    }
                }
                OpKind::Skip => old.skip(op.n),
                OpKind::Invalidate => out.push_invalid(op.n),
                OpKind::Ins => {
                    let given = op.lines.as_deref().unwrap_or(&[]);
                    for i in 0..op.n {
                        match given.get(i) {
                            Some(line) => out.push_line(CachedLine::from_wire(line)),
                            None => out.push_invalid(1),
                        }
                    }
                }
                OpKind::Update => {
                    pieces.clear();
                    old.take(op.n, &mut pieces);
                    let given = op.lines.as_deref().unwrap_or(&[]);
                    let mut i = 0;
                    for piece in pieces.drain(..) {
                        match piece {
                            Piece::Invalid(m) => {
                                out.push_invalid(m);
                                i += m;
                            }
                            Piece::Valid(lines) => {
                                for mut line in lines {
                                    if let Some(wire) = given.get(i) {
                                        line.update_from_wire(wire);
                                        if wire.ln.is_some() {
                                            line.ln = wire.ln;
                                        }
                                    }
                                    if let Some(first) = op.ln {
                                        line.ln = Some(first + i);
                                    }
                                    out.push_line(line);
                                    i += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        self.runs = out.runs;
        self.reindex();
        self.pristine = update.pristine;
        self.selections.clear();
        self.find_ranges.clear();
        for annotation in &update.annotations {
            match annotation.kind.as_str() {
                "selection" => self.selections.extend_from_slice(&annotation.ranges),
                "find" => self.find_ranges.extend_from_slice(&annotation.ranges),
                _ => {}
            }
        }
    }

    fn reindex(&mut self) {
        self.starts.clear();
        let mut at = 0;
        for run in &self.runs {
            self.starts.push(at);
            at += run.len();
        }
        self.len = at;
    }

    /// Total lines in the buffer as the cache knows it (known or not).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the cache holds no line at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The line at 0-based index `line`; `None` when the core has not sent it
    /// (draw it blank) or when it is past the end.
    pub fn get(&self, line: usize) -> Option<&CachedLine> {
        if line >= self.len {
            return None;
        }
        let idx = self.starts.partition_point(|&s| s <= line).checked_sub(1)?;
        match &self.runs[idx] {
            Run::Invalid(_) => None,
            Run::Valid(lines) => lines.get(line - self.starts[idx]),
        }
    }

    fn get_mut(&mut self, line: usize) -> Option<&mut CachedLine> {
        if line >= self.len {
            return None;
        }
        let idx = self.starts.partition_point(|&s| s <= line).checked_sub(1)?;
        let start = self.starts[idx];
        match &mut self.runs[idx] {
            Run::Invalid(_) => None,
            Run::Valid(lines) => lines.get_mut(line - start),
        }
    }

    /// Whether the buffer equals what is on disk (as of the last update).
    pub fn pristine(&self) -> bool {
        self.pristine
    }

    /// Selection ranges `[line0, col0, line1, col1]` (0-based, byte columns).
    pub fn selections(&self) -> &[[usize; 4]] {
        &self.selections
    }

    /// Find-result ranges `[line0, col0, line1, col1]` (0-based, byte columns).
    pub fn find_ranges(&self) -> &[[usize; 4]] {
        &self.find_ranges
    }

    /// Forgets everything (the editor restarted; a full update follows).
    pub fn clear(&mut self) {
        *self = LineCache::new();
    }

    /// How many lines the cache holds text for (what it costs in memory).
    pub fn valid_lines(&self) -> usize {
        self.runs
            .iter()
            .map(|r| match r {
                Run::Valid(lines) => lines.len(),
                Run::Invalid(_) => 0,
            })
            .sum()
    }

    /// How many runs (valid or not) the cache is made of.
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }

    /// The sub-ranges of `range` whose lines the core has not sent, to ask for
    /// them with `request_lines` (clamped to the buffer).
    pub fn missing(&self, range: std::ops::Range<usize>) -> Vec<std::ops::Range<usize>> {
        let end = range.end.min(self.len);
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        for (run, &start) in self.runs.iter().zip(&self.starts) {
            let run_end = start + run.len();
            if run_end <= range.start || start >= end {
                continue;
            }
            if let Run::Invalid(_) = run {
                let s = start.max(range.start);
                let e = run_end.min(end);
                match out.last_mut() {
                    Some(last) if last.end == s => last.end = e,
                    _ => out.push(s..e),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
