//! The AI pane's chat as drawn rows: fenced code blocks highlighted with
//! syntect (its default syntaxes and themes, loaded once on a background
//! thread; until then code is drawn plain), and a per-message cache so a
//! streamed token costs only the lines it touches, never the whole history.
//!
//! Each message's cache keeps the rows of its complete lines and the
//! highlighter's state after them; a token appends to the text, so only the
//! new complete lines and the last, partial line are highlighted again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use ratatui::style::{Color, Modifier, Style};
use syntect::highlighting::{
    FontStyle, HighlightIterator, HighlightState, Highlighter, Theme, ThemeSet,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use unicode_width::UnicodeWidthChar;

use super::{ChatEntry, ChatRole};
use crate::ui::colors::ColorMode;

/// The theme used when the configured one is not among syntect's defaults.
pub const FALLBACK_THEME: &str = "base16-ocean.dark";

/// Columns a tab takes in a code block.
const TAB_WIDTH: usize = 4;

/// syntect's default syntaxes and themes.
pub struct Syntaxes {
    /// The syntaxes (with newlines).
    pub syntaxes: SyntaxSet,
    /// The themes.
    pub themes: ThemeSet,
}

impl Syntaxes {
    /// The theme code blocks use: `name` when syntect has it and it is
    /// dark (blocks keep their dark background), else [`FALLBACK_THEME`].
    pub fn theme(&self, name: &str) -> Option<&Theme> {
        let dark = |t: &&Theme| {
            t.settings
                .background
                .is_none_or(|c| u32::from(c.r) * 3 + u32::from(c.g) * 6 + u32::from(c.b) < 1280)
        };
        self.themes
            .themes
            .get(name)
            .filter(dark)
            .or_else(|| self.themes.themes.get(FALLBACK_THEME))
    }
}

static LOADED: OnceLock<Syntaxes> = OnceLock::new();
static STARTED: AtomicBool = AtomicBool::new(false);

/// Notified once the syntaxes are loaded: the client's loop redraws, so code
/// already on screen gets its colours without waiting for another event.
pub static LOADED_NOTIFY: tokio::sync::Notify = tokio::sync::Notify::const_new();

fn load() -> Syntaxes {
    let started = std::time::Instant::now();
    let s = Syntaxes {
        syntaxes: SyntaxSet::load_defaults_newlines(),
        themes: ThemeSet::load_defaults(),
    };
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "syntaxes loaded for the AI pane"
    );
    s
}

/// Starts loading the syntaxes on a background thread (once); returns at once.
pub fn start_loading() {
    if LOADED.get().is_some() || STARTED.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("symphony-syntaxes".into())
        .spawn(|| {
            LOADED.get_or_init(load);
            LOADED_NOTIFY.notify_one();
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start loading the AI pane's syntaxes: {e}");
        STARTED.store(false, Ordering::Release);
    }
}

/// The syntaxes, once loaded.
pub fn loaded() -> Option<&'static Syntaxes> {
    LOADED.get()
}

/// Loads the syntaxes on this thread if they are not yet (tests, benches).
pub fn load_now() -> &'static Syntaxes {
    LOADED.get_or_init(load)
}

/// The background of code blocks.
pub fn code_bg(mode: ColorMode) -> Color {
    mode.rgb(0x26, 0x2a, 0x33)
}

/// Plain code (not highlighted).
fn code_style(mode: ColorMode) -> Style {
    Style::default()
        .fg(mode.rgb(0xe0, 0xe0, 0xe0))
        .bg(code_bg(mode))
}

/// The fence rows (`┌─ rust`, `└─`).
fn fence_style(mode: ColorMode) -> Style {
    Style::default().fg(Color::DarkGray).bg(code_bg(mode))
}

/// One drawn row of the chat.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRow {
    /// Text runs left to right.
    pub spans: Vec<(String, Style)>,
    /// A style for the whole row first (code blocks' background).
    pub fill: Option<Style>,
}

impl ChatRow {
    fn text(text: String, style: Style) -> Self {
        ChatRow {
            spans: vec![(text, style)],
            fill: None,
        }
    }

    /// The row's text (tests).
    pub fn plain(&self) -> String {
        self.spans.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// What an entry's rows depend on besides its text.
#[derive(Debug, Clone, PartialEq)]
pub struct RowStyle {
    /// The pane's width.
    pub width: usize,
    /// Truecolor or 256.
    pub mode: ColorMode,
    /// The syntect theme's name.
    pub theme: String,
    /// The language of the run's context, for fences without a tag.
    pub language: Option<String>,
}

/// The highlighter's state inside a code block.
#[derive(Clone)]
struct CodeState {
    parse: ParseState,
    highlight: HighlightState,
}

/// Where the rows of a message stand after some of its lines.
#[derive(Clone, Default)]
struct Progress {
    /// Lines done.
    lines: usize,
    /// Inside a fenced block.
    in_code: bool,
    /// The block's highlighter (None: plain).
    code: Option<CodeState>,
    /// Blank rows held back until something follows (trailing blank lines
    /// are not drawn).
    blanks: Vec<ChatRow>,
}

/// One message's cached rows.
struct EntryRows {
    role: ChatRole,
    style: RowStyle,
    highlighted: bool,
    /// The complete lines done (each with its `\n`).
    done: String,
    rows: Vec<ChatRow>,
    progress: Progress,
    /// The last, partial line and its rows.
    tail: String,
    tail_rows: Vec<ChatRow>,
}

/// The chat's rows by message index. Rendering reads the state immutably,
/// hence the lock (only the render path takes it).
#[derive(Default)]
pub struct ChatCache {
    entries: Mutex<HashMap<usize, EntryRows>>,
    highlighted_lines: AtomicU64,
}

impl std::fmt::Debug for ChatCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatCache")
            .field("highlighted_lines", &self.highlighted_lines())
            .finish_non_exhaustive()
    }
}

/// The context a message's lines are turned into rows with.
struct Painter<'a> {
    style: &'a RowStyle,
    role: ChatRole,
    syntaxes: Option<&'a SyntaxSet>,
    highlighter: Option<Highlighter<'a>>,
    counter: &'a AtomicU64,
}

impl ChatCache {
    /// Lines run through syntect so far (tests: a token must not
    /// re-highlight earlier messages).
    pub fn highlighted_lines(&self) -> u64 {
        self.highlighted_lines.load(Ordering::Relaxed)
    }

    /// Forgets every message's rows.
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }

    /// The last `max` rows of message `index` (its separator row included),
    /// and how many it has in all.
    pub fn rows(
        &self,
        index: usize,
        entry: &ChatEntry,
        style: &RowStyle,
        max: usize,
    ) -> (Vec<ChatRow>, usize) {
        let loaded = loaded();
        let theme = loaded.and_then(|l| l.theme(&style.theme));
        let highlighted = theme.is_some();
        let painter = Painter {
            style,
            role: entry.role,
            syntaxes: loaded.map(|l| &l.syntaxes),
            highlighter: theme.map(Highlighter::new),
            counter: &self.highlighted_lines,
        };
        let Ok(mut entries) = self.entries.lock() else {
            let all = painter.all_rows(&entry.text);
            let n = all.len();
            return (all[n.saturating_sub(max)..].to_vec(), n);
        };
        let fresh = |e: &EntryRows| {
            e.role == entry.role
                && e.highlighted == highlighted
                && &e.style == style
                && entry.text.starts_with(&e.done)
        };
        if !entries.get(&index).is_some_and(fresh) {
            entries.insert(
                index,
                EntryRows {
                    role: entry.role,
                    style: style.clone(),
                    highlighted,
                    done: String::new(),
                    rows: Vec::new(),
                    progress: Progress::default(),
                    tail: String::new(),
                    tail_rows: Vec::new(),
                },
            );
        }
        let Some(e) = entries.get_mut(&index) else {
            return (Vec::new(), 0);
        };
        // New complete lines.
        let rest = &entry.text[e.done.len()..];
        if let Some(end) = rest.rfind('\n') {
            for line in rest[..end].split('\n') {
                painter.line(line, &mut e.progress, &mut e.rows);
            }
            e.done.push_str(&rest[..=end]);
            e.tail.clear();
            e.tail_rows.clear();
        }
        // The partial last line, from a copy of the state.
        let tail = &entry.text[e.done.len()..];
        if tail != e.tail {
            e.tail_rows.clear();
            if !tail.is_empty() {
                let mut p = e.progress.clone();
                painter.line(tail, &mut p, &mut e.tail_rows);
            }
            e.tail = tail.to_owned();
        }
        let total = e.rows.len() + e.tail_rows.len() + 1;
        let mut out = Vec::with_capacity(max.min(total));
        let skip = total.saturating_sub(max);
        out.extend(e.rows.iter().chain(e.tail_rows.iter()).skip(skip).cloned());
        if max > 0 {
            out.push(ChatRow::default());
        }
        (out, total)
    }
}

/// The first `max` rows of `text` drawn as a code block without fences
/// (highlighted in `style.language` once the syntaxes are loaded): the
/// candidates picker's preview.
pub fn code_rows(text: &str, style: &RowStyle, max: usize) -> Vec<ChatRow> {
    let loaded = loaded();
    let theme = loaded.and_then(|l| l.theme(&style.theme));
    let counter = AtomicU64::new(0);
    let painter = Painter {
        style,
        role: ChatRole::Assistant,
        syntaxes: loaded.map(|l| &l.syntaxes),
        highlighter: theme.map(Highlighter::new),
        counter: &counter,
    };
    let mut p = Progress {
        lines: 1,
        in_code: true,
        code: painter.code_state(""),
        blanks: Vec::new(),
    };
    let mut rows = Vec::new();
    for line in text.split('\n') {
        if rows.len() >= max {
            break;
        }
        // A fence inside the text is code here, not a block's end.
        if line.trim_start().starts_with("```") {
            rows.push(ChatRow {
                spans: vec![(format!(" {line}"), code_style(style.mode))],
                fill: Some(code_style(style.mode)),
            });
            continue;
        }
        painter.line(line, &mut p, &mut rows);
    }
    rows.truncate(max);
    rows
}

impl Painter<'_> {
    /// Every row of `text` (without the cache).
    fn all_rows(&self, text: &str) -> Vec<ChatRow> {
        let mut p = Progress::default();
        let mut rows = Vec::new();
        for line in text.split('\n') {
            self.line(line, &mut p, &mut rows);
        }
        rows.push(ChatRow::default());
        rows
    }

    /// The label of a message's first line.
    fn label(&self) -> (&'static str, Style) {
        match self.role {
            ChatRole::User => (
                "you: ",
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            ),
            ChatRole::Assistant => ("", Style::default()),
            ChatRole::Notice => ("· ", Style::default().fg(Color::DarkGray)),
            ChatRole::Error => ("✗ ", Style::default().fg(Color::Red)),
        }
    }

    /// Turns one line into rows (appended to `out`), advancing `p`.
    fn line(&self, line: &str, p: &mut Progress, out: &mut Vec<ChatRow>) {
        let first = p.lines == 0;
        p.lines += 1;
        let width = self.style.width.max(1);
        let mode = self.style.mode;
        let fenced = self.role == ChatRole::Assistant && line.trim_start().starts_with("```");
        if fenced {
            out.append(&mut p.blanks);
            let tag = line.trim_start().trim_start_matches('`').trim();
            p.in_code = !p.in_code;
            let label = if p.in_code && !tag.is_empty() {
                format!("┌─ {tag} ")
            } else if p.in_code {
                "┌─".to_owned()
            } else {
                "└─".to_owned()
            };
            p.code = if p.in_code {
                self.code_state(tag)
            } else {
                None
            };
            let fence = fence_style(mode);
            out.push(ChatRow {
                spans: vec![(label, fence)],
                fill: Some(fence),
            });
            return;
        }
        if p.in_code {
            let spans = match (&mut p.code, self.syntaxes, &self.highlighter) {
                (Some(code), Some(syntaxes), Some(hl)) => {
                    self.counter.fetch_add(1, Ordering::Relaxed);
                    highlight_line(code, syntaxes, hl, line, mode)
                }
                _ => vec![(line.to_owned(), code_style(mode))],
            };
            let rows = wrap_spans(&spans, width.saturating_sub(1), code_style(mode));
            let blank = line.trim().is_empty();
            for mut r in rows {
                r.spans.insert(0, (" ".to_owned(), code_style(mode)));
                r.fill = Some(code_style(mode));
                if blank {
                    p.blanks.push(r);
                } else {
                    out.append(&mut p.blanks);
                    out.push(r);
                }
            }
            return;
        }
        let (label, style) = self.label();
        let text = if first {
            format!("{label}{line}")
        } else {
            line.to_owned()
        };
        if text.trim().is_empty() {
            p.blanks.push(ChatRow::text(String::new(), style));
            return;
        }
        out.append(&mut p.blanks);
        for r in crate::ui::conductor_panes::wrap(&text, width) {
            out.push(ChatRow::text(r, style));
        }
    }

    /// The highlighter of a block opened with `tag` (else the context's language).
    fn code_state(&self, tag: &str) -> Option<CodeState> {
        let syntaxes = self.syntaxes?;
        let hl = self.highlighter.as_ref()?;
        let syntax = syntax_for(syntaxes, tag, self.style.language.as_deref())?;
        Some(CodeState {
            parse: ParseState::new(syntax),
            highlight: HighlightState::new(hl, ScopeStack::new()),
        })
    }
}

/// The syntax of a fence's tag (` ```rust `, ` ```py title="x" `), else of
/// the context's language; `None`: plain.
pub fn syntax_for<'a>(
    syntaxes: &'a SyntaxSet,
    tag: &str,
    language: Option<&str>,
) -> Option<&'a SyntaxReference> {
    let tag = tag
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or_default();
    let find = |name: &str| {
        if name.is_empty() {
            return None;
        }
        syntaxes
            .find_syntax_by_token(name)
            .or_else(|| syntaxes.find_syntax_by_token(&name.to_lowercase()))
    };
    if !tag.is_empty() {
        return find(tag);
    }
    find(language?).filter(|s| s.name != "Plain Text")
}

/// One code line as styled runs (the code background kept).
fn highlight_line(
    code: &mut CodeState,
    syntaxes: &SyntaxSet,
    hl: &Highlighter<'_>,
    line: &str,
    mode: ColorMode,
) -> Vec<(String, Style)> {
    let with_nl = format!("{line}\n");
    let ops = match code.parse.parse_line(&with_nl, syntaxes) {
        Ok(ops) => ops,
        Err(e) => {
            tracing::debug!("highlighting a code block failed: {e}");
            return vec![(line.to_owned(), code_style(mode))];
        }
    };
    HighlightIterator::new(&mut code.highlight, &ops, &with_nl, hl)
        .filter_map(|(st, text)| {
            let text = text.trim_end_matches('\n');
            if text.is_empty() {
                return None;
            }
            let mut style = Style::default()
                .fg(mode.rgb(st.foreground.r, st.foreground.g, st.foreground.b))
                .bg(code_bg(mode));
            if st.font_style.contains(FontStyle::BOLD) {
                style = style.add_modifier(Modifier::BOLD);
            }
            if st.font_style.contains(FontStyle::ITALIC) {
                style = style.add_modifier(Modifier::ITALIC);
            }
            if st.font_style.contains(FontStyle::UNDERLINE) {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            Some((text.to_owned(), style))
        })
        .collect()
}

/// Styled runs cut into rows of at most `width` columns (tabs as spaces).
fn wrap_spans(spans: &[(String, Style)], width: usize, blank: Style) -> Vec<ChatRow> {
    let width = width.max(1);
    let mut rows = vec![ChatRow::default()];
    let mut cols = 0;
    for (text, style) in spans {
        for c in text.chars() {
            let (c, n) = if c == '\t' { (' ', TAB_WIDTH) } else { (c, 1) };
            for _ in 0..n {
                let w = c.width().unwrap_or(0);
                if cols + w > width {
                    rows.push(ChatRow::default());
                    cols = 0;
                }
                cols += w;
                let row = rows.last_mut().map(|r| &mut r.spans);
                if let Some(spans) = row {
                    match spans.last_mut() {
                        Some((t, s)) if s == style => t.push(c),
                        _ => spans.push((c.to_string(), *style)),
                    }
                }
            }
        }
    }
    if rows.len() == 1 && rows[0].spans.is_empty() {
        rows[0].spans.push((String::new(), blank));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(role: ChatRole, text: &str) -> ChatEntry {
        ChatEntry {
            role,
            text: text.into(),
            run: None,
            node: None,
        }
    }

    fn style() -> RowStyle {
        RowStyle {
            width: 40,
            mode: ColorMode::TrueColor,
            theme: "base16-eighties.dark".into(),
            language: None,
        }
    }

    fn all(cache: &ChatCache, i: usize, e: &ChatEntry) -> Vec<ChatRow> {
        cache.rows(i, e, &style(), usize::MAX).0
    }

    #[test]
    fn a_streamed_token_highlights_only_the_new_lines_of_the_last_message() {
        load_now();
        let cache = ChatCache::default();
        let mut chat = [
            entry(
                ChatRole::Assistant,
                "First:\n```rust\nfn a() {}\nfn b() {}\nfn c() {}\n```\n",
            ),
            entry(ChatRole::User, "and in python?"),
            entry(ChatRole::Assistant, "Sure:\n```python\ndef a():\n"),
        ];
        for (i, e) in chat.iter().enumerate() {
            all(&cache, i, e);
        }
        let after_first_frame = cache.highlighted_lines();
        assert_eq!(after_first_frame, 4, "3 rust lines and 1 python line");
        // A frame with nothing new highlights nothing.
        for (i, e) in chat.iter().enumerate() {
            all(&cache, i, e);
        }
        assert_eq!(cache.highlighted_lines(), after_first_frame);
        // Tokens: a partial line, then its end and a new partial line.
        for (token, expected) in [("    return ", 1), ("1\n    pass", 2)] {
            let before = cache.highlighted_lines();
            chat[2].text.push_str(token);
            for (i, e) in chat.iter().enumerate() {
                all(&cache, i, e);
            }
            assert_eq!(cache.highlighted_lines() - before, expected, "{token:?}");
        }
        let rows = all(&cache, 2, &chat[2]);
        let text: Vec<String> = rows.iter().map(ChatRow::plain).collect();
        assert_eq!(
            text,
            vec![
                "Sure:",
                "┌─ python ",
                " def a():",
                "     return 1",
                "     pass",
                ""
            ]
        );
    }

    #[test]
    fn a_replaced_answer_is_drawn_again_from_scratch() {
        load_now();
        let cache = ChatCache::default();
        let mut e = entry(ChatRole::Assistant, "draft\n");
        all(&cache, 0, &e);
        e.text = "final\n```\nx\n```".into();
        let text: Vec<String> = all(&cache, 0, &e).iter().map(ChatRow::plain).collect();
        assert_eq!(text, vec!["final", "┌─", " x", "└─", ""]);
    }

    #[test]
    fn keywords_and_strings_get_different_colours() {
        let s = load_now();
        let cache = ChatCache::default();
        let e = entry(ChatRole::Assistant, "```rust\nlet s = \"hi\";\n```");
        let rows = all(&cache, 0, &e);
        let code = &rows[1];
        let colour = |needle: &str| {
            code.spans
                .iter()
                .find(|(t, _)| t.contains(needle))
                .map(|(_, st)| st.fg)
        };
        assert_ne!(colour("let"), colour("hi"));
        assert!(
            code.spans
                .iter()
                .all(|(_, st)| st.bg == Some(code_bg(ColorMode::TrueColor)))
        );
        assert!(syntax_for(&s.syntaxes, "py title=\"x\"", None).is_some());
        assert!(syntax_for(&s.syntaxes, "", Some("Rust")).is_some());
        assert!(syntax_for(&s.syntaxes, "", None).is_none());
        // A light theme would not read on the dark block: the dark fallback.
        let same = |a: Option<&Theme>, b: Option<&Theme>| match (a, b) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            _ => false,
        };
        let fallback = s.theme(FALLBACK_THEME);
        assert!(fallback.is_some());
        assert!(same(s.theme("InspiredGitHub"), fallback));
        assert!(!same(s.theme("base16-eighties.dark"), fallback));
    }

    #[test]
    fn long_code_lines_wrap_with_the_code_background_and_tabs_as_spaces() {
        let rows = wrap_spans(
            &[
                ("\tab".into(), Style::default()),
                ("cdef".into(), Style::default()),
            ],
            4,
            Style::default(),
        );
        let text: Vec<String> = rows.iter().map(ChatRow::plain).collect();
        assert_eq!(text, vec!["    ", "abcd", "ef"]);
    }
}
