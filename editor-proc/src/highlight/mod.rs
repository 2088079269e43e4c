//! Syntax highlighting with syntect, off the edit path.
//!
//! - [`Highlighting`]: the syntaxes and themes (syntect's defaults plus every
//!   `.tmTheme` under `themes/`), language detection, `theme_changed` settings.
//! - [`HighlightService`]: a worker thread that keeps each buffer's parser state at
//!   every line start, re-highlights from the first changed line until the state
//!   converges with the cached one, and sends [`HighlightResult`]s on a tokio
//!   channel. A newer job for a buffer supersedes a pending one, so it never falls
//!   behind typing.
//! - [`LineStyles`]: the per-buffer store of highlighted lines the core keeps; it
//!   maps results computed for an older revision onto the current lines.
//!
//! Style ids: 0 is the selection and 1..=7 are find highlights (as upstream); the
//! ids of syntax styles start at 8 and are announced once each as [`StyleDef`]s.

mod cache;
mod catalog;
mod line_styles;
mod registry;
mod service;
#[cfg(test)]
mod tests;
mod theme_map;

use std::ops::Range;

use symphony_protocol::xi::StyleDef;

pub use catalog::{Highlighting, PLAIN_TEXT};
pub use line_styles::{InLineCut, LineStyles, shift_spans};
pub use registry::{FIRST_SYNTAX_STYLE, StyleKey, StyleRegistry};
pub use service::HighlightService;
pub use theme_map::theme_settings_from_syntect;

/// One styled run of a line: bytes `start..start + len` of the line (its `\n`
/// included) have style `style_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleSpan {
    /// Byte offset within the line.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// A style id announced by a [`StyleDef`].
    pub style_id: u64,
}

/// Which lines changed between two texts: the `old_lines` lines starting at
/// `first_line` were replaced by `new_lines` lines.
///
/// Typing inside line 5 is `{ first_line: 5, old_lines: 1, new_lines: 1 }`;
/// pressing Enter there is `{ 5, 1, 2 }`. `old_lines == new_lines == 0`
/// ([`LineEdit::UNCHANGED`]) means the text did not change (only the visible
/// lines moved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineEdit {
    /// First line whose text changed.
    pub first_line: usize,
    /// How many lines were replaced.
    pub old_lines: usize,
    /// How many lines replaced them.
    pub new_lines: usize,
}

impl LineEdit {
    /// "Nothing changed": a job that only asks for other lines.
    pub const UNCHANGED: LineEdit = LineEdit {
        first_line: 0,
        old_lines: 0,
        new_lines: 0,
    };

    /// Whether this edit changes nothing.
    pub fn is_unchanged(&self) -> bool {
        self.old_lines == 0 && self.new_lines == 0
    }

    /// The single edit equivalent to `self` followed by `next` (which is in the
    /// coordinates `self` left). It may cover more lines than strictly changed.
    pub fn then(self, next: LineEdit) -> LineEdit {
        if self.is_unchanged() {
            return next;
        }
        if next.is_unchanged() {
            return self;
        }
        // Work in the coordinates between the two edits.
        let start = self.first_line.min(next.first_line);
        let end = (self.first_line + self.new_lines).max(next.first_line + next.old_lines);
        LineEdit {
            first_line: start,
            old_lines: end - self.new_lines + self.old_lines - start,
            new_lines: end - next.old_lines + next.new_lines - start,
        }
    }

    /// Where line `line` (of the text before the edit) is after it, or `None` when
    /// the edit replaced it.
    pub fn map_line(&self, line: usize) -> Option<usize> {
        if self.is_unchanged() || line < self.first_line {
            Some(line)
        } else if line >= self.first_line + self.old_lines {
            Some(line - self.old_lines + self.new_lines)
        } else {
            None
        }
    }
}

/// A request to (re-)highlight a buffer.
#[derive(Debug, Clone)]
pub struct HighlightJob {
    /// The buffer (any id unique among open buffers).
    pub buffer: u64,
    /// The revision of `text`; echoed in the results.
    pub rev: u64,
    /// The whole text (a cheap clone of the rope).
    pub text: xi_rope::Rope,
    /// Language name, as in [`Highlighting::languages`].
    pub language: String,
    /// Theme name, as in [`Highlighting::themes`].
    pub theme: String,
    /// What changed since the previous job for this buffer; `None`: start from
    /// scratch (new buffer, reload).
    pub edit: Option<LineEdit>,
    /// The visible lines: everything up to `want_lines.end` gets highlighted.
    pub want_lines: Range<usize>,
}

/// Styles of consecutive lines, computed for revision `rev`.
#[derive(Debug, Clone, PartialEq)]
pub struct HighlightResult {
    /// The buffer.
    pub buffer: u64,
    /// The revision the line numbers refer to.
    pub rev: u64,
    /// Line number of `lines[0]`.
    pub start_line: usize,
    /// The spans of each line.
    pub lines: Vec<Vec<StyleSpan>>,
    /// Styles used here for the first time: send them as `def_style` before any
    /// `update` that uses them.
    pub new_styles: Vec<StyleDef>,
    /// The last result of this job (the worker moves on to other work after it).
    pub complete: bool,
}
