//! The pool pane: each instrument with its state, slots used / limit, queue,
//! p50 latency, time to first token, a tokens/s sparkline and its last error;
//! under an instrument that reports them (Ollama), its loaded models with their
//! size, where they sit (GPU / CPU) and when they expire. The key hints sit on
//! the bottom row when there is room; a pane too short for everything scrolls
//! to keep the selected instrument in view.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};
use symphony_conductor::events::{InstrumentStatus, Residency, ResidentModel};
use unicode_width::UnicodeWidthStr;

use super::{duration, title, wrap};
use crate::app::State;
use crate::conductor::PoolPane;

/// The pane's keys, as the bottom row shows them.
const HINTS: [(&str, &str); 4] = [
    ("j/k", "select"),
    ("w", "prewarm"),
    ("u", "unload"),
    ("r", "refresh"),
];
/// Widest a model name column gets.
const NAME_COLUMN: usize = 32;
/// Rows the last error may take.
const ERROR_ROWS: usize = 3;
/// An expiry further than this is "kept loaded" (Ollama's keep_alive -1).
const FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

fn state_color(s: &str) -> Color {
    match s {
        "Hot" => Color::Green,
        "Warming" => Color::Yellow,
        "Cooling" => Color::Blue,
        "Failed" => Color::Red,
        _ => Color::DarkGray,
    }
}

/// One row of the pane.
enum Row {
    /// Styled text.
    Text(Line<'static>),
    /// A label, then a sparkline of these values.
    Spark(String, Vec<u64>),
}

/// Bytes as `ollama ps` shows them (`5.1 GB`, `812 MB`).
fn size(bytes: u64) -> String {
    const GB: f64 = 1e9;
    const MB: f64 = 1e6;
    let b = bytes as f64;
    if b >= GB {
        format!("{:.1} GB", b / GB)
    } else if b >= MB {
        format!("{:.0} MB", b / MB)
    } else {
        format!("{bytes} B")
    }
}

/// Where a model sits, as `ollama ps` says it (`100% GPU`, `48%/52% CPU/GPU`).
fn processor(size: u64, vram: u64) -> String {
    if size == 0 || vram >= size {
        return if size == 0 && vram == 0 {
            "-".into()
        } else {
            "100% GPU".into()
        };
    }
    if vram == 0 {
        return "100% CPU".into();
    }
    let gpu = ((vram as f64 / size as f64) * 100.0).round() as u64;
    format!("{}%/{}% CPU/GPU", 100 - gpu, gpu)
}

/// Time left before a model is unloaded (`expires in 4m 59s`).
fn expiry(left: Option<Duration>) -> String {
    let Some(left) = left else {
        return String::new();
    };
    if left >= FOREVER {
        return "kept loaded".into();
    }
    let s = left.as_secs();
    match s {
        0 => "unloading".into(),
        1..=59 => format!("expires in {s}s"),
        60..=3599 => format!("expires in {}m {:02}s", s / 60, s % 60),
        _ => format!("expires in {}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

fn model_row(m: &ResidentModel, name_width: usize, proc_width: usize) -> Line<'static> {
    let (mark, mark_style) = if m.configured {
        ("●", Style::default().fg(Color::Green))
    } else {
        ("○", Style::default().fg(Color::DarkGray))
    };
    let pad = name_width.saturating_sub(m.name.width());
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(mark, mark_style),
        Span::raw(" "),
        Span::styled(
            format!("{}{}", m.name, " ".repeat(pad)),
            if m.configured {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            },
        ),
        Span::raw(format!(
            "  {:>7}  {:<proc_width$}",
            size(m.size),
            processor(m.size, m.size_vram)
        )),
    ];
    let exp = expiry(m.expires_in);
    if !exp.is_empty() {
        spans.push(Span::styled(
            format!("  {exp}"),
            Style::default().fg(Color::DarkGray),
        ));
    }
    if m.configured {
        spans.push(Span::styled(
            "  configured",
            Style::default().fg(Color::Green),
        ));
    }
    Line::from(spans)
}

fn residency_rows(r: &Residency, failed: bool, out: &mut Vec<Row>) {
    let dim = Style::default().fg(Color::DarkGray);
    if !r.checked {
        // Not answered yet: either asking now, or the error line says why not.
        let text = if failed {
            "  loaded models: unknown"
        } else {
            "  loaded models: checking..."
        };
        out.push(Row::Text(Line::styled(text, dim)));
        return;
    }
    if r.models.is_empty() {
        out.push(Row::Text(Line::styled("  loaded models: none", dim)));
        return;
    }
    let width = r
        .models
        .iter()
        .map(|m| m.name.width())
        .max()
        .unwrap_or(0)
        .min(NAME_COLUMN);
    let proc_width = r
        .models
        .iter()
        .map(|m| processor(m.size, m.size_vram).len())
        .max()
        .unwrap_or(0);
    for m in &r.models {
        out.push(Row::Text(model_row(m, width, proc_width)));
    }
}

/// The rows of one instrument.
fn instrument_rows(inst: &InstrumentStatus, selected: bool, width: usize, out: &mut Vec<Row>) {
    let opt = |d: Option<Duration>| d.map(duration).unwrap_or_else(|| "-".into());
    let mut name_style = Style::default().add_modifier(Modifier::BOLD);
    if selected {
        name_style = name_style.add_modifier(Modifier::REVERSED);
    }
    out.push(Row::Text(Line::from(vec![
        Span::styled(
            format!("{} ({} {})", inst.name, inst.kind, inst.model),
            name_style,
        ),
        Span::raw(" "),
        Span::styled(
            inst.state.clone(),
            Style::default().fg(state_color(&inst.state)),
        ),
    ])));
    out.push(Row::Text(Line::raw(format!(
        "  slots {}/{}  queue {}  p50 {}  ttft {}",
        inst.slots_used,
        inst.slots_limit,
        inst.queued,
        opt(inst.p50_latency),
        opt(inst.time_to_first_token)
    ))));
    let label = match inst.tokens_per_second.last() {
        Some(v) => format!("  tok/s {v:>6.1} "),
        None => "  tok/s      - ".to_owned(),
    };
    let data = inst
        .tokens_per_second
        .iter()
        .map(|v| (v.max(0.0) * 10.0).round() as u64)
        .collect();
    out.push(Row::Spark(label, data));
    if let Some(r) = &inst.residency {
        residency_rows(r, inst.last_error.is_some(), out);
    }
    if let Some(err) = &inst.last_error {
        error_rows(err, width, out);
    }
}

/// `text` in rows of at most `width` columns, broken at spaces (a word wider
/// than a row is split).
fn word_wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let sep = usize::from(!row.is_empty());
        if row.width() + sep + word.width() <= width {
            if sep == 1 {
                row.push(' ');
            }
            row.push_str(word);
            continue;
        }
        if !row.is_empty() {
            rows.push(std::mem::take(&mut row));
        }
        if word.width() <= width {
            row.push_str(word);
        } else {
            let mut pieces = wrap(word, width);
            row = pieces.pop().unwrap_or_default();
            rows.extend(pieces);
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// The last error, wrapped under its label over at most [`ERROR_ROWS`] rows (the
/// end of a long error, e.g. "Connection refused", is what says what went wrong).
fn error_rows(err: &str, width: usize, out: &mut Vec<Row>) {
    const LABEL: &str = "  last error: ";
    let style = Style::default().fg(Color::Red);
    let room = width.saturating_sub(LABEL.len());
    let mut chunks = if room < 16 {
        vec![err.to_owned()]
    } else {
        word_wrap(err, room)
    };
    if chunks.len() > ERROR_ROWS {
        chunks.truncate(ERROR_ROWS);
        if let Some(last) = chunks.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    for (i, chunk) in chunks.into_iter().enumerate() {
        let label = if i == 0 { LABEL } else { "              " };
        out.push(Row::Text(Line::styled(format!("{label}{chunk}"), style)));
    }
}

fn hints() -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, (key, what)) in HINTS.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            *key,
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(
            format!(" {what}"),
            Style::default().fg(Color::DarkGray),
        ));
    }
    Line::from(spans)
}

fn draw_row(row: &Row, x: u16, y: u16, width: u16, buf: &mut Buffer) {
    match row {
        Row::Text(line) => {
            buf.set_line(x, y, line, width);
        }
        Row::Spark(label, data) => {
            buf.set_stringn(x, y, label, usize::from(width), Style::default());
            let lw = label.width() as u16;
            if lw < width && !data.is_empty() {
                let area = Rect::new(x + lw, y, (width - lw).min(40), 1);
                let skip = data.len().saturating_sub(usize::from(area.width));
                Sparkline::default()
                    .data(&data[skip..])
                    .style(Style::default().fg(Color::Green))
                    .render(area, buf);
            }
        }
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
    let selected = pane.selected.min(pool.len() - 1);
    let mut rows = Vec::new();
    let mut block = (0, 0);
    for (i, inst) in pool.iter().enumerate() {
        let start = rows.len();
        instrument_rows(inst, i == selected && focused, width, &mut rows);
        if i == selected {
            block = (start, rows.len());
        }
    }
    let height = usize::from(rect.height.saturating_sub(1));
    // Scroll so the selected instrument is in view, its header first.
    let mut top = 0;
    if block.1 > height {
        top = block.1 - height;
    }
    if block.0 < top {
        top = block.0;
    }
    for (i, row) in rows.iter().skip(top).take(height).enumerate() {
        draw_row(row, rect.x, rect.y + 1 + i as u16, rect.width, buf);
    }
    if rows.len() - top < height {
        buf.set_line(rect.x, rect.bottom() - 1, &hints(), rect.width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_wrap_at_spaces() {
        assert_eq!(
            word_wrap("cannot reach http://x: connection refused", 16),
            vec!["cannot reach", "http://x:", "connection", "refused"]
        );
        assert_eq!(word_wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(word_wrap("", 4), vec![""]);
    }

    #[test]
    fn sizes_processors_and_expiries_read_like_ollama_ps() {
        assert_eq!(size(5_137_025_024), "5.1 GB");
        assert_eq!(size(812_000_000), "812 MB");
        assert_eq!(size(512), "512 B");
        assert_eq!(processor(100, 100), "100% GPU");
        assert_eq!(processor(100, 0), "100% CPU");
        assert_eq!(processor(100, 52), "48%/52% CPU/GPU");
        assert_eq!(expiry(None), "");
        assert_eq!(expiry(Some(Duration::ZERO)), "unloading");
        assert_eq!(expiry(Some(Duration::from_secs(42))), "expires in 42s");
        assert_eq!(expiry(Some(Duration::from_secs(299))), "expires in 4m 59s");
        assert_eq!(expiry(Some(Duration::from_secs(7380))), "expires in 2h 03m");
        assert_eq!(expiry(Some(FOREVER * 2)), "kept loaded");
    }
}
