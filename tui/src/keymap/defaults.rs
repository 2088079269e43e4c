//! The default key tables: (key, action name), one table per context. Checked
//! by tests: every key parses, every name is an action of its context, no key
//! appears twice in a table, no context shadows a global key unintended.

/// Keys while editing.
pub const NORMAL: &[(&str, &str)] = &[
    ("up", "move_up"),
    ("down", "move_down"),
    ("left", "move_left"),
    ("right", "move_right"),
    ("ctrl-left", "move_word_left"),
    ("ctrl-right", "move_word_right"),
    ("home", "move_line_start"),
    ("end", "move_line_end"),
    ("pageup", "page_up"),
    ("pagedown", "page_down"),
    ("ctrl-home", "move_document_start"),
    ("ctrl-end", "move_document_end"),
    ("shift-up", "select_up"),
    ("shift-down", "select_down"),
    ("shift-left", "select_left"),
    ("shift-right", "select_right"),
    ("ctrl-shift-left", "select_word_left"),
    ("ctrl-shift-right", "select_word_right"),
    ("shift-home", "select_line_start"),
    ("shift-end", "select_line_end"),
    ("shift-pageup", "select_page_up"),
    ("shift-pagedown", "select_page_down"),
    ("ctrl-shift-home", "select_document_start"),
    ("ctrl-shift-end", "select_document_end"),
    ("ctrl-a", "select_all"),
    ("ctrl-d", "add_next_occurrence"),
    ("alt-up", "add_cursor_above"),
    ("alt-down", "add_cursor_below"),
    ("esc", "single_cursor"),
    ("enter", "insert_newline"),
    ("tab", "indent"),
    ("shift-tab", "outdent"),
    ("backspace", "delete_backward"),
    ("delete", "delete_forward"),
    ("alt-backspace", "delete_word_backward"),
    ("ctrl-delete", "delete_word_forward"),
    ("ctrl-z", "undo"),
    ("ctrl-y", "redo"),
    ("ctrl-c", "copy"),
    ("ctrl-x", "cut"),
    ("ctrl-v", "paste"),
    ("ctrl-/", "toggle_comment"),
    ("ctrl-s", "save"),
    ("alt-s", "save_as"),
    ("alt-d", "duplicate_line"),
    ("ctrl-o", "open_file"),
    ("ctrl-n", "new_buffer"),
    ("ctrl-w", "close_buffer"),
    ("ctrl-q", "quit"),
    ("alt-b", "buffer_picker"),
    ("alt-/", "project_search"),
    ("ctrl-f", "find"),
    ("f3", "find_next"),
    ("shift-f3", "find_previous"),
    ("ctrl-h", "replace"),
    ("ctrl-g", "goto_line"),
    ("ctrl-p", "command_palette"),
    ("alt-z", "toggle_soft_wrap"),
    ("ctrl-up", "scroll_up"),
    ("ctrl-down", "scroll_down"),
    ("alt-a", "review_accept_hunk"),
    ("alt-r", "review_reject_hunk"),
    ("alt-A", "review_accept_all"),
    ("alt-R", "review_reject_all"),
    ("alt-.", "review_next_hunk"),
    ("alt-,", "review_previous_hunk"),
    ("ctrl-space", "lsp_completion"),
    ("ctrl-k", "lsp_hover"),
    ("f12", "lsp_goto_definition"),
    ("ctrl-shift-f12", "lsp_goto_declaration"),
    ("alt-f12", "lsp_goto_type_definition"),
    ("ctrl-f12", "lsp_goto_implementation"),
    ("shift-f12", "lsp_references"),
    ("alt-left", "lsp_jump_back"),
    ("alt-right", "lsp_jump_forward"),
    ("f2", "lsp_rename"),
    ("alt-enter", "lsp_code_actions"),
    ("alt-F", "lsp_format_document"),
    ("ctrl-alt-f", "lsp_format_selection"),
    ("alt-e", "lsp_diagnostics"),
    ("alt-E", "lsp_workspace_diagnostics"),
    ("f8", "lsp_next_diagnostic"),
    ("shift-f8", "lsp_previous_diagnostic"),
    // Inline completion; Tab accepts a shown suggestion, Esc hides it.
    ("alt-;", "ghost_accept"),
    ("alt-w", "ghost_accept_word"),
    ("alt-l", "ghost_accept_line"),
    ("alt-n", "ghost_next"),
    ("alt-i", "toggle_inline_completion"),
];

/// Keys after the prefix key (default `ctrl-b`), as in tmux.
pub const PREFIX: &[(&str, &str)] = &[
    ("%", "split_right"),
    ("\"", "split_down"),
    ("left", "focus_left"),
    ("right", "focus_right"),
    ("up", "focus_up"),
    ("down", "focus_down"),
    ("h", "focus_left"),
    ("l", "focus_right"),
    ("k", "focus_up"),
    ("j", "focus_down"),
    ("alt-left", "resize_left"),
    ("alt-right", "resize_right"),
    ("alt-up", "resize_up"),
    ("alt-down", "resize_down"),
    ("z", "zoom_pane"),
    ("t", "toggle_dock"),
    ("Z", "zoom_dock"),
    ("+", "grow_dock"),
    ("-", "shrink_dock"),
    ("|", "flip_dock"),
    // tmux's show-messages.
    ("~", "show_messages"),
    ("x", "close_pane"),
    // tmux's detach-client: the session runs on.
    ("d", "detach"),
    ("c", "new_window"),
    ("n", "next_window"),
    ("p", "previous_window"),
    ("o", "next_pane"),
    ("q", "show_pane_numbers"),
    ("b", "buffer_picker"),
    ("/", "project_search"),
    ("e", "extensions_list"),
    ("r", "restart_editor"),
    ("m", "ext_open_motifs"),
    // Trusting runs a workspace's code: a chord nobody types by accident.
    ("alt-t", "workspace_trust"),
    ("alt-T", "workspace_revoke_trust"),
    ("1", "select_window1"),
    ("2", "select_window2"),
    ("3", "select_window3"),
    ("4", "select_window4"),
    ("5", "select_window5"),
    ("6", "select_window6"),
    ("7", "select_window7"),
    ("8", "select_window8"),
    ("9", "select_window9"),
    ("a", "open_ai_pane"),
    ("g", "open_dag_pane"),
    ("A", "open_artifacts_pane"),
    ("P", "open_pool_pane"),
    ("E", "ai_explain"),
    ("R", "ai_refactor"),
    ("T", "ai_write_tests"),
    ("F", "ai_fix_diagnostics"),
    ("D", "ai_doc_comments"),
    ("M", "ai_commit_message"),
    ("G", "ai_commit"),
    ("C", "ai_chat"),
    ("W", "ai_workflow"),
    ("K", "ai_cancel_run"),
    ("V", "ai_choose_candidate"),
    ("I", "ai_agent"),
    ("N", "ai_agent_new_conversation"),
    ("L", "ai_run_changes"),
];

/// The context tables, by context name (see [`super::context::contexts`]).
pub const CONTEXTS: &[(&str, &[(&str, &str)])] = &[
    ("input", INPUT),
    ("picker", PICKER),
    ("find", FIND),
    ("prompt", PROMPT),
    ("confirm", CONFIRM),
    ("choice", CHOICE),
    ("recovery", RECOVERY),
    ("trust", TRUST),
    ("permission", PERMISSION),
    ("completion", COMPLETION),
    ("ai_pane", AI_PANE),
    ("ai_conversations", AI_CONVERSATIONS),
    ("dag_pane", DAG_PANE),
    ("artifacts_search", ARTIFACTS_SEARCH),
    ("artifacts_results", ARTIFACTS_RESULTS),
    ("artifacts_tag", ARTIFACTS_TAG),
    ("pool_pane", POOL_PANE),
];

/// Editing a one-line text field.
pub const INPUT: &[(&str, &str)] = &[
    ("backspace", "delete_backward"),
    ("delete", "delete_forward"),
    ("ctrl-u", "delete_to_start"),
    ("left", "move_left"),
    ("right", "move_right"),
    ("home", "move_start"),
    ("ctrl-a", "move_start"),
    ("end", "move_end"),
    ("ctrl-e", "move_end"),
];

/// Pickers.
pub const PICKER: &[(&str, &str)] = &[
    ("up", "previous"),
    ("down", "next"),
    ("pageup", "page_up"),
    ("pagedown", "page_down"),
    ("enter", "accept"),
    ("esc", "close"),
    ("tab", "toggle_preview"),
    ("ctrl-q", "quit_anyway"),
];

/// The find / replace bar.
pub const FIND: &[(&str, &str)] = &[
    ("esc", "close"),
    ("enter", "confirm"),
    ("down", "next_match"),
    ("up", "previous_match"),
    ("tab", "switch_field"),
    ("shift-tab", "switch_field"),
    ("alt-r", "toggle_regex"),
    ("alt-c", "toggle_case"),
    ("alt-w", "toggle_whole_words"),
    ("alt-a", "replace_all"),
];

/// Text prompts.
pub const PROMPT: &[(&str, &str)] = &[("enter", "accept"), ("esc", "cancel")];

/// Yes/no questions.
pub const CONFIRM: &[(&str, &str)] = &[
    ("y", "yes"),
    ("Y", "yes"),
    ("n", "no"),
    ("N", "no"),
    ("esc", "no"),
];

/// Questions with lettered answers.
pub const CHOICE: &[(&str, &str)] = &[("esc", "cancel")];

/// The crash-recovery box.
pub const RECOVERY: &[(&str, &str)] = &[
    ("down", "next"),
    ("tab", "next"),
    ("up", "previous"),
    ("shift-tab", "previous"),
    ("enter", "accept"),
    ("esc", "later"),
];

/// The workspace-trust box.
pub const TRUST: &[(&str, &str)] = &[
    ("left", "choose_trust"),
    ("up", "choose_trust"),
    ("right", "choose_dont_trust"),
    ("down", "choose_dont_trust"),
    ("tab", "toggle"),
    ("shift-tab", "toggle"),
    ("enter", "accept"),
    ("esc", "later"),
];

/// An extension's permission box.
pub const PERMISSION: &[(&str, &str)] = &[
    ("y", "allow"),
    ("Y", "allow"),
    ("n", "refuse"),
    ("N", "refuse"),
    ("esc", "refuse"),
];

/// The completion popup (and the hover box: `close`).
pub const COMPLETION: &[(&str, &str)] = &[
    ("up", "previous"),
    ("down", "next"),
    ("pageup", "page_up"),
    ("pagedown", "page_down"),
    ("enter", "accept"),
    ("tab", "accept"),
    ("esc", "close"),
];

/// The AI pane.
pub const AI_PANE: &[(&str, &str)] = &[
    ("enter", "send"),
    ("esc", "cancel"),
    ("up", "scroll_up"),
    ("down", "scroll_down"),
    ("pageup", "page_up"),
    ("pagedown", "page_down"),
    ("tab", "conversations"),
    ("alt-k", "previous_block"),
    ("alt-j", "next_block"),
    ("alt-y", "insert_block"),
    ("alt-p", "apply_block"),
];

/// The AI pane's stored conversations.
pub const AI_CONVERSATIONS: &[(&str, &str)] = &[
    ("up", "previous"),
    ("down", "next"),
    ("home", "first"),
    ("end", "last"),
    ("enter", "open"),
    ("esc", "close"),
    ("tab", "close"),
];

/// The DAG pane.
pub const DAG_PANE: &[(&str, &str)] = &[
    ("up", "previous"),
    ("down", "next"),
    ("home", "first"),
    ("end", "last"),
    ("esc", "cancel_run"),
    ("c", "cancel_run"),
    ("r", "retry_node"),
    ("enter", "activate"),
    ("o", "open_output"),
];

/// The artifacts pane's search box.
pub const ARTIFACTS_SEARCH: &[(&str, &str)] =
    &[("enter", "search"), ("tab", "results"), ("down", "results")];

/// The artifacts pane's results.
pub const ARTIFACTS_RESULTS: &[(&str, &str)] = &[
    ("up", "previous"),
    ("down", "next"),
    ("home", "first"),
    ("end", "last"),
    ("tab", "search"),
    ("/", "search"),
    ("o", "open"),
    ("enter", "open"),
    ("p", "pin"),
    ("t", "tag"),
];

/// The artifacts pane's tag box.
pub const ARTIFACTS_TAG: &[(&str, &str)] = &[("enter", "apply"), ("esc", "cancel")];

/// The pool pane.
pub const POOL_PANE: &[(&str, &str)] = &[
    ("up", "previous"),
    ("k", "previous"),
    ("down", "next"),
    ("j", "next"),
    ("home", "first"),
    ("end", "last"),
    ("w", "prewarm"),
    ("u", "unload"),
    ("r", "refresh"),
];
