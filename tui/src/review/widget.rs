//! The inline review widget: the buffer's lines from the view's line cache
//! (read only) with each open hunk's removed lines styled apart (red) and
//! its added lines interleaved after them (green); inside a removed / added
//! pair the words that changed are drawn stronger (delta's and VS Code's
//! word emphasis; `proposal::hunk_words`). Conflicted hunks are marked `!`
//! in yellow; the lines around the hunks keep their syntax colours. A
//! header row names the run, the hunk at the cursor and the keys.
//!
//! Tabs, wide characters, horizontal scroll and soft wrap are drawn as the
//! editor view draws them (the pane's `left` column, moved just enough to
//! keep the caret on screen; a wrapped line shows its number and marker on
//! its first row).

use std::collections::HashMap;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use symphony_conductor::proposal::{HunkState, HunkWords};

use super::Review;
use super::lines::{self, HunkRows, line_text};
use super::paint::{self, Look};
use crate::action::Action;
use crate::app::{State, ViewData};
use crate::panes::EditorPane;
use crate::ui::colors::ColorMode;
use crate::ui::text::{byte_to_col, wrap_points};

/// What a row of the review shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A buffer line left as it is.
    Line(usize),
    /// A buffer line the hunk removes (`conflicted`: the user edited it too).
    Removed {
        /// The buffer line.
        line: usize,
        /// The hunk.
        hunk: usize,
        /// Conflicted.
        conflicted: bool,
    },
    /// A line the hunk adds.
    Added {
        /// Its text.
        text: String,
        /// The hunk.
        hunk: usize,
        /// Which of the hunk's added lines (0-based).
        index: usize,
        /// Conflicted.
        conflicted: bool,
    },
}

/// The rows from buffer line `top`, at most `height`, for the open hunks
/// `plan` ([`lines::plan`]).
fn rows(plan: &[HunkRows], data: &ViewData, top: usize, height: usize) -> Vec<Row> {
    let mut out = Vec::new();
    let conflicted = |h: &HunkRows| matches!(h.hunk.state, HunkState::Conflicted(_));
    let added = |out: &mut Vec<Row>, h: &HunkRows| {
        for (index, t) in h.added.iter().enumerate() {
            out.push(Row::Added {
                text: t.clone(),
                hunk: h.hunk.index,
                index,
                conflicted: conflicted(h),
            });
        }
    };
    let len = data.cache.len();
    let mut line = top;
    while out.len() < height && line <= len {
        for h in plan
            .iter()
            .filter(|h| h.hunk.removed_lines().is_empty() && h.hunk.first_line == line)
        {
            added(&mut out, h);
        }
        if line == len {
            break;
        }
        let removing = plan.iter().find(|h| h.hunk.removed_lines().contains(&line));
        match removing {
            Some(h) => {
                out.push(Row::Removed {
                    line,
                    hunk: h.hunk.index,
                    conflicted: conflicted(h),
                });
                if line + 1 == h.hunk.removed_lines().end {
                    added(&mut out, h);
                }
            }
            None => out.push(Row::Line(line)),
        }
        line += 1;
    }
    out.truncate(height);
    out
}

/// One screen row: a review row, or the part of it on this row when lines
/// wrap (`start..end`, bytes of its text).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScreenRow {
    row: Row,
    start: usize,
    end: usize,
    /// The row's first part (the gutter shows its number and marker).
    first: bool,
    /// Its last part.
    last: bool,
}

/// The text a row shows.
fn row_text<'a>(row: &'a Row, data: &'a ViewData) -> &'a str {
    match row {
        Row::Line(l) | Row::Removed { line: l, .. } => line_text(data, *l),
        Row::Added { text, .. } => text,
    }
}

/// The screen rows from buffer line `top`, at most `height`; `wrap` is the
/// text width and tab size when lines wrap (as the editor view wraps them).
fn screen_rows(
    plan: &[HunkRows],
    data: &ViewData,
    top: usize,
    height: usize,
    wrap: Option<(usize, usize)>,
) -> Vec<ScreenRow> {
    let mut out = Vec::with_capacity(height);
    for row in rows(plan, data, top, height) {
        let text = row_text(&row, data);
        let points = match wrap {
            Some((width, tab)) => wrap_points(text, width, tab),
            None => vec![0],
        };
        for (i, start) in points.iter().enumerate() {
            if out.len() >= height {
                return out;
            }
            let next = points.get(i + 1).copied();
            out.push(ScreenRow {
                row: row.clone(),
                start: *start,
                end: next.unwrap_or(text.len()),
                first: i == 0,
                last: next.is_none(),
            });
        }
    }
    out
}

/// The screen row showing the caret, if any.
fn caret_row(screen: &[ScreenRow], data: &ViewData) -> Option<usize> {
    let (line, byte) = data.caret;
    screen.iter().position(|s| {
        matches!(&s.row, Row::Line(l) | Row::Removed { line: l, .. } if *l == line)
            && byte >= s.start
            && (byte < s.end || s.last)
    })
}

/// The first buffer line to draw so that the caret is on screen.
fn top_for_caret(
    plan: &[HunkRows],
    data: &ViewData,
    pane: &EditorPane,
    height: usize,
    wrap: Option<(usize, usize)>,
) -> usize {
    let caret = data.caret.0;
    let mut top = pane.top.min(caret);
    while top < caret {
        if caret_row(&screen_rows(plan, data, top, height, wrap), data).is_some() {
            break;
        }
        top += 1;
    }
    top
}

/// The first display column drawn without soft wrap: the pane's horizontal
/// scroll, moved just enough to show the caret in `width` columns.
fn left_for_caret(state: &State, data: &ViewData, pane: &EditorPane, width: usize) -> usize {
    if state.config.soft_wrap {
        return 0;
    }
    let left = pane.left;
    let (line, byte) = data.caret;
    let Some(l) = data.cache.get(line) else {
        return left;
    };
    let col = byte_to_col(&l.text, byte, state.config.tab_size);
    let width = width.max(1);
    if col < left {
        col
    } else if col >= left + width {
        col + 1 - width
    } else {
        left
    }
}

fn gutter(data: &ViewData) -> u16 {
    let digits = data.cache.len().max(1).to_string().len().max(3);
    u16::try_from(digits + 1).unwrap_or(u16::MAX)
}

fn key_of(state: &State, action: &Action) -> String {
    state
        .config
        .keymap
        .keys_for(action)
        .into_iter()
        .next()
        .unwrap_or_else(|| action.name().unwrap_or("?").to_owned())
}

/// The review's colours: each side's line colour and the stronger colour of
/// its changed words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colors {
    /// A removed line.
    pub removed: Style,
    /// The changed words of a removed line.
    pub removed_words: Style,
    /// An added line.
    pub added: Style,
    /// The changed words of an added line.
    pub added_words: Style,
    /// The `!` of a conflicted hunk.
    pub conflict: Style,
}

impl Colors {
    /// The colours in `mode`.
    pub fn new(mode: ColorMode) -> Colors {
        Colors {
            removed: Style::default()
                .fg(mode.rgb(0xf0, 0x8c, 0x8c))
                .bg(mode.rgb(0x4a, 0x1e, 0x1e)),
            removed_words: Style::default()
                .fg(mode.rgb(0xff, 0xe0, 0xe0))
                .bg(mode.rgb(0x96, 0x2d, 0x2d))
                .add_modifier(Modifier::BOLD),
            added: Style::default()
                .fg(mode.rgb(0xa8, 0xe0, 0x98))
                .bg(mode.rgb(0x1e, 0x40, 0x24)),
            added_words: Style::default()
                .fg(mode.rgb(0xe8, 0xff, 0xe0))
                .bg(mode.rgb(0x2e, 0x80, 0x3a))
                .add_modifier(Modifier::BOLD),
            conflict: Style::default()
                .fg(Color::Black)
                .bg(mode.rgb(0xe5, 0xc0, 0x7b)),
        }
    }
}

/// The changed-word ranges of `row` (empty when it is drawn whole).
fn emphasis<'a>(
    row: &Row,
    words: &'a HashMap<usize, HunkWords>,
    plan: &[HunkRows],
) -> &'a [Range<usize>] {
    let found = match row {
        Row::Line(_) => None,
        Row::Removed { line, hunk, .. } => {
            let first = plan
                .iter()
                .find(|h| h.hunk.index == *hunk)
                .map(|h| h.hunk.first_line);
            first.and_then(|f| words.get(hunk)?.removed.get(line.checked_sub(f)?))
        }
        Row::Added { hunk, index, .. } => words.get(hunk).and_then(|w| w.added.get(*index)),
    };
    found.and_then(Option::as_deref).unwrap_or_default()
}

/// The syntax colours of buffer line `line` (`def_style` styles; not the
/// selection or find highlights, which the review does not show).
fn syntax(state: &State, data: &ViewData, line: usize) -> Vec<(Range<usize>, Style)> {
    let Some(l) = data.cache.get(line) else {
        return Vec::new();
    };
    l.styles
        .iter()
        .filter(|s| s.style_id > 1)
        .filter_map(|s| {
            let def = state.styles.get(&s.style_id)?;
            Some((s.start..s.end, state.color_mode.style(def)))
        })
        .collect()
}

/// Draws the review of `pane`'s view in `rect`.
pub fn render(
    state: &State,
    pane: &EditorPane,
    review: &Review,
    rect: Rect,
    focused: bool,
    buf: &mut Buffer,
) {
    if rect.height == 0 || rect.width == 0 {
        return;
    }
    let Some(data) = state.views.get(&pane.view) else {
        return;
    };
    let mode = state.color_mode;
    let base = Style::default();
    buf.set_style(rect, base);
    let plan = lines::plan(review, data);
    // Header.
    let open = plan.len();
    let at = review.hunk_at_line(data.caret.0);
    let pos = at
        .and_then(|i| plan.iter().position(|h| h.hunk.index == i))
        .map(|p| p + 1)
        .unwrap_or(0);
    let header = format!(
        " Review run #{} · hunk {pos}/{open} · {} accept · {} reject · {} all · {} none · {} next ",
        review.run.0,
        key_of(state, &Action::ReviewAcceptHunk),
        key_of(state, &Action::ReviewRejectHunk),
        key_of(state, &Action::ReviewAcceptAll),
        key_of(state, &Action::ReviewRejectAll),
        key_of(state, &Action::ReviewNextHunk),
    );
    let head_style = Style::default()
        .fg(Color::Black)
        .bg(if focused {
            mode.rgb(0xe5, 0xc0, 0x7b)
        } else {
            Color::DarkGray
        })
        .add_modifier(Modifier::BOLD);
    buf.set_style(Rect { height: 1, ..rect }, head_style);
    buf.set_stringn(rect.x, rect.y, &header, usize::from(rect.width), head_style);
    let height = usize::from(rect.height - 1);
    let g = gutter(data);
    let tab = state.config.tab_size;
    let colors = Colors::new(mode);
    let gutter_style = Style::default().fg(Color::DarkGray);
    let text_width = rect.width.saturating_sub(g).saturating_sub(1);
    let wrap = wrap_of(state, text_width);
    let top = top_for_caret(&plan, data, pane, height, wrap);
    let left = left_for_caret(state, data, pane, usize::from(text_width));
    let shown = screen_rows(&plan, data, top, height, wrap);
    // The word diffs of the hunks on screen, once each.
    let mut words: HashMap<usize, HunkWords> = HashMap::new();
    for screen in &shown {
        if let Row::Removed { hunk, .. } | Row::Added { hunk, .. } = &screen.row
            && !words.contains_key(hunk)
            && let Some(h) = plan.iter().find(|h| h.hunk.index == *hunk)
        {
            words.insert(*hunk, lines::words(data, h, &review.words));
        }
    }
    for (i, screen) in shown.iter().enumerate() {
        let y = rect.y + 1 + i as u16;
        let row = &screen.row;
        let (number, marker, text, style, strong, conflicted, hunk) = match row {
            Row::Line(l) => (Some(*l), ' ', line_text(data, *l), base, base, false, None),
            Row::Removed {
                line,
                hunk,
                conflicted,
            } => (
                Some(*line),
                '-',
                line_text(data, *line),
                colors.removed,
                colors.removed_words,
                *conflicted,
                Some(*hunk),
            ),
            Row::Added {
                text,
                hunk,
                conflicted,
                ..
            } => (
                None,
                '+',
                text.as_str(),
                colors.added,
                colors.added_words,
                *conflicted,
                Some(*hunk),
            ),
        };
        // Continuation rows of a wrapped line: no number, no marker.
        let (number, marker) = if screen.first {
            (number, marker)
        } else {
            (None, ' ')
        };
        if let Some(n) = number {
            let s = format!("{:>w$} ", n + 1, w = usize::from(g.saturating_sub(1)));
            buf.set_stringn(rect.x, y, s, usize::from(g.min(rect.width)), gutter_style);
        }
        let x = rect.x + g.min(rect.width);
        let width = usize::from(rect.width.saturating_sub(g));
        if hunk.is_some() {
            buf.set_style(Rect::new(x, y, rect.width.saturating_sub(g), 1), style);
        }
        let mark = if conflicted && screen.first {
            '!'
        } else {
            marker
        };
        let mark_style = if conflicted && screen.first {
            colors.conflict
        } else if Some(true) == hunk.map(|h| Some(h) == at) {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        };
        buf.set_stringn(x, y, mark.to_string(), width, mark_style);
        if text_width > 0 {
            let area = Rect::new(x + 1, y, text_width, 1);
            // Context lines keep their syntax colours; changed words stand out.
            let spans: Vec<(Range<usize>, Style)> = match row {
                Row::Line(l) => syntax(state, data, *l),
                _ => emphasis(row, &words, &plan)
                    .iter()
                    .map(|r| (r.clone(), strong))
                    .collect(),
            };
            // A wrapped row draws its part: from its first column, up to its end.
            let from = match wrap {
                Some(_) => byte_to_col(text, screen.start, tab),
                None => left,
            };
            let text = &text[..screen.end.min(text.len())];
            let look = Look {
                base: style,
                spans: &spans,
            };
            paint::line(buf, area, text, from, tab, look);
        }
    }
}

/// The text width and tab size rows wrap at, with soft wrap on.
fn wrap_of(state: &State, text_width: u16) -> Option<(usize, usize)> {
    state
        .config
        .soft_wrap
        .then_some((usize::from(text_width), state.config.tab_size))
}

/// Where the terminal cursor goes in a pane under review.
pub fn caret_position(
    state: &State,
    pane: &EditorPane,
    review: &Review,
    rect: Rect,
) -> Option<(u16, u16)> {
    let data = state.views.get(&pane.view)?;
    let height = usize::from(rect.height.saturating_sub(1));
    let plan = lines::plan(review, data);
    let g = gutter(data);
    let text_width = rect.width.saturating_sub(g).saturating_sub(1);
    let wrap = wrap_of(state, text_width);
    let top = top_for_caret(&plan, data, pane, height, wrap);
    let screen = screen_rows(&plan, data, top, height, wrap);
    let i = caret_row(&screen, data)?;
    let tab = state.config.tab_size;
    let text = line_text(data, data.caret.0);
    let from = match wrap {
        Some(_) => byte_to_col(text, screen[i].start, tab),
        None => left_for_caret(state, data, pane, usize::from(text_width)),
    };
    let dx = byte_to_col(text, data.caret.1, tab).checked_sub(from)?;
    let x = rect.x + g + 1 + u16::try_from(dx).ok()?;
    (x < rect.right()).then_some((x, rect.y + 1 + i as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_stand_out_in_both_colour_modes() {
        for mode in [ColorMode::TrueColor, ColorMode::Ansi256] {
            let c = Colors::new(mode);
            assert_ne!(c.removed.bg, c.removed_words.bg, "{mode:?}");
            assert_ne!(c.added.bg, c.added_words.bg, "{mode:?}");
            assert_ne!(c.removed_words.bg, c.added_words.bg, "{mode:?}");
        }
    }
}
