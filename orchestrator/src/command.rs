//! The AI commands a user runs, and the editor context they read.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A command the user runs from a key or the palette.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AiCommand {
    /// Explain the selection.
    Explain,
    /// Refactor the selection following an instruction.
    Refactor {
        /// What to do, typed by the user.
        instruction: String,
    },
    /// Write tests for the selection.
    WriteTests,
    /// Fix the diagnostics in view.
    FixDiagnostics,
    /// Add doc comments to the selection.
    DocComments,
    /// Write a commit message from `git diff --staged`.
    CommitMessage,
    /// Free chat with the current file as context.
    Chat {
        /// The user's message.
        message: String,
        /// The conversation to continue (an id from an earlier run), if any.
        conversation: Option<String>,
    },
    /// A user workflow from config.toml, by name.
    Workflow {
        /// The `[[workflows]] name`.
        name: String,
        /// The `{{instruction}}` value, if the workflow asks for one.
        instruction: Option<String>,
    },
}

/// The kinds of AI command, the one source of their names: the config and
/// palette action is `ai_<name>` (`ai_explain`), artifacts are tagged
/// `command:<name>`, feedback says the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {
    /// Explain the selection.
    Explain,
    /// Refactor by an instruction.
    Refactor,
    /// Write tests.
    WriteTests,
    /// Fix the diagnostics in view.
    FixDiagnostics,
    /// Add doc comments.
    DocComments,
    /// Write a commit message.
    CommitMessage,
    /// Chat about the current file.
    Chat,
    /// Run a user workflow (picked by name).
    Workflow,
}

/// (kind, name, action name, label, description).
const KINDS: [(CommandKind, &str, &str, &str, &str); 8] = [
    (
        CommandKind::Explain,
        "explain",
        "ai_explain",
        "Explain",
        "AI: explain the selection",
    ),
    (
        CommandKind::Refactor,
        "refactor",
        "ai_refactor",
        "Refactor",
        "AI: refactor the selection",
    ),
    (
        CommandKind::WriteTests,
        "write_tests",
        "ai_write_tests",
        "Write tests",
        "AI: write tests for the selection",
    ),
    (
        CommandKind::FixDiagnostics,
        "fix_diagnostics",
        "ai_fix_diagnostics",
        "Fix diagnostics",
        "AI: fix the diagnostics",
    ),
    (
        CommandKind::DocComments,
        "doc_comments",
        "ai_doc_comments",
        "Doc comments",
        "AI: add doc comments",
    ),
    (
        CommandKind::CommitMessage,
        "commit_message",
        "ai_commit_message",
        "Commit message",
        "AI: write a commit message",
    ),
    (
        CommandKind::Chat,
        "chat",
        "ai_chat",
        "Chat",
        "AI: chat about this file",
    ),
    (
        CommandKind::Workflow,
        "workflow",
        "ai_workflow",
        "Workflow",
        "AI: run a user workflow (picker)",
    ),
];

impl CommandKind {
    /// Every kind, in palette order.
    pub const ALL: [CommandKind; 8] = [
        CommandKind::Explain,
        CommandKind::Refactor,
        CommandKind::WriteTests,
        CommandKind::FixDiagnostics,
        CommandKind::DocComments,
        CommandKind::CommitMessage,
        CommandKind::Chat,
        CommandKind::Workflow,
    ];

    fn row(
        self,
    ) -> (
        CommandKind,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        // Every kind has its row (a test checks it).
        KINDS
            .iter()
            .copied()
            .find(|r| r.0 == self)
            .unwrap_or((self, "?", "?", "?", "?"))
    }

    /// The command's name (`explain`, `write_tests`): artifact tags, titles.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The action name users bind in config.toml and see in the palette
    /// (`ai_explain`).
    pub fn action_name(self) -> &'static str {
        self.row().2
    }

    /// What the client calls it in messages (`Write tests`).
    pub fn label(self) -> &'static str {
        self.row().3
    }

    /// The palette's description.
    pub fn description(self) -> &'static str {
        self.row().4
    }

    /// The kind whose action name is `name`.
    pub fn from_action_name(name: &str) -> Option<CommandKind> {
        KINDS.iter().find(|r| r.2 == name).map(|r| r.0)
    }

    /// Whether the user types something first (instruction, message, workflow).
    pub fn needs_text(self) -> bool {
        matches!(
            self,
            CommandKind::Refactor | CommandKind::Chat | CommandKind::Workflow
        )
    }
}

impl AiCommand {
    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        match self {
            AiCommand::Explain => CommandKind::Explain,
            AiCommand::Refactor { .. } => CommandKind::Refactor,
            AiCommand::WriteTests => CommandKind::WriteTests,
            AiCommand::FixDiagnostics => CommandKind::FixDiagnostics,
            AiCommand::DocComments => CommandKind::DocComments,
            AiCommand::CommitMessage => CommandKind::CommitMessage,
            AiCommand::Chat { .. } => CommandKind::Chat,
            AiCommand::Workflow { .. } => CommandKind::Workflow,
        }
    }
}

/// A selection in the buffer, in byte offsets of the revision the context was read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionContext {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// The selected text.
    pub text: String,
    /// 0-based line of `start`.
    pub first_line: usize,
}

/// One diagnostic in view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticContext {
    /// 0-based line.
    pub line: usize,
    /// "error", "warning", "information" or "hint".
    pub severity: String,
    /// The message.
    pub message: String,
}

/// What an AI command reads from the editor when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorContext {
    /// The buffer's file, if it has one.
    pub path: Option<PathBuf>,
    /// The editor process's buffer id (the view's buffer), to route proposals back.
    pub buffer: Option<String>,
    /// The language name ("Rust", "Python"...).
    pub language: Option<String>,
    /// The revision of the buffer the text was read at (opaque token from the editor).
    pub revision: Option<u64>,
    /// The whole buffer text at that revision.
    pub file_text: String,
    /// The selection, if any.
    pub selection: Option<SelectionContext>,
    /// Diagnostics in view.
    pub diagnostics: Vec<DiagnosticContext>,
    /// The working directory (for git and shell nodes).
    pub cwd: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_kind_has_one_row_of_names() {
        for kind in CommandKind::ALL {
            assert_eq!(kind.row().0, kind);
            assert_eq!(kind.action_name(), format!("ai_{}", kind.name()));
            assert_eq!(
                CommandKind::from_action_name(kind.action_name()),
                Some(kind)
            );
        }
        assert_eq!(AiCommand::Explain.kind().name(), "explain");
    }
}
