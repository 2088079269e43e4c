//! The one [`Action`] enum: everything a key, the mouse, the palette or the
//! editor process can ask the client to do. The snake_case names are the
//! names users bind in `config.toml`.

use serde::{Deserialize, Serialize};
use symphony_conductor::command::CommandKind;

/// A mouse gesture already mapped to a pane-relative position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseAction {
    /// Left button pressed at a screen position (`multi` = with Alt: add a cursor).
    Press {
        /// Screen column.
        x: u16,
        /// Screen row.
        y: u16,
        /// Add a cursor instead of replacing the selection.
        multi: bool,
        /// Extend the current selection (Shift held).
        extend: bool,
        /// When it happened (two or three quick clicks select a word or line).
        at: std::time::Instant,
    },
    /// Left button dragged to a screen position.
    Drag {
        /// Screen column.
        x: u16,
        /// Screen row.
        y: u16,
    },
    /// Button released.
    Release,
    /// Wheel scrolled at a position; `down` = towards the end of the file.
    Wheel {
        /// Screen column.
        x: u16,
        /// Screen row.
        y: u16,
        /// Towards the end of the file.
        down: bool,
    },
}

/// Everything the client can do. Unit variants are bindable; their serde
/// names (snake_case) are the names used in `config.toml` and shown in the
/// command palette. Variants marked `#[serde(skip)]` are internal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // ---- movement ----
    /// Move the cursors up one line.
    MoveUp,
    /// Move the cursors down one line.
    MoveDown,
    /// Move the cursors one character left.
    MoveLeft,
    /// Move the cursors one character right.
    MoveRight,
    /// Move the cursors one word left.
    MoveWordLeft,
    /// Move the cursors one word right.
    MoveWordRight,
    /// Move the cursors to the start of the line.
    MoveLineStart,
    /// Move the cursors to the end of the line.
    MoveLineEnd,
    /// Move one page up.
    PageUp,
    /// Move one page down.
    PageDown,
    /// Move to the start of the document.
    MoveDocumentStart,
    /// Move to the end of the document.
    MoveDocumentEnd,
    // ---- selection ----
    /// Extend the selection up one line.
    SelectUp,
    /// Extend the selection down one line.
    SelectDown,
    /// Extend the selection one character left.
    SelectLeft,
    /// Extend the selection one character right.
    SelectRight,
    /// Extend the selection one word left.
    SelectWordLeft,
    /// Extend the selection one word right.
    SelectWordRight,
    /// Extend the selection to the start of the line.
    SelectLineStart,
    /// Extend the selection to the end of the line.
    SelectLineEnd,
    /// Extend the selection one page up.
    SelectPageUp,
    /// Extend the selection one page down.
    SelectPageDown,
    /// Extend the selection to the start of the document.
    SelectDocumentStart,
    /// Extend the selection to the end of the document.
    SelectDocumentEnd,
    /// Select the whole buffer.
    SelectAll,
    /// Add the next occurrence of the selection (or the word) as a cursor.
    AddNextOccurrence,
    /// Add a cursor on the line above.
    AddCursorAbove,
    /// Add a cursor on the line below.
    AddCursorBelow,
    /// Back to one cursor (also closes messages).
    SingleCursor,
    // ---- editing ----
    /// Insert a line break.
    InsertNewline,
    /// Indent: insert a tab, or indent the selected lines.
    Indent,
    /// Outdent the selected lines.
    Outdent,
    /// Delete the character before the cursor (or the selection).
    DeleteBackward,
    /// Delete the character after the cursor (or the selection).
    DeleteForward,
    /// Delete the word before the cursor.
    DeleteWordBackward,
    /// Delete the word after the cursor.
    DeleteWordForward,
    /// Undo the last edit.
    Undo,
    /// Redo the last undone edit.
    Redo,
    /// Copy the selection (internal clipboard and the terminal's through OSC 52).
    Copy,
    /// Cut the selection.
    Cut,
    /// Paste the internal clipboard.
    Paste,
    /// Toggle line comments on the selected lines.
    ToggleComment,
    /// Duplicate the current line.
    DuplicateLine,
    // ---- files and buffers ----
    /// Save the buffer (asks for a name when it has none).
    Save,
    /// Save the buffer under a new name.
    SaveAs,
    /// Open a file with the fuzzy picker.
    OpenFile,
    /// Open a new empty buffer in the focused pane.
    NewBuffer,
    /// Close the buffer shown in the focused pane (asks when unsaved).
    CloseBuffer,
    /// Quit (asks when buffers are unsaved).
    Quit,
    /// Detach this client from its session (the session runs on).
    Detach,
    /// Start the editor process again (after the session gave up restarting it).
    RestartEditor,
    /// Pick an open buffer to show (unsaved ones marked).
    BufferPicker,
    /// Search every file of the project (regex, .gitignore honoured), jump to a hit.
    ProjectSearch,
    // ---- search ----
    /// Find in the buffer.
    Find,
    /// Go to the next find match.
    FindNext,
    /// Go to the previous find match.
    FindPrevious,
    /// Find and replace.
    Replace,
    /// Go to a line number.
    GotoLine,
    /// Open the command palette.
    CommandPalette,
    /// Show the discovered extensions in a message ("Extensions: list").
    ExtensionsList,
    /// Open a pane for every enabled motif extension (asking for permissions first).
    ExtOpenMotifs,
    /// Trust the workspace: its own extensions may run (each asks once first).
    WorkspaceTrust,
    /// Revoke the workspace's trust: its own extensions stop and stay inert.
    WorkspaceRevokeTrust,
    /// Turn soft wrap on or off.
    ToggleSoftWrap,
    /// Scroll the view up one line without moving the cursor.
    ScrollUp,
    /// Scroll the view down one line without moving the cursor.
    ScrollDown,
    // ---- panes and windows (usually after the prefix key) ----
    /// Split the focused pane side by side.
    SplitRight,
    /// Split the focused pane top/bottom.
    SplitDown,
    /// Focus the pane to the left.
    FocusLeft,
    /// Focus the pane to the right.
    FocusRight,
    /// Focus the pane above.
    FocusUp,
    /// Focus the pane below.
    FocusDown,
    /// Focus the next pane.
    NextPane,
    /// Grow the focused pane to the left.
    ResizeLeft,
    /// Grow the focused pane to the right.
    ResizeRight,
    /// Grow the focused pane upwards.
    ResizeUp,
    /// Grow the focused pane downwards.
    ResizeDown,
    /// Zoom the focused pane to the whole window (again to undo).
    ZoomPane,
    /// Show or hide the tool-pane dock (its panes keep their state).
    ToggleDock,
    /// Show every message of this session, whole, in a pane of the dock.
    ShowMessages,
    /// Make the dock fill the window (again to undo).
    ZoomDock,
    /// Give the dock more of the window.
    GrowDock,
    /// Give the dock less of the window.
    ShrinkDock,
    /// Move the dock to the other side (right or bottom).
    FlipDock,
    /// Close the focused pane.
    ClosePane,
    /// Show the pane numbers.
    ShowPaneNumbers,
    /// Open a new window.
    NewWindow,
    /// Switch to the next window.
    NextWindow,
    /// Switch to the previous window.
    PreviousWindow,
    /// Switch to window 1.
    SelectWindow1,
    /// Switch to window 2.
    SelectWindow2,
    /// Switch to window 3.
    SelectWindow3,
    /// Switch to window 4.
    SelectWindow4,
    /// Switch to window 5.
    SelectWindow5,
    /// Switch to window 6.
    SelectWindow6,
    /// Switch to window 7.
    SelectWindow7,
    /// Switch to window 8.
    SelectWindow8,
    /// Switch to window 9.
    SelectWindow9,
    /// Wait for a pane/window key (what the prefix key does).
    Prefix,
    // ---- AI (the Conductor) ----
    // The AI commands are `Action::Ai(kind)`, last (their names come from
    // `CommandKind`).
    /// AI: commit the staged changes with the model's message (asks first).
    AiCommit,
    /// The user confirmed the commit: run `git commit -F`.
    #[serde(skip)]
    AiCommitConfirmed,
    /// The commit ended: the new commit's short hash, or git's error.
    #[serde(skip)]
    AiCommitDone(Result<String, String>),
    /// AI: cancel the latest running run.
    AiCancelRun,
    /// AI: choose among the candidates of a pick step waiting for you (reopens its picker).
    AiChooseCandidate,
    /// AI: an agent task (the agents' picker when there are several, then the prompt).
    AiAgent,
    /// AI: the agent's next prompt starts a new conversation.
    AiAgentNewConversation,
    /// AI: the files the agent runs changed, with +/- counts (Enter reviews one).
    AiRunChanges,
    /// The AI pane's prompt goes to agent number N (from the agents' picker).
    #[serde(skip)]
    AiAgentUse(usize),
    /// Open (or focus) the AI pane.
    OpenAiPane,
    /// Open (or focus) the DAG pane (runs and their nodes).
    OpenDagPane,
    /// Open (or focus) the artifacts pane.
    OpenArtifactsPane,
    /// Open (or focus) the pool pane (instruments).
    OpenPoolPane,
    /// Review: accept the hunk under the cursor.
    ReviewAcceptHunk,
    /// Review: reject the hunk under the cursor.
    ReviewRejectHunk,
    /// Review: accept every remaining hunk.
    ReviewAcceptAll,
    /// Review: reject every remaining hunk.
    ReviewRejectAll,
    /// Review: go to the next hunk.
    ReviewNextHunk,
    /// Review: go to the previous hunk.
    ReviewPreviousHunk,
    // ---- language intelligence (language servers) ----
    /// Complete the word at the cursor (popup).
    LspCompletion,
    /// Show what the language server knows about the symbol at the cursor.
    LspHover,
    /// Go to the definition of the symbol at the cursor.
    LspGotoDefinition,
    /// Go to the declaration of the symbol at the cursor.
    LspGotoDeclaration,
    /// Go to the type definition of the symbol at the cursor.
    LspGotoTypeDefinition,
    /// Go to the implementations of the symbol at the cursor.
    LspGotoImplementation,
    /// List the references to the symbol at the cursor.
    LspReferences,
    /// Back to where the last go-to started (jump list).
    LspJumpBack,
    /// Forward again in the jump list.
    LspJumpForward,
    /// Rename the symbol at the cursor across the workspace.
    LspRename,
    /// Pick a code action for the cursor's position.
    LspCodeActions,
    /// Format the whole document.
    LspFormatDocument,
    /// Format the selected lines.
    LspFormatSelection,
    /// Pick among the buffer's diagnostics.
    LspDiagnostics,
    /// Pick among the workspace's diagnostics.
    LspWorkspaceDiagnostics,
    /// Go to the next diagnostic in the buffer.
    LspNextDiagnostic,
    /// Go to the previous diagnostic in the buffer.
    LspPreviousDiagnostic,

    // ---- inline completion (ghost text) ----
    /// Accept the whole suggestion shown (Tab does too while one is shown).
    GhostAccept,
    /// Accept the next word of the suggestion shown.
    GhostAcceptWord,
    /// Accept the next line of the suggestion shown.
    GhostAcceptLine,
    /// Show the next alternative suggestion.
    GhostNext,
    /// Turn inline completion on or off for this session.
    ToggleInlineCompletion,

    // ---- internal ----
    /// Inline completion: the typing pause ended, an answer came, Tab / Esc on a suggestion.
    #[serde(skip)]
    Ghost(crate::completion::GhostAction),
    /// A language action with data (picked location, popup key...).
    #[serde(skip)]
    Lsp(crate::lsp::LspAction),
    /// Type text at every cursor.
    #[serde(skip)]
    Insert(String),
    /// Paste text from the terminal (bracketed paste).
    #[serde(skip)]
    PasteText(String),
    /// Text pasted while an overlay is open (its input takes the first line).
    #[serde(skip)]
    PasteIntoOverlay(String),
    /// A key while an overlay is open, looked up in the top overlay's
    /// contexts: the overlay sees it first; what it leaves, `fallback` (the
    /// key's global binding) does.
    #[serde(skip)]
    OverlayKey {
        /// The key as the overlay's contexts bind it.
        input: crate::overlays::OverlayInput,
        /// What the key does in the global table (Ctrl-Q still quits).
        fallback: Option<Box<Action>>,
    },
    /// A key the prefix table does not know: leave prefix mode.
    #[serde(skip)]
    CancelPrefix,
    /// A mouse gesture.
    #[serde(skip)]
    Mouse(MouseAction),
    /// The terminal changed size.
    #[serde(skip)]
    TerminalResized(u16, u16),
    /// Open the given file in the focused pane.
    #[serde(skip)]
    OpenPath(std::path::PathBuf),
    /// Save the focused buffer under this path.
    #[serde(skip)]
    SaveTo(std::path::PathBuf),
    /// Go to this 1-based line.
    #[serde(skip)]
    GotoLineNumber(usize),
    /// The file picker's listing arrived (relative paths).
    #[serde(skip)]
    PickerFiles(Vec<String>),
    /// Quit without asking.
    #[serde(skip)]
    ForceQuit,
    /// Show this view's buffer: focus the pane showing it, else show it in the focused pane.
    #[serde(skip)]
    ShowBuffer(u64),
    /// The buffer picker with only the unsaved buffers (from the quit question).
    #[serde(skip)]
    UnsavedBuffers,
    /// The project search's query changed: cancel the running search, start a new one.
    #[serde(skip)]
    ProjectSearchRestart,
    /// Hits of project search number `.0`.
    #[serde(skip)]
    ProjectSearchHits(u64, Vec<crate::search::Hit>),
    /// Project search number `.0` finished.
    #[serde(skip)]
    ProjectSearchDone(u64, crate::search::Summary),
    /// The project search's selection moved: read the new hit's preview off the loop.
    #[serde(skip)]
    ProjectSearchPreviewWanted,
    /// A project search preview was read.
    #[serde(skip)]
    ProjectSearchPreview(crate::overlays::project_search::PreviewRead),
    /// Close the focused buffer without asking.
    #[serde(skip)]
    ForceCloseBuffer,
    /// Focus pane number `n` (0-based, as shown by `show_pane_numbers`).
    #[serde(skip)]
    FocusPaneNumber(usize),
    /// Save a view's buffer to this path even over a conflict (the user chose to overwrite).
    #[serde(skip)]
    SaveOverwriting(u64, std::path::PathBuf),
    /// Replace a view's buffer by its file as it is on disk.
    #[serde(skip)]
    ReloadFromDisk(u64),
    /// Show the differences between a view's file on disk and its buffer.
    #[serde(skip)]
    ShowDiskDiff(u64),
    /// Answer the journal-recovery question for a view (handle, answer).
    #[serde(skip)]
    AnswerRecovery(u64, crate::session::RecoverAction),
    /// Close the top overlay.
    #[serde(skip)]
    CloseOverlay,
    /// A key for the focused Conductor pane (AI, DAG, artifacts, pool).
    #[serde(skip)]
    ConductorKey(crate::conductor::keys::PaneKey),
    /// Run this user workflow (picked in the workflows picker); without an
    /// instruction, the AI pane asks for one when the workflow uses it.
    #[serde(skip)]
    AiRunWorkflow {
        /// The workflow's name.
        name: String,
        /// The instruction typed after the name.
        instruction: Option<String>,
    },
    /// Answer a pick step: keep candidate `index` of `node` in run `run`.
    #[serde(skip)]
    AiChoose {
        /// The run's number.
        run: u64,
        /// The pick node.
        node: String,
        /// The candidate (0-based).
        index: usize,
    },
    /// A key for the extension permission prompt, or the focused motif pane.
    #[serde(skip)]
    ExtensionKey(crate::motif::ExtensionKey),
    /// Nothing.
    #[serde(skip)]
    Noop,
    /// Run an AI command (`ai_explain`, `ai_refactor`, ... `ai_workflow` opens
    /// the workflows picker); named by [`CommandKind::action_name`].
    #[serde(untagged, with = "ai_action_name")]
    Ai(CommandKind),
}

/// `Action::Ai(kind)` is written as the kind's action name (`"ai_explain"`).
mod ai_action_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use symphony_conductor::command::CommandKind;

    pub fn serialize<S: Serializer>(kind: &CommandKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.action_name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CommandKind, D::Error> {
        let name = String::deserialize(d)?;
        CommandKind::from_action_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown AI command `{name}`")))
    }
}

/// One bindable action: the value, its config name and its description.
pub struct ActionInfo {
    /// The action.
    pub action: Action,
    /// The name used in config.toml and the palette.
    pub name: &'static str,
    /// What it does, for the palette and the default config.
    pub description: &'static str,
}

macro_rules! bindable {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// The bindable unit actions with their names and descriptions.
        fn unit_actions() -> Vec<ActionInfo> {
            vec![$(ActionInfo { action: Action::$variant, name: $name, description: $desc }),*]
        }
    };
}

/// Every bindable action with its name and description, in palette order
/// (the AI commands around `ai_commit`, named by [`CommandKind`]).
pub fn all_actions() -> Vec<ActionInfo> {
    let ai = |kind: CommandKind| ActionInfo {
        action: Action::Ai(kind),
        name: kind.action_name(),
        description: kind.description(),
    };
    let mut out = Vec::new();
    for info in unit_actions() {
        if info.action == Action::AiCommit {
            out.extend(CommandKind::ALL[..6].iter().copied().map(ai));
            out.push(info);
            out.extend(CommandKind::ALL[6..].iter().copied().map(ai));
        } else {
            out.push(info);
        }
    }
    out
}

bindable! {
    Save => "save", "Save the buffer";
    SaveAs => "save_as", "Save the buffer under a new name";
    OpenFile => "open_file", "Open a file (fuzzy picker)";
    NewBuffer => "new_buffer", "New empty buffer";
    CloseBuffer => "close_buffer", "Close the buffer";
    Quit => "quit", "Quit Symphony";
    Detach => "detach", "Detach: leave the session running (symphony attach brings it back)";
    RestartEditor => "restart_editor", "Restart editor (after it stopped; replays what was typed)";
    BufferPicker => "buffer_picker", "Switch to an open buffer (unsaved ones marked)";
    ProjectSearch => "project_search", "Search the project: regex over every file, jump to a match";
    Undo => "undo", "Undo";
    Redo => "redo", "Redo";
    Copy => "copy", "Copy";
    Cut => "cut", "Cut";
    Paste => "paste", "Paste";
    Find => "find", "Find";
    FindNext => "find_next", "Find next match";
    FindPrevious => "find_previous", "Find previous match";
    Replace => "replace", "Find and replace";
    GotoLine => "goto_line", "Go to line";
    ToggleComment => "toggle_comment", "Toggle line comment";
    DuplicateLine => "duplicate_line", "Duplicate line";
    SelectAll => "select_all", "Select all";
    AddNextOccurrence => "add_next_occurrence", "Add next occurrence as a cursor";
    AddCursorAbove => "add_cursor_above", "Add a cursor above";
    AddCursorBelow => "add_cursor_below", "Add a cursor below";
    SingleCursor => "single_cursor", "Back to one cursor";
    CommandPalette => "command_palette", "Command palette";
    ExtensionsList => "extensions_list", "Extensions: list";
    ToggleSoftWrap => "toggle_soft_wrap", "Toggle soft wrap";
    Indent => "indent", "Indent";
    Outdent => "outdent", "Outdent";
    InsertNewline => "insert_newline", "Insert a line break";
    DeleteBackward => "delete_backward", "Delete backward";
    DeleteForward => "delete_forward", "Delete forward";
    DeleteWordBackward => "delete_word_backward", "Delete word backward";
    DeleteWordForward => "delete_word_forward", "Delete word forward";
    MoveUp => "move_up", "Cursor up";
    MoveDown => "move_down", "Cursor down";
    MoveLeft => "move_left", "Cursor left";
    MoveRight => "move_right", "Cursor right";
    MoveWordLeft => "move_word_left", "Cursor one word left";
    MoveWordRight => "move_word_right", "Cursor one word right";
    MoveLineStart => "move_line_start", "Cursor to line start";
    MoveLineEnd => "move_line_end", "Cursor to line end";
    PageUp => "page_up", "Page up";
    PageDown => "page_down", "Page down";
    MoveDocumentStart => "move_document_start", "Cursor to start of file";
    MoveDocumentEnd => "move_document_end", "Cursor to end of file";
    SelectUp => "select_up", "Select up";
    SelectDown => "select_down", "Select down";
    SelectLeft => "select_left", "Select left";
    SelectRight => "select_right", "Select right";
    SelectWordLeft => "select_word_left", "Select one word left";
    SelectWordRight => "select_word_right", "Select one word right";
    SelectLineStart => "select_line_start", "Select to line start";
    SelectLineEnd => "select_line_end", "Select to line end";
    SelectPageUp => "select_page_up", "Select page up";
    SelectPageDown => "select_page_down", "Select page down";
    SelectDocumentStart => "select_document_start", "Select to start of file";
    SelectDocumentEnd => "select_document_end", "Select to end of file";
    ScrollUp => "scroll_up", "Scroll up one line";
    ScrollDown => "scroll_down", "Scroll down one line";
    SplitRight => "split_right", "Split pane side by side";
    SplitDown => "split_down", "Split pane top/bottom";
    FocusLeft => "focus_left", "Focus pane left";
    FocusRight => "focus_right", "Focus pane right";
    FocusUp => "focus_up", "Focus pane above";
    FocusDown => "focus_down", "Focus pane below";
    NextPane => "next_pane", "Focus next pane";
    ResizeLeft => "resize_left", "Resize pane left";
    ResizeRight => "resize_right", "Resize pane right";
    ResizeUp => "resize_up", "Resize pane up";
    ResizeDown => "resize_down", "Resize pane down";
    ZoomPane => "zoom_pane", "Zoom pane";
    ToggleDock => "toggle_dock", "Dock: show or hide the tool panes";
    ShowMessages => "show_messages", "Show messages";
    ZoomDock => "zoom_dock", "Dock: fill the window (again to undo)";
    GrowDock => "grow_dock", "Dock: grow";
    ShrinkDock => "shrink_dock", "Dock: shrink";
    FlipDock => "flip_dock", "Dock: move to the other side";
    ClosePane => "close_pane", "Close pane";
    ShowPaneNumbers => "show_pane_numbers", "Show pane numbers";
    NewWindow => "new_window", "New window";
    NextWindow => "next_window", "Next window";
    PreviousWindow => "previous_window", "Previous window";
    SelectWindow1 => "select_window1", "Window 1";
    SelectWindow2 => "select_window2", "Window 2";
    SelectWindow3 => "select_window3", "Window 3";
    SelectWindow4 => "select_window4", "Window 4";
    SelectWindow5 => "select_window5", "Window 5";
    SelectWindow6 => "select_window6", "Window 6";
    SelectWindow7 => "select_window7", "Window 7";
    SelectWindow8 => "select_window8", "Window 8";
    SelectWindow9 => "select_window9", "Window 9";
    Prefix => "prefix", "Wait for a pane/window key";
    LspCompletion => "lsp_completion", "Code: complete the word";
    LspHover => "lsp_hover", "Code: show hover information";
    LspGotoDefinition => "lsp_goto_definition", "Code: go to definition";
    LspGotoDeclaration => "lsp_goto_declaration", "Code: go to declaration";
    LspGotoTypeDefinition => "lsp_goto_type_definition", "Code: go to type definition";
    LspGotoImplementation => "lsp_goto_implementation", "Code: go to implementation";
    LspReferences => "lsp_references", "Code: find references";
    LspJumpBack => "lsp_jump_back", "Code: jump back";
    LspJumpForward => "lsp_jump_forward", "Code: jump forward";
    LspRename => "lsp_rename", "Code: rename symbol";
    LspCodeActions => "lsp_code_actions", "Code: code actions";
    LspFormatDocument => "lsp_format_document", "Code: format document";
    LspFormatSelection => "lsp_format_selection", "Code: format selection";
    LspDiagnostics => "lsp_diagnostics", "Code: diagnostics in this buffer";
    LspWorkspaceDiagnostics => "lsp_workspace_diagnostics", "Code: diagnostics in the workspace";
    LspNextDiagnostic => "lsp_next_diagnostic", "Code: next diagnostic";
    LspPreviousDiagnostic => "lsp_previous_diagnostic", "Code: previous diagnostic";
    AiCommit => "ai_commit", "AI: commit the staged changes with the model's message";
    AiCancelRun => "ai_cancel_run", "AI: cancel the running command";
    AiChooseCandidate => "ai_choose_candidate", "AI: choose a candidate";
    AiAgent => "ai_agent", "AI: agent task…";
    AiAgentNewConversation => "ai_agent_new_conversation", "AI: new agent conversation";
    AiRunChanges => "ai_run_changes", "AI: run changes (files an agent changed)";
    OpenAiPane => "open_ai_pane", "Open the AI pane";
    OpenDagPane => "open_dag_pane", "Open the DAG pane (AI runs)";
    OpenArtifactsPane => "open_artifacts_pane", "Open the artifacts pane";
    OpenPoolPane => "open_pool_pane", "Open the pool pane (instruments)";
    ReviewAcceptHunk => "review_accept_hunk", "Review: accept the hunk at the cursor";
    ReviewRejectHunk => "review_reject_hunk", "Review: reject the hunk at the cursor";
    ReviewAcceptAll => "review_accept_all", "Review: accept all hunks";
    ReviewRejectAll => "review_reject_all", "Review: reject all hunks";
    ReviewNextHunk => "review_next_hunk", "Review: next hunk";
    ReviewPreviousHunk => "review_previous_hunk", "Review: previous hunk";
    ExtOpenMotifs => "ext_open_motifs", "Extensions: open the motif panes";
    WorkspaceTrust => "workspace_trust", "Workspace: trust (let its extensions run)";
    WorkspaceRevokeTrust => "workspace_revoke_trust", "Workspace: revoke trust";
    GhostAccept => "ghost_accept", "Inline completion: accept the suggestion";
    GhostAcceptWord => "ghost_accept_word", "Inline completion: accept the next word";
    GhostAcceptLine => "ghost_accept_line", "Inline completion: accept the next line";
    GhostNext => "ghost_next", "Inline completion: show the next alternative";
    ToggleInlineCompletion => "toggle_inline_completion", "Inline completion: turn on or off";
}

impl Action {
    /// Parses a config name (`"save"`, `"split_right"`) into a bindable action.
    pub fn from_name(name: &str) -> Option<Action> {
        all_actions()
            .into_iter()
            .find(|info| info.name == name)
            .map(|info| info.action)
    }

    /// The config name of a bindable action (`None` for internal ones).
    pub fn name(&self) -> Option<&'static str> {
        all_actions()
            .into_iter()
            .find(|info| &info.action == self)
            .map(|info| info.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_the_serde_names() {
        for info in all_actions() {
            let json = serde_json::to_value(&info.action).unwrap();
            assert_eq!(json, serde_json::Value::String(info.name.into()));
            let back: Action = serde_json::from_value(json).unwrap();
            assert_eq!(back, info.action);
        }
    }

    #[test]
    fn names_are_unique() {
        let all = all_actions();
        let mut names: Vec<_> = all.iter().map(|i| i.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn from_name_round_trips() {
        assert_eq!(Action::from_name("split_right"), Some(Action::SplitRight));
        assert_eq!(Action::SplitRight.name(), Some("split_right"));
        assert_eq!(Action::from_name("no_such_thing"), None);
        assert_eq!(Action::Insert("x".into()).name(), None);
    }
}
