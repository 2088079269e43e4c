//! Code blocks of the AI pane's answers, put to use: one block is selected (the
//! latest, until the user moves), its text can be inserted at the editor's cursor
//! or applied as a proposal to the file the block names (its fence says
//! ```` ```python src/app.py ```` or ```` ```rust:src/lib.rs ````) or else to the
//! file the user works on: the block replaces the selection, or the whole text.

use std::path::PathBuf;

use serde_json::Value;
use symphony_conductor::command::EditorContext;
use symphony_conductor::events::RunId;
use symphony_protocol::xi::EditNotification as E;
use symphony_protocol::xi::review::Snapshot;

use super::{ChatRole, EditorRequest};
use crate::app::State;
use crate::panes::{EditorPane, PaneKind, SplitDir};

/// A fenced code block of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The fence's language tag (may be empty).
    pub language: String,
    /// The file the fence names, if any.
    pub path: Option<String>,
    /// The code, each line with its line break.
    pub text: String,
    /// The run whose answer holds it.
    pub run: Option<RunId>,
}

/// The closed fenced blocks of `text`, in order.
pub fn parse(text: &str) -> Vec<CodeBlock> {
    let mut out = Vec::new();
    let mut open: Option<(String, Option<String>, String)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some((language, path, code)) if info.trim().is_empty() => out.push(CodeBlock {
                    language,
                    path,
                    text: code,
                    run: None,
                }),
                Some(_) | None => {
                    let (language, path) = fence_info(info.trim());
                    open = Some((language, path, String::new()));
                }
            }
            continue;
        }
        if let Some((_, _, code)) = open.as_mut() {
            code.push_str(line);
            if !line.ends_with('\n') {
                code.push('\n');
            }
        }
    }
    out
}

/// A fence's info string as (language, file): `python`, `python src/a.py`,
/// `rust:src/lib.rs`, `toml title="Cargo.toml"`, `file=a.py`.
fn fence_info(info: &str) -> (String, Option<String>) {
    let mut words = info.split_whitespace();
    let first = words.next().unwrap_or("");
    let (language, mut path) = match first.split_once(':') {
        Some((l, p)) if !p.is_empty() => (l.to_owned(), Some(p.to_owned())),
        _ => (first.to_owned(), None),
    };
    for w in words {
        let w = ["title=", "file=", "path=", "filename="]
            .iter()
            .find_map(|k| w.strip_prefix(k))
            .unwrap_or(w)
            .trim_matches('"');
        if path.is_none() && (w.contains('.') || w.contains('/')) {
            path = Some(w.to_owned());
        }
    }
    (language, path)
}

/// Every block of the assistant's answers, oldest first.
pub fn all(state: &State) -> Vec<CodeBlock> {
    state
        .conductor
        .chat
        .iter()
        .filter(|e| e.role == ChatRole::Assistant)
        .flat_map(|e| {
            parse(&e.text).into_iter().map(move |mut b| {
                b.run = e.run;
                b
            })
        })
        .collect()
}

/// The selected block (`back` blocks before the latest) and its number (1-based)
/// of how many.
pub fn selected(state: &State, back: usize) -> Option<(CodeBlock, usize, usize)> {
    let blocks = all(state);
    let n = blocks.len();
    let i = n.checked_sub(1 + back.min(n.checked_sub(1)?))?;
    blocks.into_iter().nth(i).map(|b| (b, i + 1, n))
}

/// Moves the selection one block back (`older`) or forward.
pub fn step(state: &State, back: usize, older: bool) -> usize {
    let n = all(state).len();
    if older {
        (back + 1).min(n.saturating_sub(1))
    } else {
        back.saturating_sub(1)
    }
}

/// The editor view the AI pane's blocks go to: the last one focused.
fn target_view(state: &State) -> Option<u64> {
    state
        .conductor
        .last_view
        .or_else(|| state.focused_view())
        .filter(|v| state.views.contains_key(v))
}

/// Inserts the selected block at the cursor of the editor view last focused.
pub fn insert(state: &mut State, back: usize) {
    let Some((block, i, n)) = selected(state, back) else {
        state.say("No code block to insert: the answers hold none");
        return;
    };
    let Some(view) = target_view(state) else {
        state.say("No editor view to insert into: open a file first");
        return;
    };
    state.editor.edit(view, E::Insert { chars: block.text });
    crate::app::views::focus_view(state, view);
    state.say(format!("Code block {i} of {n} inserted at the cursor"));
}

/// Applies the selected block as a proposal: to the file it names (opened
/// beside; a new file is written only when the proposal is accepted), else to
/// the view last focused.
pub fn apply(state: &mut State, back: usize) {
    let Some((block, _, _)) = selected(state, back) else {
        state.say("No code block to apply: the answers hold none");
        return;
    };
    let view = match &block.path {
        Some(p) => {
            let path = PathBuf::from(p);
            let path = if path.is_absolute() {
                path
            } else {
                state.cwd.join(path)
            };
            Some(view_of_file(state, path))
        }
        None => target_view(state),
    };
    let Some(view) = view else {
        state.say("No file to apply the code block to: open one first");
        return;
    };
    let id = state.request(view, crate::session::Request::Snapshot);
    state
        .conductor
        .requests
        .insert(id, EditorRequest::CodeBlockSnapshot);
    state.conductor.pending_blocks.insert(view, block);
}

/// The view of `path`: one already open, else a new one shown beside (a file
/// not on disk yet is remembered as new: written on accept).
fn view_of_file(state: &mut State, path: PathBuf) -> u64 {
    if let Some(v) = state
        .views
        .iter()
        .find(|(_, d)| d.path.as_ref() == Some(&path))
        .map(|(v, _)| *v)
    {
        if state.windows.views().any(|(_, shown)| shown == v) {
            crate::app::views::focus_view(state, v);
        }
        return v;
    }
    let exists = path.exists();
    let v = crate::app::views::open_view(state, Some(path));
    if !exists {
        state.conductor.new_files.insert(v);
    }
    state.windows.split(
        SplitDir::Horizontal,
        PaneKind::Editor(EditorPane {
            view: v,
            ..Default::default()
        }),
    );
    v
}

/// The editor answered the snapshot of the view a block is applied to: the
/// block replaces its selection (or its whole text) as a proposal to review.
pub fn on_snapshot(state: &mut State, view: u64, result: Result<Value, String>) {
    let Some(block) = state.conductor.pending_blocks.remove(&view) else {
        return;
    };
    let snapshot = result.and_then(|v| {
        serde_json::from_value::<Snapshot>(v).map_err(|e| format!("unreadable snapshot: {e}"))
    });
    let s = match snapshot {
        Ok(s) => s,
        Err(e) => {
            state.error(format!("The code block cannot be applied: {e}"));
            return;
        }
    };
    let mut ctx: EditorContext = super::commands::context_from_snapshot(&s, state.cwd.clone());
    ctx.buffer = Some(view.to_string());
    let (start, end) = match &ctx.selection {
        Some(sel) if sel.start < sel.end => (sel.start, sel.end),
        _ => (0, ctx.file_text.len()),
    };
    let proposal = symphony_conductor::proposal::from_replacement(&ctx, start, end, &block.text);
    let run = block.run.unwrap_or(RunId(0));
    crate::app::views::focus_view(state, view);
    crate::review::review_in(state, run, view, proposal);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_parsed_with_their_language_and_the_file_they_name() {
        let text = "Here:\n```python src/app.py\ndef f():\n    return 1\n```\nand\n\
                    ```rust:src/lib.rs\nfn g() {}\n```\n```\nplain\n```\n```js\nopen";
        let b = parse(text);
        assert_eq!(b.len(), 3, "{b:?}");
        assert_eq!(b[0].language, "python");
        assert_eq!(b[0].path.as_deref(), Some("src/app.py"));
        assert_eq!(b[0].text, "def f():\n    return 1\n");
        assert_eq!(b[1].path.as_deref(), Some("src/lib.rs"));
        assert_eq!(b[1].text, "fn g() {}\n");
        assert_eq!(b[2].language, "");
        assert_eq!(b[2].path, None);
        assert_eq!(
            fence_info("toml title=\"Cargo.toml\"").1.as_deref(),
            Some("Cargo.toml")
        );
    }
}
