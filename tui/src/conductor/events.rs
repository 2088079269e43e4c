//! [`ConductorEvent`]s applied to the client's state: runs and nodes for the
//! DAG pane, streamed text for the AI pane, the pool, artifacts, notices and
//! proposals (handed to the review). Nothing here waits: a token changes the
//! state and the loop draws it on its next frame.

use symphony_conductor::conductor::RunSummary;
use symphony_conductor::events::{ConductorEvent, NodeInfo, NodeStatus, RunOutcome};

use super::picker::PickerKind;
use super::{ChatEntry, ChatRole, ChoiceView, NodeView, RetryView, RunView};
use crate::app::State;
use crate::overlays::Overlay;

/// Runs kept in the DAG pane (oldest are dropped).
const MAX_RUNS: usize = 50;

/// The runs of earlier sessions (newest first, as the Conductor lists them)
/// for the DAG pane, oldest first; `now` and `now_ms` (the same moment, as an
/// `Instant` and as milliseconds since the Unix epoch) place their times.
pub fn runs_from_journal(
    summaries: Vec<RunSummary>,
    now: std::time::Instant,
    now_ms: i64,
) -> Vec<RunView> {
    let at = |ms: i64| {
        let ago = std::time::Duration::from_millis(u64::try_from(now_ms - ms).unwrap_or(0));
        now.checked_sub(ago).unwrap_or(now)
    };
    let mut runs: Vec<RunView> = summaries
        .into_iter()
        .take(MAX_RUNS)
        .map(|s| {
            let infos: Vec<NodeInfo> = s.nodes.iter().map(|n| n.info.clone()).collect();
            let nodes = s
                .nodes
                .into_iter()
                .zip(depths(&infos))
                .map(|(n, depth)| NodeView {
                    info: n.info,
                    status: n.status,
                    depth,
                    tokens_per_second: None,
                    streamed: 0,
                    artifacts: Vec::new(),
                    retry: None,
                })
                .collect();
            RunView {
                id: s.run,
                title: s.title,
                nodes,
                started: at(s.started_ms),
                finished: s.finished_ms.map(at),
                outcome: s.outcome,
            }
        })
        .collect();
    runs.reverse();
    runs
}

/// Applies one event from the Conductor.
pub fn on_conductor_event(state: &mut State, event: ConductorEvent) {
    if let ConductorEvent::RunFinished {
        run,
        outcome,
        answer,
    } = &event
    {
        super::feedback::on_finished(state, *run, outcome, answer.is_some());
        super::git_commit::on_finished(state, *run, outcome, answer.as_deref());
    }
    let now = state.conductor.now();
    let c = &mut state.conductor;
    match event {
        ConductorEvent::RunStarted { run, title, nodes } => {
            let depths = depths(&nodes);
            // A retry of a run from an earlier session starts it again under
            // its own id: it replaces the run listed from the journal.
            c.runs.retain(|r| r.id != run);
            c.runs.push(RunView {
                id: run,
                title: title.clone(),
                nodes: nodes
                    .into_iter()
                    .zip(depths)
                    .map(|(info, depth)| NodeView {
                        info,
                        status: NodeStatus::Pending,
                        depth,
                        tokens_per_second: None,
                        streamed: 0,
                        artifacts: Vec::new(),
                        retry: None,
                    })
                    .collect(),
                started: now,
                finished: None,
                outcome: None,
            });
            if c.runs.len() > MAX_RUNS {
                let old = c.runs.remove(0);
                c.run_languages.remove(&old.id);
                c.run_selections.remove(&old.id);
            }
            c.chat.push(ChatEntry {
                role: ChatRole::User,
                text: title,
                run: Some(run),
                node: None,
            });
        }
        ConductorEvent::Node { run, node, status } => {
            if let Some(n) = c
                .run_mut(run)
                .and_then(|r| r.nodes.iter_mut().find(|n| n.info.id == node))
            {
                if !matches!(status, NodeStatus::Running { .. }) {
                    n.retry = None;
                }
                n.status = status;
            }
        }
        ConductorEvent::NodeAdded { run, node } => {
            // A Python workflow's `ctx` call: a node under the run's `python` node.
            if let Some(r) = c.run_mut(run)
                && !r.nodes.iter().any(|n| n.info.id == node.id)
            {
                let depth = r
                    .nodes
                    .iter()
                    .filter(|n| node.depends_on.contains(&n.info.id))
                    .map(|n| n.depth + 1)
                    .max()
                    .unwrap_or(0);
                r.nodes.push(NodeView {
                    info: node,
                    status: NodeStatus::Pending,
                    depth,
                    tokens_per_second: None,
                    streamed: 0,
                    artifacts: Vec::new(),
                    retry: None,
                });
            }
        }
        ConductorEvent::Retrying {
            run,
            node,
            instrument,
            attempt,
            after,
            reason,
        } => {
            let max_attempts = state
                .config
                .conductor
                .instruments
                .iter()
                .find(|i| i.name == instrument)
                .map(|i| i.max_retries.saturating_add(1));
            if let Some(n) = c
                .run_mut(run)
                .and_then(|r| r.nodes.iter_mut().find(|n| n.info.id == node))
            {
                n.retry = Some(RetryView {
                    attempt,
                    max_attempts,
                    after,
                    reason,
                });
            }
        }
        ConductorEvent::Token { run, node, text } => {
            if let Some(n) = c
                .run_mut(run)
                .and_then(|r| r.nodes.iter_mut().find(|n| n.info.id == node))
            {
                n.streamed += text.len();
                n.retry = None;
            }
            let existing = c.chat.iter_mut().rev().find(|e| {
                e.role == ChatRole::Assistant
                    && e.run == Some(run)
                    && e.node.as_deref() == Some(&node)
            });
            match existing {
                Some(e) => e.text.push_str(&text),
                None => c.chat.push(ChatEntry {
                    role: ChatRole::Assistant,
                    text,
                    run: Some(run),
                    node: Some(node),
                }),
            }
        }
        ConductorEvent::Throughput {
            run,
            node,
            tokens_per_second,
        } => {
            if let Some(n) = c
                .run_mut(run)
                .and_then(|r| r.nodes.iter_mut().find(|n| n.info.id == node))
            {
                n.tokens_per_second = Some(tokens_per_second);
            }
        }
        ConductorEvent::Artifact { run, node, hit } => {
            if hit.kind == "conversation" {
                c.conversation = Some(hit.id.clone());
                c.conversations.retain(|h| h.id != hit.id);
                c.conversations.insert(0, hit.clone());
            }
            if let Some(n) = c
                .run_mut(run)
                .and_then(|r| r.nodes.iter_mut().find(|n| n.info.id == node))
            {
                n.artifacts.push(hit);
            }
        }
        ConductorEvent::Proposal { run, proposal } => {
            crate::review::on_proposal(state, run, proposal);
        }
        ConductorEvent::RunFinished {
            run,
            outcome,
            answer,
        } => {
            if let Some(r) = c.run_mut(run) {
                r.finished = Some(now);
                r.outcome = Some(outcome.clone());
                for n in &mut r.nodes {
                    n.retry = None;
                }
            }
            if c.choice.as_ref().is_some_and(|ch| ch.run == run) {
                c.choice = None;
                state.overlays.retain(|o| {
                    !matches!(o, Overlay::Ai(p)
                        if matches!(&p.kind, PickerKind::Candidates { run: r, .. } if *r == run))
                });
            }
            if let Some(answer) = answer {
                // The final answer is what the run settled on: it replaces
                // what streamed (several model nodes may have streamed).
                let streamed = c
                    .chat
                    .iter()
                    .rposition(|e| e.role == ChatRole::Assistant && e.run == Some(run));
                match streamed {
                    Some(i) => {
                        c.chat[i].text = answer;
                        c.chat[i].node = None;
                    }
                    None => c.chat.push(ChatEntry {
                        role: ChatRole::Assistant,
                        text: answer,
                        run: Some(run),
                        node: None,
                    }),
                }
            }
            let (role, text) = match outcome {
                RunOutcome::Succeeded => return,
                RunOutcome::Failed(msg) => {
                    (ChatRole::Error, format!("Run #{} failed: {msg}", run.0))
                }
                RunOutcome::Cancelled => (ChatRole::Notice, format!("Run #{} cancelled", run.0)),
                RunOutcome::Interrupted => (
                    ChatRole::Notice,
                    format!(
                        "Run #{} was interrupted: Symphony stopped before it finished \
                         (r on an interrupted node in the DAG pane retries it)",
                        run.0
                    ),
                ),
            };
            c.chat.push(ChatEntry {
                role,
                text,
                run: Some(run),
                node: None,
            });
        }
        ConductorEvent::Candidates {
            run,
            node,
            candidates,
        } => {
            let text = format!(
                "{node} offers {} candidates: choose one in the picker (Enter keeps it). \
                 Esc decides later: Enter on {node} in the DAG pane or \"AI: choose a candidate\" \
                 reopens it; typing its number here works too.",
                candidates.len()
            );
            let choice = ChoiceView {
                run,
                node: node.clone(),
                candidates,
            };
            c.chat.push(ChatEntry {
                role: ChatRole::Notice,
                text,
                run: Some(run),
                node: Some(node),
            });
            let picker = super::picker::candidates_picker(c, &choice);
            // A run reloaded from its journal: its text comes from the Conductor.
            super::picker::want_source(c, run);
            c.choice = Some(choice);
            state.overlays.retain(
                |o| !matches!(o, Overlay::Ai(p) if matches!(p.kind, PickerKind::Candidates { .. })),
            );
            state.overlays.push(Overlay::Ai(picker));
        }
        ConductorEvent::ArtifactHits { request, hits } => {
            super::artifact_fetch::on_hits(state, request, hits);
        }
        ConductorEvent::ArtifactText { request, text, .. } => {
            super::artifact_fetch::on_text(state, request, text);
        }
        ConductorEvent::RunSource { run, text } => {
            c.source_requests.remove(&run);
            match text {
                Ok(text) => {
                    let read = text.to_string();
                    for o in &mut state.overlays {
                        if let Overlay::Ai(p) = o
                            && matches!(&p.kind, PickerKind::Candidates { run: r, .. } if *r == run)
                        {
                            super::picker::add_diffs(p, &read);
                        }
                    }
                    if !read.is_empty() {
                        c.run_selections.insert(run, read);
                    }
                }
                Err(why) => {
                    let text = format!("Run #{}: no diff preview: {why}", run.0);
                    c.chat.push(ChatEntry {
                        role: ChatRole::Notice,
                        text: text.clone(),
                        run: Some(run),
                        node: None,
                    });
                    state.say(text);
                }
            }
        }
        ConductorEvent::Pool(pool) => c.pool = pool,
        ConductorEvent::NodeOutput { run, node, text } => {
            super::keys::on_node_output(state, run, node, text.as_deref());
        }
        ConductorEvent::Conversations(list) => {
            c.conversations_loading = false;
            c.conversations = list;
        }
        ConductorEvent::Notice(text) => {
            // Into the AI pane's history; also a message once the user has
            // used the AI (not at startup: "no instrument configured" would
            // greet everyone who never asked for AI).
            let used = !c.runs.is_empty() || c.pending.is_some();
            c.chat.push(ChatEntry {
                role: ChatRole::Notice,
                text: text.clone(),
                run: None,
                node: None,
            });
            if used {
                state.say(text.lines().next().unwrap_or_default().to_owned());
            }
        }
    }
}

/// Each node's depth: the longest path from a node without dependencies
/// (nodes come in topological order; unknown dependencies count as roots).
fn depths(nodes: &[NodeInfo]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(nodes.len());
    for n in nodes {
        let d = n
            .depends_on
            .iter()
            .filter_map(|dep| nodes.iter().position(|m| &m.id == dep))
            .filter(|&i| i < out.len())
            .map(|i| out[i] + 1)
            .max()
            .unwrap_or(0);
        out.push(d);
    }
    out
}
