//! One buffer's cached parser states and the incremental highlighting loop.
//!
//! `states[i]` is the parser + highlighter state at the start of line `i`.
//! `states[..valid]` are exact for the current text; later entries are the states
//! computed before the last edits (shifted to the new line numbers) and serve as
//! guesses: when re-highlighting reaches a line start (past every edited line)
//! where the fresh state equals the guess, everything after it is unchanged and
//! the work stops. Equal consecutive states share one `Rc`, so the cache costs
//! about a pointer per line plus the distinct states.
//!
//! The cache lives and dies on the highlighting thread (the worker creates it), so
//! its states are shared with `Rc`, not `Arc`: a syntect [`ParseState`] is not
//! `Send` when syntect runs on Oniguruma (the `onig` feature; its capture regions
//! are C pointers), and nothing here needs it to be.

use std::rc::Rc;

use syntect::highlighting::{HighlightState, Highlighter, RangedHighlightIterator};
use syntect::parsing::{ParseState, ScopeStack};
use xi_rope::{LinesMetric, Rope};

use super::{
    HighlightJob, HighlightResult, Highlighting, LineEdit, StyleKey, StyleRegistry, StyleSpan,
};

/// Lines per result once the visible lines are done.
const BATCH_LINES: usize = 500;
/// Lines longer than this many bytes are not highlighted.
const MAX_LINE_LEN: usize = 16 * 1024;
/// How often (in lines) the loop checks whether newer work arrived.
const CHECK_EVERY: usize = 64;

/// Parser and highlighter state at the start of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LineState {
    parse: ParseState,
    highlight: HighlightState,
}

/// What a run did (for tests and logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RunStats {
    /// Lines parsed and styled.
    pub lines: usize,
    /// First line parsed.
    pub first: usize,
    /// The run stopped early because newer work arrived.
    pub interrupted: bool,
}

/// The cached states of one buffer.
#[derive(Debug, Default)]
pub(crate) struct BufferCache {
    language: String,
    theme: String,
    states: Vec<Option<Rc<LineState>>>,
    valid: usize,
    dirty_until: usize,
}

impl BufferCache {
    /// Shifts the cached states by `edit` (see [`LineEdit`]).
    pub(crate) fn apply_edit(&mut self, edit: LineEdit) {
        if edit.is_unchanged() || edit.first_line >= self.states.len() {
            return;
        }
        let (f, o, n) = (edit.first_line, edit.old_lines, edit.new_lines);
        let len = self.states.len();
        if n == 0 {
            // Line starts f+1..=f+o disappear; start f+o becomes start f.
            self.states.drain(f + 1..(f + o + 1).min(len));
        } else if o == 0 {
            // n lines inserted before line f: start f stays, old start f is now f+n.
            let guess = self.states[f].clone();
            let inserted = std::iter::repeat_n(None, n - 1).chain(std::iter::once(guess));
            self.states.splice(f + 1..f + 1, inserted);
        } else {
            // Interior starts f+1..f+o are replaced by n-1 unknown ones.
            let end = (f + o).min(len).max(f + 1);
            self.states
                .splice(f + 1..end, std::iter::repeat_n(None, n - 1));
        }
        self.valid = self.valid.min(f + 1);
        let mapped = if self.dirty_until <= f {
            self.dirty_until
        } else if self.dirty_until >= f + o {
            self.dirty_until - o + n
        } else {
            f + n
        };
        self.dirty_until = mapped.max(f + n);
    }

    /// Forgets every state but the first (set to `initial`): all covered lines
    /// get re-highlighted.
    fn invalidate_all(&mut self, initial: LineState) {
        if self.states.is_empty() {
            self.states.push(None);
        }
        self.states.iter_mut().for_each(|s| *s = None);
        self.states[0] = Some(Rc::new(initial));
        self.valid = 1;
        self.dirty_until = self.states.len() - 1;
    }

    /// Runs `job`: re-highlights from the first line not known to be right, at
    /// least up to `job.want_lines.end`, until the state converges or every line
    /// highlighted before is redone. Results go to `emit`; `interrupted` is polled
    /// to give way to newer work. Plain text and unknown themes produce nothing.
    pub(crate) fn run(
        &mut self,
        h: &Highlighting,
        registry: &mut StyleRegistry,
        job: &HighlightJob,
        emit: &mut dyn FnMut(HighlightResult),
        interrupted: &dyn Fn() -> bool,
    ) -> RunStats {
        let Some(syntax) = h.syntax(&job.language) else {
            *self = BufferCache {
                language: job.language.clone(),
                theme: job.theme.clone(),
                ..BufferCache::default()
            };
            return RunStats::default();
        };
        let Some(theme) = h.theme(&job.theme) else {
            tracing::warn!(theme = %job.theme, "highlighting skipped: unknown theme");
            return RunStats::default();
        };
        let highlighter = Highlighter::new(theme);
        let theme_bg = theme.settings.background;
        let initial = || LineState {
            parse: ParseState::new(syntax),
            highlight: HighlightState::new(&highlighter, ScopeStack::new()),
        };

        let same_setup = self.language == job.language && self.theme == job.theme;
        match job.edit {
            Some(edit) if same_setup && !self.states.is_empty() => self.apply_edit(edit),
            _ => {
                self.language.clone_from(&job.language);
                self.theme.clone_from(&job.theme);
                self.invalidate_all(initial());
            }
        }

        let text = &job.text;
        let line_count = count_lines(text);
        self.states.truncate(line_count + 1);
        self.valid = self.valid.clamp(1, self.states.len());
        self.dirty_until = self.dirty_until.min(line_count);
        let covered_before = self.states.len() - 1;
        let want_end = job.want_lines.end.min(line_count);

        let mut line = self.valid - 1;
        let mut stats = RunStats {
            first: line,
            ..RunStats::default()
        };
        if line >= want_end && line >= self.dirty_until && line >= covered_before {
            return stats;
        }
        let Some(start_state) = self.states[line].as_deref() else {
            // Cannot happen (states[..valid] are set); start over to be safe.
            self.invalidate_all(initial());
            return stats;
        };
        let mut state = start_state.clone();
        let syntax_set = h.syntax_set();
        let mut lines = text.lines_raw(text.offset_of_line(line)..);
        let mut batch_start = line;
        let mut batch: Vec<Vec<StyleSpan>> = Vec::new();
        let mut flush = |registry: &mut StyleRegistry,
                         batch_start: usize,
                         batch: &mut Vec<Vec<StyleSpan>>,
                         complete: bool| {
            emit(HighlightResult {
                buffer: job.buffer,
                rev: job.rev,
                start_line: batch_start,
                lines: std::mem::take(batch),
                new_styles: registry.take_new(),
                complete,
            });
        };

        loop {
            let Some(line_text) = (line < line_count).then(|| lines.next()).flatten() else {
                // End of the text: every state is exact.
                self.valid = self.states.len();
                self.dirty_until = 0;
                break;
            };
            let mut spans: Vec<StyleSpan> = Vec::new();
            // Huge lines (minified code, data) would stall the worker: they stay
            // unstyled and the state is carried over unchanged.
            if line_text.len() <= MAX_LINE_LEN {
                let ops = match state.parse.parse_line(&line_text, syntax_set) {
                    Ok(ops) => ops,
                    Err(e) => {
                        tracing::warn!(line, error = %e, "syntect could not parse a line; highlighting stops here");
                        break;
                    }
                };
                for (style, _, range) in RangedHighlightIterator::new(
                    &mut state.highlight,
                    &ops,
                    &line_text,
                    &highlighter,
                ) {
                    if range.is_empty() {
                        continue;
                    }
                    let id = registry.id(StyleKey::from_syntect(&style, theme_bg));
                    match spans.last_mut() {
                        Some(last)
                            if last.style_id == id && last.start + last.len == range.start =>
                        {
                            last.len += range.len()
                        }
                        _ => spans.push(StyleSpan {
                            start: range.start,
                            len: range.len(),
                            style_id: id,
                        }),
                    }
                }
            }
            batch.push(spans);
            line += 1;
            stats.lines += 1;

            // `state` is now the state at the start of `line`.
            let cached = self.states.get(line).and_then(|s| s.as_ref());
            let converged = line >= self.dirty_until && cached.is_some_and(|c| **c == state);
            let stored = match (&self.states[line - 1], cached) {
                (_, Some(c)) if converged => Rc::clone(c),
                (Some(prev), _) if **prev == state => Rc::clone(prev),
                _ => Rc::new(state.clone()),
            };
            if line < self.states.len() {
                self.states[line] = Some(stored);
            } else {
                self.states.push(Some(stored));
            }
            self.valid = line + 1;

            if converged {
                // Everything after this line start was right already.
                self.valid = self.states.len();
                self.dirty_until = 0;
                let covered = self.states.len() - 1;
                if want_end <= covered {
                    break;
                }
                // The visible lines reach past what was ever highlighted: go on
                // from there.
                if !batch.is_empty() {
                    flush(registry, batch_start, &mut batch, false);
                }
                line = covered;
                batch_start = line;
                let Some(resume) = self.states[line].as_deref() else {
                    break;
                };
                state = resume.clone();
                lines = text.lines_raw(text.offset_of_line(line)..);
                continue;
            }
            if line >= want_end && line >= self.dirty_until && line >= covered_before {
                break;
            }
            if batch.len() >= BATCH_LINES || line == want_end {
                flush(registry, batch_start, &mut batch, false);
                batch_start = line;
            }
            if stats.lines.is_multiple_of(CHECK_EVERY) && interrupted() {
                stats.interrupted = true;
                break;
            }
        }
        if !batch.is_empty() || stats.lines > 0 {
            flush(registry, batch_start, &mut batch, !stats.interrupted);
        }
        stats
    }
}

/// Number of lines that have text (a final empty line after `\n` does not count).
fn count_lines(text: &Rope) -> usize {
    let newlines = text.measure::<LinesMetric>();
    if text.is_empty() || text.byte_at(text.len() - 1) == b'\n' {
        newlines
    } else {
        newlines + 1
    }
}
