//! The AI pane: the chat history (streamed replies grow in place; fenced
//! code blocks drawn monospace on a darker background, not highlighted),
//! the attached context above the prompt line, the stored conversations.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::{title, wrap};
use crate::app::State;
use crate::conductor::{AiPane, ChatRole};

/// The last `need` rows (at least) of the history: only the entries that
/// show are wrapped, so a long history costs nothing per token.
fn rows(state: &State, width: usize, need: usize) -> Vec<(String, Style)> {
    let mut per_entry: Vec<Vec<(String, Style)>> = Vec::new();
    let mut total = 0;
    for entry in state.conductor.chat.iter().rev() {
        let r = entry_rows(state, entry, width);
        total += r.len();
        per_entry.push(r);
        if total >= need {
            break;
        }
    }
    per_entry.into_iter().rev().flatten().collect()
}

fn entry_rows(
    state: &State,
    entry: &crate::conductor::ChatEntry,
    width: usize,
) -> Vec<(String, Style)> {
    let mode = state.color_mode;
    let code = Style::default()
        .fg(mode.rgb(0xe0, 0xe0, 0xe0))
        .bg(mode.rgb(0x26, 0x2a, 0x33));
    let fence = Style::default()
        .fg(Color::DarkGray)
        .bg(mode.rgb(0x26, 0x2a, 0x33));
    let mut out: Vec<(String, Style)> = Vec::new();
    {
        let (label, style) = match entry.role {
            ChatRole::User => (
                "you: ",
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            ),
            ChatRole::Assistant => ("", Style::default()),
            ChatRole::Notice => ("· ", Style::default().fg(Color::DarkGray)),
            ChatRole::Error => ("✗ ", Style::default().fg(Color::Red)),
        };
        let mut in_code = false;
        for (i, line) in entry.text.trim_end_matches('\n').split('\n').enumerate() {
            if entry.role == ChatRole::Assistant && line.trim_start().starts_with("```") {
                let lang = line.trim_start().trim_start_matches('`').trim();
                in_code = !in_code;
                let label = if in_code && !lang.is_empty() {
                    format!("┌─ {lang} ")
                } else if in_code {
                    "┌─".to_owned()
                } else {
                    "└─".to_owned()
                };
                out.push((pad(&label, width), fence));
                continue;
            }
            if in_code {
                for r in wrap(line, width.saturating_sub(1)) {
                    out.push((pad(&format!(" {r}"), width), code));
                }
                continue;
            }
            let text = if i == 0 {
                format!("{label}{line}")
            } else {
                line.to_owned()
            };
            for r in wrap(&text, width) {
                out.push((r, style));
            }
        }
        out.push((String::new(), Style::default()));
    }
    out
}

fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// The prompt label (pending command's question or `> `).
fn prompt_label(state: &State) -> &'static str {
    match &state.conductor.pending {
        Some(p) if p.instruction.is_none() => p.kind.prompt(),
        _ => "> ",
    }
}

pub(super) fn render(state: &State, pane: &AiPane, rect: Rect, focused: bool, buf: &mut Buffer) {
    let c = &state.conductor;
    let running = c.runs.iter().filter(|r| r.running()).count();
    let head = format!(
        " AI · {} · {running} running · Enter send · Esc cancel · Tab conversations ",
        match c.instruments {
            0 => "no instrument configured".to_owned(),
            1 => "1 instrument".to_owned(),
            n => format!("{n} instruments"),
        }
    );
    title(buf, rect, &head, focused);
    if rect.height < 4 {
        return;
    }
    let width = usize::from(rect.width);
    let body = Rect::new(rect.x, rect.y + 1, rect.width, rect.height - 3);
    if pane.conversations {
        buf.set_stringn(
            body.x,
            body.y,
            "Stored conversations (Enter reopens, Esc back):",
            width,
            Style::default().add_modifier(Modifier::BOLD),
        );
        if c.conversations.is_empty() {
            buf.set_stringn(body.x, body.y + 1, "  none yet", width, Style::default());
        }
        for (i, hit) in c
            .conversations
            .iter()
            .enumerate()
            .take(usize::from(body.height.saturating_sub(1)))
        {
            let style = if i == pane.selected {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            let line = format!("  {} — {}", hit.title, hit.snippet.replace('\n', " "));
            buf.set_stringn(body.x, body.y + 1 + i as u16, line, width, style);
        }
    } else if c.chat.is_empty() {
        let help = if c.instruments == 0 {
            "No model is configured. Add an [[instruments]] entry to config.toml \
             (symphony --print-default-config shows one), e.g. kind = \"openai\" with \
             base_url = \"http://127.0.0.1:8080\" for a llama.cpp server, or kind = \"ollama\". \
             A running Ollama on 127.0.0.1:11434 and OPENAI_API_KEY / ANTHROPIC_API_KEY \
             are found by themselves."
        } else {
            "Ask about this file below, or run an AI command from the palette (ctrl-p, \"AI:\")."
        };
        for (i, r) in wrap(help, width)
            .iter()
            .enumerate()
            .take(usize::from(body.height))
        {
            buf.set_stringn(
                body.x,
                body.y + i as u16,
                r,
                width,
                Style::default().fg(Color::DarkGray),
            );
        }
    } else {
        let h = usize::from(body.height);
        let all = rows(state, width, h + pane.scroll);
        let end = all
            .len()
            .saturating_sub(pane.scroll.min(all.len().saturating_sub(h)));
        let start = end.saturating_sub(h);
        for (i, (text, style)) in all[start..end].iter().enumerate() {
            let y = body.y + i as u16;
            if style.bg.is_some() {
                buf.set_style(Rect::new(body.x, y, body.width, 1), *style);
            }
            buf.set_stringn(body.x, y, text, width, *style);
        }
    }
    // Context and prompt.
    let ctx_y = rect.bottom() - 2;
    let context = c
        .context_label()
        .or_else(|| {
            let v = c.last_view.or_else(|| state.focused_view())?;
            let d = state.views.get(&v)?;
            let name = d
                .path
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "[new]".into());
            Some(format!("{name} (selection or whole file)"))
        })
        .unwrap_or_else(|| "no file".into());
    let ctx_style = Style::default()
        .fg(Color::DarkGray)
        .add_modifier(Modifier::ITALIC);
    buf.set_stringn(
        rect.x,
        ctx_y,
        format!("context: {context}"),
        width,
        ctx_style,
    );
    let label = prompt_label(state);
    let prompt_style = Style::default().add_modifier(Modifier::BOLD);
    buf.set_stringn(rect.x, ctx_y + 1, label, width, prompt_style);
    let lw = unicode_width::UnicodeWidthStr::width(label);
    buf.set_stringn(
        rect.x + lw as u16,
        ctx_y + 1,
        &c.prompt.text,
        width.saturating_sub(lw),
        Style::default(),
    );
}

pub(super) fn cursor(state: &State, pane: &AiPane, rect: Rect) -> Option<(u16, u16)> {
    if pane.conversations || rect.height < 4 {
        return None;
    }
    let lw = unicode_width::UnicodeWidthStr::width(prompt_label(state));
    let x = rect.x as usize + lw + state.conductor.prompt.cursor_col();
    let x = u16::try_from(x).ok()?.min(rect.right().saturating_sub(1));
    Some((x, rect.bottom() - 1))
}
