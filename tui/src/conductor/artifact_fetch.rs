//! Artifact reads off the loop thread: the artifacts pane's searches and previews, an
//! artifact opened in an editor and a reopened conversation's text are asked of the
//! Conductor (which reads tantivy and the disk on a blocking thread) and applied when
//! its answer event arrives. Each ask gets a number; an answer to anything but the
//! newest ask of its kind is stale and dropped.

use std::collections::HashMap;
use std::sync::Arc;

use symphony_conductor::events::ArtifactHit;

use super::panes::ArtifactsFocus;
use crate::app::State;
use crate::panes::PaneKind;

/// How many hits a search asks for.
const SEARCH_LIMIT: usize = 100;

/// What an asked-for artifact text is for.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    /// The artifacts pane's preview.
    Preview,
    /// A new editor pane with the text (`title` for "No text for …").
    Open { title: String },
    /// A reopened conversation's history.
    Conversation { title: String },
}

/// The artifact reads asked for and not answered yet.
#[derive(Debug, Default)]
pub struct Fetches {
    /// The last request number handed out.
    last: u64,
    /// Text requests by number.
    texts: HashMap<u64, Want>,
}

impl Fetches {
    fn next(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

/// The artifacts pane waiting for `pick`'s request, wherever it is.
fn pane_waiting(
    windows: &mut crate::panes::Windows,
    pick: impl Fn(&super::panes::ArtifactsPane) -> bool,
) -> Option<&mut super::panes::ArtifactsPane> {
    windows.panes.values_mut().find_map(|p| match p {
        PaneKind::Artifacts(pane) if pick(pane) => Some(pane),
        _ => None,
    })
}

/// Starts a search of the focused artifacts pane's query; until it is answered the
/// pane says "Searching…" and an older search's answer is dropped.
pub fn search(state: &mut State) {
    let request = state.conductor.artifact_fetches.next();
    let Some(PaneKind::Artifacts(pane)) = state.windows.focused_mut() else {
        return;
    };
    let query = pane.query.text.clone();
    pane.pending_search = Some(request);
    pane.pending_preview = None;
    pane.results.clear();
    pane.preview = None;
    pane.selected = 0;
    if let Some(port) = &state.conductor.port {
        port.fetch_artifacts(&query, SEARCH_LIMIT, request);
    }
}

/// Asks for the preview of the focused artifacts pane's selected hit (none selected:
/// no preview); until it arrives the preview says "Loading…".
pub fn preview(state: &mut State) {
    let request = state.conductor.artifact_fetches.next();
    let c = &mut state.conductor;
    let Some(PaneKind::Artifacts(pane)) = state.windows.focused_mut() else {
        return;
    };
    ask_preview(c, pane, request);
}

/// `pane` waits for its selected hit's text as `request`.
fn ask_preview(
    c: &mut super::ConductorState,
    pane: &mut super::panes::ArtifactsPane,
    request: u64,
) {
    pane.preview = None;
    pane.pending_preview = None;
    let (Some(hit), Some(port)) = (pane.results.get(pane.selected), &c.port) else {
        return;
    };
    pane.pending_preview = Some(request);
    c.artifact_fetches.texts.insert(request, Want::Preview);
    port.fetch_artifact_text(&hit.id, request);
}

/// Asks for `hit`'s text to open it in a new editor pane when it arrives.
pub fn open(state: &mut State, hit: &ArtifactHit) {
    fetch_text(
        state,
        &hit.id,
        Want::Open {
            title: hit.title.clone(),
        },
    );
}

/// Asks for a stored conversation's text to put it into the AI pane's history.
pub fn conversation(state: &mut State, id: &str, title: &str) {
    fetch_text(
        state,
        id,
        Want::Conversation {
            title: title.to_owned(),
        },
    );
}

fn fetch_text(state: &mut State, id: &str, want: Want) {
    let request = state.conductor.artifact_fetches.next();
    if state.conductor.port.is_none() {
        apply_text(state, want, None);
        return;
    }
    let c = &mut state.conductor;
    c.artifact_fetches.texts.insert(request, want);
    if let Some(port) = &c.port {
        port.fetch_artifact_text(id, request);
    }
}

/// A search's answer: the pane that asked for `request` shows the hits (and asks for
/// the first one's preview); an answer nobody waits for any more is dropped.
pub fn on_hits(state: &mut State, request: u64, hits: Vec<ArtifactHit>) {
    let preview = state.conductor.artifact_fetches.next();
    let c = &mut state.conductor;
    let Some(pane) = pane_waiting(&mut state.windows, |p| p.pending_search == Some(request)) else {
        tracing::debug!(request, "stale artifact search answer dropped");
        return;
    };
    pane.pending_search = None;
    pane.results = hits;
    pane.searched = true;
    pane.selected = 0;
    if !pane.results.is_empty() {
        pane.focus = ArtifactsFocus::Results;
    }
    ask_preview(c, pane, preview);
}

/// A text's answer, applied to what asked for it; a preview the pane no longer waits
/// for (the selection moved on) is dropped.
pub fn on_text(state: &mut State, request: u64, text: Option<Arc<str>>) {
    let Some(want) = state.conductor.artifact_fetches.texts.remove(&request) else {
        return;
    };
    let text = text.map(|t| t.to_string());
    match want {
        Want::Preview => {
            let waiting = pane_waiting(&mut state.windows, |p| p.pending_preview == Some(request));
            match waiting {
                Some(pane) => {
                    pane.pending_preview = None;
                    pane.preview = text;
                }
                None => tracing::debug!(request, "stale artifact preview dropped"),
            }
        }
        want => apply_text(state, want, text),
    }
}

fn apply_text(state: &mut State, want: Want, text: Option<String>) {
    match want {
        Want::Preview => {}
        Want::Open { title } => match text {
            Some(text) => super::keys::open_in_editor(state, &text),
            None => state.say(format!("No text for {title}")),
        },
        Want::Conversation { title } => {
            super::commands::note(
                state,
                super::ChatRole::Notice,
                format!("Reopened conversation: {title}"),
            );
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                super::commands::note(state, super::ChatRole::Assistant, text);
            }
        }
    }
}
