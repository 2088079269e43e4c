//! Drawing the overlays: the palette and file picker as centred boxes, the
//! find bar, prompts and questions as rows at the bottom of the panes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use crate::app::State;
use crate::keymap::context::FindAction;
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
        Overlay::ProjectSearch(p) => project_search_box(p, area, buf),
        Overlay::Buffers(p) => list_box(&p.title(), &p.input, &p.rows(), p.selected, area, buf),
        Overlay::Find(f) => find_bar(state, f, area, buf),
        Overlay::Prompt(p) => bottom_input(p.label(), &p.input, area, buf),
        Overlay::Confirm(c) => question_bar(&c.question, area, buf),
        Overlay::Choice(c) => question_bar(&c.question, area, buf),
        Overlay::Recovery(r) => recovery_box(state, r, area, buf),
        Overlay::PaneNumbers => None,
        Overlay::Lsp(l) => super::lsp::draw_overlay(l, area, buf),
        Overlay::Ai(p) => super::conductor_panes::draw_picker(state, p, area, buf),
    }
}

/// A question on the bottom row (black on yellow); the cursor after it.
fn question_bar(question: &str, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
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
        format!(" {question}"),
        usize::from(area.width),
        style,
    );
    let x = (area.x + question.width() as u16 + 2).min(area.right().saturating_sub(1));
    Some((x, y))
}

/// The recovery box's colours: the theme's text on its background, the frame
/// and title in the theme's accent (a warm yellow without one), the title's
/// text picked for contrast with it (never the terminal's "black", which many
/// palettes show grey).
fn recovery_styles(state: &State) -> (Style, Style) {
    let m = state.color_mode;
    let rgb = |c: symphony_protocol::xi::Color| (c.r, c.g, c.b);
    let fg = state.theme.foreground.map(rgb).unwrap_or((230, 230, 230));
    let bg = state.theme.background.map(rgb).unwrap_or((28, 28, 28));
    let accent = state.theme.accent.map(rgb).unwrap_or((229, 192, 123));
    let body = Style::default()
        .fg(m.rgb(fg.0, fg.1, fg.2))
        .bg(m.rgb(bg.0, bg.1, bg.2));
    let on_accent = super::colors::readable_on(accent, &[bg, fg]);
    let title = Style::default()
        .fg(m.rgb(on_accent.0, on_accent.1, on_accent.2))
        .bg(m.rgb(accent.0, accent.1, accent.2))
        .add_modifier(Modifier::BOLD);
    (body, title)
}

/// The crash-recovery question: a box along the bottom of the panes with the question,
/// the choices (the chosen one reversed) and how to answer.
fn recovery_box(
    state: &State,
    r: &crate::overlays::RecoveryChoice,
    area: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    let choices = r.choices();
    let height = (choices.len() as u16 + 4).min(area.height);
    if height < 3 {
        return None;
    }
    let rect = Rect::new(area.x, area.bottom() - height, area.width, height);
    let (style, title) = recovery_styles(state);
    Clear.render(rect, buf);
    let frame = style.fg(title.bg.unwrap_or(Color::Yellow));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(frame)
        .title(ratatui::text::Span::styled(" Crash recovery ", title))
        .style(style);
    let inner = block.inner(rect);
    block.render(rect, buf);
    let width = usize::from(inner.width);
    let mut y = inner.y;
    buf.set_stringn(
        inner.x,
        y,
        r.title(),
        width,
        style.add_modifier(Modifier::BOLD),
    );
    for (i, (_, label)) in choices.iter().enumerate() {
        y += 1;
        if y >= inner.bottom() {
            break;
        }
        let chosen = r.selected == Some(i);
        let (mark, row_style) = if chosen {
            (
                "> ",
                style.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )
        } else {
            ("  ", style)
        };
        buf.set_stringn(inner.x, y, format!("{mark}{label}"), width, row_style);
    }
    if y + 1 < inner.bottom() {
        buf.set_stringn(inner.x, y + 1, r.hint(), width, style);
    }
    None
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
    let keys = &state.config.keymap;
    // The toggles are shown after one `Alt:` (their default chords).
    let alt = |a: FindAction| {
        let label = keys.hint(a);
        label
            .strip_prefix("Alt-")
            .map_or(label.clone(), str::to_owned)
    };
    let all = if f.replace.is_some() {
        String::new()
    } else {
        format!(
            "{} all · {} replace ",
            alt(FindAction::ReplaceAll),
            keys.hint(FindAction::SwitchField)
        )
    };
    let (r_key, c_key, w_key) = (
        alt(FindAction::ToggleRegex),
        alt(FindAction::ToggleCase),
        alt(FindAction::ToggleWholeWords),
    );
    // from the most to the least complete; the first that leaves room to type
    let candidates = [
        format!("Alt: {r_key}{regex}{c_key}{case}{w_key}{words}{all}· {matches} "),
        format!("Alt: {r_key}{regex}{c_key}{case}{w_key}{words}· {matches} "),
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
    let (confirm, all, switch) = (
        keys.hint(FindAction::Confirm),
        keys.hint(FindAction::ReplaceAll),
        keys.hint(FindAction::SwitchField),
    );
    let hints = [
        format!(" {confirm} next · {all} all · {switch} find "),
        format!(" {switch} find "),
    ];
    let hint = hints
        .iter()
        .find(|h| h.width() as u16 + room_to_type <= area.width)
        .map(String::as_str)
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

/// The project search picker: the query, the hits (`path:line: text`), and below them a
/// preview of the selected hit's surroundings with its line marked.
fn project_search_box(
    p: &crate::overlays::project_search::ProjectSearch,
    area: Rect,
    buf: &mut Buffer,
) -> Option<(u16, u16)> {
    let inner = centered_box(&p.status(), (120, 40), (20, 8), area, buf)?;
    let cursor = draw_input_row(
        "> ",
        &p.input,
        Rect::new(inner.x, inner.y, inner.width, 1),
        buf,
    );
    let body = inner.height.saturating_sub(1);
    let list_h = (body / 2).max(1);
    let rows: Vec<(String, String)> = p
        .hits
        .iter()
        .map(|h| {
            (
                format!("{}:{}: {}", h.path.display(), h.line + 1, h.text.trim()),
                String::new(),
            )
        })
        .collect();
    let first = p
        .selected
        .saturating_sub(usize::from(list_h).saturating_sub(1));
    for (i, (left, _)) in rows
        .iter()
        .enumerate()
        .skip(first)
        .take(usize::from(list_h))
    {
        let y = inner.y + 1 + (i - first) as u16;
        let style = if i == p.selected {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default()
        };
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        buf.set_stringn(
            inner.x + 1,
            y,
            left,
            usize::from(inner.width.saturating_sub(2)),
            style,
        );
    }
    let sep_y = inner.y + 1 + list_h;
    if sep_y >= inner.bottom() {
        return cursor;
    }
    let dim = Style::default().fg(Color::Cyan);
    let label = match p.hits.get(p.selected) {
        Some(h) => format!("── {}:{} ", h.path.display(), h.line + 1),
        None => "──".into(),
    };
    let line: String = label
        .chars()
        .chain(std::iter::repeat('─'))
        .take(usize::from(inner.width))
        .collect();
    buf.set_stringn(inner.x, sep_y, &line, usize::from(inner.width), dim);
    if p.preview.is_none() && p.preview_pending.is_some() && sep_y + 1 < inner.bottom() {
        buf.set_stringn(
            inner.x + 1,
            sep_y + 1,
            "Loading…",
            usize::from(inner.width.saturating_sub(2)),
            Style::default(),
        );
    }
    if let (Some((_, first_line, lines)), Some(hit)) = (&p.preview, p.hits.get(p.selected)) {
        let room = usize::from(inner.bottom().saturating_sub(sep_y + 1));
        // keep the hit's line in the middle of what fits
        let at = hit.line.saturating_sub(*first_line);
        let skip = at
            .saturating_sub(room / 2)
            .min(lines.len().saturating_sub(room));
        for (k, text) in lines.iter().enumerate().skip(skip).take(room) {
            let y = sep_y + 1 + (k - skip) as u16;
            let n = first_line + k + 1;
            let style = if k == at {
                Style::default()
                    .add_modifier(Modifier::BOLD)
                    .fg(Color::Yellow)
            } else {
                Style::default()
            };
            buf.set_stringn(
                inner.x + 1,
                y,
                format!("{n:>5} {text}"),
                usize::from(inner.width.saturating_sub(2)),
                style,
            );
        }
    }
    cursor
}
