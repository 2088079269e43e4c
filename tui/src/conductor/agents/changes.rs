//! An agent run's change set: each proposal (an agent's `fs/write_text_file`, our
//! agent's edit_file) is reviewed in a buffer of its file, opened (hidden) when it is
//! not open; the editor's snapshot of that buffer gives the revision the proposal is
//! rebased from, so the existing inline per-hunk review takes it from there and
//! nothing touches the disk before the user accepts (accepting is an edit of the
//! buffer, one undo group; saving writes it). "AI: run changes" lists the files with
//! their +/- counts; Enter shows the file with its review.

use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_conductor::command::EditorContext;
use symphony_conductor::events::RunId;
use symphony_conductor::proposal::{Proposal, from_replacement};

use crate::action::Action;
use crate::app::State;
use crate::conductor::EditorRequest;
use crate::conductor::picker::{AiPicker, PickerKind, PickerRow};
use crate::overlays::Overlay;

/// One file an agent run changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The run.
    pub run: RunId,
    /// The file.
    pub path: PathBuf,
    /// The view its review is in.
    pub view: u64,
    /// Lines the proposal adds.
    pub added: usize,
    /// Lines it removes.
    pub removed: usize,
}

/// The files agent runs changed, newest proposal of each file last.
pub type Changes = Vec<Change>;

/// Lines of `s` (a last line without its break counts).
fn line_count(s: &str) -> usize {
    s.matches('\n').count() + usize::from(!s.is_empty() && !s.ends_with('\n'))
}

/// (added, removed) lines of a proposal.
pub fn counts(p: &Proposal) -> (usize, usize) {
    p.hunks.iter().fold((0, 0), |(a, r), h| {
        (a + line_count(&h.new_text), r + line_count(&h.old_text))
    })
}

/// A proposal of agent run `run` arrived: its file's buffer (opened hidden when no
/// view shows it) is read, then the review starts there.
pub fn on_proposal(state: &mut State, run: RunId, proposal: Proposal) {
    let Some(path) = proposal.path.clone() else {
        state.error("An agent proposed a change without naming its file");
        return;
    };
    if proposal.hunks.is_empty() {
        state.say(format!(
            "The agent proposed no change to {}",
            shown(state, &path)
        ));
        return;
    }
    let existing = state
        .views
        .iter()
        .filter(|(_, d)| d.path.as_deref() == Some(&path))
        .map(|(v, _)| *v)
        .min();
    let view = match existing {
        Some(v) => v,
        None => {
            let v = crate::app::views::open_view(state, Some(path.clone()));
            state.hidden.push(v);
            v
        }
    };
    let (added, removed) = counts(&proposal);
    let changes = &mut state.conductor.agents.changes;
    changes.retain(|c| !(c.run == run && c.path == path));
    changes.push(Change {
        run,
        path,
        view,
        added,
        removed,
    });
    let id = state.request(view, crate::session::Request::Snapshot);
    state.conductor.requests.insert(
        id,
        EditorRequest::AgentProposal {
            run,
            proposal: Box::new(proposal),
        },
    );
}

/// The snapshot of the buffer a proposal is for: the proposal is placed on that
/// revision and its review starts.
pub fn on_snapshot(
    state: &mut State,
    view: u64,
    run: RunId,
    proposal: Proposal,
    result: Result<Value, String>,
) {
    let name = proposal
        .path
        .as_deref()
        .map(|p| shown(state, p))
        .unwrap_or_default();
    let snapshot = result.and_then(|v| {
        serde_json::from_value::<symphony_protocol::xi::review::Snapshot>(v)
            .map_err(|e| format!("unreadable snapshot: {e}"))
    });
    let s = match snapshot {
        Ok(s) => s,
        Err(e) => {
            state.error(format!(
                "{name}: the agent's change cannot be reviewed: {e}"
            ));
            return;
        }
    };
    let Some(new_text) = applied(&s.text, &proposal) else {
        state.error(format!(
            "{name}: the buffer differs from the file the agent read (unsaved changes?); \
             its change is not shown"
        ));
        return;
    };
    let ctx = EditorContext {
        path: proposal.path.clone(),
        revision: Some(s.revision),
        file_text: s.text.clone(),
        cwd: state.cwd.clone(),
        ..Default::default()
    };
    let mut placed = from_replacement(&ctx, 0, s.text.len(), &new_text);
    placed.id = proposal.id;
    placed.buffer = Some(view.to_string());
    crate::review::on_proposal(state, run, placed);
}

/// `text` with the proposal's hunks applied, if each hunk's old text is where the
/// proposal says.
fn applied(text: &str, p: &Proposal) -> Option<String> {
    let mut hunks: Vec<_> = p.hunks.iter().collect();
    hunks.sort_by_key(|h| h.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for h in hunks {
        if h.start < at || text.get(h.start..h.end)? != h.old_text {
            return None;
        }
        out.push_str(text.get(at..h.start)?);
        out.push_str(&h.new_text);
        at = h.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

fn shown(state: &State, path: &Path) -> String {
    path.strip_prefix(&state.cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// "AI: run changes": the files the agent runs changed, with +/- counts and what is
/// left to review; Enter shows the file.
pub fn open_list(state: &mut State) {
    if state.conductor.agents.changes.is_empty() {
        state.say("No agent run has proposed a change yet");
        return;
    }
    let rows = state
        .conductor
        .agents
        .changes
        .iter()
        .rev()
        .map(|c| {
            let open = state
                .conductor
                .reviews
                .get(&c.view)
                .filter(|r| r.run == c.run)
                .map_or(0, |r| r.open_hunks().len());
            let left = match open {
                0 => "reviewed".to_owned(),
                1 => "1 hunk to review".to_owned(),
                n => format!("{n} hunks to review"),
            };
            PickerRow {
                label: shown(state, &c.path),
                detail: format!("+{} -{} · run #{} · {left}", c.added, c.removed, c.run.0),
                preview: format!(
                    "{}\n\n+{} -{} lines proposed by run #{}; {left}.",
                    c.path.display(),
                    c.added,
                    c.removed,
                    c.run.0
                ),
                diff: None,
                action: Action::OpenPath(c.path.clone()),
            }
        })
        .collect();
    // Enter shows the file in an editor pane, not in the AI pane the list came from.
    if !matches!(
        state.windows.focused(),
        Some(crate::panes::PaneKind::Editor(_))
    ) && let Some(view) = state.conductor.last_view
    {
        crate::conductor::commands::focus_view(state, view);
    }
    let picker = AiPicker::new(PickerKind::RunChanges, "Run changes", rows);
    state.overlays.push(Overlay::Ai(picker));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_apply_where_the_agent_read_them_or_not_at_all() {
        let ctx = EditorContext {
            file_text: "a\nb\nc\n".into(),
            ..Default::default()
        };
        let p = from_replacement(&ctx, 0, 6, "a\nB\nc\nd\n");
        assert_eq!(applied("a\nb\nc\n", &p).as_deref(), Some("a\nB\nc\nd\n"));
        assert_eq!(counts(&p), (2, 1));
        assert_eq!(applied("x\ny\nz\n", &p), None);
    }
}
