//! Language intelligence as the client sees it: per-view diagnostics and
//! signature help, the completion popup, hover, the jump list, and the
//! `symphony.lsp.*` requests in flight. The editor process runs the language
//! servers; the wire types are `symphony_protocol::xi::lsp`.
//!
//! - [`LspAction`]: what the `lsp_*` commands and the popups ask for, applied by
//!   [`apply`]; [`from_action`] maps the bindable [`Action`]s onto it.
//! - [`on_notification`] / [`on_reply`]: what the editor process says.
//! - [`before_action`] / [`after_action`] / [`refresh`]: hooks `update` and the
//!   session-event handler call so the popups follow typing.
//! - [`completion`], [`diagnostics`], [`jumps`]: the pieces of state.

pub mod commands;
pub mod completion;
pub mod diagnostics;
pub mod jumps;
mod replies;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crossterm::event::KeyEvent;
use symphony_protocol::xi::lsp::{Diagnostic, GotoKind, ServerState, SignatureHelpParams};

use crate::action::Action;
use crate::app::{State, ViewData};

pub use commands::apply;
pub use completion::Completion;
pub use jumps::{JumpList, Target};
pub use replies::{ReplyContext, on_notification, on_reply};

/// What one view knows from its language server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewLsp {
    /// A server reported on this view at least once (the sign column shows).
    pub attached: bool,
    /// The buffer's current diagnostics, as last sent (sorted by position).
    pub diagnostics: Vec<Diagnostic>,
    /// Signature help while typing arguments (`None`: closed).
    pub signature: Option<SignatureHelpParams>,
}

/// A hover popup.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    /// The view it was asked for.
    pub view: u64,
    /// Where the caret was (0-based line, byte column).
    pub at: (usize, usize),
    /// The text (markdown or plain).
    pub contents: String,
}

/// A request sent and not answered yet: what to do with its answer.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Completion { view: u64, explicit: bool },
    Resolve { completion: u64, index: usize },
    Accept,
    Hover { view: u64, at: (usize, usize) },
    Goto { kind: GotoKind },
    Rename,
    CodeActions { view: u64 },
    ApplyCodeAction,
    Format,
    WorkspaceDiagnostics,
}

/// The client's language-intelligence state (one per client).
#[derive(Debug, Clone, Default)]
pub struct LspState {
    /// The completion popup, when open.
    pub completion: Option<Completion>,
    /// The hover popup, when open.
    pub hover: Option<Hover>,
    /// Where go-to commands came from (Alt-Left goes back).
    pub jumps: JumpList,
    /// Each language's server and its last state, from `symphony.lsp.status`.
    pub servers: BTreeMap<String, (String, ServerState)>,
    /// Each language's completion trigger characters, as its running server named them.
    pub triggers: BTreeMap<String, Vec<String>>,
    /// When the completion popup opens by itself if no other key comes first (set while
    /// an identifier is being typed; the loop sends [`LspAction::AutoComplete`] then).
    pub auto_complete_at: Option<std::time::Instant>,
    pending: HashMap<u64, Pending>,
}

/// What the client asks of the language servers, and the popups' own steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LspAction {
    /// Open the completion popup at the cursor.
    Completion,
    /// Show the hover popup for the symbol at the cursor.
    Hover,
    /// Go to the definition, declaration... of the symbol at the cursor.
    Goto(GotoKind),
    /// Back to where the last jump started.
    JumpBack,
    /// Forward again after [`LspAction::JumpBack`].
    JumpForward,
    /// Ask for a new name, then rename the symbol across the workspace.
    Rename,
    /// Rename the symbol at the cursor to this.
    RenameTo(String),
    /// List the code actions at the cursor.
    CodeActions,
    /// Apply code action `index` of the list last received for `view`.
    ApplyCodeAction {
        /// The view the actions were listed for.
        view: u64,
        /// Index in that list.
        index: usize,
    },
    /// Format the document (`false`) or the selected lines (`true`).
    Format(bool),
    /// Pick among the focused buffer's diagnostics.
    Diagnostics,
    /// Pick among the workspace's diagnostics.
    WorkspaceDiagnostics,
    /// Move to the next (`true`) or previous diagnostic of the buffer.
    NextDiagnostic(bool),
    /// Go to a place (recorded in the jump list).
    Jump(Target),
    /// A key for an open popup (completion list, hover).
    PopupKey(crate::keymap::context::CompletionAction),
    /// The pause after typing part of an identifier is over: open the completion popup
    /// if the caret still ends a word.
    AutoComplete,
}

/// The language action a bindable [`Action`] stands for, if any.
pub fn from_action(action: &Action) -> Option<LspAction> {
    Some(match action {
        Action::LspCompletion => LspAction::Completion,
        Action::LspHover => LspAction::Hover,
        Action::LspGotoDefinition => LspAction::Goto(GotoKind::Definition),
        Action::LspGotoDeclaration => LspAction::Goto(GotoKind::Declaration),
        Action::LspGotoTypeDefinition => LspAction::Goto(GotoKind::TypeDefinition),
        Action::LspGotoImplementation => LspAction::Goto(GotoKind::Implementation),
        Action::LspReferences => LspAction::Goto(GotoKind::References),
        Action::LspJumpBack => LspAction::JumpBack,
        Action::LspJumpForward => LspAction::JumpForward,
        Action::LspRename => LspAction::Rename,
        Action::LspCodeActions => LspAction::CodeActions,
        Action::LspFormatDocument => LspAction::Format(false),
        Action::LspFormatSelection => LspAction::Format(true),
        Action::LspDiagnostics => LspAction::Diagnostics,
        Action::LspWorkspaceDiagnostics => LspAction::WorkspaceDiagnostics,
        Action::LspNextDiagnostic => LspAction::NextDiagnostic(true),
        Action::LspPreviousDiagnostic => LspAction::NextDiagnostic(false),
        Action::Lsp(a) => a.clone(),
        _ => return None,
    })
}

/// Columns the sign column adds to a view's gutter (1 once a language server
/// reported on it, so the text does not shift when diagnostics come and go).
pub fn sign_columns(data: &ViewData) -> usize {
    usize::from(data.lsp.attached)
}

/// A key an open popup takes before the keymap (`None`: not for a popup).
pub fn intercept_key(state: &State, key: &KeyEvent) -> Option<Action> {
    let focused = state.focused_view()?;
    let completion = state
        .lsp
        .completion
        .as_ref()
        .is_some_and(|c| c.view == focused && !c.filtered.is_empty());
    let a: crate::keymap::context::CompletionAction = state.config.keymap.get(key)?;
    let hover_closes =
        a == crate::keymap::context::CompletionAction::Close && state.lsp.hover.is_some();
    (completion || hover_closes).then_some(Action::Lsp(LspAction::PopupKey(a)))
}

/// What [`after_action`] should do once the action reached the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing.
    Nothing,
    /// Ask for completions (a trigger character was typed).
    Complete,
    /// Part of an identifier was typed: open the popup after a pause.
    Typed,
}

/// Called by `update` before an action: closes popups the action dismisses
/// and spots completion trigger characters.
pub fn before_action(state: &mut State, action: &Action) -> After {
    let keeps_popups = matches!(
        action,
        Action::Noop
            | Action::TerminalResized(..)
            | Action::PickerFiles(_)
            | Action::ProjectSearchHits(..)
            | Action::ProjectSearchDone(..)
            | Action::ProjectSearchPreviewWanted
            | Action::ProjectSearchPreview(_)
            | Action::Mouse(crate::action::MouseAction::Wheel { .. })
            | Action::LspHover
            | Action::LspCompletion
    ) || matches!(action, Action::Lsp(LspAction::PopupKey(_)));
    if keeps_popups {
        return After::Nothing;
    }
    if !matches!(action, Action::Lsp(LspAction::AutoComplete)) {
        state.lsp.auto_complete_at = None;
    }
    state.lsp.hover = None;
    match action {
        Action::Insert(s) => {
            let word = s.chars().all(completion::is_word_char);
            if !word {
                state.lsp.completion = None;
            }
            if is_trigger(state, s) {
                return After::Complete;
            }
            if word {
                return After::Typed;
            }
        }
        Action::DeleteBackward | Action::Lsp(_) => {}
        _ => state.lsp.completion = None,
    }
    After::Nothing
}

/// Called by `update` after the action was applied.
pub fn after_action(state: &mut State, after: After) {
    match after {
        After::Complete => commands::request_completion(state, false),
        After::Typed => schedule_auto_complete(state),
        After::Nothing => {}
    }
    // A keystroke drawn ahead of the core (local echo) refilters at once.
    refresh(state);
}

/// After part of an identifier was typed in a served view with no popup open: the
/// popup opens by itself `[lsp] auto_complete_ms` later unless another key comes first
/// (0 turns this off).
fn schedule_auto_complete(state: &mut State) {
    let ms = state.config.auto_complete_ms;
    let open = state.lsp.completion.is_some();
    let served_here = state.focused_data().is_some_and(|d| served(state, d));
    if ms > 0 && !open && served_here {
        state.lsp.auto_complete_at =
            Some(std::time::Instant::now() + std::time::Duration::from_millis(ms));
    }
}

/// The pause is over: ask for completions when the focused caret still ends a word and
/// no popup is open (an answer with nothing in it shows nothing).
pub(crate) fn auto_complete(state: &mut State) {
    state.lsp.auto_complete_at = None;
    if state.lsp.completion.is_some() {
        return;
    }
    let Some(data) = state.focused_data() else {
        return;
    };
    let (line, col) = data.caret;
    let ends_word = data
        .cache
        .get(line)
        .and_then(|l| l.text.get(..col.min(l.text.len())))
        .and_then(|t| t.chars().last())
        .is_some_and(completion::is_word_char);
    if ends_word && served(state, data) {
        commands::request_completion(state, false);
    }
}

/// Whether typing `s` at the focused caret triggers completion, in a view a language
/// server serves: one of the trigger characters its server named, else `.`, `::` or `->`.
fn is_trigger(state: &State, s: &str) -> bool {
    let Some(data) = state.focused_data() else {
        return false;
    };
    if !served(state, data) {
        return false;
    }
    let named = state
        .lsp
        .triggers
        .iter()
        .find(|(lang, _)| lang.eq_ignore_ascii_case(&data.language))
        .map(|(_, t)| t);
    if let Some(triggers) = named.filter(|t| !t.is_empty()) {
        return triggers.iter().any(|t| t == s);
    }
    let before = || {
        let (line, col) = data.caret;
        data.cache
            .get(line)
            .and_then(|l| l.text.get(..col.min(l.text.len())))
            .and_then(|t| t.chars().last())
    };
    match s {
        "." => true,
        ":" => before() == Some(':'),
        ">" => before() == Some('-'),
        _ => false,
    }
}

/// Whether a language server serves the view (it reported on it, or the
/// server of its language is running).
pub fn served(state: &State, data: &ViewData) -> bool {
    data.lsp.attached
        || state.lsp.servers.iter().any(|(lang, (_, s))| {
            *s == ServerState::Running && lang.eq_ignore_ascii_case(&data.language)
        })
}

/// Called after every session event: the completion list follows the text
/// and the caret (filtered by the word typed so far, closed when the caret
/// leaves the word).
pub fn refresh(state: &mut State) {
    let Some(mut c) = state.lsp.completion.take() else {
        return;
    };
    let keep = state.focused_view() == Some(c.view)
        && state
            .views
            .get(&c.view)
            .is_some_and(|data| c.refilter(data));
    if keep {
        state.lsp.completion = Some(c);
        commands::resolve_selected(state);
    }
}

/// The path of a view, for jumps.
fn view_path(state: &State, view: u64) -> Option<PathBuf> {
    state.views.get(&view).and_then(|d| d.path.clone())
}
