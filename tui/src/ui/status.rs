//! The status line (file, dirty mark, line:column, selections, language,
//! line ending, editor-process state, windows) and the message popup.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use unicode_width::UnicodeWidthStr;

use crate::app::{Message, State};

/// Draws the status line in `area` (one row). When the row is narrow the
/// least useful parts go first; the file name and position stay.
pub fn draw_status(state: &State, area: Rect, buf: &mut Buffer) {
    let base = status_style(state);
    buf.set_style(area, base);
    let mut left = String::new();
    if state.prefix_pending {
        left.push_str(" [prefix]");
    }
    // (priority, text): lower priority numbers are dropped last.
    let mut parts: Vec<(u8, String)> = Vec::new();
    if let Some(data) = state.focused_data() {
        left.push(' ');
        match &data.path {
            Some(p) => left.push_str(&display_path(state, Some(p))),
            None => left.push_str(&data.title()),
        }
        if state.focused_view().is_some_and(|v| state.is_dirty(v)) {
            left.push_str(" [+]");
        }
        match data.disk_state.as_deref() {
            Some("removed") => left.push_str(" [removed from disk]"),
            Some(_) => left.push_str(" [changed on disk]"),
            None => {}
        }
        let (line, byte) = data.caret;
        let col = data
            .cache
            .get(line)
            .map(|l| {
                l.text
                    .get(..byte.min(l.text.len()))
                    .map_or(byte, |s| s.chars().count())
            })
            .unwrap_or(byte);
        let sels = data.cache.selections().len();
        if sels > 1 {
            parts.push((1, format!("{sels} sel")));
        }
        if !data.language.is_empty() {
            parts.push((3, data.language.clone()));
        }
        parts.push((4, data.line_ending.clone()));
        parts.insert(0, (0, format!("{}:{}", line + 1, col + 1)));
        // Diagnostic under the caret, counts, server state.
        crate::ui::lsp::status(state, &mut left, &mut parts);
        if let Some(ghost) = crate::completion::status(state) {
            parts.push((3, ghost));
        }
    }
    if let Some(tool) = focused_tool(state) {
        left.push_str(&format!(" {tool} has the focus"));
    }
    if state.windows.windows.len() > 1 {
        let mut w = String::new();
        for i in 0..state.windows.windows.len() {
            if i == state.windows.active {
                w.push_str(&format!("[{}]", i + 1));
            } else {
                w.push_str(&format!(" {} ", i + 1));
            }
        }
        parts.push((2, w));
    }
    // Never dropped for room: the user must know edits are not protected.
    if let Some(why) = journal_failure(state) {
        parts.insert(
            0,
            (0, format!("edits are NOT protected: journal failed: {why}")),
        );
    }
    let running = state.editor_status == "running";
    parts.push((
        if running { 5 } else { 0 },
        if crate::app::session_events::editor_stopped(state) {
            crate::app::session_events::stopped_hint(state)
        } else {
            format!("editor: {}", state.editor_status)
        },
    ));
    let width = usize::from(area.width);
    // The note that the editor stopped matters more than the file name.
    let left_min = if crate::app::session_events::editor_stopped(state) {
        0
    } else {
        left.width().min(24)
    };
    let join = |parts: &[(u8, String)]| -> String {
        let v: Vec<&str> = parts.iter().map(|(_, s)| s.as_str()).collect();
        format!("{} ", v.join("  "))
    };
    let mut right = join(&parts);
    while right.width() + left_min + 1 > width && !parts.is_empty() {
        // Drop the least important part (highest number, last first).
        let Some(idx) = (0..parts.len()).rev().max_by_key(|i| parts[*i].0) else {
            break;
        };
        parts.remove(idx);
        right = join(&parts);
    }
    let rw = right.width().min(width);
    buf.set_stringn(
        area.x,
        area.y,
        &left,
        width.saturating_sub(rw + 1),
        base.add_modifier(Modifier::BOLD),
    );
    buf.set_stringn(area.x + (width - rw) as u16, area.y, &right, rw, base);
}

/// Why a crash journal fails: the focused view's, else any open view's.
fn journal_failure(state: &State) -> Option<&str> {
    let focused = state.focused_view();
    focused
        .and_then(|v| state.journal_failures.get(&v))
        .or_else(|| {
            let mut open: Vec<(&u64, &String)> = state
                .journal_failures
                .iter()
                .filter(|(v, _)| state.views.contains_key(v))
                .collect();
            open.sort();
            open.first().map(|(_, why)| *why)
        })
        .map(String::as_str)
}

/// The status line's colours: the theme's text colours reversed (as vim's
/// default status line), so that going between the text and the status
/// line costs the terminal one short SGR; black on grey without a theme.
fn status_style(state: &State) -> Style {
    let m = state.color_mode;
    match (
        m.theme(state.theme.foreground),
        m.theme(state.theme.background),
    ) {
        (Some(fg), Some(bg)) => Style::default()
            .fg(fg)
            .bg(bg)
            .add_modifier(Modifier::REVERSED),
        _ => Style::default().fg(Color::Black).bg(Color::Gray),
    }
}

/// A path as shown: relative to the working directory when inside it.
fn display_path(state: &State, path: Option<&std::path::Path>) -> String {
    match path {
        Some(p) => p
            .strip_prefix(&state.cwd)
            .unwrap_or(p)
            .display()
            .to_string(),
        None => "[new]".into(),
    }
}

/// The name of the focused pane when it is a tool pane (not an editor view).
fn focused_tool(state: &State) -> Option<String> {
    use crate::panes::PaneKind;
    Some(match state.windows.focused()? {
        PaneKind::Editor(_) => return None,
        PaneKind::Tool(t) => format!("{} pane", t.title.trim()),
        PaneKind::Ai(_) => "AI pane".into(),
        PaneKind::Dag(_) => "DAG pane".into(),
        PaneKind::Artifacts(_) => "Artifacts pane".into(),
        PaneKind::Pool(_) => "Pool pane".into(),
        PaneKind::Motif(m) => format!("{} pane", m.ext_id),
    })
}

/// The most rows an error message takes: a third of the screen, at least one.
fn max_message_rows(height: u16) -> u16 {
    (height / 3).max(1)
}

/// A message's lines on a screen `width` wide, at most `max` of them; a
/// longer one ends in `…` and a pointer to the whole text.
fn message_lines(text: &str, width: u16, max: u16, more: &str) -> Vec<String> {
    let room = usize::from(width.saturating_sub(2)).max(1);
    let mut lines = wrap_words(text, room);
    let max = usize::from(max.max(1));
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let keep = room.saturating_sub(more.width());
            let mut cut = String::new();
            for c in last.chars() {
                if cut.width() + c.to_string().width() > keep {
                    break;
                }
                cut.push(c);
            }
            *last = format!("{cut}{more}");
        }
    }
    lines
}

/// What ends a cut message: where to read it whole.
pub(super) fn more_text(state: &State) -> String {
    match state
        .config
        .keymap
        .keys_for(&crate::action::Action::ShowMessages)
        .first()
    {
        Some(key) => format!("… (Show messages: {key})"),
        None => "… (Show messages)".into(),
    }
}

/// The rows between the panes and the status line that the message takes on a
/// screen of `width` x `height`: its wrapped lines (a third of the screen at
/// most), an error's and a short notice's alike, so that neither covers a pane.
pub fn message_rows(state: &State, width: u16, height: u16) -> u16 {
    match &state.message {
        Some(m) if width >= 3 && height >= 3 => {
            let more = more_text(state);
            let rows = message_lines(&m.text, width, max_message_rows(height), &more).len();
            (rows as u16).min(height.saturating_sub(2))
        }
        _ => 0,
    }
}

/// Draws the message in `rows` (its own rows above the status line, never over
/// a pane's text or title): an error white on red, a notice black on yellow.
pub fn draw_message(msg: &Message, rows: Rect, screen_height: u16, more: &str, buf: &mut Buffer) {
    if rows.height == 0 {
        return;
    }
    let style = if msg.error {
        Style::default().fg(Color::White).bg(Color::Red)
    } else {
        Style::default().fg(Color::Black).bg(Color::Yellow)
    };
    buf.set_style(rows, style);
    let lines = message_lines(&msg.text, rows.width, max_message_rows(screen_height), more);
    for (i, line) in lines.iter().take(usize::from(rows.height)).enumerate() {
        buf.set_stringn(
            rows.x + 1,
            rows.y + i as u16,
            line,
            usize::from(rows.width.saturating_sub(1)),
            style,
        );
    }
}

/// `text` in lines at most `width` columns wide, broken at spaces (a longer word is cut).
pub(super) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!cur.is_empty());
        if cur.width() + sep + word.width() <= width {
            if sep == 1 {
                cur.push(' ');
            }
            cur.push_str(word);
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        let mut rest = word;
        while rest.width() > width {
            let mut cut = 0;
            let mut w = 0;
            for (i, c) in rest.char_indices() {
                let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if w + cw > width {
                    break;
                }
                w += cw;
                cut = i + c.len_utf8();
            }
            if cut == 0 {
                break;
            }
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        cur.push_str(rest);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    #[test]
    fn a_long_message_wraps_at_spaces_instead_of_being_cut() {
        let text = "/home/u/.config/symphony/config.toml: line 3: invalid type: string \"wide\", expected an integer (using the defaults)";
        let lines = wrap_words(text, 40);
        assert!(lines.iter().all(|l| l.width() <= 40), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap_words("short", 40), vec!["short"]);
        assert_eq!(wrap_words("abcdefgh", 3), vec!["abc", "def", "gh"]);
    }

    #[test]
    fn the_message_box_shows_every_word() {
        let area = Rect::new(0, 0, 30, 6);
        let mut buf = Buffer::empty(area);
        let msg = Message {
            text: "config.toml: line 3: tab_size must be 1 to 16, not 40 (using the defaults)"
                .into(),
            error: true,
        };
        draw_message(&msg, area, 18, "…", &mut buf);
        let shown: String = (0..6)
            .map(|y| {
                (0..30)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(" ");
        for word in msg.text.split(' ') {
            assert!(shown.contains(word), "{word} missing from {shown:?}");
        }
    }
}
