//! The AI pane: the chat history (streamed replies grow in place; fenced
//! code blocks highlighted on a darker background, see
//! [`crate::conductor::highlight`]), a line per model call waiting to retry,
//! the attached context above the prompt line, the stored conversations.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::{title, wrap};
use crate::app::State;
use crate::conductor::AiPane;
use crate::conductor::highlight::{self, ChatRow, RowStyle};
use crate::keymap::context::{AiPaneAction, ConversationsAction};

/// The rows of the chat's last `need` rows (the messages that show only:
/// each message's rows are cached, so a token costs its own lines).
fn rows(state: &State, width: usize, need: usize) -> Vec<ChatRow> {
    let c = &state.conductor;
    let theme = if state.config.theme.is_empty() {
        highlight::FALLBACK_THEME.to_owned()
    } else {
        state.config.theme.clone()
    };
    let view_language = c
        .last_view
        .or_else(|| state.focused_view())
        .and_then(|v| state.views.get(&v))
        .map(|d| d.language.clone())
        .filter(|l| !l.is_empty());
    let mut per_entry: Vec<Vec<ChatRow>> = Vec::new();
    let mut total = 0;
    for (i, entry) in c.chat.iter().enumerate().rev() {
        if highlight::loaded().is_none() && entry.text.contains("```") {
            highlight::start_loading();
        }
        let language = entry
            .run
            .and_then(|r| c.run_languages.get(&r).cloned())
            .or_else(|| view_language.clone());
        let style = RowStyle {
            width,
            mode: state.color_mode,
            theme: theme.clone(),
            language,
        };
        let (r, _) = c.chat_rows.rows(i, entry, &style, need - total);
        total += r.len();
        per_entry.push(r);
        if total >= need {
            break;
        }
    }
    // A model call waiting to retry says so under the reply.
    let retries: Vec<String> = c
        .runs
        .iter()
        .filter(|r| r.running())
        .flat_map(|r| r.nodes.iter())
        .filter_map(|n| {
            n.retry
                .as_ref()
                .map(|rv| format!("↻ {} · {}", n.info.id, rv.label()))
        })
        .collect();
    let mut out: Vec<ChatRow> = per_entry.into_iter().rev().flatten().collect();
    for line in retries {
        for r in wrap(&line, width) {
            out.push(ChatRow {
                spans: vec![(r, Style::default().fg(Color::Yellow))],
                fill: None,
            });
        }
    }
    out
}

/// The prompt label (pending command's question or `> `).
fn prompt_label(state: &State) -> String {
    match &state.conductor.pending {
        Some(p) if p.instruction.is_none() => match &p.workflow {
            Some(name) => format!("{name}: instruction? "),
            None => crate::conductor::commands::prompt_label(p.kind).to_owned(),
        },
        _ => match crate::conductor::agents::active_name(state) {
            Some(name) => format!("{name}> "),
            None => "> ".to_owned(),
        },
    }
}

pub(super) fn render(state: &State, pane: &AiPane, rect: Rect, focused: bool, buf: &mut Buffer) {
    let c = &state.conductor;
    let running = c.runs.iter().filter(|r| r.running()).count();
    let keys = &state.config.keymap;
    let head = format!(
        " AI · {} · {running} running · {} send · {} cancel · {} conversations ",
        match c.instruments {
            0 => "no instrument configured".to_owned(),
            1 => "1 instrument".to_owned(),
            n => format!("{n} instruments"),
        },
        keys.hint(AiPaneAction::Send),
        keys.hint(AiPaneAction::Cancel),
        keys.hint(AiPaneAction::Conversations),
    );
    title(buf, rect, &head, focused);
    if rect.height < 4 {
        return;
    }
    let width = usize::from(rect.width);
    let mut body = Rect::new(rect.x, rect.y + 1, rect.width, rect.height - 3);
    // The selected code block and its keys, on rows of their own above the context.
    if !pane.conversations
        && body.height > 2
        && let Some((block, i, n)) = crate::conductor::code_blocks::selected(state, pane.block)
    {
        let lang = if block.language.is_empty() {
            String::new()
        } else {
            format!(" {}", block.language)
        };
        let file = block
            .path
            .as_ref()
            .map(|p| format!(" → {p}"))
            .unwrap_or_default();
        let rows = block.text.lines().count();
        let line = format!(
            "code {i}/{n}{lang}{file}, {rows} line{}: {} insert · {} apply · {}/{} select",
            if rows == 1 { "" } else { "s" },
            keys.hint(AiPaneAction::InsertBlock),
            keys.hint(AiPaneAction::ApplyBlock),
            keys.hint(AiPaneAction::PreviousBlock),
            keys.hint(AiPaneAction::NextBlock),
        );
        let lines: Vec<String> = crate::ui::status::wrap_words(&line, width)
            .into_iter()
            .take(2)
            .collect();
        body.height -= lines.len() as u16;
        let style = Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD);
        for (k, l) in lines.iter().enumerate() {
            buf.set_stringn(rect.x, body.bottom() + k as u16, l, width, style);
        }
    }
    if pane.conversations {
        buf.set_stringn(
            body.x,
            body.y,
            format!(
                "Stored conversations ({} reopens, {} back):",
                keys.hint(ConversationsAction::Open),
                keys.hint(ConversationsAction::Close)
            ),
            width,
            Style::default().add_modifier(Modifier::BOLD),
        );
        if c.conversations.is_empty() {
            let empty = if c.conversations_loading {
                "  Loading…"
            } else {
                "  none yet"
            };
            buf.set_stringn(body.x, body.y + 1, empty, width, Style::default());
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
        for (i, row) in all[start..end].iter().enumerate() {
            let y = body.y + i as u16;
            if let Some(fill) = row.fill {
                buf.set_style(Rect::new(body.x, y, body.width, 1), fill);
            }
            let mut x = body.x;
            for (text, style) in &row.spans {
                let room = usize::from(body.right().saturating_sub(x));
                if room == 0 {
                    break;
                }
                let (nx, _) = buf.set_stringn(x, y, text, room, *style);
                x = nx;
            }
        }
    }
    // Context and prompt.
    let ctx_y = rect.bottom() - 2;
    let agent_line = crate::conductor::agents::context_line(state);
    let context = c
        .context_label()
        .or_else(|| agent_line.clone())
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
        if agent_line.is_some() {
            context
        } else {
            format!("context: {context}")
        },
        width,
        ctx_style,
    );
    let label = prompt_label(state);
    let prompt_style = Style::default().add_modifier(Modifier::BOLD);
    buf.set_stringn(rect.x, ctx_y + 1, &label, width, prompt_style);
    let lw = unicode_width::UnicodeWidthStr::width(label.as_str());
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
    let lw = unicode_width::UnicodeWidthStr::width(prompt_label(state).as_str());
    let x = rect.x as usize + lw + state.conductor.prompt.cursor_col();
    let x = u16::try_from(x).ok()?.min(rect.right().saturating_sub(1));
    Some((x, rect.bottom() - 1))
}
