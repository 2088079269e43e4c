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
