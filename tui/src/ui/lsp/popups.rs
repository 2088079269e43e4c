//! The popups at the caret of the focused view: the completion list (with
//! the selected item's documentation beside it), the hover box and the
//! signature-help line. None of them takes the focus: the caret stays.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::wrap;
use crate::app::State;
use crate::lsp::Completion;
use crate::panes::PaneKind;
use crate::ui::editor_view::caret_position;

/// The most completion rows shown at once.
const MAX_ROWS: usize = 10;

fn popup_style() -> Style {
    Style::default().fg(Color::White).bg(Color::Indexed(237))
}

/// Whether [`draw_popups`] draws anything for the focused view.
pub fn popup_shown(state: &State) -> bool {
    let Some(PaneKind::Editor(pane)) = state.windows.focused() else {
        return false;
    };
    let Some(data) = state.views.get(&pane.view) else {
        return false;
    };
    data.lsp.signature.is_some()
        || state
            .lsp
            .completion
            .as_ref()
            .is_some_and(|c| c.view == pane.view)
        || state
            .lsp
            .hover
            .as_ref()
            .is_some_and(|h| h.view == pane.view)
}

/// Draws the popups of the focused view (`focus`: its pane's rectangle;
/// `area`: the panes' area they must stay inside).
pub fn draw_popups(state: &State, focus: Option<Rect>, area: Rect, buf: &mut Buffer) {
    let (Some(rect), Some(PaneKind::Editor(pane))) = (focus, state.windows.focused()) else {
        return;
    };
    let Some(data) = state.views.get(&pane.view) else {
        return;
    };
    let Some((cx, cy)) = caret_position(&state.config, data, pane, rect) else {
        return;
    };
    let caret = (cx, cy);
    if let Some(sig) = &data.lsp.signature {
        signature_line(sig, caret, area, buf);
    }
    if let Some(c) = state
        .lsp
        .completion
        .as_ref()
        .filter(|c| c.view == pane.view)
    {
        completion(c, caret, area, buf);
    }
    if let Some(h) = state.lsp.hover.as_ref().filter(|h| h.view == pane.view) {
        hover(&h.contents, caret, area, buf);
    }
}

/// Short names for LSP completion kinds.
fn kind_abbrev(kind: &str) -> &str {
    match kind {
        "Function" => "fn",
        "Method" => "method",
        "Module" => "mod",
        "Variable" => "var",
        "Constant" => "const",
        "Class" => "class",
        "Struct" => "struct",
        "Interface" => "iface",
        "Keyword" => "kw",
        "Property" => "prop",
        "Field" => "field",
        "Snippet" => "snip",
        "EnumMember" => "variant",
        "TypeParameter" => "type",
        other => other,
    }
}

fn completion(c: &Completion, (cx, cy): (u16, u16), area: Rect, buf: &mut Buffer) {
    if c.filtered.is_empty() {
        return;
    }
    let rows: Vec<(String, String)> = c
        .filtered
        .iter()
        .map(|&i| {
            let item = &c.items[i];
            let right = match &item.detail {
                Some(d) if !d.is_empty() => format!("{} {}", d, kind_abbrev(&item.kind)),
                _ => kind_abbrev(&item.kind).to_owned(),
            };
            (item.label.clone(), right)
        })
        .collect();
    let label_w = rows.iter().map(|(l, _)| l.width()).max().unwrap_or(0);
    let right_w = rows
        .iter()
        .map(|(_, r)| r.width())
        .max()
        .unwrap_or(0)
        .min(30);
    let w = (label_w + right_w + 4).min(60).min(usize::from(area.width)) as u16;
    let h = rows.len().min(MAX_ROWS) as u16;
    if w < 4 || h == 0 {
        return;
    }
    // The list starts under the word being completed.
    let typed_w = c.typed.width() as u16;
    let x = cx.saturating_sub(typed_w + 1).max(area.x);
    let x = x.min(area.right().saturating_sub(w));
    let below = cy + 1 + h <= area.bottom();
    let y = if below {
        cy + 1
    } else {
        cy.saturating_sub(h).max(area.y)
    };
    let r = Rect::new(x, y, w, h.min(area.bottom().saturating_sub(y)));
    Clear.render(r, buf);
    let base = popup_style();
    buf.set_style(r, base);
    let first = c.selected.saturating_sub(usize::from(h) - 1);
    for (i, (label, right)) in rows.iter().enumerate().skip(first).take(usize::from(h)) {
        let ry = r.y + (i - first) as u16;
        if ry >= r.bottom() {
            break;
        }
        let style = if i == c.selected {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            base
        };
        buf.set_style(Rect::new(r.x, ry, r.width, 1), style);
        let rw = right.width().min(right_w) as u16;
        let room = usize::from(r.width.saturating_sub(rw + 3));
        buf.set_stringn(r.x + 1, ry, label, room, style);
        if rw > 0 && rw + 2 < r.width {
            buf.set_stringn(
                r.right() - rw - 1,
                ry,
                right,
                usize::from(rw),
                style.add_modifier(Modifier::DIM),
            );
        }
    }
    // The selected item's documentation beside the list.
    let Some(index) = c.selected_item() else {
        return;
    };
    let Some(doc) = c.docs.get(&index) else {
        return;
    };
    let mut text = String::new();
    if let Some(d) = doc.detail.as_ref().filter(|d| !d.is_empty()) {
        text.push_str(d);
        text.push('\n');
    }
    if let Some(d) = doc.documentation.as_ref().filter(|d| !d.is_empty()) {
        text.push_str(d);
    }
    if text.trim().is_empty() {
        return;
    }
    let room_right = area.right().saturating_sub(r.right());
    let room_left = r.x.saturating_sub(area.x);
    let dw = 50u16;
    let dx = if room_right >= 20 {
        r.right()
    } else if room_left >= 20 {
        r.x - room_left.min(dw)
    } else {
        return;
    };
    let dw = dw.min(area.right() - dx);
    let lines = markdown_lines(&text, usize::from(dw.saturating_sub(2)));
    let dh = (lines.len() as u16 + 2)
        .min(14)
        .min(area.bottom().saturating_sub(r.y));
    boxed(&lines, Rect::new(dx, r.y, dw, dh), buf);
}

fn hover(contents: &str, (_, cy): (u16, u16), area: Rect, buf: &mut Buffer) {
    let max_w = usize::from(area.width.saturating_sub(2)).min(80);
    if max_w < 10 {
        return;
    }
    let lines = markdown_lines(contents, max_w.saturating_sub(2));
    let w = (lines.iter().map(|(l, _)| l.width()).max().unwrap_or(0) + 2).min(max_w) as u16;
    let h = (lines.len() as u16 + 2).min(16);
    // Above the caret when it fits, else below.
    let y = if cy >= area.y + h {
        cy - h
    } else {
        (cy + 1).min(area.bottom().saturating_sub(1))
    };
    let h = h.min(area.bottom().saturating_sub(y));
    let x = area.x + 1;
    boxed(&lines, Rect::new(x, y, w.max(4), h), buf);
}

/// A bordered box of lines (code lines styled apart).
fn boxed(lines: &[(String, bool)], r: Rect, buf: &mut Buffer) {
    if r.height < 3 || r.width < 4 {
        return;
    }
    Clear.render(r, buf);
    let base = popup_style();
    buf.set_style(r, base);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(base.fg(Color::DarkGray));
    let inner = block.inner(r);
    block.render(r, buf);
    for (i, (line, code)) in lines.iter().enumerate().take(usize::from(inner.height)) {
        let style = if *code {
            base.fg(Color::LightCyan)
        } else {
            base
        };
        buf.set_stringn(
            inner.x,
            inner.y + i as u16,
            line,
            usize::from(inner.width),
            style,
        );
    }
}

/// Markdown as plain rows: fences dropped (their lines marked as code),
/// heading marks dropped, runs of blank lines collapsed, wrapped to `width`.
pub fn markdown_lines(text: &str, width: usize) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        let t = line.trim_end();
        if t.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let shown = if in_code {
            t.to_owned()
        } else {
            t.trim_start_matches('#').trim_start().replace("\\_", "_")
        };
        if shown.is_empty() && out.last().is_none_or(|(l, _)| l.is_empty()) {
            continue;
        }
        for row in wrap(&shown, width) {
            out.push((row, in_code));
        }
    }
    while out.last().is_some_and(|(l, _)| l.is_empty()) {
        out.pop();
    }
    out
}

fn signature_line(
    sig: &symphony_protocol::xi::lsp::SignatureHelpParams,
    (cx, cy): (u16, u16),
    area: Rect,
    buf: &mut Buffer,
) {
    let y = if cy > area.y {
        cy - 1
    } else if cy + 1 < area.bottom() {
        cy + 1
    } else {
        return;
    };
    // The documentation's first line after the signature, dimmed.
    let doc = sig
        .documentation
        .as_deref()
        .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(|l| format!(" — {l}"))
        .unwrap_or_default();
    let w = ((sig.label.width() + doc.width()) as u16 + 2).min(area.width);
    let x = cx.min(area.right().saturating_sub(w)).max(area.x);
    let r = Rect::new(x, y, w, 1);
    let base = popup_style();
    Clear.render(r, buf);
    buf.set_style(r, base);
    let room = usize::from(w.saturating_sub(1));
    buf.set_stringn(x + 1, y, &sig.label, room, base);
    let dx = x + 1 + sig.label.width() as u16;
    if !doc.is_empty() && dx < r.right() {
        let room = usize::from(r.right() - dx);
        buf.set_stringn(dx, y, &doc, room, base.fg(Color::Gray));
    }
    // The active parameter stands out.
    let active = sig
        .active_parameter
        .and_then(|i| sig.parameters.get(i))
        .and_then(|[s, e]| Some((sig.label.get(..*s)?, sig.label.get(*s..*e)?)));
    if let Some((before, param)) = active {
        let px = x + 1 + before.width() as u16;
        if px < r.right() {
            buf.set_stringn(
                px,
                y,
                param,
                usize::from(r.right() - px),
                base.fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_fences_become_code_rows() {
        let rows = markdown_lines("```python\ndef f(x)\n```\n\n\n# Doc\nSays hi.\n", 40);
        assert_eq!(
            rows,
            vec![
                ("def f(x)".to_string(), true),
                (String::new(), false),
                ("Doc".to_string(), false),
                ("Says hi.".to_string(), false),
            ]
        );
    }
}
