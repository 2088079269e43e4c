//! Inline completion in the client: after a pause in typing, a request goes to the
//! `[completion]` instrument (on the runtime, never on the key path); its answer is
//! drawn as dim ghost text after the caret ([`draw`]). Typing what it shows consumes
//! it without a new request; Tab accepts it all, other keys a word or a line, Esc
//! dismisses, anything else drops it and cancels the request in flight. Accepting
//! is one insert sent to the editor process (one undo step).
//!
//! The request carries chunks of recently edited or opened files (`input_extra`):
//! leaving a view, or asking in it, keeps the lines around its caret in a ring.
//! With `format = "lsp"` the buffer's language server answers instead
//! (`symphony.lsp.inline_completion` through the editor process, [`on_reply`]).
//!
//! - [`ghost`]: the shown suggestion and the word / line pieces.
//! - [`draw`]: the ghost text over the editor view.

pub mod draw;
pub mod ghost;

use std::sync::Arc;
use std::time::{Duration, Instant};

use symphony_conductor::completion::{ChunkRing, FimClient, FimContext, FimFormat, Suggestion};
use symphony_conductor::instrument::{CancellationToken, InstrumentError};
use symphony_protocol::xi::EditNotification as E;
use symphony_protocol::xi::lsp::InlineCompletionResult;
use tokio::sync::mpsc::UnboundedSender;

use crate::action::Action;
use crate::app::State;
pub use ghost::Ghost;

/// How many times (10 ms each) a request waits for the editor's caret after a keystroke
/// drawn ahead of it.
const MAX_CARET_WAITS: u8 = 50;

/// What the loop and the keys tell the ghost-text machinery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GhostAction {
    /// The typing pause is over: ask.
    Due,
    /// A request's answer.
    Answer {
        /// The request.
        id: u64,
        /// Its alternatives, or why there are none.
        result: Result<Answer, String>,
    },
    /// Tab with a suggestion shown: insert all of it.
    AcceptAll,
    /// Esc with a suggestion shown: hide it.
    Dismiss,
}

/// A backend's answer as the client keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// The texts to insert, best first.
    pub alternatives: Vec<String>,
    /// Tokens read.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// From the cache (no request).
    pub cached: bool,
    /// The server's own time (microseconds), when it says.
    pub server_us: Option<u64>,
}

/// What the status line says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GhostStatus {
    /// Nothing to say.
    #[default]
    Idle,
    /// A request is in flight.
    Waiting,
    /// The last answer's cost.
    Tokens {
        /// Tokens read.
        prompt: u64,
        /// Tokens generated.
        completion: u64,
    },
    /// The backend failed: why.
    Down(String),
}

/// A request in flight.
#[derive(Debug)]
pub struct InFlight {
    /// Tells its answer apart.
    pub id: u64,
    /// The view and the caret it was asked for.
    pub view: u64,
    /// The caret it was asked for.
    pub at: (usize, usize),
    /// Drops its connection.
    pub cancel: CancellationToken,
    /// Asked of the language server through the editor (`id` is the editor request's).
    pub lsp: bool,
    /// When the pause ended and it was asked.
    pub asked: Instant,
}

/// A request for the loop to start on the runtime.
#[derive(Debug)]
pub struct Job {
    /// The request.
    pub id: u64,
    /// Who answers.
    pub client: Arc<FimClient>,
    /// What is sent.
    pub context: FimContext,
    /// Cancels it.
    pub cancel: CancellationToken,
}

/// The client's inline-completion state.
#[derive(Debug, Default)]
pub struct GhostState {
    /// Switched off for this session with the toggle (starts as `[completion] enabled`).
    pub off: Option<bool>,
    /// When the pause after typing is over.
    pub due_at: Option<Instant>,
    /// The backend, built at the first request (or why it could not be).
    client: Option<Result<Arc<FimClient>, String>>,
    /// The id of the next request.
    next_id: u64,
    /// The request in flight.
    pub in_flight: Option<InFlight>,
    /// The suggestion shown.
    pub shown: Option<Ghost>,
    /// For the status line.
    pub status: GhostStatus,
    /// Requests for the loop to start.
    pub jobs: Vec<Job>,
    /// Times the pause was extended waiting for the editor's caret.
    waited: u8,
    /// Chunks of recently edited or opened files, sent as extra context.
    pub ring: ChunkRing,
    /// The view focused at the last action (leaving it keeps a chunk of it).
    last_view: Option<u64>,
    /// When the shown suggestion was asked for and the server's own time: the next
    /// frame that draws it logs the time from the pause to the screen.
    pub timing: std::cell::Cell<Option<(Instant, Option<u64>)>>,
}

impl GhostState {
    fn cancel(&mut self) {
        if let Some(f) = self.in_flight.take() {
            f.cancel.cancel();
            if self.status == GhostStatus::Waiting {
                self.status = GhostStatus::Idle;
            }
        }
    }

    /// Hides the suggestion, cancels the request and the pause.
    pub fn clear(&mut self) {
        self.cancel();
        self.shown = None;
        self.due_at = None;
    }
}

/// Whether inline completion is on now (config and toggle) and has an instrument.
pub fn active(state: &State) -> bool {
    let c = &state.config.completion;
    c.has_backend() && state.ghost.off.map_or(c.enabled, |off| !off)
}

/// The toggle key / palette entry.
pub fn toggle(state: &mut State) {
    let on = !active(state);
    if on && !state.config.completion.has_backend() {
        state.error(
            "Inline completion needs [completion] instrument = \"NAME\" (or format = \"lsp\") in config.toml",
        );
        return;
    }
    state.ghost.off = Some(!on);
    state.ghost.clear();
    state.ghost.status = GhostStatus::Idle;
    state.say(if on {
        "Inline completion on"
    } else {
        "Inline completion off"
    });
}

/// What [`after_action`] should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing.
    Nothing,
    /// Text changed at the caret: ask again after the pause.
    Schedule,
}

/// Called by `update` before an action: Tab and Esc act on a shown suggestion, typed
/// characters that match it consume it, anything else drops it and its request.
pub fn before_action(state: &mut State, action: &mut Action) -> After {
    note_focus(state);
    let keeps = matches!(
        action,
        Action::Noop
            | Action::Ghost(_)
            | Action::TerminalResized(..)
            | Action::PickerFiles(_)
            | Action::ProjectSearchHits(..)
            | Action::ProjectSearchDone(..)
            | Action::Mouse(crate::action::MouseAction::Wheel { .. })
            | Action::GhostAcceptWord
            | Action::GhostAcceptLine
            | Action::GhostAccept
            | Action::GhostNext
            | Action::ToggleInlineCompletion
    );
    if keeps {
        return After::Nothing;
    }
    let shown_here = state
        .ghost
        .shown
        .as_ref()
        .is_some_and(|g| Some(g.view) == state.focused_view());
    match action {
        Action::Indent if shown_here => {
            *action = Action::Ghost(GhostAction::AcceptAll);
            return After::Nothing;
        }
        Action::SingleCursor if shown_here => {
            *action = Action::Ghost(GhostAction::Dismiss);
            return After::Nothing;
        }
        Action::Insert(s) if shown_here => {
            let consumed = state.ghost.shown.as_mut().is_some_and(|g| g.consume(s));
            if consumed {
                state.ghost.due_at = None;
                if state.ghost.shown.as_ref().is_some_and(Ghost::is_empty) {
                    state.ghost.shown = None;
                    return After::Schedule;
                }
                return After::Nothing;
            }
        }
        _ => {}
    }
    state.ghost.clear();
    match action {
        Action::Insert(_) | Action::InsertNewline | Action::DeleteBackward => After::Schedule,
        _ => After::Nothing,
    }
}

/// Called by `update` after the action was applied: starts the typing pause.
pub fn after_action(state: &mut State, after: After) {
    note_focus(state);
    if after == After::Schedule && active(state) && language_on(state) {
        state.ghost.waited = 0;
        let ms = state.config.completion.debounce_ms;
        state.ghost.due_at = Some(Instant::now() + Duration::from_millis(ms));
    }
}

/// The name a view's file is sent under in extra chunks.
fn filename(state: &State, view: u64) -> String {
    state
        .views
        .get(&view)
        .and_then(|d| d.path.as_ref())
        .map(|p| {
            p.strip_prefix(&state.cwd)
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .unwrap_or_default()
}

/// Keeps the lines around `view`'s caret in the ring of extra chunks.
fn keep_chunk(state: &mut State, view: u64) {
    let name = filename(state, view);
    let Some(data) = state.views.get(&view) else {
        return;
    };
    if name.is_empty() || data.cache.is_empty() {
        return;
    }
    let cache = &data.cache;
    state.ghost.ring.pick(
        &name,
        |i| cache.get(i).map(|l| l.text.clone()),
        data.caret.0,
        &state.config.completion,
    );
}

/// When the focus moved to another view, the one left is kept as an extra chunk
/// (a file opened and looked at, or edited, is context for the next).
fn note_focus(state: &mut State) {
    let now = state.focused_view();
    if now == state.ghost.last_view {
        return;
    }
    if let Some(left) = state.ghost.last_view
        && active(state)
    {
        keep_chunk(state, left);
    }
    state.ghost.last_view = now;
}

fn language_on(state: &State) -> bool {
    state.focused_data().is_some_and(|d| {
        let lang = (!d.language.is_empty()).then_some(d.language.as_str());
        state.config.completion.enabled_for(lang)
    })
}

/// Applies a ghost action or a ghost key.
pub fn apply(state: &mut State, action: &Action) -> bool {
    match action {
        Action::Ghost(GhostAction::Due) => request(state),
        Action::Ghost(GhostAction::Answer { id, result }) => {
            answer(state, *id, false, result.clone())
        }
        Action::Ghost(GhostAction::AcceptAll) | Action::GhostAccept => {
            accept(state, |t| t.len());
        }
        Action::GhostAcceptWord => accept(state, ghost::next_word),
        Action::GhostAcceptLine => accept(state, ghost::next_line),
        Action::GhostNext => {
            if let Some(g) = &mut state.ghost.shown
                && !g.cycle()
            {
                state.say("No other suggestion");
            }
        }
        Action::Ghost(GhostAction::Dismiss) => state.ghost.clear(),
        Action::ToggleInlineCompletion => toggle(state),
        _ => return false,
    }
    true
}

/// Inserts the next `part(text)` bytes of the shown suggestion as one edit.
fn accept(state: &mut State, part: impl Fn(&str) -> usize) {
    let Some(view) = state.focused_view() else {
        return;
    };
    let Some(g) = state.ghost.shown.as_mut().filter(|g| g.view == view) else {
        return;
    };
    let n = part(g.text());
    let chars = g.take(n);
    if g.is_empty() {
        state.ghost.shown = None;
    }
    if !chars.is_empty() {
        state.editor.edit(view, E::Insert { chars });
    }
}

fn client(state: &mut State) -> Result<Arc<FimClient>, String> {
    if state.ghost.client.is_none() {
        let c = &state.config.completion;
        let name = c.instrument.clone().unwrap_or_default();
        let built = match state
            .config
            .conductor
            .instruments
            .iter()
            .find(|i| i.name == name)
        {
            Some(instrument) => FimClient::new(c, instrument)
                .map(Arc::new)
                .map_err(|e| e.to_string()),
            None => Err(format!(
                "[completion] instrument {name:?} is not among the [[instruments]]"
            )),
        };
        state.ghost.client = Some(built);
    }
    state
        .ghost
        .client
        .clone()
        .unwrap_or_else(|| Err(String::new()))
}

/// The pause is over: builds the context at the focused caret and queues the request.
fn request(state: &mut State) {
    state.ghost.due_at = None;
    if !active(state) {
        return;
    }
    let Some(view) = state.focused_view() else {
        return;
    };
    let Some(data) = state.views.get(&view) else {
        return;
    };
    // Keystrokes drawn ahead of the editor: wait for its caret (not forever: an
    // editor that stopped answering gets no request).
    if data.cache.pending_predictions() > 0 {
        if state.ghost.waited < MAX_CARET_WAITS {
            state.ghost.waited += 1;
            state.ghost.due_at = Some(Instant::now() + Duration::from_millis(10));
        }
        return;
    }
    state.ghost.waited = 0;
    let asked = Instant::now();
    let (line, col) = data.caret;
    let extra = state.ghost.ring.for_request(&filename(state, view));
    let Some(data) = state.views.get(&view) else {
        return;
    };
    let cache = &data.cache;
    let context = FimContext::around(
        |i| cache.get(i).map(|l| l.text.clone()),
        line,
        col,
        extra,
        &state.config.completion,
    );
    // The place being edited is context for requests in other files.
    keep_chunk(state, view);
    if state.config.completion.format == Some(FimFormat::Lsp) {
        state.ghost.cancel();
        let id = state.request(view, crate::session::Request::InlineCompletion);
        state.ghost.in_flight = Some(InFlight {
            id,
            view,
            at: (line, col),
            cancel: CancellationToken::new(),
            lsp: true,
            asked,
        });
        state.ghost.status = GhostStatus::Waiting;
        return;
    }
    let client = match client(state) {
        Ok(c) => c,
        Err(why) => {
            state.ghost.status = GhostStatus::Down(why);
            return;
        }
    };
    state.ghost.cancel();
    state.ghost.next_id += 1;
    let id = state.ghost.next_id;
    let cancel = CancellationToken::new();
    state.ghost.in_flight = Some(InFlight {
        id,
        view,
        at: (line, col),
        cancel: cancel.clone(),
        lsp: false,
        asked,
    });
    state.ghost.status = GhostStatus::Waiting;
    state.ghost.jobs.push(Job {
        id,
        client,
        context,
        cancel,
    });
}

/// The editor's answer to a `symphony.lsp.inline_completion` request.
pub fn on_reply(state: &mut State, id: u64, result: Result<InlineCompletionResult, String>) {
    let result = result.map(|r| Answer {
        alternatives: Suggestion {
            alternatives: r.items,
            ..Suggestion::default()
        }
        .limited(state.config.completion.max_lines)
        .alternatives,
        ..Answer::default()
    });
    answer(state, id, true, result);
}

/// An answer (`lsp`: from the language server): shown when it is for the request in
/// flight and the caret is still there.
fn answer(state: &mut State, id: u64, lsp: bool, result: Result<Answer, String>) {
    let Some(f) = state
        .ghost
        .in_flight
        .take_if(|f| f.id == id && f.lsp == lsp)
    else {
        return; // stale: the user moved on
    };
    match result {
        Ok(a) => {
            state.ghost.status = if lsp {
                GhostStatus::Idle
            } else {
                GhostStatus::Tokens {
                    prompt: a.prompt_tokens,
                    completion: a.completion_tokens,
                }
            };
            let still_here = state.focused_view() == Some(f.view)
                && state.views.get(&f.view).is_some_and(|d| d.caret == f.at);
            if still_here && !a.alternatives.is_empty() {
                state.ghost.timing.set(Some((f.asked, a.server_us)));
                state.ghost.shown = Some(Ghost::new(f.view, f.at, a.alternatives));
            }
        }
        Err(why) => state.ghost.status = GhostStatus::Down(why),
    }
}

/// Starts a queued request on the runtime; its answer comes back as an action.
pub fn spawn(job: Job, tx: UnboundedSender<Action>) {
    tokio::spawn(async move {
        let result = job.client.complete(&job.context, &job.cancel).await;
        let result = match result {
            Ok(s) => Ok(Answer {
                alternatives: s.alternatives,
                prompt_tokens: s.usage.prompt_tokens,
                completion_tokens: s.usage.completion_tokens,
                cached: s.cached,
                server_us: s.server_ms.map(|ms| (ms * 1000.0).max(0.0) as u64),
            }),
            Err(InstrumentError::Cancelled { .. }) => return,
            Err(e) => {
                tracing::info!("inline completion failed: {e}");
                Err(e.to_string())
            }
        };
        let _ = tx.send(Action::Ghost(GhostAction::Answer { id: job.id, result }));
    });
}

/// The status line's part, when inline completion is configured.
pub fn status(state: &State) -> Option<String> {
    if !active(state) {
        return None;
    }
    Some(match &state.ghost.status {
        GhostStatus::Idle => "ghost: on".to_string(),
        GhostStatus::Waiting => "ghost: waiting".to_string(),
        GhostStatus::Tokens { prompt, completion } => {
            format!("ghost: {prompt}+{completion} tok")
        }
        GhostStatus::Down(why) => {
            let mut why = why.clone();
            if why.chars().count() > 40 {
                why = why.chars().take(39).collect::<String>() + "…";
            }
            format!("ghost: down ({why})")
        }
    })
}
