//! The AI pickers (overlays): the user workflows (name and description, a
//! preview of their nodes and prompt) and the candidates of a pick step
//! waiting for the user's choice (instrument and first line, a preview of
//! the candidate's text). Fuzzy filtering is the palette's
//! ([`crate::overlays::pickers::fuzzy_filter`]); Enter runs the row's action.

use symphony_conductor::conductor::WorkflowConfig;
use symphony_conductor::events::RunId;

use super::{ChoiceView, ConductorState};
use crate::action::Action;
use crate::keymap::context::PickerAction;
use crate::overlays::input::LineInput;
use crate::overlays::pickers::{fuzzy_filter, move_selection};
use crate::overlays::{Outcome, OverlayInput};

/// What an [`AiPicker`] picks.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerKind {
    /// A user workflow (typing `NAME instruction` runs it with the instruction).
    Workflows,
    /// A candidate of this run's pick node.
    Candidates {
        /// The run.
        run: RunId,
        /// The pick node.
        node: String,
    },
    /// The agent the AI pane's prompt goes to.
    Agents,
    /// A file an agent run changed (its review).
    RunChanges,
}

/// One row of an [`AiPicker`].
#[derive(Debug, Clone, PartialEq)]
pub struct PickerRow {
    /// The main text (filtered on).
    pub label: String,
    /// Dimmer text on the right.
    pub detail: String,
    /// What the preview shows while the row is selected.
    pub preview: String,
    /// A candidate against the text the run read (`-`/`+`/` ` lines), if known.
    pub diff: Option<String>,
    /// What Enter on this row runs.
    pub action: Action,
}

/// A fuzzy list with a preview of the selected row.
#[derive(Debug, Clone, PartialEq)]
pub struct AiPicker {
    /// What it picks.
    pub kind: PickerKind,
    /// The box's title.
    pub title: String,
    /// Typed filter.
    pub input: LineInput,
    /// Every row.
    pub rows: Vec<PickerRow>,
    /// Indices of matching rows, best first.
    pub filtered: Vec<usize>,
    /// Index into `filtered`.
    pub selected: usize,
    /// The language of the preview's text (candidates), for highlighting.
    pub language: Option<String>,
    /// Rows the preview is scrolled by (candidates: PageUp / PageDown).
    pub preview_scroll: usize,
    /// The preview shows the row's diff (Tab toggles) rather than its text.
    pub show_diff: bool,
}

impl AiPicker {
    /// A picker over `rows`, all shown.
    pub fn new(kind: PickerKind, title: impl Into<String>, rows: Vec<PickerRow>) -> Self {
        AiPicker {
            kind,
            title: title.into(),
            input: LineInput::default(),
            filtered: (0..rows.len()).collect(),
            rows,
            selected: 0,
            language: None,
            preview_scroll: 0,
            show_diff: false,
        }
    }

    /// The row under the selection.
    pub fn current(&self) -> Option<&PickerRow> {
        self.filtered
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }

    /// What the filter matches: the workflows picker filters on the first
    /// word (the rest is the instruction).
    fn query(&self) -> &str {
        match self.kind {
            PickerKind::Workflows => self.input.text.split_whitespace().next().unwrap_or(""),
            PickerKind::Candidates { .. } | PickerKind::Agents | PickerKind::RunChanges => {
                &self.input.text
            }
        }
    }

    /// Recomputes the matches after the input changed.
    pub fn refilter(&mut self) {
        let haystack: Vec<String> = self
            .rows
            .iter()
            .map(|r| format!("{} {}", r.label, r.detail))
            .collect();
        self.filtered = fuzzy_filter(self.query(), &haystack, false);
        self.selected = 0;
        self.preview_scroll = 0;
    }

    /// Pasted text (its first line) goes into the filter.
    pub fn paste(&mut self, text: &str) {
        self.input.insert(text.lines().next().unwrap_or(""));
        self.refilter();
    }

    /// Enter: the selected row, or for workflows `NAME instruction` as typed.
    fn enter(&self) -> Outcome {
        if self.kind == PickerKind::Workflows {
            let text = self.input.text.trim();
            let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
            let rest = rest.trim();
            let exact = self.rows.iter().any(|r| r.label == name);
            if !name.is_empty() && (exact || self.filtered.is_empty()) {
                return Outcome::run(vec![Action::AiRunWorkflow {
                    name: name.to_owned(),
                    instruction: (!rest.is_empty()).then(|| rest.to_owned()),
                }]);
            }
            if let Some(row) = self.current()
                && let Action::AiRunWorkflow { name, .. } = &row.action
            {
                return Outcome::run(vec![Action::AiRunWorkflow {
                    name: name.clone(),
                    instruction: (!rest.is_empty()).then(|| rest.to_owned()),
                }]);
            }
        }
        match self.current() {
            Some(row) => Outcome::run(vec![row.action.clone()]),
            None => Outcome::consumed(),
        }
    }

    /// Handles a key.
    pub fn handle(&mut self, key: OverlayInput) -> Outcome {
        let candidates = matches!(self.kind, PickerKind::Candidates { .. });
        if matches!(
            key,
            OverlayInput::Picker(PickerAction::Previous | PickerAction::Next)
        ) {
            self.preview_scroll = 0;
        }
        match key {
            OverlayInput::Picker(PickerAction::TogglePreview)
                if self.rows.iter().any(|r| r.diff.is_some()) =>
            {
                self.show_diff = !self.show_diff;
                self.preview_scroll = 0;
                Outcome::consumed()
            }
            // A candidate's preview scrolls (there are only a few candidates).
            OverlayInput::Picker(PickerAction::PageDown) if candidates => {
                let lines = self.current().map_or(0, |r| {
                    let shown = r.diff.as_ref().filter(|_| self.show_diff);
                    shown.unwrap_or(&r.preview).lines().count()
                });
                self.preview_scroll = (self.preview_scroll + 10).min(lines.saturating_sub(1));
                Outcome::consumed()
            }
            OverlayInput::Picker(PickerAction::PageUp) if candidates => {
                self.preview_scroll = self.preview_scroll.saturating_sub(10);
                Outcome::consumed()
            }
            OverlayInput::Picker(PickerAction::Close) => Outcome::close(),
            OverlayInput::Picker(PickerAction::Accept) => self.enter(),
            _ if move_selection(&mut self.selected, self.filtered.len(), key) => {
                Outcome::consumed()
            }
            OverlayInput::Text(t) if self.input.handle_text(t) => {
                self.refilter();
                Outcome::consumed()
            }
            _ => Outcome::ignored(),
        }
    }
}

/// Whether a workflow's templates or commands use `{{instruction}}`.
pub fn uses_instruction(workflow: &WorkflowConfig) -> bool {
    workflow.nodes.iter().any(|n| {
        [&n.template, &n.system, &n.command]
            .into_iter()
            .flatten()
            .any(|t| mentions(t, "instruction"))
    })
}

/// `{{name}}` (spaces allowed inside the braces) appears in `text`.
fn mentions(text: &str, name: &str) -> bool {
    text.split("{{")
        .skip(1)
        .filter_map(|s| s.split_once("}}"))
        .any(|(inner, _)| inner.trim() == name)
}

/// The workflows picker over `flows` (name, description); previews come
/// from their configuration when the client has it.
pub fn workflows_picker(
    flows: &[(String, Option<String>)],
    configs: &[WorkflowConfig],
) -> AiPicker {
    let rows = flows
        .iter()
        .map(|(name, about)| {
            let config = configs.iter().find(|w| &w.name == name);
            PickerRow {
                label: name.clone(),
                detail: about.clone().unwrap_or_default(),
                preview: workflow_preview(name, about.as_deref(), config),
                diff: None,
                action: Action::AiRunWorkflow {
                    name: name.clone(),
                    instruction: None,
                },
            }
        })
        .collect();
    AiPicker::new(
        PickerKind::Workflows,
        " Run a workflow (type NAME or NAME instruction) ",
        rows,
    )
}

fn workflow_preview(name: &str, about: Option<&str>, config: Option<&WorkflowConfig>) -> String {
    let mut s = match about {
        Some(a) => format!("{name}: {a}\n"),
        None => format!("{name}\n"),
    };
    let Some(w) = config else {
        return s;
    };
    if uses_instruction(w) {
        s.push_str("Asks for an instruction ({{instruction}}).\n");
    }
    s.push_str("\nNodes:\n");
    for n in &w.nodes {
        let kind = format!("{:?}", n.kind).to_lowercase();
        s.push_str(&format!("  {} ({kind}", n.id));
        if let Some(i) = &n.instrument {
            s.push_str(&format!(", {i}"));
        }
        s.push(')');
        if !n.depends_on.is_empty() {
            s.push_str(&format!(" ← {}", n.depends_on.join(", ")));
        }
        s.push('\n');
    }
    for n in &w.nodes {
        if let Some(t) = &n.template {
            s.push_str(&format!("\nPrompt ({}):\n{t}\n", n.id));
        }
    }
    s
}

/// The instrument behind each of a pick node's inputs: the first model node
/// up its dependency chain (`None` when there is none).
pub fn candidate_instruments(
    state: &ConductorState,
    run: RunId,
    node: &str,
) -> Vec<Option<String>> {
    let Some(view) = state.run(run) else {
        return Vec::new();
    };
    let by_id = |id: &str| view.nodes.iter().find(|n| n.info.id == id);
    let Some(pick) = by_id(node) else {
        return Vec::new();
    };
    pick.info
        .depends_on
        .iter()
        .map(|dep| {
            let mut queue = vec![dep.as_str()];
            let mut seen = 0;
            while let Some(id) = queue.pop() {
                seen += 1;
                if seen > view.nodes.len() + 1 {
                    break;
                }
                let n = by_id(id)?;
                if let Some(i) = &n.info.instrument {
                    return Some(i.clone());
                }
                queue.extend(n.info.depends_on.iter().map(String::as_str).rev());
            }
            None
        })
        .collect()
}

/// `12 lines, 340 B` / `1.2 KiB`.
fn size(text: &str) -> String {
    let lines = text.lines().count();
    let bytes = text.len();
    let b = if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    };
    format!("{lines} line{}, {b}", if lines == 1 { "" } else { "s" })
}

/// `new` against `old` as lines marked `- `, `+ ` or `  ` (the Conductor's
/// own line diff).
pub fn diff_lines(old: &str, new: &str) -> String {
    let ctx = symphony_conductor::command::EditorContext {
        file_text: old.to_owned(),
        ..Default::default()
    };
    let hunks = symphony_conductor::proposal::from_replacement(&ctx, 0, old.len(), new).hunks;
    let mut out = String::new();
    let mut mark = |prefix: &str, text: &str| {
        for line in text.lines() {
            out.push_str(prefix);
            out.push_str(line);
            out.push('\n');
        }
    };
    let mut pos = 0;
    for h in &hunks {
        if let Some(same) = old.get(pos..h.start) {
            mark("  ", same);
        }
        mark("- ", &h.old_text);
        mark("+ ", &h.new_text);
        pos = h.end.max(pos);
    }
    if let Some(rest) = old.get(pos..) {
        mark("  ", rest);
    }
    out
}

/// Asks the Conductor for the text `run` read when the client does not have
/// it (a run reloaded from its journal after a restart), once: it arrives as a
/// `RunSource` event and [`add_diffs`] gives the open picker its diffs.
pub fn want_source(state: &mut ConductorState, run: RunId) {
    if !state.journal_runs.contains(&run)
        || state.run_selections.contains_key(&run)
        || state.source_requests.contains(&run)
    {
        return;
    }
    if let Some(port) = &state.port {
        port.fetch_run_source(run);
        state.source_requests.insert(run);
    }
}

/// Gives each candidate of `picker` its diff against `read` (the text the run
/// read, arrived after the picker opened); the selection and filter stay.
pub fn add_diffs(picker: &mut AiPicker, read: &str) {
    for row in &mut picker.rows {
        if row.diff.is_none() {
            row.diff = Some(diff_lines(read, &row.preview));
        }
    }
}

/// The picker over a pick node's candidates.
pub fn candidates_picker(state: &ConductorState, choice: &ChoiceView) -> AiPicker {
    let instruments = candidate_instruments(state, choice.run, &choice.node);
    let read = state.run_selections.get(&choice.run);
    let rows = choice
        .candidates
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("(empty)")
                .trim();
            let who = instruments
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or_else(|| format!("input {}", i + 1));
            // An agent's question: its options as the agent words them.
            let label = if state.agents.runs.contains_key(&choice.run) {
                format!("{}. {first}", i + 1)
            } else {
                format!("{}. {who} · {first}", i + 1)
            };
            PickerRow {
                label,
                detail: size(text),
                preview: text.clone(),
                diff: read.map(|r| diff_lines(r, text)),
                action: Action::AiChoose {
                    run: choice.run.0,
                    node: choice.node.clone(),
                    index: i,
                },
            }
        })
        .collect();
    let mut p = AiPicker::new(
        PickerKind::Candidates {
            run: choice.run,
            node: choice.node.clone(),
        },
        if state.agents.runs.contains_key(&choice.run) {
            format!(" Run #{} · the agent asks ({}) ", choice.run.0, choice.node)
        } else {
            format!(
                " Run #{} · {}: choose a candidate (Esc: later) ",
                choice.run.0, choice.node
            )
        },
        rows,
    );
    p.language = state.run_languages.get(&choice.run).cloned();
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlays::Press;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use symphony_conductor::workflow::{NodeConfig, NodeKind};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn flows() -> Vec<(String, Option<String>)> {
        vec![
            ("tidy".into(), Some("Tidy the selection".into())),
            ("lint".into(), None),
        ]
    }

    #[test]
    fn workflows_filter_on_the_name_and_keep_the_typed_instruction() {
        let mut p = workflows_picker(&flows(), &[]);
        for c in "lin".chars() {
            p.handle_key(&k(KeyCode::Char(c)));
        }
        assert_eq!(p.current().map(|r| r.label.as_str()), Some("lint"));
        let mut p = workflows_picker(&flows(), &[]);
        for c in "tidy make it short".chars() {
            p.handle_key(&k(KeyCode::Char(c)));
        }
        assert_eq!(
            p.handle_key(&k(KeyCode::Enter)).actions,
            vec![Action::AiRunWorkflow {
                name: "tidy".into(),
                instruction: Some("make it short".into())
            }]
        );
        assert!(p.handle_key(&k(KeyCode::Esc)).close);
    }

    #[test]
    fn a_candidate_diff_marks_removed_and_added_lines() {
        assert_eq!(
            diff_lines("fn a() {\n    1\n}\n", "fn a() {\n    2\n}\n"),
            "  fn a() {\n-     1\n+     2\n  }\n"
        );
    }

    #[test]
    fn instruction_is_found_in_templates_with_or_without_spaces() {
        let mut w = WorkflowConfig {
            name: "x".into(),
            description: None,
            answer: None,
            nodes: vec![NodeConfig::new("p", NodeKind::Prompt)],
        };
        assert!(!uses_instruction(&w));
        w.nodes[0].template = Some("Do {{ instruction }} to {{selection}}".into());
        assert!(uses_instruction(&w));
        assert!(!mentions("{{instructions}}", "instruction"));
    }
}
