//! Drawing a motif's [`View`]: the title on the first row, then the styled lines,
//! lists (selected row marked), gauges and sparklines, one row each, cut at the
//! pane's bottom; the key hints (or the last error) on the last row.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Gauge, Sparkline, Widget};
use symphony_extensions::view::{StyledLine, View};

use super::MotifPane;

/// The style a view's style name stands for (unknown names: the default style).
pub fn style_of(name: Option<&str>) -> Style {
    let s = Style::default();
    match name.unwrap_or("normal") {
        "modified" | "warning" => s.fg(Color::Yellow),
        "added" | "ok" | "success" => s.fg(Color::Green),
        "deleted" => s.fg(Color::Red),
        "error" => s.fg(Color::Red).add_modifier(Modifier::BOLD),
        "untracked" => s.fg(Color::Magenta),
        "renamed" | "info" => s.fg(Color::Cyan),
        "dim" => s.fg(Color::DarkGray),
        "bold" | "heading" => s.add_modifier(Modifier::BOLD),
        _ => s,
    }
}

/// Draws `pane` in `area` (`focused`: the title is highlighted).
pub fn draw(pane: &MotifPane, area: Rect, focused: bool, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let width = usize::from(area.width);
    let mut title = Style::default().add_modifier(Modifier::BOLD);
    if focused {
        title = title.fg(Color::Green);
    }
    buf.set_stringn(area.x, area.y, pane.title(), width, title);
    if area.height < 2 {
        return;
    }
    let bottom = area.bottom() - 1;
    draw_hints(pane, Rect::new(area.x, bottom, area.width, 1), buf);
    let mut rows = Rows {
        x: area.x,
        y: area.y + 1,
        end: bottom,
        width: area.width,
    };
    draw_view(&pane.view, &mut rows, buf);
}

/// The rows left to draw on.
struct Rows {
    x: u16,
    y: u16,
    end: u16,
    width: u16,
}

impl Rows {
    /// The next row, if any is left.
    fn next(&mut self) -> Option<Rect> {
        (self.y < self.end).then(|| {
            self.y += 1;
            Rect::new(self.x, self.y - 1, self.width, 1)
        })
    }
}

fn draw_line(line: &StyledLine, row: Rect, prefix: &str, extra: Style, buf: &mut Buffer) {
    let style = style_of(line.style.as_deref()).patch(extra);
    let text = format!("{prefix}{}", line.text);
    buf.set_stringn(row.x, row.y, text, usize::from(row.width), style);
}

fn draw_view(view: &View, rows: &mut Rows, buf: &mut Buffer) {
    for line in &view.lines {
        let Some(row) = rows.next() else { return };
        draw_line(line, row, "", Style::default(), buf);
    }
    for list in &view.lists {
        if !list.title.is_empty() {
            let Some(row) = rows.next() else { return };
            let style = Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
            buf.set_stringn(row.x, row.y, &list.title, usize::from(row.width), style);
        }
        for (i, item) in list.items.iter().enumerate() {
            let Some(row) = rows.next() else { return };
            if list.selected == Some(i) {
                buf.set_style(row, Style::default().add_modifier(Modifier::REVERSED));
                draw_line(
                    item,
                    row,
                    "> ",
                    Style::default().add_modifier(Modifier::REVERSED),
                    buf,
                );
            } else {
                draw_line(item, row, "  ", Style::default(), buf);
            }
        }
    }
    for g in &view.gauges {
        let Some(row) = rows.next() else { return };
        let bar = labelled(row, &g.label, buf);
        let ratio = if g.ratio.is_finite() {
            g.ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Gauge::default()
            .ratio(ratio)
            .gauge_style(Style::default().fg(Color::Green).bg(Color::DarkGray))
            .render(bar, buf);
    }
    for s in &view.sparklines {
        let Some(row) = rows.next() else { return };
        let bar = labelled(row, &s.label, buf);
        // The most recent values that fit.
        let n = usize::from(bar.width).min(s.values.len());
        let recent = &s.values[s.values.len() - n..];
        Sparkline::default()
            .data(recent)
            .style(Style::default().fg(Color::Cyan))
            .render(bar, buf);
    }
}

/// Draws `label` at the start of `row` (at most a third of it) and returns the rest.
fn labelled(row: Rect, label: &str, buf: &mut Buffer) -> Rect {
    let room = (row.width / 3).max(1);
    let shown: String = label.chars().take(usize::from(room) - 1).collect();
    buf.set_stringn(row.x, row.y, &shown, usize::from(room), Style::default());
    Rect::new(row.x + room, row.y, row.width - room, 1)
}

fn draw_hints(pane: &MotifPane, row: Rect, buf: &mut Buffer) {
    let (text, style) = match &pane.error {
        Some(e) => (e.clone(), style_of(Some("error"))),
        None => {
            let hints: Vec<String> = pane
                .view
                .key_hints
                .iter()
                .map(|h| format!("{} {}", h.key, h.label))
                .collect();
            (hints.join(" · "), style_of(Some("dim")))
        }
    };
    buf.set_stringn(row.x, row.y, text, usize::from(row.width), style);
}
