//! The pool pane: each instrument with its state, slots used / limit, queue,
//! p50 latency, time to first token, a tokens/s sparkline and its last error.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Sparkline, Widget};

use super::{duration, title};
use crate::app::State;
use crate::conductor::PoolPane;

fn state_color(s: &str) -> Color {
    match s {
        "Hot" => Color::Green,
        "Warming" => Color::Yellow,
        "Cooling" => Color::Blue,
        "Failed" => Color::Red,
        _ => Color::DarkGray,
    }
}

pub(super) fn render(state: &State, pane: &PoolPane, rect: Rect, focused: bool, buf: &mut Buffer) {
    let pool = &state.conductor.pool;
    title(
        buf,
        rect,
        &format!(
            " Pool · {} instrument{} ",
            pool.len(),
            if pool.len() == 1 { "" } else { "s" }
        ),
        focused,
    );
    let width = usize::from(rect.width);
    if pool.is_empty() {
        buf.set_stringn(
            rect.x,
            rect.y + 1,
            "No instruments. Add [[instruments]] to config.toml.",
            width,
            Style::default().fg(Color::DarkGray),
        );
        return;
    }
    let mut y = rect.y + 1;
    let opt = |d: Option<std::time::Duration>| d.map(duration).unwrap_or_else(|| "-".into());
    for (i, inst) in pool.iter().enumerate() {
        if y >= rect.bottom() {
            break;
        }
        let mut name_style = Style::default().add_modifier(Modifier::BOLD);
        if i == pane.selected && focused {
            name_style = name_style.add_modifier(Modifier::REVERSED);
        }
        let name = format!("{} ({} {})", inst.name, inst.kind, inst.model);
        buf.set_stringn(rect.x, y, &name, width, name_style);
        let nw = unicode_width::UnicodeWidthStr::width(name.as_str()) as u16 + 1;
        if nw < rect.width {
            buf.set_stringn(
                rect.x + nw,
                y,
                &inst.state,
                width - usize::from(nw),
                Style::default().fg(state_color(&inst.state)),
            );
        }
        y += 1;
        if y >= rect.bottom() {
            break;
        }
        let stats = format!(
            "  slots {}/{}  queue {}  p50 {}  ttft {}",
            inst.slots_used,
            inst.slots_limit,
            inst.queued,
            opt(inst.p50_latency),
            opt(inst.time_to_first_token)
        );
        buf.set_stringn(rect.x, y, stats, width, Style::default());
        y += 1;
        if y >= rect.bottom() {
            break;
        }
        let last = inst.tokens_per_second.last().copied();
        let label = match last {
            Some(v) => format!("  tok/s {v:>6.1} "),
            None => "  tok/s      - ".to_owned(),
        };
        buf.set_stringn(rect.x, y, &label, width, Style::default());
        let lw = label.len() as u16;
        if lw < rect.width && !inst.tokens_per_second.is_empty() {
            let data: Vec<u64> = inst
                .tokens_per_second
                .iter()
                .map(|v| (v.max(0.0) * 10.0).round() as u64)
                .collect();
            let area = Rect::new(rect.x + lw, y, (rect.width - lw).min(40), 1);
            let skip = data.len().saturating_sub(usize::from(area.width));
            Sparkline::default()
                .data(&data[skip..])
                .style(Style::default().fg(Color::Green))
                .render(area, buf);
        }
        y += 1;
        if let Some(err) = &inst.last_error
            && y < rect.bottom()
        {
            buf.set_stringn(
                rect.x,
                y,
                format!("  last error: {err}"),
                width,
                Style::default().fg(Color::Red),
            );
            y += 1;
        }
    }
}
