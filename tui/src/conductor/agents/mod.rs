//! Agents in the client: the hosts the user can prompt (Symphony's own agent first
//! when there is one, then one [`AcpRunner`] per `[[agents]]` of config.toml), made off
//! the UI thread and shut down on quit; "AI: agent task…" (a picker of the hosts when
//! there is more than one, the last choice remembered) puts the AI pane in agent mode,
//! where the prompt goes to the host with its @-mentions ([`mentions`]) resolved to
//! attachments; a follow-up continues the host's conversation, "AI: new agent
//! conversation" starts a fresh one. The runs' events come on their own channel
//! ([`on_event`]): they are the Conductor's events, drawn by the same panes; their
//! proposals become reviews of the files they touch ([`changes`]). A run's pick node
//! (a permission) opens the candidates box and the choice goes back to its host, as
//! does Esc ([`choose`], [`cancel`]).

pub mod changes;
pub mod mentions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use symphony_conductor::acp::runner::AcpRunner;
use symphony_conductor::agent::bridge::QUESTION_KIND;
use symphony_conductor::agent::{
    AgentHost, AgentPrompt, AgentRunner, AgentRunnerSettings, Attachment, HostKind,
};
use symphony_conductor::events::{ConductorEvent, RunId};
use tokio::sync::mpsc::UnboundedSender;

use super::picker::{AiPicker, PickerKind, PickerRow};
use super::{AiPane, ChatRole, EditorRequest};
use crate::action::Action;
use crate::app::State;
use crate::overlays::Overlay;
use crate::panes::PaneKind;
use mentions::Mention;

/// A prompt waiting for the editor's snapshot (its `@selection`).
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingPrompt {
    /// The host it goes to.
    pub host: usize,
    /// What the user typed.
    pub text: String,
    /// Its mentions.
    pub mentions: Vec<Mention>,
}

/// The agents as the client holds them.
#[derive(Default)]
pub struct Agents {
    /// The hosts, in the picker's order.
    pub hosts: Vec<Arc<dyn AgentHost>>,
    /// The hosts are being made (off the UI thread).
    pub starting: bool,
    /// The AI pane is in agent mode: its prompt goes to this host.
    pub active: Option<usize>,
    /// The host chosen last (the picker starts on it).
    pub last: Option<usize>,
    /// Which host each agent run belongs to.
    pub runs: HashMap<RunId, usize>,
    /// The workspace's files for `@path` (listed on a thread; `None` until then).
    pub files: Arc<Mutex<Option<Vec<String>>>>,
    /// The completions of the mention at the cursor, as last offered (Tab cycles).
    pub offered: Vec<String>,
    /// Which of `offered` Tab put in last.
    pub offered_at: usize,
    /// A prompt waiting for the selection it mentions.
    pub waiting: Option<WaitingPrompt>,
    /// The files the agent runs changed, for review.
    pub changes: changes::Changes,
    /// A question node (the model's `ask_user`) waiting for the user's answer: the
    /// AI pane's next prompt answers it.
    pub question: Option<(RunId, String)>,
    /// The text of the buffers with unsaved changes, by file, as the agents read them
    /// (refreshed when a prompt starts).
    pub buffers: SharedBuffers,
}

/// Open buffers' text by file, shared with the hosts.
pub type SharedBuffers = Arc<Mutex<HashMap<PathBuf, String>>>;

/// The hosts in the picker's order: Symphony's own agent (it runs on the configured
/// instruments; with none, its runs say so), then the `[[agents]]`. Their events go to
/// `sink`. Cheap, but it reads files (the remembered grants, the journal): the run
/// loop calls it on a blocking thread.
pub fn make_hosts(
    config: &crate::config::Config,
    workspace: &Path,
    sink: UnboundedSender<ConductorEvent>,
    open: SharedBuffers,
) -> Vec<Arc<dyn AgentHost>> {
    // Agents read an open buffer with unsaved changes as the user sees it, else the
    // disk; their writes are proposals, reviewed in the buffer.
    let buffers: symphony_conductor::acp::fs::BufferText =
        Arc::new(move |p: &Path| open.lock().ok()?.get(p).cloned());
    let mut conductor = config.conductor.clone();
    if let Some(dir) = super::artifacts_dir() {
        conductor.store_dir = dir;
    }
    let mut settings = AgentRunnerSettings::from_conductor(&conductor, config.agent.clone());
    // `[[mcp_servers]]`: started here, on the hosts' blocking thread (a slow server
    // delays only the agents); a server that fails is reported by the hub and left out.
    if !config.mcp_servers.is_empty()
        && let Ok(rt) = tokio::runtime::Handle::try_current()
    {
        let hub = rt.block_on(symphony_conductor::mcp::McpHub::start(
            &config.mcp_servers,
            workspace,
        ));
        for s in hub.status() {
            tracing::info!(server = ?s, "MCP server");
            if let Some(e) = s.state.error() {
                let _ = sink.send(ConductorEvent::Notice(format!(
                    "MCP server {}: {e}; the agent goes on without it",
                    s.name
                )));
            }
        }
        settings.mcp = Some(Arc::new(hub));
    }
    let ours = AgentRunner::new(settings, workspace, buffers.clone(), sink.clone());
    let mut hosts: Vec<Arc<dyn AgentHost>> = vec![Arc::new(ours)];
    hosts.extend(config.agents.iter().map(|c| {
        Arc::new(AcpRunner::new(
            c.clone(),
            workspace,
            buffers.clone(),
            sink.clone(),
        )) as Arc<dyn AgentHost>
    }));
    hosts
}

/// The hosts arrived from their thread.
pub fn install(state: &mut State, hosts: Vec<Arc<dyn AgentHost>>) {
    let a = &mut state.conductor.agents;
    a.starting = false;
    a.hosts = hosts;
}

/// Kills what the hosts started (on quit).
pub fn shutdown(state: &State) {
    for h in &state.conductor.agents.hosts {
        h.shutdown();
    }
}

/// The host of agent run `run`.
pub fn owner(state: &State, run: RunId) -> Option<Arc<dyn AgentHost>> {
    let a = &state.conductor.agents;
    a.runs.get(&run).and_then(|i| a.hosts.get(*i)).cloned()
}

/// The AI pane's prompt goes to an agent (and no AI command waits for its text).
pub fn prompting(state: &State) -> bool {
    state.conductor.agents.active.is_some() && state.conductor.pending.is_none()
}

/// The name of the host the prompt goes to.
pub fn active_name(state: &State) -> Option<&str> {
    let a = &state.conductor.agents;
    a.active.and_then(|i| a.hosts.get(i)).map(|h| h.name())
}

/// "AI: agent task…": the hosts' picker (more than one), else agent mode at once.
pub fn open(state: &mut State) {
    let n = state.conductor.agents.hosts.len();
    if n == 0 {
        if state.conductor.agents.starting {
            state.say("The agents are starting; try again in a moment");
        } else {
            state.error(
                "No agent to run: add an [[agents]] entry to config.toml \
                 (symphony --print-default-config shows presets)",
            );
        }
        return;
    }
    if n == 1 {
        enter(state, 0);
        return;
    }
    let a = &state.conductor.agents;
    let rows = a
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| PickerRow {
            label: h.name().to_owned(),
            detail: match h.kind() {
                HostKind::Symphony => "Symphony's own agent".into(),
                HostKind::External => "external agent (ACP)".into(),
            },
            preview: format!("Prompts in the AI pane go to {}.", h.name()),
            diff: None,
            action: Action::AiAgentUse(i),
        })
        .collect();
    let mut picker = AiPicker::new(PickerKind::Agents, "Agent", rows);
    picker.selected = a.last.unwrap_or(0).min(n - 1);
    state.overlays.push(Overlay::Ai(picker));
}

/// Agent mode with host `index`: the AI pane opens, its prompt goes to the host.
pub fn enter(state: &mut State, index: usize) {
    let Some(name) = state
        .conductor
        .agents
        .hosts
        .get(index)
        .map(|h| h.name().to_owned())
    else {
        return;
    };
    let a = &mut state.conductor.agents;
    if a.active != Some(index) {
        a.offered.clear();
    }
    a.active = Some(index);
    a.last = Some(index);
    list_files(a, &state.cwd);
    // An AI command waiting for its text gives way to the agent.
    if state.conductor.pending.take().is_some() {
        state.conductor.prompt = Default::default();
    }
    super::commands::open_pane(state, PaneKind::Ai(AiPane::default()));
    state.say(format!(
        "Agent {name}: type the task, then Enter (@ mentions files, @selection, @diagnostics; Tab completes)"
    ));
}

/// Lists the workspace's files for `@path` on a thread (once).
fn list_files(a: &mut Agents, root: &Path) {
    let files = a.files.clone();
    if files.lock().map(|f| f.is_some()).unwrap_or(true) {
        return;
    }
    let root = root.to_owned();
    std::thread::spawn(move || {
        let list = crate::overlays::pickers::list_files(&root);
        if let Ok(mut f) = files.lock() {
            *f = Some(list);
        }
    });
}

/// "AI: new agent conversation": the next prompt of the current (or last) host starts
/// without history.
pub fn new_conversation(state: &mut State) {
    let a = &state.conductor.agents;
    let Some(host) = a.active.or(a.last).and_then(|i| a.hosts.get(i)).cloned() else {
        open(state);
        return;
    };
    host.new_conversation();
    super::commands::note(
        state,
        ChatRole::Notice,
        format!("New conversation with {}", host.name()),
    );
    state.say(format!("{}: new conversation", host.name()));
}

/// Tab in the prompt on an `@` word: puts in the next completion. False when the
/// cursor is not on a mention (Tab does what it does elsewhere).
pub fn complete_mention(state: &mut State) -> bool {
    if !prompting(state) {
        return false;
    }
    let prompt = &state.conductor.prompt;
    let Some((start, word)) = mentions::word_at(&prompt.text, prompt.cursor) else {
        return false;
    };
    let a = &mut state.conductor.agents;
    // Tab again on what Tab put in: the next completion.
    let again = a
        .offered
        .get(a.offered_at)
        .is_some_and(|w| w.as_str() == word);
    if again {
        a.offered_at = (a.offered_at + 1) % a.offered.len();
    } else {
        let files = a
            .files
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .unwrap_or_default();
        a.offered = mentions::complete(word, &files);
        a.offered_at = 0;
    }
    let Some(choice) = a.offered.get(a.offered_at).cloned() else {
        state.say(format!("Nothing matches @{word}"));
        return true;
    };
    let (text, cursor) = mentions::replace_word(&state.conductor.prompt.text, start, &choice);
    state.conductor.prompt.text = text;
    state.conductor.prompt.cursor = cursor;
    // The word now ends with a space: keep what was offered for the next Tab.
    let a = &mut state.conductor.agents;
    if let Some(w) = a.offered.get_mut(a.offered_at) {
        w.clone_from(&choice);
    }
    true
}

/// The line above the prompt in agent mode: the agent, the attachments, and the
/// completions of the mention at the cursor.
pub fn context_line(state: &State) -> Option<String> {
    let name = active_name(state)?;
    if state.conductor.pending.is_some() {
        return None;
    }
    let prompt = &state.conductor.prompt;
    if let Some((_, word)) = mentions::word_at(&prompt.text, prompt.cursor) {
        let files = state
            .conductor
            .agents
            .files
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .unwrap_or_default();
        let got = mentions::complete(word, &files);
        if !got.is_empty() {
            let shown: Vec<String> = got
                .iter()
                .take(mentions::SHOWN)
                .map(|w| format!("@{w}"))
                .collect();
            return Some(format!("{name} · Tab: {}", shown.join("  ")));
        }
    }
    let attached = mentions::parse(&prompt.text, &state.cwd);
    if attached.is_empty() {
        return Some(format!("agent {name} · nothing attached (@ mentions)"));
    }
    let labels: Vec<String> = attached.iter().map(|m| mention_label(state, m)).collect();
    Some(format!("agent {name} · attached: {}", labels.join(", ")))
}

fn mention_label(state: &State, m: &Mention) -> String {
    match m {
        Mention::File(p) => format!("@{}", p.strip_prefix(&state.cwd).unwrap_or(p).display()),
        Mention::Selection => "@selection".into(),
        Mention::Diagnostics { workspace: false } => "@diagnostics".into(),
        Mention::Diagnostics { workspace: true } => "@diagnostics (workspace)".into(),
    }
}

/// Enter in agent mode: the prompt goes to the host (after the editor's snapshot
/// when it mentions `@selection`).
pub fn submit(state: &mut State, text: String) {
    let Some(host) = state.conductor.agents.active else {
        return;
    };
    let mentions = mentions::parse(&text, &state.cwd);
    let view = state.conductor.last_view.or_else(|| state.focused_view());
    if mentions.contains(&Mention::Selection)
        && let Some(view) = view
    {
        let id = state.request(view, crate::session::Request::Snapshot);
        state
            .conductor
            .requests
            .insert(id, EditorRequest::AgentSelection);
        state.conductor.agents.waiting = Some(WaitingPrompt {
            host,
            text,
            mentions,
        });
        return;
    }
    let attachments = attachments(state, &mentions, None);
    start_run(state, host, text, attachments);
}

/// The editor answered the snapshot a waiting prompt's `@selection` needs.
pub fn on_selection(state: &mut State, view: u64, result: Result<Value, String>) {
    let Some(w) = state.conductor.agents.waiting.take() else {
        return;
    };
    let snapshot = result.and_then(|v| {
        serde_json::from_value::<symphony_protocol::xi::review::Snapshot>(v)
            .map_err(|e| format!("unreadable snapshot: {e}"))
    });
    let selection = match snapshot {
        Ok(s) => {
            let ctx = super::commands::context_from_snapshot(&s, state.cwd.clone());
            match (ctx.selection, ctx.path) {
                (Some(sel), path) => Some(Attachment::Selection {
                    path: path.unwrap_or_default(),
                    first_line: sel.first_line,
                    text: sel.text,
                }),
                (None, _) => {
                    state.say("@selection: nothing is selected; the prompt goes without it");
                    None
                }
            }
        }
        Err(e) => {
            state.error(format!("@selection: the editor did not say ({e})"));
            None
        }
    };
    let _ = view;
    let attachments = attachments(state, &w.mentions, selection);
    start_run(state, w.host, w.text, attachments);
}

/// What the mentions resolve to (the selection read already).
fn attachments(
    state: &State,
    mentions: &[Mention],
    selection: Option<Attachment>,
) -> Vec<Attachment> {
    let mut out = Vec::new();
    let mut selection = selection;
    for m in mentions {
        match m {
            Mention::File(p) => out.push(Attachment::File(p.clone())),
            Mention::Selection => out.extend(selection.take()),
            Mention::Diagnostics { workspace } => out.push(diagnostics(state, *workspace)),
        }
    }
    out
}

/// The language server's diagnostics of the current file, or of every open file.
fn diagnostics(state: &State, workspace: bool) -> Attachment {
    let current = state.conductor.last_view.or_else(|| state.focused_view());
    let mut lines = Vec::new();
    let mut path = None;
    for (v, d) in &state.views {
        if !workspace && Some(*v) != current {
            continue;
        }
        let Some(p) = &d.path else { continue };
        if !workspace {
            path = Some(p.clone());
        }
        let shown = p.strip_prefix(&state.cwd).unwrap_or(p);
        for diag in super::commands::diagnostics_context(&d.lsp.diagnostics) {
            lines.push(format!(
                "{}:{}: {}: {}",
                shown.display(),
                diag.line + 1,
                diag.severity,
                diag.message
            ));
        }
    }
    lines.dedup();
    let text = if lines.is_empty() {
        "(no diagnostics)".to_owned()
    } else {
        lines.join("\n")
    };
    Attachment::Diagnostics { path, text }
}

/// Starts the run on host `index`.
fn start_run(state: &mut State, index: usize, text: String, attachments: Vec<Attachment>) {
    let Some(host) = state.conductor.agents.hosts.get(index).cloned() else {
        return;
    };
    if !attachments.is_empty() {
        let labels: Vec<String> = attachments.iter().map(relative_label(&state.cwd)).collect();
        super::commands::note(
            state,
            ChatRole::Notice,
            format!("attached: {}", labels.join(", ")),
        );
    }
    refresh_buffers(state);
    let run = host.run(AgentPrompt { text, attachments });
    state.conductor.agents.runs.insert(run, index);
    state.say(format!("{}: run #{} started", host.name(), run.0));
}

fn relative_label(root: &Path) -> impl Fn(&Attachment) -> String + '_ {
    move |a| {
        let rel = |p: &PathBuf| {
            p.strip_prefix(root)
                .map(Path::to_path_buf)
                .unwrap_or(p.clone())
        };
        match a {
            Attachment::File(p) => Attachment::File(rel(p)).label(),
            Attachment::Selection {
                path,
                first_line,
                text,
            } => Attachment::Selection {
                path: rel(path),
                first_line: *first_line,
                text: text.clone(),
            }
            .label(),
            other => other.label(),
        }
    }
}

/// What the agents read of open buffers: the text of each buffer with unsaved
/// changes whose lines the client holds in full (else the agent reads the disk).
fn refresh_buffers(state: &State) {
    let mut texts = HashMap::new();
    for (v, d) in &state.views {
        let Some(path) = &d.path else { continue };
        if !state.is_dirty(*v) {
            continue;
        }
        let lines: Option<Vec<&str>> = (0..d.cache.len())
            .map(|i| d.cache.get(i).map(|l| l.text.as_str()))
            .collect();
        if let Some(lines) = lines {
            texts.insert(path.clone(), lines.join("\n"));
        }
    }
    if let Ok(mut b) = state.conductor.agents.buffers.lock() {
        *b = texts;
    }
}

/// Routes a pick node's answer to the agent run's host; false if `run` is not one.
pub fn choose(state: &State, run: RunId, node: &str, index: usize) -> bool {
    match owner(state, run) {
        Some(host) => {
            host.choose(run, node, index);
            true
        }
        None => false,
    }
}

/// Routes a cancel to the agent run's host; false if `run` is not one.
pub fn cancel(state: &State, run: RunId) -> bool {
    match owner(state, run) {
        Some(host) => {
            host.cancel(run);
            true
        }
        None => false,
    }
}

/// One event of an agent run: proposals open their files for review, a question
/// node waits for the AI pane's next prompt, the rest is drawn as any run's.
pub fn on_event(state: &mut State, event: ConductorEvent) {
    match event {
        ConductorEvent::Proposal { run, proposal } => changes::on_proposal(state, run, proposal),
        ConductorEvent::NodeAdded { run, node } if node.kind == QUESTION_KIND => {
            state.conductor.agents.question = Some((run, node.id.clone()));
            super::on_conductor_event(state, ConductorEvent::NodeAdded { run, node });
            super::commands::open_pane(state, PaneKind::Ai(AiPane::default()));
            state.say("The agent asks you something: type the answer in the AI pane, then Enter");
        }
        ConductorEvent::RunFinished {
            run,
            outcome,
            answer,
        } => {
            let a = &mut state.conductor.agents;
            if a.question.as_ref().is_some_and(|(r, _)| *r == run) {
                a.question = None;
            }
            super::on_conductor_event(
                state,
                ConductorEvent::RunFinished {
                    run,
                    outcome,
                    answer,
                },
            );
        }
        other => super::on_conductor_event(state, other),
    }
}

/// Enter while a question node waits: the text is its answer (true), else false and
/// the text is left for the prompt.
pub fn answer(state: &mut State, text: &str) -> bool {
    let Some((run, node)) = state.conductor.agents.question.take() else {
        return false;
    };
    let Some(host) = owner(state, run) else {
        return false;
    };
    host.answer(run, &node, text.to_owned());
    super::commands::note(state, ChatRole::User, text);
    true
}
