//! Keys of the focused Conductor pane, looked up in the pane's keymap context
//! (`ai_pane`, `ai_conversations`, `dag_pane`, `artifacts_search`,
//! `artifacts_results`, `artifacts_tag`, `pool_pane`; defaults in
//! `keymap/defaults.rs`). Ctrl and Alt chords and function keys the context
//! does not bind go through the global keymap (Ctrl-Q, Ctrl-P and the prefix
//! still work); text fields (the AI prompt, the artifacts query and tag) take
//! typed characters and the `input` context's editing keys.
//! - AI: Enter sends (on an empty prompt it reopens the candidates picker of a
//!   pick step waiting), Esc cancels the running run, Up/Down scroll, Tab
//!   lists stored conversations (Enter reopens one).
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
use crate::keymap::context::{
    AiPaneAction, ArtifactsResultsAction, ArtifactsSearchAction, ArtifactsTagAction,
    ConversationsAction, DagAction, PoolAction,
};
use crate::keymap::{Keymap, TextKey};
use crate::panes::{PaneKind, SplitDir, ToolPane};

/// A key for the focused Conductor pane, looked up in its context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneKey {
    /// The AI pane.
    Ai(AiPaneAction),
    /// The AI pane's conversation list.
    Conversations(ConversationsAction),
    /// The DAG pane.
    Dag(DagAction),
    /// The artifacts pane's search box.
    ArtifactsSearch(ArtifactsSearchAction),
    /// The artifacts pane's results.
    ArtifactsResults(ArtifactsResultsAction),
    /// The artifacts pane's tag box.
    ArtifactsTag(ArtifactsTagAction),
    /// The pool pane.
    Pool(PoolAction),
    /// Text for the pane's field (the AI prompt, the artifacts query or tag).
    Text(TextKey),
}

/// What a pane waiting for the Conductor's answer shows.
pub const LOADING: &str = "Loading…";

/// The action for a key when a Conductor pane has the focus (`None`: not one).
pub fn route_key(state: &State, key: &KeyEvent) -> Option<Action> {
    let keymap = &state.config.keymap;
    let (own, text_field) = match state.windows.focused()? {
        PaneKind::Ai(p) if p.conversations => (keymap.get(key).map(PaneKey::Conversations), false),
        PaneKind::Ai(_) => (keymap.get(key).map(PaneKey::Ai), true),
        PaneKind::Dag(_) => (keymap.get(key).map(PaneKey::Dag), false),
        PaneKind::Artifacts(p) => match p.focus {
            ArtifactsFocus::Search => (keymap.get(key).map(PaneKey::ArtifactsSearch), true),
            ArtifactsFocus::Results => (keymap.get(key).map(PaneKey::ArtifactsResults), false),
            ArtifactsFocus::Tag => (keymap.get(key).map(PaneKey::ArtifactsTag), true),
        },
        PaneKind::Pool(_) => (keymap.get(key).map(PaneKey::Pool), false),
        _ => return None,
    };
    Some(pane_action(keymap, key, own, text_field))
}

/// A pane's own binding first; then a chord's global binding; then text.
pub(crate) fn pane_action(
    keymap: &Keymap,
    key: &KeyEvent,
    own: Option<PaneKey>,
    text_field: bool,
) -> Action {
    if let Some(k) = own {
        return Action::ConductorKey(k);
    }
    let chord = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        || matches!(key.code, KeyCode::F(_));
    if chord && let Some(a) = keymap.lookup(key) {
        return a.clone();
    }
    match keymap.text(key) {
        Some(t) if text_field => Action::ConductorKey(PaneKey::Text(t)),
        _ => Action::Noop,
    }
}

/// Applies a key to the focused Conductor pane.
pub fn pane_key(state: &mut State, key: PaneKey) {
    match key {
        PaneKey::Ai(a) => ai_key(state, a),
        PaneKey::Conversations(a) => conversations_key(state, a),
        PaneKey::Dag(a) => dag_key(state, a),
        PaneKey::Pool(a) => pool_key(state, a),
        PaneKey::Text(t) => text_key(state, t),
        PaneKey::ArtifactsSearch(_) | PaneKey::ArtifactsResults(_) | PaneKey::ArtifactsTag(_) => {
            artifacts_key(state, key)
        }
    }
}

/// A move in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nav {
    Previous,
    Next,
    First,
    Last,
}

fn step(selected: usize, nav: Option<Nav>, len: usize) -> usize {
    match nav {
        Some(Nav::Previous) => selected.saturating_sub(1),
        Some(Nav::Next) => (selected + 1).min(len.saturating_sub(1)),
        Some(Nav::First) => 0,
        Some(Nav::Last) => len.saturating_sub(1),
        None => selected,
    }
}

/// The pool pane's keys: select; prewarm, unload, refresh (answers and errors
/// arrive as pool events: the pane's state and error lines).
fn pool_key(state: &mut State, key: PoolAction) {
    let n = state.conductor.pool.len();
    let Some(PaneKind::Pool(p)) = state.windows.focused_mut() else {
        return;
    };
    let nav = match key {
        PoolAction::Previous => Some(Nav::Previous),
        PoolAction::Next => Some(Nav::Next),
        PoolAction::First => Some(Nav::First),
        PoolAction::Last => Some(Nav::Last),
        _ => None,
    };
    p.selected = step(p.selected.min(n.saturating_sub(1)), nav, n);
    let name = state.conductor.pool.get(p.selected).map(|s| s.name.clone());
    use PoolAction::{Prewarm, Refresh, Unload};
    let message = match (key, name, state.conductor.port.as_deref()) {
        (Prewarm | Unload | Refresh, _, None) => "The Conductor is not running".to_owned(),
        (Prewarm | Unload, None, _) => "No instrument to select".to_owned(),
        (Prewarm, Some(name), Some(port)) => {
            port.prewarm(&name);
            format!("Prewarming {name}")
        }
        (Unload, Some(name), Some(port)) => {
            port.unload(&name);
            format!("Unloading {name}")
        }
        (Refresh, _, Some(port)) => {
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
        window.leaves().iter().any(is_pool)
    };
    port.watch_pool(open);
}

/// Typed text and editing keys for the focused pane's field.
fn text_key(state: &mut State, key: TextKey) {
    let focus = state.windows.focus();
    match state.windows.panes.get_mut(&focus) {
        Some(PaneKind::Ai(_)) => {
            state.conductor.prompt.handle_text(key);
        }
        Some(PaneKind::Artifacts(pane)) => match pane.focus {
            ArtifactsFocus::Search => {
                pane.query.handle_text(key);
            }
            ArtifactsFocus::Tag => {
                pane.tag.handle_text(key);
            }
            ArtifactsFocus::Results => {}
        },
        _ => {}
    }
}

fn conversations_key(state: &mut State, key: ConversationsAction) {
    let Some(PaneKind::Ai(pane)) = state.windows.focused_mut() else {
        return;
    };
    let n = state.conductor.conversations.len();
    let nav = match key {
        ConversationsAction::Open => {
            let chosen = state.conductor.conversations.get(pane.selected).cloned();
            pane.conversations = false;
            if let Some(hit) = chosen {
                reopen_conversation(state, &hit.id, &hit.title);
            }
            return;
        }
        ConversationsAction::Close => {
            pane.conversations = false;
            return;
        }
        ConversationsAction::Previous => Nav::Previous,
        ConversationsAction::Next => Nav::Next,
        ConversationsAction::First => Nav::First,
        ConversationsAction::Last => Nav::Last,
    };
    pane.selected = step(pane.selected, Some(nav), n);
}

fn ai_key(state: &mut State, key: AiPaneAction) {
    // Tab on an `@` word of an agent prompt completes it.
    if key == AiPaneAction::Conversations && super::agents::complete_mention(state) {
        return;
    }
    let Some(PaneKind::Ai(pane)) = state.windows.focused() else {
        return;
    };
    let back = pane.block;
    let moved = match key {
        AiPaneAction::PreviousBlock => Some(super::code_blocks::step(state, back, true)),
        AiPaneAction::NextBlock => Some(super::code_blocks::step(state, back, false)),
        AiPaneAction::InsertBlock => return super::code_blocks::insert(state, back),
        AiPaneAction::ApplyBlock => return super::code_blocks::apply(state, back),
        _ => None,
    };
    let Some(PaneKind::Ai(pane)) = state.windows.focused_mut() else {
        return;
    };
    if let Some(block) = moved {
        pane.block = block;
        return;
    }
    match key {
        AiPaneAction::Send => {
            pane.scroll = 0;
            submit_prompt(state);
        }
        AiPaneAction::Cancel => {
            if state.conductor.pending.take().is_some() {
                state.conductor.prompt = Default::default();
                state.say("AI command dropped");
            } else {
                cancel(state, state.conductor.latest_running());
            }
        }
        AiPaneAction::ScrollUp => pane.scroll += 1,
        AiPaneAction::ScrollDown => pane.scroll = pane.scroll.saturating_sub(1),
        AiPaneAction::PageUp => pane.scroll += 10,
        AiPaneAction::PageDown => pane.scroll = pane.scroll.saturating_sub(10),
        AiPaneAction::Conversations => {
            // Listed off this thread: the list says "Loading…" until it arrives.
            if let Some(port) = &state.conductor.port {
                port.fetch_conversations();
                state.conductor.conversations_loading = true;
            }
            pane.conversations = true;
            pane.selected = 0;
        }
        AiPaneAction::PreviousBlock
        | AiPaneAction::NextBlock
        | AiPaneAction::InsertBlock
        | AiPaneAction::ApplyBlock => {}
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
    if running
        && let Some(run) = run
        && super::agents::cancel(state, run)
    {
        state.say(format!("Cancelling run #{}", run.0));
        return;
    }
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

fn dag_key(state: &mut State, key: DagAction) {
    let rows = dag_rows(state);
    let Some(PaneKind::Dag(pane)) = state.windows.focused_mut() else {
        return;
    };
    let nav = match key {
        DagAction::Previous => Some(Nav::Previous),
        DagAction::Next => Some(Nav::Next),
        DagAction::First => Some(Nav::First),
        DagAction::Last => Some(Nav::Last),
        _ => None,
    };
    pane.selected = step(
        pane.selected.min(rows.len().saturating_sub(1)),
        nav,
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
    match key {
        DagAction::CancelRun => cancel(state, Some(run)),
        DagAction::RetryNode => match (node_id, &state.conductor.port) {
            (Some((id, NodeStatus::Failed(_) | NodeStatus::Interrupted)), Some(port)) => {
                port.retry_node(run, &id);
                state.say(format!("Retrying {id}"));
            }
            _ => state.say("Select a failed or interrupted node to retry it"),
        },
        DagAction::Activate | DagAction::OpenOutput => {
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
            if waiting && key == DagAction::Activate {
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
                && key == DagAction::Activate
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

fn artifacts_key(state: &mut State, key: PaneKey) {
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
    use ArtifactsResultsAction as R;
    match key {
        PaneKey::ArtifactsSearch(ArtifactsSearchAction::Search) => search = true,
        PaneKey::ArtifactsSearch(ArtifactsSearchAction::Results) => {
            pane.focus = ArtifactsFocus::Results
        }
        PaneKey::ArtifactsResults(key) => {
            let nav = match key {
                R::Previous => Some(Nav::Previous),
                R::Next => Some(Nav::Next),
                R::First => Some(Nav::First),
                R::Last => Some(Nav::Last),
                _ => None,
            };
            let before = pane.selected;
            pane.selected = step(pane.selected, nav, pane.results.len());
            preview = pane.selected != before;
            let hit = pane.results.get_mut(pane.selected);
            match (key, hit) {
                (R::Search, _) => pane.focus = ArtifactsFocus::Search,
                (R::Open, Some(hit)) => open = Some(hit.clone()),
                (R::Pin, Some(hit)) => {
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
                (R::Tag, Some(_)) => {
                    pane.tag = Default::default();
                    pane.focus = ArtifactsFocus::Tag;
                }
                _ => {}
            }
        }
        PaneKey::ArtifactsTag(ArtifactsTagAction::Apply) => {
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
        PaneKey::ArtifactsTag(ArtifactsTagAction::Cancel) => pane.focus = ArtifactsFocus::Results,
        _ => {}
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
