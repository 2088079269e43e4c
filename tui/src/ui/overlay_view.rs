//! Drawing the overlays: the palette and file picker as centred boxes, the
//! find bar, prompts and questions as rows at the bottom of the panes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use crate::app::State;
use crate::overlays::input::LineInput;
use crate::overlays::{FindBar, Overlay};

/// Draws one overlay; returns where the terminal cursor goes.
pub fn draw_overlay(
    state: &State,
    overlay: &Overlay,
    area: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    match overlay {
        Overlay::Palette(p) => {
            let rows: Vec<(String, String)> = p
                .filtered
                .iter()
                .map(|&i| {
                    let e = &p.entries[i];
                    (format!("{}  ({})", e.description, e.name), e.keys.clone())
                })
                .collect();
            list_box(" Commands ", &p.input, &rows, p.selected, area, buf)
        }
        Overlay::FilePicker(p) => {
            let rows: Vec<(String, String)> = match &p.files {
                Some(files) => p
                    .filtered
                    .iter()
                    .map(|&i| (files[i].clone(), String::new()))
                    .collect(),
                None => vec![("listing files…".into(), String::new())],
            };
            let title = format!(" Open ({}) ", p.root.display());
            list_box(&title, &p.input, &rows, p.selected, area, buf)
        }
        Overlay::Find(f) => find_bar(state, f, area, buf),
        Overlay::Prompt(p) => bottom_input(p.label(), &p.input, area, buf),
        Overlay::Confirm(c) => {
            let y = area.bottom().checked_sub(1)?;
            let row = Rect::new(area.x, y, area.width, 1);
            let style = Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD);
            Clear.render(row, buf);
            buf.set_style(row, style);
            buf.set_stringn(
                area.x,
                y,
                format!(" {}", c.question),
                usize::from(area.width),
                style,
            );
            let x = (area.x + c.question.width() as u16 + 2).min(area.right().saturating_sub(1));
            Some((x, y))
        }
        Overlay::PaneNumbers => None,
        Overlay::Lsp(l) => super::lsp::draw_overlay(l, area, buf),
        Overlay::Ai(p) => super::conductor_panes::draw_picker(state, p, area, buf),
    }
}

pub(crate) fn input_style() -> Style {
    Style::default().fg(Color::White).bg(Color::Indexed(236))
}

fn bottom_input(
    label: &str,
    input: &LineInput,
    area: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    let y = area.bottom().checked_sub(1)?;
    draw_input_row(label, input, Rect::new(area.x, y, area.width, 1), buf)
}

/// A labelled one-line input in `row` (the cursor kept in view); returns the
/// cursor's position.
pub(crate) fn draw_input_row(
    label: &str,
    input: &LineInput,
    row: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    let style = input_style();
    Clear.render(row, buf);
    buf.set_style(row, style);
    buf.set_stringn(
        row.x,
        row.y,
        label,
        usize::from(row.width),
        style.add_modifier(Modifier::BOLD),
    );
    let lw = label.width() as u16;
    let room = usize::from(row.width.saturating_sub(lw + 1));
    // Keep the cursor in view for long inputs.
    let cur = input.cursor_col();
    let skip = cur.saturating_sub(room);
    let shown: String = {
        let mut w = 0;
        input
            .text
            .chars()
            .skip_while(|c| {
                let cw = unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
                let before = w;
                w += cw;
                before < skip
            })
            .collect()
    };
    buf.set_stringn(row.x + lw, row.y, &shown, room, style);
    Some((
        (row.x + lw + (cur - skip) as u16).min(row.right().saturating_sub(1)),
        row.y,
    ))
}

/// The find bar: the query with its toggles, each with its key, and the match
/// count (`counting…` while the editor still searches); the replace field with
/// its keys below it. Hints that do not fit are dropped, least useful first.
fn find_bar(state: &State, f: &FindBar, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let rows = if f.replace.is_some() { 2 } else { 1 };
    let y = area.bottom().checked_sub(rows)?;
    let toggle = |on: bool, s: &str| {
        if on {
            format!("[{s}]")
        } else {
            format!(" {s} ")
        }
    };
    let data = state.focused_data();
    let matches = match data.and_then(|d| d.find_matches) {
        Some(n) if data.is_some_and(|d| d.find_counting) => format!("counting… {n}"),
        Some(n) => format!("{n} match{}", if n == 1 { "" } else { "es" }),
        None => String::new(),
    };
    let (regex, case, words) = (
        toggle(f.regex, ".*"),
        toggle(f.case_sensitive, "Aa"),
        toggle(f.whole_words, "ab"),
    );
    let all = if f.replace.is_some() {
        String::new()
    } else {
        "A all · Tab replace ".to_string()
    };
    // from the most to the least complete; the first that leaves room to type
    let candidates = [
        format!("Alt: R{regex}C{case}W{words}{all}· {matches} "),
        format!("Alt: R{regex}C{case}W{words}· {matches} "),
        format!("{regex}{case}{words} {matches} "),
    ];
    let room_to_type = 14;
    let right = candidates
        .iter()
        .find(|c| c.width() as u16 + room_to_type <= area.width)
        .unwrap_or(&candidates[2]);
    let cursor = draw_input_with_hint(
        "Find: ",
        &f.find,
        right,
        Rect::new(area.x, y, area.width, 1),
        buf,
    );
    let Some(r) = &f.replace else {
        return cursor;
    };
    let hints = [" Enter next · Alt-A all · Tab find ", " Tab find "];
    let hint = hints
        .iter()
        .find(|h| h.width() as u16 + room_to_type <= area.width)
        .copied()
        .unwrap_or("");
    let c = draw_input_with_hint(
        "Replace: ",
        r,
        hint,
        Rect::new(area.x, y + 1, area.width, 1),
        buf,
    );
    if f.on_replace { c } else { cursor }
}

/// An input row with `hint` right-aligned in yellow.
fn draw_input_with_hint(
    label: &str,
    input: &LineInput,
    hint: &str,
    row: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    let hw = (hint.width() as u16).min(row.width);
    let input_row = Rect::new(row.x, row.y, row.width - hw, 1);
    let cursor = draw_input_row(label, input, input_row, buf);
    let rs = Rect::new(row.right() - hw, row.y, hw, 1);
    Clear.render(rs, buf);
    buf.set_style(rs, input_style());
    buf.set_stringn(
        rs.x,
        row.y,
        hint,
        usize::from(rs.width),
        input_style().fg(Color::Yellow),
    );
    cursor
}

/// A bordered box near the top of `area`, centred, at most `max` (width,
/// height) and cleared; `None` when `area` cannot hold `min`. Returns its inside.
pub(crate) fn centered_box(
    title: &str,
    max: (u16, u16),
    min: (u16, u16),
    area: Rect,
    buf: &mut Buffer,
) -> Option<Rect> {
    let w = area.width.saturating_sub(4).min(max.0);
    let h = area.height.saturating_sub(2).min(max.1);
    if w < min.0 || h < min.1 {
        return None;
    }
    let r = Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, h);
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(Style::default().fg(Color::Cyan));
    let inner = block.inner(r);
    block.render(r, buf);
    Some(inner)
}

fn list_box(
    title: &str,
    input: &LineInput,
    rows: &[(String, String)],
    selected: usize,
    area: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    let inner = centered_box(title, (90, 22), (10, 4), area, buf)?;
    let cursor = draw_input_row(
        "> ",
        input,
        Rect::new(inner.x, inner.y, inner.width, 1),
        buf,
    );
    let visible = usize::from(inner.height.saturating_sub(1));
    let first = selected.saturating_sub(visible.saturating_sub(1));
    for (i, (left, right)) in rows.iter().enumerate().skip(first).take(visible) {
        let y = inner.y + 1 + (i - first) as u16;
        let style = if i == selected {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default()
        };
        let row = Rect::new(inner.x, y, inner.width, 1);
        buf.set_style(row, style);
        let rw = right.width() as u16;
        buf.set_stringn(
            inner.x + 1,
            y,
            left,
            usize::from(inner.width.saturating_sub(rw + 3)),
            style,
        );
        if rw > 0 && rw + 2 < inner.width {
            buf.set_stringn(
                inner.right() - rw - 1,
                y,
                right,
                usize::from(rw),
                style.add_modifier(Modifier::BOLD),
            );
        }
    }
    cursor
}
