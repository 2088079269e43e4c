//! [`apply`]: what each [`LspAction`] does — a `symphony.lsp.*` request for
//! the focused view (answered in `replies.rs`), a picker, a jump, or a step
//! of an open popup.

use crate::keymap::context::CompletionAction;
use symphony_protocol::xi::lsp::GotoKind;
use symphony_protocol::xi::{EditNotification as E, GestureType, SelectionGranularity};

use super::completion::is_word_char;
use super::diagnostics::{describe, letter, next_from};
use super::{LspAction, Pending, Target, view_path};
use crate::action::Action;
use crate::app::State;
use crate::overlays::Overlay;
use crate::overlays::input::LineInput;
use crate::overlays::lsp::{LspOverlay, LspPicker, PickerRow, RenamePrompt};
use crate::session::Request;

/// Applies one language action.
pub fn apply(state: &mut State, action: LspAction) {
    match action {
        LspAction::Completion => request_completion(state, true),
        LspAction::AutoComplete => super::auto_complete(state),
        LspAction::Hover => {
            if let Some((view, at)) = focused_caret(state) {
                send(state, view, Request::Hover, Pending::Hover { view, at });
            }
        }
        LspAction::Goto(kind) => {
            if let Some(view) = state.focused_view() {
                send(state, view, Request::Goto(kind), Pending::Goto { kind });
            }
        }
        LspAction::JumpBack | LspAction::JumpForward => {
            let Some(here) = here(state) else { return };
            let back = action == LspAction::JumpBack;
            let to = if back {
                state.lsp.jumps.back(here)
            } else {
                state.lsp.jumps.forward(here)
            };
            match to {
                Some(t) => go(state, &t),
                None if back => state.say("No earlier place to go back to"),
                None => state.say("Nothing to go forward to"),
            }
        }
        LspAction::Rename => {
            let word = word_at_caret(state).unwrap_or_default();
            state
                .overlays
                .push(Overlay::Lsp(LspOverlay::Rename(RenamePrompt {
                    input: LineInput::with_text(&word),
                })));
        }
        LspAction::RenameTo(new_name) => {
            if let Some(view) = state.focused_view() {
                send(state, view, Request::Rename { new_name }, Pending::Rename);
            }
        }
        LspAction::CodeActions => {
            if let Some(view) = state.focused_view() {
                send(
                    state,
                    view,
                    Request::CodeActions,
                    Pending::CodeActions { view },
                );
            }
        }
        LspAction::ApplyCodeAction { view, index } => send(
            state,
            view,
            Request::ApplyCodeAction { index },
            Pending::ApplyCodeAction,
        ),
        LspAction::Format(selection_only) => {
            if let Some(view) = state.focused_view() {
                send(
                    state,
                    view,
                    Request::Format { selection_only },
                    Pending::Format,
                );
            }
        }
        LspAction::Diagnostics => buffer_diagnostics_picker(state),
        LspAction::WorkspaceDiagnostics => {
            if let Some(view) = state.focused_view() {
                send(
                    state,
                    view,
                    Request::WorkspaceDiagnostics,
                    Pending::WorkspaceDiagnostics,
                );
            }
        }
        LspAction::NextDiagnostic(forward) => {
            let Some(data) = state.focused_data() else {
                return;
            };
            match next_from(&data.lsp.diagnostics, data.caret, forward) {
                Some(d) => {
                    let t = Target {
                        path: None,
                        line: d.line,
                        col: d.col,
                    };
                    go(state, &t);
                }
                None => state.say("No diagnostics in this buffer"),
            }
        }
        LspAction::Jump(target) => {
            if let Some(h) = here(state) {
                state.lsp.jumps.record(h);
            }
            go(state, &target);
        }
        LspAction::PopupKey(key) => popup_key(state, key),
    }
}

/// Sends a request about `view` and remembers what its answer is for.
fn send(state: &mut State, view: u64, request: Request, pending: Pending) {
    let id = state.request(view, request);
    state.lsp.pending.insert(id, pending);
}

fn focused_caret(state: &State) -> Option<(u64, (usize, usize))> {
    let view = state.focused_view()?;
    Some((view, state.views.get(&view)?.caret))
}

/// Asks for completions at the focused caret (`explicit`: the user asked,
/// so failures are worth a message).
pub fn request_completion(state: &mut State, explicit: bool) {
    if let Some(view) = state.focused_view() {
        send(
            state,
            view,
            Request::Completion,
            Pending::Completion { view, explicit },
        );
    }
}

/// Asks for the documentation of the selected completion item, once.
pub fn resolve_selected(state: &mut State) {
    let mut ids = crate::app::effect::RequestIds(&mut state.next_request);
    if let Some(e) = state.lsp.resolve_selected(&mut ids) {
        crate::app::effect::run(state, vec![e]);
    }
}

fn popup_key(state: &mut State, key: CompletionAction) {
    if let Some(c) = state.lsp.completion.as_mut() {
        match key {
            CompletionAction::Previous => c.move_selection(-1),
            CompletionAction::Next => c.move_selection(1),
            CompletionAction::PageUp => c.move_selection(-10),
            CompletionAction::PageDown => c.move_selection(10),
            CompletionAction::Accept => {
                let (view, index) = (c.view, c.selected_item());
                state.lsp.completion = None;
                if let Some(index) = index {
                    send(
                        state,
                        view,
                        Request::AcceptCompletion { index },
                        Pending::Accept,
                    );
                }
                return;
            }
            CompletionAction::Close => {
                state.lsp.completion = None;
                return;
            }
        }
        resolve_selected(state);
        return;
    }
    if key == CompletionAction::Close {
        state.lsp.hover = None;
    }
}

/// Where the focused caret is, as a jump target.
fn here(state: &State) -> Option<Target> {
    let view = state.focused_view()?;
    let (line, col) = state.views.get(&view)?.caret;
    Some(Target {
        path: view_path(state, view),
        line,
        col,
    })
}

/// Shows `target` in the focused pane (opening its file) with the caret there.
pub fn go(state: &mut State, target: &Target) {
    if let Some(path) = &target.path {
        crate::app::update(state, Action::OpenPath(path.clone()));
    }
    if let Some(view) = state.focused_view() {
        state.editor.edit(
            view,
            E::Gesture {
                line: target.line,
                col: target.col,
                ty: GestureType::Select {
                    granularity: SelectionGranularity::Point,
                    multi: false,
                },
            },
        );
    }
}

/// The identifier around the focused caret (what rename starts from).
fn word_at_caret(state: &State) -> Option<String> {
    let data = state.focused_data()?;
    let (line, col) = data.caret;
    let text = &data.cache.get(line)?.text;
    let col = col.min(text.len());
    let start = text
        .get(..col)?
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(col, |(i, _)| i);
    let end = text
        .get(col..)?
        .char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(text.len(), |(i, _)| col + i);
    text.get(start..end).map(str::to_owned)
}

/// Opens a picker over the focused buffer's diagnostics.
fn buffer_diagnostics_picker(state: &mut State) {
    let Some(data) = state.focused_data() else {
        return;
    };
    if data.lsp.diagnostics.is_empty() {
        state.say("No diagnostics in this buffer");
        return;
    }
    let rows = data
        .lsp
        .diagnostics
        .iter()
        .map(|d| PickerRow {
            severity: Some(d.severity),
            label: format!("{} {}", letter(d.severity), describe(d)),
            detail: format!("{}:{}", d.line + 1, d.col + 1),
            action: Action::Lsp(LspAction::Jump(Target {
                path: data.path.clone(),
                line: d.line,
                col: d.col,
            })),
        })
        .collect();
    let shown = match &data.path {
        Some(p) => p
            .strip_prefix(&state.cwd)
            .unwrap_or(p)
            .display()
            .to_string(),
        None => data.title(),
    };
    let title = format!(" Diagnostics: {shown} ");
    open_picker(state, title, rows);
}

/// Pushes a picker overlay.
pub fn open_picker(state: &mut State, title: String, rows: Vec<PickerRow>) {
    state.overlays.push(picker(title, rows));
}

/// A picker overlay with `rows` under `title`.
pub fn picker(title: String, rows: Vec<PickerRow>) -> Overlay {
    Overlay::Lsp(LspOverlay::Picker(LspPicker::new(title, rows)))
}

/// What a goto kind is called in messages.
pub fn goto_name(kind: GotoKind) -> &'static str {
    match kind {
        GotoKind::Definition => "definition",
        GotoKind::Declaration => "declaration",
        GotoKind::TypeDefinition => "type definition",
        GotoKind::Implementation => "implementation",
        GotoKind::References => "references",
    }
}
