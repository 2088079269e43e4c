//! The per-pane state of the Conductor panes (what each pane has selected
//! or typed). What they show lives in [`super::ConductorState`].

use symphony_conductor::events::ArtifactHit;

use crate::overlays::input::LineInput;

/// The AI pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AiPane {
    /// Rows scrolled up from the latest (0: follow the stream).
    pub scroll: usize,
    /// Showing the stored conversations instead of the history.
    pub conversations: bool,
    /// The conversation selected in that list.
    pub selected: usize,
    /// The code block selected, counted back from the latest (0: the latest).
    pub block: usize,
}

/// The DAG pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DagPane {
    /// The selected row (runs and their nodes, newest run first).
    pub selected: usize,
}

/// Where keys go in the artifacts pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArtifactsFocus {
    /// The search box.
    #[default]
    Search,
    /// The results list.
    Results,
    /// The tag box (adding a tag to the selected artifact).
    Tag,
}

/// The artifacts pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArtifactsPane {
    /// The query (tantivy syntax; `kind:diff`, `tag:x`).
    pub query: LineInput,
    /// The tag being typed.
    pub tag: LineInput,
    /// The results of the last search.
    pub results: Vec<ArtifactHit>,
    /// The selected result.
    pub selected: usize,
    /// The selected artifact's text.
    pub preview: Option<String>,
    /// Where keys go.
    pub focus: ArtifactsFocus,
    /// A search ran (to tell "no results" from "not searched").
    pub searched: bool,
    /// The search asked for and not answered yet (the pane says "Searching…"); an
    /// answer to any other request is stale and dropped.
    pub pending_search: Option<u64>,
    /// The preview asked for and not answered yet (the preview says "Loading…").
    pub pending_preview: Option<u64>,
}

/// The pool pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PoolPane {
    /// The selected instrument.
    pub selected: usize,
}
