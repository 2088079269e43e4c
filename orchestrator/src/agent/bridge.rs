//! An agent run as the Conductor's panes see runs: [`AgentBridge`] turns the loop's
//! [`AgentEvent`]s into [`ConductorEvent`]s. Each model turn is a `model` node
//! (`turn 1`, `turn 2`...) that streams its text into the AI pane; each tool call is a
//! node under its turn (`grep old_name #3`: the tool, a one-line summary of its
//! arguments and the node's number); a permission question is a `pick` node under the
//! call it is about, and `ask_user` a `question` node whose streamed text is the
//! question. Nodes join the run with [`ConductorEvent::NodeAdded`] as they start.
//! Every edit turns the file's proposed text into a [`ConductorEvent::Proposal`] built
//! exactly as an ACP agent's `fs/write_text_file` is (the open buffer's text against
//! the run's), so the per-hunk review shows it; a later edit of the same file sends
//! the file's whole proposal again, which replaces the earlier one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::changes::ChangeSet;
use super::permissions::PermissionRequest;
use super::run::{AgentEvent, AgentNode, AgentOutcome, NodeKind, NodeStatus as AgentStatus};
use crate::acp::fs::Files;
use crate::events::{ConductorEvent, NodeInfo, NodeStatus, RunId, RunOutcome};

/// The options of a permission node, in the order [`AgentHost::choose`] numbers them.
///
/// [`AgentHost::choose`]: super::AgentHost::choose
pub const PERMISSION_OPTIONS: [&str; 3] = ["Allow once", "Always allow", "Deny"];

/// Kind of the node that asks the user a question (answer with `AgentHost::answer`).
pub const QUESTION_KIND: &str = "question";

/// Kind of the node that asks for a permission (answer with `AgentHost::choose`).
pub const PERMISSION_KIND: &str = "pick";

/// One agent run's translation into Conductor events.
pub struct AgentBridge {
    run: RunId,
    instrument: String,
    /// DAG ids of the agent's nodes, by the agent's node number.
    ids: Vec<String>,
    /// The turn streaming now (its DAG id).
    turn: Option<String>,
    /// The call running now (its DAG id): a question is asked under it.
    call: Option<String>,
    /// Questions asked so far (numbers the pick and question nodes).
    asks: usize,
    /// The last answer text of a turn.
    answer: String,
    files: Files,
    changes: Arc<Mutex<ChangeSet>>,
    /// The proposed text already sent per file.
    sent: HashMap<PathBuf, String>,
}

impl AgentBridge {
    /// A bridge for run `run` over `instrument`; edits of `changes` are proposed through
    /// `files` (whose root is the workspace).
    pub fn new(run: RunId, instrument: &str, files: Files, changes: Arc<Mutex<ChangeSet>>) -> Self {
        Self {
            run,
            instrument: instrument.to_owned(),
            ids: Vec::new(),
            turn: None,
            call: None,
            asks: 0,
            answer: String::new(),
            files,
            changes,
            sent: HashMap::new(),
        }
    }

    /// The run's first event: the run, with no node yet (they join as they start).
    pub fn start(&self, title: &str) -> Vec<ConductorEvent> {
        vec![ConductorEvent::RunStarted {
            run: self.run,
            title: format!("agent: {title}"),
            nodes: Vec::new(),
        }]
    }

    /// Continuing a run (resume): its nodes so far, announced again with their status.
    pub fn replay(&mut self, nodes: &[AgentNode]) -> Vec<ConductorEvent> {
        let mut out = Vec::new();
        for n in nodes {
            out.extend(self.node(n));
        }
        self.turn = None;
        self.call = None;
        out
    }

    /// The Conductor events for one event of the loop.
    pub fn event(&mut self, ev: &AgentEvent) -> Vec<ConductorEvent> {
        match ev {
            AgentEvent::Node(n) => self.node(n),
            AgentEvent::Text(t) => {
                let Some(node) = self.turn.clone() else {
                    return Vec::new();
                };
                vec![ConductorEvent::Token {
                    run: self.run,
                    node,
                    text: t.clone(),
                }]
            }
            // A command's output stays in its node (Enter in the DAG pane shows it);
            // the AI pane keeps to the model's text.
            AgentEvent::ToolOutput { .. } => Vec::new(),
            AgentEvent::Finished(outcome) => self.finish(outcome),
        }
    }

    fn node(&mut self, n: &AgentNode) -> Vec<ConductorEvent> {
        let run = self.run;
        let mut out = Vec::new();
        if n.id >= self.ids.len() {
            let id = node_id(n);
            let depends_on = n
                .parent
                .and_then(|p| self.ids.get(p).cloned())
                .into_iter()
                .collect();
            self.ids.resize(n.id, String::new());
            self.ids.push(id.clone());
            out.push(ConductorEvent::NodeAdded {
                run,
                node: NodeInfo {
                    id,
                    kind: kind_name(n).into(),
                    depends_on,
                    instrument: (n.kind == NodeKind::Turn).then(|| self.instrument.clone()),
                },
            });
        }
        let id = self.ids[n.id].clone();
        let running = n.status == AgentStatus::Running;
        match n.kind {
            NodeKind::Turn => {
                self.turn = running.then(|| id.clone());
                if n.status == AgentStatus::Done {
                    self.answer = n.output.clone();
                    if let Some(tps) = n.tokens_per_sec {
                        out.push(ConductorEvent::Throughput {
                            run,
                            node: id.clone(),
                            tokens_per_second: tps,
                        });
                    }
                }
            }
            NodeKind::Tool => {
                self.call = running.then(|| id.clone());
            }
            NodeKind::Context => {}
        }
        out.push(ConductorEvent::Node {
            run,
            node: id,
            status: status(&n.status),
        });
        if n.kind == NodeKind::Tool && n.status == AgentStatus::Done && is_edit(&n.label) {
            out.extend(self.proposals());
        }
        out
    }

    /// A proposal for every file of the change set (a resumed run sends them again).
    pub fn all_proposals(&mut self) -> Vec<ConductorEvent> {
        self.sent.clear();
        self.proposals()
    }

    /// A proposal for every file whose proposed text changed since the last one sent.
    fn proposals(&mut self) -> Vec<ConductorEvent> {
        let changed: Vec<(PathBuf, String)> = {
            let changes = self.changes.lock();
            changes
                .files()
                .filter(|c| self.sent.get(&c.path) != Some(&c.after))
                .map(|c| (c.path.clone(), c.after.clone()))
                .collect()
        };
        let mut out = Vec::new();
        for (rel, after) in changed {
            let abs = self.files.root().join(&rel);
            match self.files.propose_write(&abs, &after) {
                Ok(proposal) => out.push(ConductorEvent::Proposal {
                    run: self.run,
                    proposal,
                }),
                Err(e) => out.push(ConductorEvent::Notice(format!(
                    "the agent's change to {} cannot be reviewed: {e}",
                    rel.display()
                ))),
            }
            self.sent.insert(rel, after);
        }
        out
    }

    /// A permission question: a pick node under the call it is about, with the options
    /// of [`PERMISSION_OPTIONS`]. Returns the node's id and its events.
    pub fn permission(&mut self, request: &PermissionRequest) -> (String, Vec<ConductorEvent>) {
        self.asks += 1;
        let id = format!("permission #{}", self.asks);
        let what = format!("{} {}", request.tool, request.argument);
        let candidates = PERMISSION_OPTIONS
            .iter()
            .map(|o| format!("{o}: {what}"))
            .collect();
        let mut out = self.asked(&id, PERMISSION_KIND);
        out.push(ConductorEvent::Candidates {
            run: self.run,
            node: id.clone(),
            candidates,
        });
        (id, out)
    }

    /// The model's `ask_user`: a question node under the call, streaming the question.
    /// Returns the node's id and its events.
    pub fn question(&mut self, question: &str) -> (String, Vec<ConductorEvent>) {
        self.asks += 1;
        let id = format!("question #{}", self.asks);
        let mut out = self.asked(&id, QUESTION_KIND);
        out.push(ConductorEvent::Token {
            run: self.run,
            node: id.clone(),
            text: question.to_owned(),
        });
        (id, out)
    }

    fn asked(&self, id: &str, kind: &str) -> Vec<ConductorEvent> {
        vec![
            ConductorEvent::NodeAdded {
                run: self.run,
                node: NodeInfo {
                    id: id.to_owned(),
                    kind: kind.into(),
                    depends_on: self.call.clone().into_iter().collect(),
                    instrument: None,
                },
            },
            ConductorEvent::Node {
                run: self.run,
                node: id.to_owned(),
                status: NodeStatus::Running { attempt: 1 },
            },
        ]
    }

    /// The events that end the run.
    pub fn finish(&mut self, outcome: &AgentOutcome) -> Vec<ConductorEvent> {
        let outcome = match outcome {
            AgentOutcome::Done { .. } => RunOutcome::Succeeded,
            AgentOutcome::Cancelled => RunOutcome::Cancelled,
            other => RunOutcome::Failed(other.message()),
        };
        vec![ConductorEvent::RunFinished {
            run: self.run,
            outcome,
            answer: (!self.answer.is_empty()).then(|| self.answer.clone()),
        }]
    }
}

/// A node's id in the DAG: `turn N` for a model turn; the tool, its argument summary
/// (cut to 48 characters) and the node's number for a call (`grep old_name #3`).
pub fn node_id(n: &AgentNode) -> String {
    match n.kind {
        NodeKind::Turn => format!("turn {}", n.id + 1),
        NodeKind::Context => format!("context: {} #{}", n.summary, n.id + 1),
        NodeKind::Tool => {
            let summary = n.summary.lines().next().unwrap_or("").trim();
            let summary: String = match summary.char_indices().nth(48) {
                Some((i, _)) => format!("{}…", &summary[..i]),
                None => summary.to_owned(),
            };
            if summary.is_empty() {
                format!("{} #{}", n.label, n.id + 1)
            } else {
                format!("{} {summary} #{}", n.label, n.id + 1)
            }
        }
    }
}

/// What the DAG pane shows of a node besides its id: tokens in/out, time to first
/// token and tokens/s of a turn; duration and result size of a call.
pub fn node_label(n: &AgentNode) -> String {
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let mut parts = Vec::new();
    match n.kind {
        NodeKind::Turn => {
            parts.push(format!("{} in / {} out tokens", n.tokens_in, n.tokens_out));
            if let Some(t) = n.time_to_first_token {
                parts.push(format!("first token {}", secs(t)));
            }
            if let Some(tps) = n.tokens_per_sec {
                parts.push(format!("{tps:.1} tokens/s"));
            }
        }
        NodeKind::Context => parts.push(n.summary.clone()),
        NodeKind::Tool => {
            if let Some(d) = n.duration {
                parts.push(secs(d));
            }
            if let Some(b) = n.result_bytes {
                parts.push(format!("{b} bytes"));
            }
        }
    }
    parts.join(" · ")
}

fn is_edit(tool: &str) -> bool {
    matches!(tool, "edit_file" | "write_file")
}

fn kind_name(n: &AgentNode) -> &'static str {
    match n.kind {
        NodeKind::Turn => "model",
        NodeKind::Context => "context",
        NodeKind::Tool => match n.label.as_str() {
            "read_file" => "read",
            "list_files" | "grep" => "search",
            "edit_file" | "write_file" => "edit",
            "run_command" => "execute",
            "ask_user" => "ask",
            _ => "tool",
        },
    }
}

fn status(s: &AgentStatus) -> NodeStatus {
    match s {
        AgentStatus::Running => NodeStatus::Running { attempt: 1 },
        AgentStatus::Done => NodeStatus::Done,
        AgentStatus::Failed(m) => NodeStatus::Failed(m.clone()),
        AgentStatus::Refused => NodeStatus::Failed("refused".into()),
        AgentStatus::Interrupted => NodeStatus::Interrupted,
    }
}
