//! `update(&mut State, Action)`: the one place actions change the state and
//! reach the editor process.

use std::path::PathBuf;

use symphony_protocol::xi::{EditNotification as E, SelectionModifier};

use super::edits::simple_edit;
use super::views::{
    open_view, retire_view, reveal, scroll_pane, show_buffer, show_in_focused, sync_views,
};
use super::{State, Task, mouse};
use crate::action::Action;
use crate::overlays::{Confirm, FilePicker, FindBar, Overlay, Palette, Prompt, PromptKind};
use crate::panes::{Direction, EditorPane, PaneKind, SplitDir};

/// How many cells Alt-arrow moves a border.
const RESIZE_STEP: u16 = 5;

/// Applies one action.
pub fn update(state: &mut State, mut action: Action) {
    tracing::trace!(?action, "update");
    if !matches!(
        action,
        Action::Noop
            | Action::TerminalResized(..)
            | Action::PickerFiles(_)
            | Action::ProjectSearchHits(..)
            | Action::ProjectSearchDone(..)
            | Action::Mouse(crate::action::MouseAction::Wheel { .. })
    ) {
        state.message = None;
    }
    if action != Action::Prefix {
        state.prefix_pending = false;
    }
    // Local echo: draw a typed character before the core answers (unless
    // the loop already did, to put it on screen first).
    if !std::mem::take(&mut state.echo_predicted) {
        super::echo::predict(state, &action);
    }
    let ghost_after = crate::completion::before_action(state, &mut action);
    let after = crate::lsp::before_action(state, &action);
    apply(state, action);
    crate::lsp::after_action(state, after);
    crate::completion::after_action(state, ghost_after);
    sync_views(state);
    crate::conductor::keys::sync_pool_watch(state);
}

fn focused_edit(state: &mut State, cmd: E) {
    if let Some(view) = state.focused_view() {
        state.editor.edit(view, cmd);
    }
}

fn apply(state: &mut State, action: Action) {
    if let Some(cmd) = simple_edit(&action) {
        focused_edit(state, cmd);
        return;
    }
    if crate::conductor::apply(state, &action) {
        return;
    }
    if crate::motif::apply(state, &action) {
        return;
    }
    if let Some(a) = crate::lsp::from_action(&action) {
        crate::lsp::apply(state, a);
        return;
    }
    if crate::completion::apply(state, &action) {
        return;
    }
    let area = state.pane_area();
    match action {
        Action::Noop | Action::CancelPrefix => {}
        Action::Prefix => state.prefix_pending = true,
        Action::OverlayKey { input, fallback } => overlay_key(state, input, fallback),
        Action::PasteIntoOverlay(text) => {
            if let Some(top) = state.overlays.last_mut() {
                top.paste(&text);
                if let Overlay::Palette(p) = top {
                    p.refilter();
                }
            }
        }
        Action::CloseOverlay => {
            state.overlays.pop();
        }
        Action::TerminalResized(w, h) => state.size = (w, h),
        Action::Mouse(m) => mouse::handle(state, m),
        Action::Copy | Action::Cut => {
            if let Some(view) = state.focused_view() {
                state.editor.copy(view, action == Action::Cut);
            }
        }
        Action::Paste => match state.clipboard.clone() {
            Some(chars) => focused_edit(state, E::Paste { chars }),
            None => state.say("The clipboard is empty"),
        },
        Action::AddNextOccurrence => add_next_occurrence(state),
        Action::ScrollUp | Action::ScrollDown => {
            let pane = state.windows.focus();
            scroll_pane(state, pane, if action == Action::ScrollUp { -1 } else { 1 });
        }
        Action::ToggleSoftWrap => {
            state.config.soft_wrap = !state.config.soft_wrap;
            let pane = state.windows.focus();
            if let Some(PaneKind::Editor(e)) = state.windows.panes.get_mut(&pane) {
                e.left = 0;
            }
            // Rows changed: keep the caret in sight.
            if let Some(view) = state.focused_view()
                && let Some((line, col)) = state.views.get(&view).map(|d| d.caret)
            {
                reveal(state, view, line, col);
            }
            state.say(if state.config.soft_wrap {
                "Soft wrap on"
            } else {
                "Soft wrap off"
            });
        }
        // ---- files and buffers ----
        Action::Save => save(state),
        Action::SaveAs => open_prompt(state, PromptKind::SaveAs),
        Action::SaveTo(_) if super::session_events::editor_stopped(state) => {
            let hint = super::session_events::stopped_hint(state);
            state.error(hint);
        }
        Action::SaveTo(path) => {
            if let Some(view) = state.focused_view() {
                // the view takes the name once it is saved there (the editor may ask first)
                if let Some(d) = state.views.get_mut(&view) {
                    d.save_to = Some(path.clone());
                }
                state.editor.save(view, path);
            }
        }
        Action::OpenFile => {
            state
                .overlays
                .push(Overlay::FilePicker(FilePicker::new(state.cwd.clone())));
            state.tasks.push(Task::ListFiles(state.cwd.clone()));
        }
        Action::PickerFiles(files) => {
            for o in state.overlays.iter_mut().rev() {
                if let Overlay::FilePicker(p) = o {
                    p.set_files(files);
                    break;
                }
            }
        }
        Action::OpenPath(path) => open_path(state, path),
        Action::NewBuffer => {
            let view = open_view(state, None);
            show_in_focused(state, view);
        }
        Action::CloseBuffer => {
            if let Some(view) = state.focused_view()
                && let Some(data) = state.views.get(&view)
            {
                // Another view of the same file keeps the buffer: no loss.
                let shared = data.path.is_some()
                    && state
                        .views
                        .iter()
                        .any(|(v, d)| *v != view && d.path == data.path);
                if state.is_dirty(view) && !shared {
                    let q = format!(
                        "{} has unsaved changes. Close it anyway? (y/n)",
                        data.title()
                    );
                    confirm(state, q, vec![Action::ForceCloseBuffer]);
                } else {
                    apply(state, Action::ForceCloseBuffer);
                }
            }
        }
        Action::ForceCloseBuffer => close_buffer(state),
        Action::RestartEditor => {
            if super::session_events::editor_stopped(state)
                || state.editor_status.starts_with("restarting")
            {
                state.editor.restart();
                state.say("Restarting the editor; what you typed meanwhile is replayed");
            } else {
                state.say(format!("The editor is {}", state.editor_status));
            }
        }
        Action::Quit if super::session_events::editor_stopped(state) => confirm(
            state,
            "The editor is stopped. Quitting starts it once more so that its crash journal \
             keeps what you typed (recovered at the next start). Quit? (y/n)"
                .into(),
            vec![Action::ForceQuit],
        ),
        Action::Quit => {
            let dirty = state.dirty_buffers();
            if dirty.is_empty() {
                state.quit = true;
            } else {
                let names: Vec<String> = crate::overlays::buffers::buffer_entries(state, true)
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                let q = quit_question(if names.is_empty() { &dirty } else { &names });
                confirm(state, q, vec![Action::ForceQuit]);
                if let Some(Overlay::Confirm(c)) = state.overlays.last_mut() {
                    c.other = Some(('b', vec![Action::UnsavedBuffers]));
                }
            }
        }
        Action::ForceQuit => state.quit = true,
        Action::Detach => state.detach = true,
        Action::AiCommit => {
            if let Some(question) = crate::conductor::git_commit::ask(state) {
                confirm(state, question, vec![Action::AiCommitConfirmed]);
            }
        }
        Action::AiCommitConfirmed => crate::conductor::git_commit::start(state),
        Action::AiCommitDone(result) => crate::conductor::git_commit::done(state, result),
        Action::AnswerRecovery(view, answer) => answer_recovery(state, view, answer),
        Action::SaveOverwriting(view, path) => {
            if let Some(d) = state.views.get_mut(&view) {
                d.save_to = Some(path.clone());
            }
            state.editor.save_forced(view, path);
        }
        Action::ReloadFromDisk(view) => state.editor.reload(view),
        Action::ShowDiskDiff(view) => {
            let id = state.request(view, crate::session::Request::DiskDiff);
            state.disk_diffs.insert(id, view);
        }
        Action::BufferPicker | Action::UnsavedBuffers => {
            let unsaved_only = action == Action::UnsavedBuffers;
            let entries = crate::overlays::buffers::buffer_entries(state, unsaved_only);
            state.overlays.retain(|o| !matches!(o, Overlay::Buffers(_)));
            state.overlays.push(Overlay::Buffers(
                crate::overlays::buffers::BufferPicker::new(entries, unsaved_only),
            ));
        }
        Action::ShowBuffer(view) => show_buffer(state, view),
        Action::ProjectSearch => {
            let picker = crate::overlays::project_search::ProjectSearch::new(state.cwd.clone());
            for o in &state.overlays {
                if let Overlay::ProjectSearch(old) = o {
                    old.cancel();
                }
            }
            state
                .overlays
                .retain(|o| !matches!(o, Overlay::ProjectSearch(_)));
            state.overlays.push(Overlay::ProjectSearch(picker));
        }
        Action::ProjectSearchRestart => {
            if let Some(Overlay::ProjectSearch(p)) = state
                .overlays
                .iter_mut()
                .rfind(|o| matches!(o, Overlay::ProjectSearch(_)))
                && let Some(job) = p.restart()
            {
                state.tasks.push(Task::ProjectSearch(job));
            }
        }
        Action::ProjectSearchHits(generation, hits) => {
            for o in state.overlays.iter_mut() {
                if let Overlay::ProjectSearch(p) = o {
                    p.add_hits(generation, hits);
                    if let Some(job) = p.take_preview_job() {
                        state.tasks.push(Task::ProjectSearchPreview(job));
                    }
                    break;
                }
            }
        }
        Action::ProjectSearchPreviewWanted => {
            for o in state.overlays.iter_mut() {
                if let Overlay::ProjectSearch(p) = o
                    && let Some(job) = p.take_preview_job()
                {
                    state.tasks.push(Task::ProjectSearchPreview(job));
                }
            }
        }
        Action::ProjectSearchPreview(read) => {
            for o in state.overlays.iter_mut() {
                if let Overlay::ProjectSearch(p) = o {
                    p.preview_read(read);
                    break;
                }
            }
        }
        Action::ProjectSearchDone(generation, summary) => {
            for o in state.overlays.iter_mut() {
                if let Overlay::ProjectSearch(p) = o {
                    p.finished(generation, summary);
                    break;
                }
            }
        }
        // ---- search and prompts ----
        Action::Find | Action::Replace => {
            state.overlays.retain(|o| !matches!(o, Overlay::Find(_)));
            let bar = FindBar::new(&state.last_find, action == Action::Replace);
            for e in bar.opening_edits() {
                focused_edit(state, e);
            }
            state.overlays.push(Overlay::Find(bar));
        }
        Action::FindNext | Action::FindPrevious => {
            let (wrap_around, allow_same, modify_selection) = (true, false, SelectionModifier::Set);
            let cmd = if action == Action::FindNext {
                E::FindNext {
                    wrap_around,
                    allow_same,
                    modify_selection,
                }
            } else {
                E::FindPrevious {
                    wrap_around,
                    allow_same,
                    modify_selection,
                }
            };
            focused_edit(state, cmd);
        }
        Action::GotoLine => open_prompt(state, PromptKind::GotoLine),
        Action::CommandPalette => {
            let flows = crate::conductor::palette_workflows(state);
            let palette = Palette::with_workflows(&state.config.keymap, &flows);
            state.overlays.push(Overlay::Palette(palette));
        }
        Action::ExtensionsList => state.say(crate::extensions::summary(&state.cwd)),
        // ---- panes and windows ----
        Action::SplitRight | Action::SplitDown => {
            let dir = if action == Action::SplitRight {
                SplitDir::Horizontal
            } else {
                SplitDir::Vertical
            };
            let path = state.focused_data().and_then(|d| d.path.clone());
            let (top, left) = state
                .focused_editor()
                .map(|e| (e.top, e.left))
                .unwrap_or_default();
            let view = open_view(state, path);
            state
                .windows
                .split(dir, PaneKind::Editor(EditorPane { view, top, left }));
        }
        Action::FocusLeft => {
            state.windows.focus_dir(Direction::Left, area);
        }
        Action::FocusRight => {
            state.windows.focus_dir(Direction::Right, area);
        }
        Action::FocusUp => {
            state.windows.focus_dir(Direction::Up, area);
        }
        Action::FocusDown => {
            state.windows.focus_dir(Direction::Down, area);
        }
        Action::NextPane => state.windows.focus_next(),
        Action::FocusPaneNumber(n) => {
            state.windows.focus_number(n);
        }
        Action::ResizeLeft => {
            state.windows.resize(Direction::Left, RESIZE_STEP, area);
        }
        Action::ResizeRight => {
            state.windows.resize(Direction::Right, RESIZE_STEP, area);
        }
        Action::ResizeUp => {
            state.windows.resize(Direction::Up, RESIZE_STEP, area);
        }
        Action::ResizeDown => {
            state.windows.resize(Direction::Down, RESIZE_STEP, area);
        }
        Action::ZoomPane => state.windows.toggle_zoom(),
        Action::ToggleDock => {
            let has_panes = state.windows.toggle_dock();
            if !has_panes {
                state.say(dock_empty_message(state));
            }
        }
        Action::ZoomDock => {
            let has_panes = state.windows.toggle_dock_zoom();
            if !has_panes {
                state.say(dock_empty_message(state));
            }
        }
        Action::ShowMessages => show_messages(state),
        Action::GrowDock => state.windows.grow_dock(crate::panes::dock::STEP),
        Action::ShrinkDock => state.windows.grow_dock(-crate::panes::dock::STEP),
        Action::FlipDock => state.windows.flip_dock(),
        Action::ClosePane => match state.windows.close_focused() {
            Some(PaneKind::Editor(e)) => retire_view(state, e.view),
            Some(PaneKind::Motif(m)) => crate::motif::pane_closed(state, &m.ext_id),
            Some(_) => {}
            None => apply(state, Action::Quit),
        },
        Action::ShowPaneNumbers => state.overlays.push(Overlay::PaneNumbers),
        Action::NewWindow => {
            let view = open_view(state, None);
            state.windows.new_window(PaneKind::Editor(EditorPane {
                view,
                ..Default::default()
            }));
        }
        Action::NextWindow => state.windows.cycle_window(true),
        Action::PreviousWindow => state.windows.cycle_window(false),
        Action::SelectWindow1 => select_window(state, 0),
        Action::SelectWindow2 => select_window(state, 1),
        Action::SelectWindow3 => select_window(state, 2),
        Action::SelectWindow4 => select_window(state, 3),
        Action::SelectWindow5 => select_window(state, 4),
        Action::SelectWindow6 => select_window(state, 5),
        Action::SelectWindow7 => select_window(state, 6),
        Action::SelectWindow8 => select_window(state, 7),
        Action::SelectWindow9 => select_window(state, 8),
        // Handled by simple_edit above.
        _ => {}
    }
}

/// Opens (or refreshes) the "Messages" pane in the dock: every message of the
/// session, whole, newest first.
fn show_messages(state: &mut State) {
    let mut lines: Vec<String> = state
        .messages
        .iter()
        .rev()
        .map(|m| {
            let mark = if m.error { "error: " } else { "" };
            format!("{mark}{}", m.text)
        })
        .collect();
    if lines.is_empty() {
        lines.push("No messages yet.".into());
    }
    let tool = crate::panes::ToolPane {
        title: " Messages".into(),
        lines,
    };
    let existing = state.windows.current().leaves().into_iter().find(|id| {
        matches!(state.windows.panes.get(id), Some(PaneKind::Tool(t)) if t.title == tool.title)
    });
    match existing {
        Some(id) => {
            state.windows.panes.insert(id, PaneKind::Tool(tool));
            state.windows.focus_pane(id);
        }
        None => {
            state.windows.dock_open(PaneKind::Tool(tool));
        }
    }
}

/// What a dock key says while the dock has no pane.
fn dock_empty_message(state: &State) -> String {
    match state.config.keymap.keys_for(&Action::OpenAiPane).first() {
        Some(key) => format!("The dock is empty: open a tool pane first (the AI pane: {key})"),
        None => "The dock is empty: open a tool pane first".into(),
    }
}

fn select_window(state: &mut State, index: usize) {
    if !state.windows.select_window(index) {
        state.say(format!("No window {}", index + 1));
    }
}

fn overlay_key(
    state: &mut State,
    input: crate::overlays::OverlayInput,
    fallback: Option<Box<Action>>,
) {
    let Some(top) = state.overlays.last_mut() else {
        return;
    };
    let out = top.handle(input);
    if let Overlay::Find(f) = top {
        state.last_find = f.find.text.clone();
    }
    if !out.consumed {
        // Not for the overlay: the keymap gets it (Ctrl-Q still quits).
        if let Some(action) = fallback
            && *action != Action::Prefix
        {
            apply(state, *action);
        }
        return;
    }
    if out.close {
        state.overlays.pop();
    }
    for e in out.edits {
        focused_edit(state, e);
    }
    for a in out.actions {
        apply(state, a);
    }
}

fn confirm(state: &mut State, question: String, yes: Vec<Action>) {
    state.overlays.push(Overlay::Confirm(Confirm {
        question,
        yes,
        no: Vec::new(),
        other: None,
    }));
}

/// "Unsaved: a.py, notes.txt. Quit anyway? (y/n, b: show them)", naming at most three.
fn quit_question(dirty: &[String]) -> String {
    let mut names = dirty.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if dirty.len() > 3 {
        names.push_str(&format!(" and {} more", dirty.len() - 3));
    }
    format!("Unsaved: {names}. Quit anyway? (y/n, b: show them)")
}

fn open_prompt(state: &mut State, kind: PromptKind) {
    let input = match (kind, state.focused_data().and_then(|d| d.path.as_ref())) {
        (PromptKind::SaveAs, Some(p)) => {
            let shown = p.strip_prefix(&state.cwd).unwrap_or(p);
            crate::overlays::input::LineInput::with_text(&shown.display().to_string())
        }
        _ => Default::default(),
    };
    state.overlays.push(Overlay::Prompt(Prompt {
        kind,
        input,
        cwd: state.cwd.clone(),
    }));
}

fn save(state: &mut State) {
    if super::session_events::editor_stopped(state) {
        // Saving needs the editor's buffer: say so and how to get it back.
        let hint = super::session_events::stopped_hint(state);
        state.error(hint);
        return;
    }
    let Some(view) = state.focused_view() else {
        return;
    };
    match state.views.get(&view).and_then(|d| d.path.clone()) {
        Some(path) => state.editor.save(view, path),
        None => open_prompt(state, PromptKind::SaveAs),
    }
}

fn open_path(state: &mut State, path: PathBuf) {
    let path = if path.is_absolute() {
        path
    } else {
        state.cwd.join(path)
    };
    // Already shown in this pane: nothing to do.
    if state.focused_data().and_then(|d| d.path.as_ref()) == Some(&path) {
        return;
    }
    // A hidden buffer of that file: show it again (keeps its unsaved edits).
    let hidden = state
        .hidden
        .iter()
        .rev()
        .copied()
        .find(|v| state.views.get(v).and_then(|d| d.path.as_ref()) == Some(&path));
    let view = match hidden {
        Some(v) => v,
        None => open_view(state, Some(path)),
    };
    show_in_focused(state, view);
}

fn close_buffer(state: &mut State) {
    let Some(view) = state.focused_view() else {
        return;
    };
    state.editor.close(view);
    state.views.remove(&view);
    state.hidden.retain(|v| *v != view);
    let next = match state.hidden.pop() {
        Some(v) => v,
        None => {
            if state.windows.current().leaves().len() > 1 {
                state.windows.close_focused();
                return;
            }
            open_view(state, None)
        }
    };
    if let Some(PaneKind::Editor(e)) = state.windows.focused_mut() {
        *e = EditorPane {
            view: next,
            ..Default::default()
        };
    }
}

fn add_next_occurrence(state: &mut State) {
    let Some(data) = state.focused_data() else {
        return;
    };
    let caret_only = data
        .cache
        .selections()
        .last()
        .is_none_or(|r| (r[0], r[1]) == (r[2], r[3]));
    let (allow_same, modify_selection) = if caret_only {
        (true, SelectionModifier::Set)
    } else {
        (false, SelectionModifier::Add)
    };
    focused_edit(
        state,
        E::SelectionForFind {
            case_sensitive: true,
        },
    );
    focused_edit(
        state,
        E::FindNext {
            wrap_around: true,
            allow_same,
            modify_selection,
        },
    );
}

/// Reveals the caret of `view` after the core moved it (`scroll_to`).
pub fn scroll_to(state: &mut State, view: u64, line: usize, col: usize) {
    if let Some(d) = state.views.get_mut(&view) {
        d.caret = (line, col);
    }
    reveal(state, view, line, col);
    sync_views(state);
}

/// Carries out the answer to the crash-recovery question of `view`: the recovered text
/// or the diff goes into a new unnamed buffer shown beside the file, named after it.
fn answer_recovery(state: &mut State, view: u64, answer: crate::session::RecoverAction) {
    use crate::session::RecoverAction;
    let suffix = match answer {
        RecoverAction::NewBuffer => "recovered",
        RecoverAction::Diff => "recovery diff",
        _ => {
            state.editor.answer_recovery(view, answer, None);
            return;
        }
    };
    let name = state
        .views
        .get(&view)
        .and_then(|d| d.path.as_ref())
        .and_then(|p| p.file_name())
        .map_or_else(|| "buffer".into(), |n| n.to_string_lossy().into_owned());
    let into = open_view(state, None);
    if let Some(d) = state.views.get_mut(&into) {
        d.title_hint = Some(format!("{name} ({suffix})"));
    }
    state.windows.split(
        SplitDir::Horizontal,
        PaneKind::Editor(EditorPane {
            view: into,
            ..Default::default()
        }),
    );
    state.editor.answer_recovery(view, answer, Some(into));
}
