//! Keys of the focused Conductor pane. Ctrl and Alt chords and function keys
//! go through the keymap first (Ctrl-Q, Ctrl-P and the prefix still work);
//! the rest is the pane's:
//! - AI: type the prompt, Enter sends, Esc cancels the running run, Up/Down
//!   scroll, Tab lists stored conversations (Enter reopens one); Enter on an
//!   empty prompt reopens the candidates picker of a pick step waiting.
//! - DAG: Up/Down select, Esc or `c` cancels the selected run, `r` retries
//!   the selected failed or interrupted node, Enter or `o` opens its output in
//!   a tool pane (Enter on a pick step waiting for the user reopens its
//!   candidates picker; on a pick step interrupted by a restart, it offers the
//!   candidates again: the pick runs again on its kept inputs).
//! - Artifacts: type the query, Enter searches, Tab goes to the results:
//!   Up/Down select, Enter or `o` opens in an editor pane, `p` pins/unpins,
//!   `t` tags, `/` back to the search box.
//! - Pool: Up/Down (or j/k) select, `w` prewarms the selected instrument, `u`
//!   unloads it, `r` polls the loaded models now.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use symphony_conductor::events::{ArtifactHit, NodeStatus, RunId};
use symphony_protocol::xi::EditNotification as E;

use super::commands::submit_prompt;
use super::panes::ArtifactsFocus;
use crate::action::Action;
use crate::app::State;
use crate::panes::{PaneKind, SplitDir, ToolPane};

/// What a pane waiting for the Conductor's answer shows.
pub const LOADING: &str = "Loading…";

/// The action for a key when a Conductor pane has the focus (`None`: not one).
pub fn route_key(state: &State, key: &KeyEvent) -> Option<Action> {
    let conductor_pane = matches!(
        state.windows.focused(),
        Some(PaneKind::Ai(_) | PaneKind::Dag(_) | PaneKind::Artifacts(_) | PaneKind::Pool(_))
    );
    if !conductor_pane {
        return None;
    }
    let chord = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        || matches!(key.code, KeyCode::F(_));
    if chord && let Some(a) = state.config.keymap.lookup(key) {
        return Some(a.clone());
    }
    Some(Action::ConductorKey(*key))
}

/// Applies a key to the focused Conductor pane.
pub fn pane_key(state: &mut State, key: KeyEvent) {
    match state.windows.focused() {
        Some(PaneKind::Ai(_)) => ai_key(state, key),
        Some(PaneKind::Dag(_)) => dag_key(state, key),
        Some(PaneKind::Artifacts(_)) => artifacts_key(state, key),
        Some(PaneKind::Pool(_)) => pool_key(state, key),
        _ => {}
    }
}

/// The pool pane's keys: Up/Down or j/k select; `w` prewarm, `u` unload, `r`
/// refresh (answers and errors arrive as pool events: the pane's state and
/// error lines).
fn pool_key(state: &mut State, key: KeyEvent) {
    let n = state.conductor.pool.len();
    let Some(PaneKind::Pool(p)) = state.windows.focused_mut() else {
        return;
    };
    let nav = match key.code {
        KeyCode::Char('j') => KeyEvent::new(KeyCode::Down, key.modifiers),
        KeyCode::Char('k') => KeyEvent::new(KeyCode::Up, key.modifiers),
        _ => key,
    };
    p.selected = step(p.selected.min(n.saturating_sub(1)), &nav, n);
    let name = state.conductor.pool.get(p.selected).map(|s| s.name.clone());
    let message = match (key.code, name, state.conductor.port.as_deref()) {
        (KeyCode::Char('w' | 'u' | 'r'), _, None) => "The Conductor is not running".to_owned(),
        (KeyCode::Char('w' | 'u'), None, _) => "No instrument to select".to_owned(),
        (KeyCode::Char('w'), Some(name), Some(port)) => {
            port.prewarm(&name);
            format!("Prewarming {name}")
        }
        (KeyCode::Char('u'), Some(name), Some(port)) => {
            port.unload(&name);
            format!("Unloading {name}")
        }
        (KeyCode::Char('r'), _, Some(port)) => {
            port.refresh_pool();
            "Asking the instruments what they have loaded".to_owned()
        }
        _ => return,
    };
    state.say(message);
}

/// Tells the Conductor whether a pool pane is on screen (its loaded models are
/// polled while it is). Called after every action.
pub fn sync_pool_watch(state: &State) {
    let Some(port) = &state.conductor.port else {
        return;
    };
    let window = state.windows.current();
    let is_pool =
        |id: &crate::panes::PaneId| matches!(state.windows.panes.get(id), Some(PaneKind::Pool(_)));
    let open = if window.zoomed {
        is_pool(&window.focus)
    } else {
        window.tree.leaves().iter().any(is_pool)
    };
    port.watch_pool(open);
}

fn step(selected: usize, key: &KeyEvent, len: usize) -> usize {
    match key.code {
        KeyCode::Up => selected.saturating_sub(1),
        KeyCode::Down => (selected + 1).min(len.saturating_sub(1)),
        KeyCode::Home => 0,
        KeyCode::End => len.saturating_sub(1),
        _ => selected,
    }
}

fn ai_key(state: &mut State, key: KeyEvent) {
    let Some(PaneKind::Ai(pane)) = state.windows.focused_mut() else {
        return;
    };
    if pane.conversations {
        let n = state.conductor.conversations.len();
        match key.code {
            KeyCode::Enter => {
                let chosen = state.conductor.conversations.get(pane.selected).cloned();
                pane.conversations = false;
                if let Some(hit) = chosen {
                    reopen_conversation(state, &hit.id, &hit.title);
                }
            }
            KeyCode::Esc | KeyCode::Tab => pane.conversations = false,
            _ => pane.selected = step(pane.selected, &key, n),
        }
        return;
    }
    match key.code {
        KeyCode::Enter => {
            pane.scroll = 0;
            submit_prompt(state);
        }
        KeyCode::Esc => {
            if state.conductor.pending.take().is_some() {
                state.conductor.prompt = Default::default();
                state.say("AI command dropped");
            } else {
                cancel(state, state.conductor.latest_running());
            }
        }
        KeyCode::Up => pane.scroll += 1,
        KeyCode::Down => pane.scroll = pane.scroll.saturating_sub(1),
        KeyCode::PageUp => pane.scroll += 10,
        KeyCode::PageDown => pane.scroll = pane.scroll.saturating_sub(10),
        KeyCode::Tab => {
            // Listed off this thread: the list says "Loading…" until it arrives.
            if let Some(port) = &state.conductor.port {
                port.fetch_conversations();
                state.conductor.conversations_loading = true;
            }
            pane.conversations = true;
            pane.selected = 0;
        }
        _ => {
            state.conductor.prompt.handle_key(&key);
        }
    }
}

/// Continues a stored conversation: its text goes into the history when the
/// Conductor has read it (off this thread).
fn reopen_conversation(state: &mut State, id: &str, title: &str) {
    state.conductor.conversation = Some(id.to_owned());
    super::artifact_fetch::conversation(state, id, title);
}

fn cancel(state: &mut State, run: Option<RunId>) {
    let running = run
        .and_then(|r| state.conductor.run(r))
        .is_some_and(|r| r.running());
    match (run, &state.conductor.port) {
        (Some(run), Some(port)) if running => {
            port.cancel(run);
            state.say(format!("Cancelling run #{}", run.0));
        }
        _ => state.say("No AI run is running"),
    }
}

/// The DAG pane's rows: (run, None) for a run's header, (run, Some(node index)).
pub fn dag_rows(state: &State) -> Vec<(RunId, Option<usize>)> {
    let mut rows = Vec::new();
    for run in state.conductor.runs.iter().rev() {
        rows.push((run.id, None));
        rows.extend((0..run.nodes.len()).map(|i| (run.id, Some(i))));
    }
    rows
}

fn dag_key(state: &mut State, key: KeyEvent) {
    let rows = dag_rows(state);
    let Some(PaneKind::Dag(pane)) = state.windows.focused_mut() else {
        return;
    };
    pane.selected = step(
        pane.selected.min(rows.len().saturating_sub(1)),
        &key,
        rows.len(),
    );
    let Some(&(run, node)) = rows.get(pane.selected) else {
        return;
    };
    let node_id = node.and_then(|i| {
        state
            .conductor
            .run(run)
            .and_then(|r| r.nodes.get(i))
            .map(|n| (n.info.id.clone(), n.status.clone()))
    });
    match key.code {
        KeyCode::Esc | KeyCode::Char('c') => cancel(state, Some(run)),
        KeyCode::Char('r') => match (node_id, &state.conductor.port) {
            (Some((id, NodeStatus::Failed(_) | NodeStatus::Interrupted)), Some(port)) => {
                port.retry_node(run, &id);
                state.say(format!("Retrying {id}"));
            }
            _ => state.say("Select a failed or interrupted node to retry it"),
        },
        KeyCode::Enter | KeyCode::Char('o') => {
            let Some((id, _)) = node_id else {
                state.say("Select a node to see its output");
                return;
            };
            // A pick step waiting for the user: Enter reopens its picker.
            let waiting = state
                .conductor
                .choice
                .as_ref()
                .is_some_and(|c| c.run == run && c.node == id);
            if waiting && key.code == KeyCode::Enter {
                super::commands::reopen_choice(state);
                return;
            }
            // A pick step a restart interrupted: it runs again on its kept
            // inputs, and its candidates come back in the picker.
            let interrupted_pick = state.conductor.run(run).is_some_and(|r| {
                r.nodes.iter().any(|n| {
                    n.info.id == id && n.info.kind == "pick" && n.status == NodeStatus::Interrupted
                })
            });
            if interrupted_pick
                && key.code == KeyCode::Enter
                && let Some(port) = &state.conductor.port
            {
                port.retry_node(run, &id);
                state.say(format!("{id}: offering its candidates again"));
                return;
            }
            // Read off this thread (an earlier session's run reads the disk): the
            // pane says "Loading…" until the output arrives (`on_node_output`).
            let Some(port) = &state.conductor.port else {
                state.say(format!("{id} has no output yet"));
                return;
            };
            port.fetch_node_output(run, &id);
            let tool = ToolPane {
                title: format!("run #{} · {id} (output)", run.0),
                lines: vec![LOADING.to_owned()],
            };
            let pane = state
                .windows
                .split(SplitDir::Vertical, PaneKind::Tool(tool));
            state.conductor.output_requests.insert((run, id), pane);
        }
        _ => {}
    }
}

fn artifacts_key(state: &mut State, key: KeyEvent) {
    let port = state.conductor.port.as_deref();
    let focus = state.windows.focus();
    let Some(PaneKind::Artifacts(pane)) = state.windows.panes.get_mut(&focus) else {
        return;
    };
    // Reads of the store (tantivy, the disk) are asked of the Conductor and
    // applied when it answers (`artifact_fetch`): none runs on this thread.
    let mut search = false;
    let mut preview = false;
    let mut open: Option<ArtifactHit> = None;
    let mut message: Option<String> = None;
    match pane.focus {
        ArtifactsFocus::Search => match key.code {
            KeyCode::Enter => search = true,
            KeyCode::Tab | KeyCode::Down => pane.focus = ArtifactsFocus::Results,
            _ => {
                pane.query.handle_key(&key);
            }
        },
        ArtifactsFocus::Results => {
            let before = pane.selected;
            pane.selected = step(pane.selected, &key, pane.results.len());
            preview = pane.selected != before;
            let hit = pane.results.get_mut(pane.selected);
            match (key.code, hit) {
                (KeyCode::Tab | KeyCode::Char('/'), _) => pane.focus = ArtifactsFocus::Search,
                (KeyCode::Enter | KeyCode::Char('o'), Some(hit)) => open = Some(hit.clone()),
                (KeyCode::Char('p'), Some(hit)) => {
                    hit.pinned = !hit.pinned;
                    if let Some(p) = port {
                        p.pin_artifact(&hit.id, hit.pinned);
                    }
                    message = Some(format!(
                        "{} {}",
                        if hit.pinned { "Pinned" } else { "Unpinned" },
                        hit.title
                    ));
                }
                (KeyCode::Char('t'), Some(_)) => {
                    pane.tag = Default::default();
                    pane.focus = ArtifactsFocus::Tag;
                }
                _ => {}
            }
        }
        ArtifactsFocus::Tag => match key.code {
            KeyCode::Enter => {
                let tag = pane.tag.text.trim().to_owned();
                if let (Some(hit), false) = (pane.results.get_mut(pane.selected), tag.is_empty()) {
                    if let Some(p) = port {
                        p.tag_artifact(&hit.id, &tag);
                    }
                    if !hit.tags.contains(&tag) {
                        hit.tags.push(tag.clone());
                    }
                    message = Some(format!("Tagged {} with {tag}", hit.title));
                }
                pane.focus = ArtifactsFocus::Results;
            }
            KeyCode::Esc => pane.focus = ArtifactsFocus::Results,
            _ => {
                pane.tag.handle_key(&key);
            }
        },
    }
    if let Some(m) = message {
        state.say(m);
    }
    if search {
        super::artifact_fetch::search(state);
    }
    if preview {
        super::artifact_fetch::preview(state);
    }
    if let Some(hit) = open {
        super::artifact_fetch::open(state, &hit);
    }
}

/// Opens `text` in a new buffer in a new pane to the right.
pub(super) fn open_in_editor(state: &mut State, text: &str) {
    let view = state.editor.open(None);
    state.views.insert(view, crate::app::ViewData::new(None));
    state.windows.split(
        SplitDir::Horizontal,
        PaneKind::Editor(crate::panes::EditorPane {
            view,
            ..Default::default()
        }),
    );
    state.editor.edit(
        view,
        E::Insert {
            chars: text.to_owned(),
        },
    );
}

/// A node's output arrived: the tool pane that waits for it shows it; without output
/// the pane closes (if it still has the focus) and the status line says so. A pane
/// closed meanwhile is not reopened.
pub fn on_node_output(state: &mut State, run: RunId, node: String, text: Option<&str>) {
    let Some(pane) = state.conductor.output_requests.remove(&(run, node.clone())) else {
        return;
    };
    let Some(PaneKind::Tool(tool)) = state.windows.panes.get_mut(&pane) else {
        return;
    };
    match text {
        Some(text) => tool.lines = text.lines().map(str::to_owned).collect(),
        None => {
            tool.lines = vec![format!("{node} has no output yet")];
            // Still where the user left it: it goes again.
            if state.windows.focus() == pane {
                state.windows.close_focused();
            }
            state.say(format!("{node} has no output yet"));
        }
    }
}
