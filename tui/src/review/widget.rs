//! The inline review widget: the buffer's lines from the view's line cache
//! (read only) with each open hunk's removed lines styled apart (red) and
//! its added lines interleaved after them (green); conflicted hunks are
//! marked `!` in yellow. A header row names the run, the hunk at the cursor
//! and the keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use symphony_conductor::proposal::HunkState;

use super::Review;
use crate::action::Action;
use crate::app::{State, ViewData};
use crate::panes::EditorPane;
use crate::ui::text::byte_to_col;

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
        /// Conflicted.
        conflicted: bool,
    },
}

/// The rows from buffer line `top`, at most `height`.
pub fn rows(review: &Review, data: &ViewData, top: usize, height: usize) -> Vec<Row> {
    let mut out = Vec::new();
    let open = review.open_hunks();
    let conflicted = |h: &super::LiveHunk| matches!(h.state, HunkState::Conflicted(_));
    let added = |out: &mut Vec<Row>, h: &super::LiveHunk| {
        for t in h.added_lines() {
            out.push(Row::Added {
                text: t.to_owned(),
                hunk: h.index,
                conflicted: conflicted(h),
            });
        }
    };
    let len = data.cache.len();
    let mut line = top;
    while out.len() < height && line <= len {
        for h in open
            .iter()
            .filter(|h| h.removed_lines().is_empty() && h.first_line == line)
        {
            added(&mut out, h);
        }
        if line == len {
            break;
        }
        let removing = open.iter().find(|h| h.removed_lines().contains(&line));
        match removing {
            Some(h) => {
                out.push(Row::Removed {
                    line,
                    hunk: h.index,
                    conflicted: conflicted(h),
                });
                if line + 1 == h.removed_lines().end {
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

/// The first buffer line to draw so that the caret's line is on screen.
fn top_for_caret(review: &Review, data: &ViewData, pane: &EditorPane, height: usize) -> usize {
    let caret = data.caret.0;
    let mut top = pane.top.min(caret);
    while top < caret {
        let r = rows(review, data, top, height);
        let visible = r
            .iter()
            .any(|row| matches!(row, Row::Line(l) | Row::Removed { line: l, .. } if *l == caret));
        if visible {
            break;
        }
        top += 1;
    }
    top
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
    // Header.
    let open_hunks = review.open_hunks();
    let open = open_hunks.len();
    let at = review.hunk_at_line(data.caret.0);
    let pos = at
        .and_then(|i| open_hunks.iter().position(|h| h.index == i))
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
    let top = top_for_caret(review, data, pane, height);
    let g = gutter(data);
    let tab = state.config.tab_size;
    let removed = Style::default()
        .fg(mode.rgb(0xf0, 0x8c, 0x8c))
        .bg(mode.rgb(0x4a, 0x1e, 0x1e));
    let added = Style::default()
        .fg(mode.rgb(0xa8, 0xe0, 0x98))
        .bg(mode.rgb(0x1e, 0x40, 0x24));
    let conflict = Style::default()
        .fg(Color::Black)
        .bg(mode.rgb(0xe5, 0xc0, 0x7b));
    let gutter_style = Style::default().fg(Color::DarkGray);
    for (i, row) in rows(review, data, top, height).iter().enumerate() {
        let y = rect.y + 1 + i as u16;
        let (number, marker, text, style, conflicted, hunk) = match row {
            Row::Line(l) => (Some(*l), ' ', line_text(data, *l), base, false, None),
            Row::Removed {
                line,
                hunk,
                conflicted,
            } => (
                Some(*line),
                '-',
                line_text(data, *line),
                removed,
                *conflicted,
                Some(*hunk),
            ),
            Row::Added {
                text,
                hunk,
                conflicted,
            } => (None, '+', text.clone(), added, *conflicted, Some(*hunk)),
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
        let mark = if conflicted { '!' } else { marker };
        let mark_style = if conflicted {
            conflict
        } else if Some(true) == hunk.map(|h| Some(h) == at) {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        };
        buf.set_stringn(x, y, mark.to_string(), width, mark_style);
        let shown = expand_tabs(&text, tab);
        buf.set_stringn(x + 1, y, shown, width.saturating_sub(1), style);
    }
}

fn line_text(data: &ViewData, line: usize) -> String {
    data.cache
        .get(line)
        .map(|l| l.text.trim_end_matches(['\n', '\r']).to_owned())
        .unwrap_or_default()
}

fn expand_tabs(text: &str, tab: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut col = 0;
    for c in text.chars() {
        if c == '\t' {
            let n = tab - col % tab.max(1);
            out.extend(std::iter::repeat_n(' ', n));
            col += n;
        } else {
            out.push(c);
            col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
    }
    out
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
    let top = top_for_caret(review, data, pane, height);
    let (line, col) = data.caret;
    let i = rows(review, data, top, height)
        .iter()
        .position(|r| matches!(r, Row::Line(l) | Row::Removed { line: l, .. } if *l == line))?;
    let g = gutter(data);
    let c = data
        .cache
        .get(line)
        .map(|l| byte_to_col(&l.text, col, state.config.tab_size))
        .unwrap_or(0);
    let x = rect.x + g + 1 + u16::try_from(c).ok()?;
    (x < rect.right()).then_some((x, rect.y + 1 + i as u16))
}
