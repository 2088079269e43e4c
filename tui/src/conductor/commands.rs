//! AI commands from keys and the palette: read the editor context of the
//! view they start from (`symphony.review.snapshot`), ask for an
//! instruction when they need one, then start the run. Also opening the
//! Conductor panes.

use std::path::PathBuf;

use serde_json::Value;
use symphony_conductor::command::{
    AiCommand, CommandKind, DiagnosticContext, EditorContext, SelectionContext,
};
use symphony_conductor::events::RunId;
use symphony_protocol::xi::review::Snapshot;

use super::panes::{AiPane, ArtifactsPane, DagPane, PoolPane};
use super::{ChatEntry, ChatRole, EditorRequest, PendingCommand};
use crate::action::Action;
use crate::app::State;
use crate::overlays::Overlay;
use crate::panes::PaneKind;

/// The prompt shown before the typed text of a command that asks for it.
pub fn prompt_label(kind: CommandKind) -> &'static str {
    match kind {
        CommandKind::Refactor => "Refactor how? ",
        CommandKind::Workflow => "Workflow (name, then instruction): ",
        _ => "> ",
    }
}

/// The command a kind runs with the typed text.
fn command(kind: CommandKind, text: String, conversation: Option<String>) -> AiCommand {
    match kind {
        CommandKind::Explain => AiCommand::Explain,
        CommandKind::Refactor => AiCommand::Refactor { instruction: text },
        CommandKind::WriteTests => AiCommand::WriteTests,
        CommandKind::FixDiagnostics => AiCommand::FixDiagnostics,
        CommandKind::DocComments => AiCommand::DocComments,
        CommandKind::CommitMessage => AiCommand::CommitMessage,
        CommandKind::Chat => AiCommand::Chat {
            message: text,
            conversation,
        },
        CommandKind::Workflow => workflow_command(&text),
    }
}

/// Applies a Conductor action; false if `action` is not one.
pub fn apply(state: &mut State, action: &Action) -> bool {
    remember_view(state);
    let kind = match action {
        Action::Ai(CommandKind::Workflow) => {
            open_workflows_picker(state);
            return true;
        }
        Action::Ai(kind) => *kind,
        Action::AiRunWorkflow { name, instruction } => {
            start_workflow(state, name, instruction.clone());
            return true;
        }
        Action::AiChoose { run, node, index } => {
            choose(state, RunId(*run), node, *index);
            return true;
        }
        Action::AiChooseCandidate => {
            reopen_choice(state);
            return true;
        }
        Action::AiCancelRun => {
            cancel_latest(state);
            return true;
        }
        Action::AiAgent => {
            super::agents::open(state);
            return true;
        }
        Action::AiAgentUse(index) => {
            super::agents::enter(state, *index);
            return true;
        }
        Action::AiAgentNewConversation => {
            super::agents::new_conversation(state);
            return true;
        }
        Action::AiRunChanges => {
            super::agents::changes::open_list(state);
            return true;
        }
        Action::OpenAiPane => {
            open_pane(state, PaneKind::Ai(AiPane::default()));
            return true;
        }
        Action::OpenDagPane => {
            open_pane(state, PaneKind::Dag(DagPane::default()));
            return true;
        }
        Action::OpenArtifactsPane => {
            open_pane(state, PaneKind::Artifacts(ArtifactsPane::default()));
            return true;
        }
        Action::OpenPoolPane => {
            if let Some(port) = &state.conductor.port {
                state.conductor.pool = port.pool();
            }
            open_pane(state, PaneKind::Pool(PoolPane::default()));
            return true;
        }
        Action::ReviewAcceptHunk
        | Action::ReviewRejectHunk
        | Action::ReviewAcceptAll
        | Action::ReviewRejectAll
        | Action::ReviewNextHunk
        | Action::ReviewPreviousHunk => {
            crate::review::apply_action(state, action);
            return true;
        }
        Action::ConductorKey(key) => {
            super::keys::pane_key(state, *key);
            return true;
        }
        _ => return false,
    };
    start(state, kind);
    true
}

/// `NAME [instruction]` typed at the workflow prompt.
fn workflow_command(text: &str) -> AiCommand {
    let text = text.trim();
    let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    AiCommand::Workflow {
        name: name.to_owned(),
        instruction: (!rest.is_empty()).then(|| rest.to_owned()),
    }
}

/// Ctrl-b W: the workflows picker (name and description, a preview of
/// each) over the AI pane; the context is read meanwhile, and typing
/// `NAME instruction` at the AI pane's prompt still works. With none
/// configured, the AI pane says how to add one.
fn open_workflows_picker(state: &mut State) {
    let Some(port) = &state.conductor.port else {
        state.error("The Conductor is not running (see the log)");
        return;
    };
    let flows = port.workflows();
    if flows.is_empty() {
        note(
            state,
            ChatRole::Notice,
            "No [[workflows]] in config.toml (symphony --print-default-config shows how).",
        );
        open_pane(state, PaneKind::Ai(AiPane::default()));
        return;
    }
    start(state, CommandKind::Workflow);
    let picker = super::picker::workflows_picker(&flows, &state.config.conductor.workflows);
    state
        .overlays
        .retain(|o| !matches!(o, Overlay::Ai(p) if p.kind == picker.kind));
    state.overlays.push(Overlay::Ai(picker));
}

/// Runs user workflow `name` (picked): with its instruction, or asking for
/// one in the AI pane when the workflow uses `{{instruction}}`. The context
/// read when the picker opened is kept.
fn start_workflow(state: &mut State, name: &str, instruction: Option<String>) {
    let needs = state
        .config
        .conductor
        .workflows
        .iter()
        .find(|w| w.name == name)
        .is_some_and(super::picker::uses_instruction);
    let instruction = match instruction {
        Some(i) => Some(i),
        None if needs => None,
        None => Some(String::new()),
    };
    let asks = instruction.is_none();
    let reuse = state
        .conductor
        .pending
        .as_ref()
        .is_some_and(|p| p.kind == CommandKind::Workflow && p.workflow.is_none());
    if reuse {
        if let Some(p) = state.conductor.pending.as_mut() {
            p.workflow = Some(name.to_owned());
            p.instruction = instruction;
        }
        state.conductor.prompt = Default::default();
        if asks {
            open_pane(state, PaneKind::Ai(AiPane::default()));
        } else {
            launch(state);
        }
    } else {
        start_with(
            state,
            CommandKind::Workflow,
            Some(name.to_owned()),
            instruction,
        );
    }
    if asks {
        state.say(format!(
            "{name}: type the instruction in the AI pane, then Enter"
        ));
    }
}

/// Answers the waiting pick node with candidate `index`.
fn choose(state: &mut State, run: RunId, node: &str, index: usize) {
    let waiting = state
        .conductor
        .choice
        .as_ref()
        .is_some_and(|c| c.run == run && c.node == node && index < c.candidates.len());
    if !waiting {
        state.say("That pick step is no longer waiting");
        return;
    }
    if !super::agents::choose(state, run, node, index)
        && let Some(port) = &state.conductor.port
    {
        port.choose(run, node, index);
    }
    let who = super::picker::candidate_instruments(&state.conductor, run, node)
        .get(index)
        .cloned()
        .flatten();
    state.conductor.choice = None;
    let text = match who {
        Some(w) => format!("chose candidate {} ({w})", index + 1),
        None => format!("chose candidate {}", index + 1),
    };
    note(state, ChatRole::User, text);
}

/// Reopens the candidates picker of the pick node waiting for the user.
pub fn reopen_choice(state: &mut State) {
    let Some(choice) = state.conductor.choice.clone() else {
        state.say("No pick step is waiting for a choice");
        return;
    };
    let picker = super::picker::candidates_picker(&state.conductor, &choice);
    super::picker::want_source(&mut state.conductor, choice.run);
    state
        .overlays
        .retain(|o| !matches!(o, Overlay::Ai(p) if p.kind == picker.kind));
    state.overlays.push(Overlay::Ai(picker));
}

/// Keeps the last focused editor view (commands run from a Conductor pane read it).
pub fn remember_view(state: &mut State) {
    if let Some(v) = state.focused_view() {
        state.conductor.last_view = Some(v);
    }
}

/// The view an AI command reads.
fn origin_view(state: &State) -> Option<u64> {
    state
        .focused_view()
        .or(state
            .conductor
            .last_view
            .filter(|v| state.views.contains_key(v)))
        .or_else(|| state.windows.views().map(|(_, v)| v).next())
}

/// Starts `kind`: asks the editor for the context; commands that need text
/// open the AI pane's prompt first.
pub fn start(state: &mut State, kind: CommandKind) {
    let instruction = if kind.needs_text() {
        None
    } else {
        Some(String::new())
    };
    start_with(state, kind, None, instruction);
}

/// Starts `kind` (a picked `workflow`), with its text when known.
fn start_with(
    state: &mut State,
    kind: CommandKind,
    workflow: Option<String>,
    instruction: Option<String>,
) {
    if state.conductor.port.is_none() {
        state.error("The Conductor is not running (see the log)");
        return;
    }
    // The reply's code blocks are highlighted: load the syntaxes while the
    // model thinks (on a thread of their own).
    super::highlight::start_loading();
    let view = origin_view(state);
    state.conductor.pending = Some(PendingCommand {
        kind,
        view,
        context: None,
        instruction: instruction.clone(),
        workflow,
    });
    match view {
        Some(v) => {
            let id = state.request(v, crate::session::Request::Snapshot);
            state.conductor.requests.insert(id, EditorRequest::Snapshot);
        }
        None => {
            if let Some(p) = state.conductor.pending.as_mut() {
                p.context = Some(EditorContext {
                    cwd: state.cwd.clone(),
                    ..Default::default()
                });
            }
        }
    }
    if instruction.is_none() {
        state.conductor.prompt = Default::default();
        open_pane(state, PaneKind::Ai(AiPane::default()));
    } else {
        launch(state);
    }
}

/// The prompt line's Enter: the instruction of the pending command, or a
/// new chat message.
pub fn submit_prompt(state: &mut State) {
    let text = std::mem::take(&mut state.conductor.prompt).text;
    if text.trim().is_empty() {
        // Enter on an empty prompt while a pick step waits: its picker again.
        if state.conductor.choice.is_some() {
            reopen_choice(state);
        }
        return;
    }
    // A pick node waiting for the user's choice takes a number.
    if let Some(choice) = state.conductor.choice.clone()
        && let Ok(n) = text.trim().parse::<usize>()
        && (1..=choice.candidates.len()).contains(&n)
    {
        choose(state, choice.run, &choice.node, n - 1);
        state.overlays.retain(|o| {
            !matches!(o, Overlay::Ai(p) if matches!(p.kind, super::picker::PickerKind::Candidates { .. }))
        });
        return;
    }
    if super::agents::answer(state, &text) {
        return;
    }
    if super::agents::prompting(state) {
        super::agents::submit(state, text);
        return;
    }
    match state.conductor.pending.as_mut() {
        Some(p) if p.instruction.is_none() => {
            p.instruction = Some(text);
            // Back to the code: the review shows there.
            if p.kind == CommandKind::Refactor
                && let Some(view) = p.view
            {
                focus_view(state, view);
            }
        }
        _ => {
            start(state, CommandKind::Chat);
            if let Some(p) = state.conductor.pending.as_mut() {
                p.instruction = Some(text);
            }
        }
    }
    launch(state);
}

/// Starts the pending command once it has its context and its text.
pub fn launch(state: &mut State) {
    let ready = state
        .conductor
        .pending
        .as_ref()
        .is_some_and(|p| p.context.is_some() && p.instruction.is_some());
    if !ready {
        return;
    }
    let Some(p) = state.conductor.pending.take() else {
        return;
    };
    let (Some(mut context), Some(text)) = (p.context, p.instruction) else {
        return;
    };
    context.buffer = p.view.map(|v| v.to_string());
    let language = context.language.clone();
    let read = context
        .selection
        .as_ref()
        .map_or_else(|| context.file_text.clone(), |s| s.text.clone());
    let command = match &p.workflow {
        Some(name) => AiCommand::Workflow {
            name: name.clone(),
            instruction: Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
        },
        None => command(p.kind, text, state.conductor.conversation.clone()),
    };
    let Some(port) = &state.conductor.port else {
        return;
    };
    let run = port.run(command, context);
    if let Some(language) = language {
        state.conductor.run_languages.insert(run, language);
    }
    if !read.is_empty() {
        state.conductor.run_selections.insert(run, read);
    }
    if let Some(v) = p.view {
        state.conductor.run_views.insert(run, v);
    }
    if p.kind == CommandKind::CommitMessage {
        state.conductor.commit_runs.insert(run);
    }
    if p.kind == CommandKind::WriteTests {
        state.conductor.test_runs.insert(run);
    }
    tracing::info!(?run, kind = ?p.kind, "AI command started");
    super::feedback::on_launch(state, p.kind, run);
}

/// The editor answered `symphony.review.snapshot`.
pub fn on_snapshot(state: &mut State, view: u64, result: Result<Value, String>) {
    let snapshot = result.and_then(|v| {
        serde_json::from_value::<Snapshot>(v).map_err(|e| format!("unreadable snapshot: {e}"))
    });
    let mut context = match snapshot {
        Ok(s) => context_from_snapshot(&s, state.cwd.clone()),
        Err(e) => {
            state.say(format!(
                "The editor has no snapshot ({e}): using the client's copy of the text"
            ));
            context_from_cache(state, view)
        }
    };
    if let Some(data) = state.views.get(&view) {
        context.diagnostics = diagnostics_context(&data.lsp.diagnostics);
    }
    if let Some(p) = state.conductor.pending.as_mut()
        && p.view == Some(view)
        && p.context.is_none()
    {
        p.context = Some(context);
    }
    launch(state);
}

/// The language server's diagnostics of the view, as "fix the diagnostics" reads them.
pub fn diagnostics_context(
    diagnostics: &[symphony_protocol::xi::lsp::Diagnostic],
) -> Vec<DiagnosticContext> {
    use symphony_protocol::xi::lsp::Severity;
    diagnostics
        .iter()
        .map(|d| DiagnosticContext {
            line: d.line,
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Information => "information",
                Severity::Hint => "hint",
            }
            .to_owned(),
            message: d.message.clone(),
        })
        .collect()
}

/// An [`EditorContext`] from the snapshot reply (see the review contract).
pub fn context_from_snapshot(s: &Snapshot, cwd: PathBuf) -> EditorContext {
    let text = s.text.clone();
    let selection = s.selection.and_then(|span| {
        let (start, end) = (span.start.min(span.end), span.start.max(span.end));
        let sel = text.get(start..end)?.to_owned();
        Some(SelectionContext {
            start,
            end,
            first_line: text[..start].matches('\n').count(),
            text: sel,
        })
    });
    EditorContext {
        path: s.path.as_ref().map(PathBuf::from),
        buffer: None,
        language: s.language.clone(),
        revision: Some(s.revision),
        file_text: text,
        selection,
        diagnostics: Vec::new(),
        cwd,
    }
}

/// The context from the line cache (no revision: the run's proposal cannot be rebased).
fn context_from_cache(state: &State, view: u64) -> EditorContext {
    let Some(data) = state.views.get(&view) else {
        return EditorContext {
            cwd: state.cwd.clone(),
            ..Default::default()
        };
    };
    // The cache keeps lines without their breaks.
    let text = (0..data.cache.len())
        .map(|i| data.cache.get(i).map(|l| l.text.as_str()).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    EditorContext {
        path: data.path.clone(),
        language: Some(data.language.clone()).filter(|l| !l.is_empty()),
        file_text: text,
        cwd: state.cwd.clone(),
        ..Default::default()
    }
}

fn cancel_latest(state: &mut State) {
    if let Some(run) = state.conductor.latest_running()
        && super::agents::cancel(state, run)
    {
        state.say(format!("Cancelling run #{}", run.0));
        return;
    }
    match (state.conductor.latest_running(), &state.conductor.port) {
        (Some(run), Some(port)) => {
            port.cancel(run);
            state.say(format!("Cancelling run #{}", run.0));
        }
        _ => state.say("No AI run is running"),
    }
}

/// Focuses a pane of the same kind in this window (showing the dock if it is
/// hidden there), or opens `kind` in the window's dock.
pub fn open_pane(state: &mut State, kind: PaneKind) {
    if matches!(kind, PaneKind::Ai(_)) {
        // Replies' code blocks are highlighted: load the syntaxes (on a thread).
        super::highlight::start_loading();
    }
    let same = |k: &PaneKind| std::mem::discriminant(k) == std::mem::discriminant(&kind);
    let window = state.windows.current();
    let existing = window
        .leaves()
        .into_iter()
        .find(|id| state.windows.panes.get(id).is_some_and(same));
    if let Some(id) = existing {
        state.windows.focus_pane(id);
        return;
    }
    state.windows.dock_open(kind);
}

/// Focuses a pane showing `view` in the current window, if any.
pub fn focus_view(state: &mut State, view: u64) {
    let pane = state
        .windows
        .views()
        .find(|(_, v)| *v == view)
        .map(|(id, _)| id);
    if let Some(id) = pane {
        state.windows.focus_pane(id);
    }
}

/// Adds a line to the AI pane's history.
pub fn note(state: &mut State, role: ChatRole, text: impl Into<String>) {
    state.conductor.chat.push(ChatEntry {
        role,
        text: text.into(),
        run: None,
        node: None,
    });
}

#[cfg(test)]
mod diagnostics_tests {
    use symphony_protocol::xi::lsp::{Diagnostic, Severity};

    use super::diagnostics_context;

    #[test]
    fn the_workflow_prompt_takes_a_name_then_an_instruction() {
        use symphony_conductor::command::AiCommand;
        assert_eq!(
            super::workflow_command("  tidy  make it shorter "),
            AiCommand::Workflow {
                name: "tidy".into(),
                instruction: Some("make it shorter".into())
            }
        );
        assert_eq!(
            super::workflow_command("lint"),
            AiCommand::Workflow {
                name: "lint".into(),
                instruction: None
            }
        );
    }

    #[test]
    fn fix_diagnostics_reads_the_language_servers_diagnostics() {
        let d = Diagnostic {
            line: 3,
            col: 4,
            end_line: 3,
            end_col: 9,
            severity: Severity::Error,
            message: "undefined name 'foo'".into(),
            source: Some("pyflakes".into()),
            code: None,
        };
        let got = diagnostics_context(&[d]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line, 3);
        assert_eq!(got[0].severity, "error");
        assert_eq!(got[0].message, "undefined name 'foo'");
    }
}
