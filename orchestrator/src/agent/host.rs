//! [`AgentHost`]: what the client needs from any agent it hosts, ours or an external
//! one over ACP. A host runs prompts as Conductor runs: every event (answer text,
//! one DAG node per model turn or tool call, proposals, the stop reason) goes to the
//! [`ConductorEvent`](crate::events::ConductorEvent) sink the panes already read, so
//! the client draws both kinds of agent the same way. Questions (a permission, the
//! model's `ask_user`) are pick or question nodes answered through [`AgentHost::choose`]
//! and [`AgentHost::answer`].

use std::path::PathBuf;

use crate::events::RunId;

/// Which kind of agent a host runs (the picker shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// Symphony's own agent (orchestrator/src/agent).
    Symphony,
    /// An external agent over the Agent Client Protocol.
    External,
}

/// Context the user attached to a prompt with an @-mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// `@path`: a workspace file (the host reads it from the buffer when open).
    File(PathBuf),
    /// `@selection`: the selected text of a file.
    Selection {
        /// The file.
        path: PathBuf,
        /// First line (0-based).
        first_line: usize,
        /// The text.
        text: String,
    },
    /// `@diagnostics`: the language server's diagnostics, rendered as text.
    Diagnostics {
        /// The file, or `None` for the workspace.
        path: Option<PathBuf>,
        /// One diagnostic per line (`path:line:col: severity: message`).
        text: String,
    },
    /// `@symbol`: a workspace symbol from the language server.
    Symbol {
        /// The symbol's name.
        name: String,
        /// Where it is defined.
        path: PathBuf,
        /// Its line (0-based).
        line: usize,
    },
}

impl Attachment {
    /// The one-line label listed above the prompt.
    pub fn label(&self) -> String {
        match self {
            Attachment::File(p) => format!("@{}", p.display()),
            Attachment::Selection {
                path, first_line, ..
            } => format!("@selection ({}:{})", path.display(), first_line + 1),
            Attachment::Diagnostics { path: Some(p), .. } => {
                format!("@diagnostics ({})", p.display())
            }
            Attachment::Diagnostics { path: None, .. } => "@diagnostics (workspace)".into(),
            Attachment::Symbol { name, path, line } => {
                format!("@{name} ({}:{})", path.display(), line + 1)
            }
        }
    }
}

/// A prompt to an agent: the task and what is attached to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentPrompt {
    /// What the user typed (with the @-mentions left in).
    pub text: String,
    /// What the @-mentions resolved to.
    pub attachments: Vec<Attachment>,
}

/// A session mode, or one value of a config option, the agent offers (the pane lists
/// them; `current` marks the one in force).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentChoice {
    /// The id to pass back ([`AgentHost::set_mode`], [`AgentHost::set_option`]).
    pub id: String,
    /// What the picker shows.
    pub name: String,
    /// A longer explanation, if the agent gave one.
    pub description: Option<String>,
    /// In force now.
    pub current: bool,
}

/// A setting of the agent's session (its model, reasoning effort...) with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOption {
    /// The option's id.
    pub id: String,
    /// Its name ("Model").
    pub name: String,
    /// Its category as the agent says it ("model", "mode", "thought_level"), if any.
    pub category: Option<String>,
    /// The values it takes (a switch has "true" and "false").
    pub values: Vec<AgentChoice>,
}

/// A slash command the agent offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCommand {
    /// Its name, without the slash ("init").
    pub name: String,
    /// What it does.
    pub description: String,
    /// What to type after it, if it takes input.
    pub hint: Option<String>,
}

/// An agent the client can prompt. Cheap to share (`Arc<dyn AgentHost>`). Every method
/// returns at once; the work happens on the tokio runtime the host was made in.
pub trait AgentHost: Send + Sync {
    /// The name the picker shows ("Symphony", or the `[[agents]]` name).
    fn name(&self) -> &str;
    /// Ours or external.
    fn kind(&self) -> HostKind;
    /// Starts a run for `prompt`, continuing the host's current conversation (a
    /// follow-up sees the history). Must be called inside a tokio runtime.
    fn run(&self, prompt: AgentPrompt) -> RunId;
    /// Esc: cancels `run` (the model stream is closed, commands are killed).
    fn cancel(&self, run: RunId);
    /// Answers a pick node of `run` (a permission question) with option `index`.
    fn choose(&self, run: RunId, node: &str, index: usize);
    /// Answers a question node of `run` (the model's `ask_user`) with `text`.
    fn answer(&self, run: RunId, node: &str, text: String) {
        let _ = (run, node, text);
    }
    /// Starts a new conversation: the next [`run`](AgentHost::run) has no history.
    fn new_conversation(&self) {}
    /// Continues an interrupted run (after the client or the editor was killed) from
    /// its journal; `None` when this host cannot.
    fn resume(&self, run: RunId) -> Option<RunId> {
        let _ = run;
        None
    }
    /// The session modes the agent offers (empty when it has none, or before it started).
    fn modes(&self) -> Vec<AgentChoice> {
        Vec::new()
    }
    /// Switches the session to mode `id` (one of [`modes`](AgentHost::modes)); a failure
    /// is reported as a notice.
    fn set_mode(&self, id: &str) {
        let _ = id;
    }
    /// The session's config options (model, effort...).
    fn options(&self) -> Vec<AgentOption> {
        Vec::new()
    }
    /// Sets config option `id` to `value` (one of its values' ids).
    fn set_option(&self, id: &str, value: &str) {
        let _ = (id, value);
    }
    /// The slash commands the agent offers now.
    fn commands(&self) -> Vec<AgentCommand> {
        Vec::new()
    }
    /// Kills what the host started (on quit).
    fn shutdown(&self);
}
