//! The DAG pane: runs (newest first) as trees of nodes with state glyphs,
//! a progress bar (nodes done / all nodes: a cancelled or failed run's bar
//! stays as far as its work got), the elapsed time, and tokens/s of running
//! model nodes; the selected row is what Esc / r / Enter act on.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use symphony_conductor::events::{NodeStatus, RunOutcome};

use super::{duration, title};
use crate::app::State;
use crate::conductor::keys::dag_rows;
use crate::conductor::{DagPane, RunView};
use crate::keymap::context::DagAction;

/// The glyph and colour of a node state.
pub(crate) fn glyph(status: &NodeStatus) -> (&'static str, Color) {
    match status {
        NodeStatus::Pending => ("○", Color::DarkGray),
        NodeStatus::Running { .. } => ("◐", Color::Yellow),
        NodeStatus::Done => ("✓", Color::Green),
        NodeStatus::Failed(_) => ("✗", Color::Red),
        NodeStatus::Cancelled => ("⊘", Color::Magenta),
        NodeStatus::Skipped => ("-", Color::DarkGray),
        NodeStatus::Interrupted => ("↯", Color::Cyan),
    }
}

/// How many nodes ended in each state, for a run that did not succeed:
/// `2 done, 1 interrupted, 2 skipped` (states in a fixed order; none for an
/// empty run).
fn tally(run: &RunView) -> String {
    let mut counts = [0usize; 5];
    for n in &run.nodes {
        let i = match n.status {
            NodeStatus::Done => 0,
            NodeStatus::Failed(_) => 1,
            NodeStatus::Interrupted => 2,
            NodeStatus::Cancelled => 3,
            NodeStatus::Skipped => 4,
            NodeStatus::Pending | NodeStatus::Running { .. } => continue,
        };
        counts[i] += 1;
    }
    ["done", "failed", "interrupted", "cancelled", "skipped"]
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bar(done: usize, total: usize, cells: usize) -> String {
    let full = (done * cells).checked_div(total).unwrap_or(0);
    format!("{}{}", "█".repeat(full), "░".repeat(cells - full))
}

/// Nodes that did their work (skipped ones too once the run succeeded: a
/// branch not taken), and all nodes. Cancelled, failed, interrupted nodes and
/// nodes skipped because of them do not count.
fn done_of(run: &RunView) -> (usize, usize) {
    let succeeded = matches!(run.outcome, Some(RunOutcome::Succeeded));
    let done = run
        .nodes
        .iter()
        .filter(|n| match n.status {
            NodeStatus::Done => true,
            NodeStatus::Skipped => succeeded,
            _ => false,
        })
        .count();
    (done, run.nodes.len())
}

fn run_header(run: &RunView, now: std::time::Instant) -> (String, Color) {
    let (done, total) = done_of(run);
    let (state, color) = match &run.outcome {
        None => ("running".to_owned(), Color::Yellow),
        Some(RunOutcome::Succeeded) => ("done".to_owned(), Color::Green),
        Some(RunOutcome::Failed(m)) => (format!("failed: {m}"), Color::Red),
        Some(RunOutcome::Cancelled) => ("cancelled".to_owned(), Color::Magenta),
        Some(RunOutcome::Interrupted) => ("interrupted".to_owned(), Color::Cyan),
    };
    let mut text = format!(
        "#{} {}  {} {done}/{total}  {}  {state}",
        run.id.0,
        run.title,
        bar(done, total, 10),
        duration(run.elapsed(now)),
    );
    // A run that did not succeed counts its nodes by how they ended.
    if matches!(
        run.outcome,
        Some(RunOutcome::Failed(_) | RunOutcome::Cancelled | RunOutcome::Interrupted)
    ) {
        let t = tally(run);
        if !t.is_empty() {
            text.push_str(&format!(" ({t})"));
        }
    }
    (text, color)
}

pub(super) fn render(state: &State, pane: &DagPane, rect: Rect, focused: bool, buf: &mut Buffer) {
    let c = &state.conductor;
    let keys = &state.config.keymap;
    let head = format!(
        " DAG · {} run{} · {} cancel · {} retry · {} output ",
        c.runs.len(),
        if c.runs.len() == 1 { "" } else { "s" },
        keys.hint(DagAction::CancelRun),
        keys.hint(DagAction::RetryNode),
        keys.hint(DagAction::Activate),
    );
    title(buf, rect, &head, focused);
    let width = usize::from(rect.width);
    let height = usize::from(rect.height.saturating_sub(1));
    if c.runs.is_empty() {
        buf.set_stringn(
            rect.x,
            rect.y + 1,
            "No AI runs yet.",
            width,
            Style::default().fg(Color::DarkGray),
        );
        return;
    }
    let rows = dag_rows(state);
    let selected = pane.selected.min(rows.len().saturating_sub(1));
    let first = selected.saturating_sub(height.saturating_sub(1));
    let now = c.now();
    for (i, (run_id, node)) in rows.iter().enumerate().skip(first).take(height) {
        let y = rect.y + 1 + (i - first) as u16;
        let Some(run) = c.run(*run_id) else { continue };
        let (text, color) = match node {
            None => run_header(run, now),
            Some(n) => {
                let Some(node) = run.nodes.get(*n) else {
                    continue;
                };
                let (g, color) = glyph(&node.status);
                let mut s = format!(
                    "{}{g} {} ({}",
                    "  ".repeat(node.depth + 1),
                    node.info.id,
                    node.info.kind
                );
                if let Some(inst) = &node.info.instrument {
                    s.push_str(&format!(", {inst}"));
                }
                s.push(')');
                let waiting = c
                    .choice
                    .as_ref()
                    .is_some_and(|ch| ch.run == run.id && ch.node == node.info.id);
                if waiting {
                    s.push_str("  waiting for your choice (Enter)");
                }
                match &node.status {
                    NodeStatus::Running { attempt } => {
                        if *attempt > 1 {
                            s.push_str(&format!("  attempt {attempt}"));
                        }
                        if let Some(tps) = node.tokens_per_second {
                            s.push_str(&format!("  {tps:.1} tok/s"));
                        }
                        if let Some(retry) = &node.retry {
                            s.push_str(&format!("  ↻ {}", retry.label()));
                        }
                    }
                    NodeStatus::Failed(reason) => s.push_str(&format!("  {reason}")),
                    NodeStatus::Interrupted if node.info.kind == "pick" && !waiting => {
                        s.push_str("  interrupted · Enter offers its candidates again");
                    }
                    NodeStatus::Interrupted => {
                        s.push_str("  interrupted by a restart · r retries");
                    }
                    _ => {}
                }
                (s, color)
            }
        };
        let mut style = Style::default().fg(color);
        if node.is_none() {
            style = style.add_modifier(Modifier::BOLD);
        }
        if i == selected && focused {
            style = style.add_modifier(Modifier::REVERSED);
        }
        buf.set_stringn(rect.x, y, text, width, style);
    }
}
