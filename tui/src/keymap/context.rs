//! Keys inside panes and overlays: one small action enum per context
//! (`PickerAction::Next`), the names config.toml binds them by
//! (`[keys.picker] "ctrl-n" = "next"`), and the registry of contexts.

/// An action that only means something in one context (a picker, the DAG
/// pane...). Its names are what `[keys.<context>]` binds.
pub trait ContextAction: Copy + PartialEq + Sized + 'static {
    /// The context's name (`picker`, `dag_pane`).
    const CONTEXT: &'static str;
    /// Every action of the context: value, config name, description.
    const ALL: &'static [(Self, &'static str, &'static str)];

    /// The action called `name` in this context.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
    }

    /// This action's config name.
    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(a, _, _)| *a == self)
            .map_or("?", |(_, n, _)| *n)
    }
}

macro_rules! context_actions {
    ($(#[$doc:meta])* $ty:ident in $ctx:literal {
        $($variant:ident => $name:literal, $desc:literal;)*
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $ty {
            $(#[doc = $desc] $variant,)*
        }
        impl ContextAction for $ty {
            const CONTEXT: &'static str = $ctx;
            const ALL: &'static [($ty, &'static str, &'static str)] =
                &[$(($ty::$variant, $name, $desc)),*];
        }
    };
}

context_actions! {
    /// Editing a one-line text field (prompts, pickers, the find bar, the AI
    /// prompt, the artifacts query). Typed characters are inserted, not bound.
    InputAction in "input" {
        DeleteBackward => "delete_backward", "Delete the character before the cursor";
        DeleteForward => "delete_forward", "Delete the character after the cursor";
        DeleteToStart => "delete_to_start", "Delete everything before the cursor";
        MoveLeft => "move_left", "Cursor one character left";
        MoveRight => "move_right", "Cursor one character right";
        MoveStart => "move_start", "Cursor to the start";
        MoveEnd => "move_end", "Cursor to the end";
    }
}

context_actions! {
    /// A list to pick from: the command palette, the file, buffer and code
    /// pickers, the project search, the AI pickers.
    PickerAction in "picker" {
        Previous => "previous", "Select the previous item";
        Next => "next", "Select the next item";
        PageUp => "page_up", "Ten items up (an AI candidate: scroll its preview)";
        PageDown => "page_down", "Ten items down (an AI candidate: scroll its preview)";
        Accept => "accept", "Take the selected item";
        Close => "close", "Close the picker";
        TogglePreview => "toggle_preview", "AI picker: show the diff or the text";
        QuitAnyway => "quit_anyway", "Unsaved-buffers list: quit without saving";
    }
}

context_actions! {
    /// The find / replace bar.
    FindAction in "find" {
        Close => "close", "Close the find bar";
        Confirm => "confirm", "Next match (in the replace field: replace it)";
        NextMatch => "next_match", "Next match";
        PreviousMatch => "previous_match", "Previous match";
        SwitchField => "switch_field", "Open the replace field, or switch between the fields";
        ToggleRegex => "toggle_regex", "Regular expressions on/off";
        ToggleCase => "toggle_case", "Case-sensitive on/off";
        ToggleWholeWords => "toggle_whole_words", "Whole words on/off";
        ReplaceAll => "replace_all", "Replace every match (or select them all)";
    }
}

context_actions! {
    /// A text prompt: Save as, Go to line, Rename, an extension's question.
    PromptAction in "prompt" {
        Accept => "accept", "Take what was typed";
        Cancel => "cancel", "Close the prompt";
    }
}

context_actions! {
    /// A yes/no question (quit with unsaved buffers, commit...).
    ConfirmAction in "confirm" {
        Yes => "yes", "Answer yes";
        No => "no", "Answer no";
    }
}

context_actions! {
    /// A question with lettered answers (a save conflict): the letters are the
    /// question's own.
    ChoiceAction in "choice" {
        Cancel => "cancel", "Close the question without answering";
    }
}

context_actions! {
    /// The crash-recovery box (typing never answers it).
    RecoveryAction in "recovery" {
        Next => "next", "Select the next answer";
        Previous => "previous", "Select the previous answer";
        Accept => "accept", "Take the selected answer";
        Later => "later", "Decide later (the journal stays)";
    }
}

context_actions! {
    /// The workspace-trust box.
    TrustAction in "trust" {
        ChooseTrust => "choose_trust", "Select Trust";
        ChooseDontTrust => "choose_dont_trust", "Select Don't trust";
        Toggle => "toggle", "Select the other button";
        Accept => "accept", "Take the selected button";
        Later => "later", "Decide later";
    }
}

context_actions! {
    /// An extension's permission box.
    PermissionAction in "permission" {
        Allow => "allow", "Allow what it asks (remembered)";
        Refuse => "refuse", "Refuse (asked again next time)";
    }
}

context_actions! {
    /// The completion popup and the hover box of a language server.
    CompletionAction in "completion" {
        Previous => "previous", "Select the previous completion";
        Next => "next", "Select the next completion";
        PageUp => "page_up", "Ten completions up";
        PageDown => "page_down", "Ten completions down";
        Accept => "accept", "Insert the selected completion";
        Close => "close", "Close the popup";
    }
}

context_actions! {
    /// The AI pane (its prompt takes typed text).
    AiPaneAction in "ai_pane" {
        Send => "send", "Send the prompt (empty: reopen a waiting pick)";
        Cancel => "cancel", "Drop the pending command, or cancel the running run";
        ScrollUp => "scroll_up", "Scroll the history up";
        ScrollDown => "scroll_down", "Scroll the history down";
        PageUp => "page_up", "Scroll the history up a page";
        PageDown => "page_down", "Scroll the history down a page";
        Conversations => "conversations", "List the stored conversations";
        PreviousBlock => "previous_block", "Select the code block before (answers' fenced code)";
        NextBlock => "next_block", "Select the code block after";
        InsertBlock => "insert_block", "Insert the selected code block at the editor's cursor";
        ApplyBlock => "apply_block", "Apply the selected code block as a proposal (to the file it names, else the current one)";
    }
}

context_actions! {
    /// The AI pane's list of stored conversations.
    ConversationsAction in "ai_conversations" {
        Previous => "previous", "Select the previous conversation";
        Next => "next", "Select the next conversation";
        First => "first", "Select the first conversation";
        Last => "last", "Select the last conversation";
        Open => "open", "Continue the selected conversation";
        Close => "close", "Back to the prompt";
    }
}

context_actions! {
    /// The DAG pane (runs and their nodes).
    DagAction in "dag_pane" {
        Previous => "previous", "Select the row above";
        Next => "next", "Select the row below";
        First => "first", "Select the first row";
        Last => "last", "Select the last row";
        CancelRun => "cancel_run", "Cancel the selected run";
        RetryNode => "retry_node", "Retry the selected failed or interrupted node";
        Activate => "activate", "Open the node's output (a waiting pick: its picker)";
        OpenOutput => "open_output", "Open the node's output in a tool pane";
    }
}

context_actions! {
    /// The artifacts pane's search box (it takes typed text).
    ArtifactsSearchAction in "artifacts_search" {
        Search => "search", "Search the artifacts";
        Results => "results", "Go to the results";
    }
}

context_actions! {
    /// The artifacts pane's results.
    ArtifactsResultsAction in "artifacts_results" {
        Previous => "previous", "Select the previous artifact";
        Next => "next", "Select the next artifact";
        First => "first", "Select the first artifact";
        Last => "last", "Select the last artifact";
        Search => "search", "Back to the search box";
        Open => "open", "Open the artifact in an editor pane";
        Pin => "pin", "Pin or unpin the artifact";
        Tag => "tag", "Tag the artifact";
    }
}

context_actions! {
    /// The artifacts pane's tag box (it takes typed text).
    ArtifactsTagAction in "artifacts_tag" {
        Apply => "apply", "Add the tag";
        Cancel => "cancel", "Back to the results";
    }
}

context_actions! {
    /// The pool pane (instruments).
    PoolAction in "pool_pane" {
        Previous => "previous", "Select the previous instrument";
        Next => "next", "Select the next instrument";
        First => "first", "Select the first instrument";
        Last => "last", "Select the last instrument";
        Prewarm => "prewarm", "Prewarm the selected instrument";
        Unload => "unload", "Unload the selected instrument";
        Refresh => "refresh", "Ask the instruments what they have loaded";
    }
}

/// How a context's keys meet the global table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// An overlay or box: it sees every key first; what it leaves goes to
    /// the global table.
    Modal,
    /// A pane: Ctrl/Alt chords and function keys the context does not bind
    /// still reach the global table.
    Pane,
}

/// One context: its name, what it is, how it layers, and its actions.
pub struct ContextInfo {
    /// The name (`[keys.<name>]`).
    pub name: &'static str,
    /// What it is, for the default config.
    pub description: &'static str,
    /// How its keys meet the global ones.
    pub layer: Layer,
    /// Its actions: (name, description).
    pub actions: Vec<(&'static str, &'static str)>,
}

fn info<A: ContextAction>(description: &'static str, layer: Layer) -> ContextInfo {
    ContextInfo {
        name: A::CONTEXT,
        description,
        layer,
        actions: A::ALL.iter().map(|(_, n, d)| (*n, *d)).collect(),
    }
}

/// Every context, in the order the default config lists them.
pub fn contexts() -> Vec<ContextInfo> {
    use Layer::{Modal, Pane};
    vec![
        info::<InputAction>(
            "Editing a one-line text field (typed characters are inserted)",
            Modal,
        ),
        info::<PickerAction>(
            "Pickers: palette, files, buffers, project search, code, AI",
            Modal,
        ),
        info::<FindAction>("The find / replace bar", Modal),
        info::<PromptAction>("Text prompts: save as, go to line, rename", Modal),
        info::<ConfirmAction>("Yes/no questions", Modal),
        info::<ChoiceAction>("Questions with lettered answers (save conflicts)", Modal),
        info::<RecoveryAction>("The crash-recovery box (typing never answers it)", Modal),
        info::<TrustAction>("The workspace-trust box", Modal),
        info::<PermissionAction>("An extension's permission box", Modal),
        info::<CompletionAction>("The completion popup and the hover box", Modal),
        info::<AiPaneAction>("The AI pane (its prompt takes typed text)", Pane),
        info::<ConversationsAction>("The AI pane's stored conversations", Pane),
        info::<DagAction>("The DAG pane", Pane),
        info::<ArtifactsSearchAction>("The artifacts pane's search box", Pane),
        info::<ArtifactsResultsAction>("The artifacts pane's results", Pane),
        info::<ArtifactsTagAction>("The artifacts pane's tag box", Pane),
        info::<PoolAction>("The pool pane (instruments)", Pane),
    ]
}
