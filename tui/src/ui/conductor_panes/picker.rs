//! Drawing the AI pickers ([`crate::conductor::picker::AiPicker`]): a
//! centred box with the filter, the rows (label, detail on the right) and a
//! preview of the selected row beside them (below them when narrow); a
//! candidate's preview is drawn as highlighted code.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use unicode_width::UnicodeWidthStr;

use super::wrap;
use crate::app::State;
use crate::conductor::highlight::{self, ChatRow, RowStyle};
use crate::conductor::picker::{AiPicker, PickerKind};
use crate::ui::overlay_view::{centered_box, draw_input_row};

/// Draws the picker over `area`; returns where the terminal cursor goes.
pub fn draw(state: &State, p: &AiPicker, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let inner = centered_box(p.title.as_str(), (120, 26), (20, 7), area, buf)?;
    // The filter.
    let cursor = draw_input_row(
        "> ",
        &p.input,
        Rect::new(inner.x, inner.y, inner.width, 1),
        buf,
    );
    // The hints.
    let hints = match p.kind {
        PickerKind::Workflows => {
            "Enter run · type NAME instruction to run with it · ↑↓ select · Esc close"
        }
        PickerKind::Candidates { .. } if p.rows.iter().any(|r| r.diff.is_some()) => {
            if p.show_diff {
                "Enter keep this candidate · ↑↓ select · Tab text · PgUp/PgDn scroll · Esc decide later"
            } else {
                "Enter keep this candidate · ↑↓ select · Tab diff · PgUp/PgDn scroll · Esc decide later"
            }
        }
        PickerKind::Candidates { .. } => {
            "Enter keep this candidate · ↑↓ select · PgUp/PgDn scroll · type to filter · Esc decide later"
        }
        PickerKind::Agents => "Enter prompt this agent · ↑↓ select · type to filter · Esc close",
        PickerKind::RunChanges => "Enter review this file · ↑↓ select · type to filter · Esc close",
    };
    let hint_y = inner.bottom().saturating_sub(1);
    buf.set_stringn(
        inner.x,
        hint_y,
        hints,
        usize::from(inner.width),
        Style::default().fg(Color::DarkGray),
    );
    let body = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(2),
    );
    if body.height == 0 {
        return cursor;
    }
    let (list, preview) = if body.width >= 70 {
        let longest = p
            .rows
            .iter()
            .map(|r| r.label.width() + r.detail.width() + 4)
            .max()
            .unwrap_or(0);
        let lw = (longest as u16).clamp(28, body.width / 2);
        let sep_x = body.x + lw;
        for y in body.y..body.bottom() {
            buf.set_stringn(sep_x, y, "│", 1, Style::default().fg(Color::DarkGray));
        }
        (
            Rect::new(body.x, body.y, lw, body.height),
            Rect::new(sep_x + 1, body.y, body.width - lw - 1, body.height),
        )
    } else {
        let lh = (body.height / 2).max(1);
        let sep_y = body.y + lh;
        if sep_y < body.bottom() {
            buf.set_stringn(
                body.x,
                sep_y,
                "─".repeat(usize::from(body.width)),
                usize::from(body.width),
                Style::default().fg(Color::DarkGray),
            );
        }
        (
            Rect::new(body.x, body.y, body.width, lh),
            Rect::new(
                body.x,
                (sep_y + 1).min(body.bottom()),
                body.width,
                body.bottom().saturating_sub(sep_y + 1),
            ),
        )
    };
    draw_rows(p, list, buf);
    draw_preview(state, p, preview, buf);
    cursor
}

fn draw_rows(p: &AiPicker, list: Rect, buf: &mut Buffer) {
    if p.filtered.is_empty() {
        let text = match p.kind {
            PickerKind::Workflows => "no match: Enter runs the name as typed",
            PickerKind::Candidates { .. } | PickerKind::Agents | PickerKind::RunChanges => {
                "no match"
            }
        };
        buf.set_stringn(
            list.x + 1,
            list.y,
            text,
            usize::from(list.width.saturating_sub(1)),
            Style::default().fg(Color::DarkGray),
        );
        return;
    }
    let visible = usize::from(list.height);
    let first = p.selected.saturating_sub(visible.saturating_sub(1));
    for (i, &row_index) in p.filtered.iter().enumerate().skip(first).take(visible) {
        let Some(row) = p.rows.get(row_index) else {
            continue;
        };
        let y = list.y + (i - first) as u16;
        let selected = i == p.selected;
        let style = if selected {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default()
        };
        buf.set_style(Rect::new(list.x, y, list.width, 1), style);
        let dw = row.detail.width() as u16;
        let lw = row.label.width().min(10) as u16;
        let show_detail = dw > 0 && dw + lw + 3 <= list.width;
        let label_room = if show_detail {
            list.width.saturating_sub(dw + 3)
        } else {
            list.width.saturating_sub(1)
        };
        buf.set_stringn(list.x + 1, y, &row.label, usize::from(label_room), style);
        if show_detail {
            let detail_style = if selected {
                style
            } else {
                Style::default().fg(Color::DarkGray)
            };
            buf.set_stringn(
                list.right() - dw - 1,
                y,
                &row.detail,
                usize::from(dw),
                detail_style,
            );
        }
    }
}

fn draw_preview(state: &State, p: &AiPicker, area: Rect, buf: &mut Buffer) {
    if area.width < 2 || area.height == 0 {
        return;
    }
    let Some(row) = p.current() else {
        return;
    };
    let width = usize::from(area.width);
    let rows: Vec<ChatRow> = match (&p.kind, row.diff.as_ref()) {
        (PickerKind::Candidates { .. }, Some(diff)) if p.show_diff => diff
            .lines()
            .skip(p.preview_scroll)
            .take(usize::from(area.height))
            .map(|l| {
                let style = match l.as_bytes().first() {
                    Some(b'-') => Style::default().fg(Color::Red),
                    Some(b'+') => Style::default().fg(Color::Green),
                    _ => Style::default(),
                };
                ChatRow {
                    spans: vec![(l.replace('\t', "    "), style)],
                    fill: None,
                }
            })
            .collect(),
        (PickerKind::Candidates { .. }, _) => {
            let theme = if state.config.theme.is_empty() {
                highlight::FALLBACK_THEME.to_owned()
            } else {
                state.config.theme.clone()
            };
            let style = RowStyle {
                width,
                mode: state.color_mode,
                theme,
                language: p.language.clone(),
            };
            let skip = p.preview_scroll;
            let mut rows =
                highlight::code_rows(&row.preview, &style, skip + usize::from(area.height));
            rows.drain(..skip.min(rows.len()));
            rows
        }
        (PickerKind::Workflows | PickerKind::Agents | PickerKind::RunChanges, _) => {
            wrap(&row.preview, width)
                .into_iter()
                .take(usize::from(area.height))
                .enumerate()
                .map(|(i, r)| {
                    let style = if i == 0 {
                        Style::default().add_modifier(Modifier::BOLD)
                    } else {
                        Style::default()
                    };
                    ChatRow {
                        spans: vec![(r, style)],
                        fill: None,
                    }
                })
                .collect()
        }
    };
    for (i, r) in rows.iter().enumerate().take(usize::from(area.height)) {
        let y = area.y + i as u16;
        if let Some(fill) = r.fill {
            buf.set_style(Rect::new(area.x, y, area.width, 1), fill);
        }
        let mut x = area.x;
        for (text, style) in &r.spans {
            let room = usize::from(area.right().saturating_sub(x));
            if room == 0 {
                break;
            }
            let (nx, _) = buf.set_stringn(x, y, text, room, *style);
            x = nx;
        }
    }
}
