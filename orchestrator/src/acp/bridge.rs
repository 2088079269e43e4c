//! An ACP run as the Conductor's panes see runs: [`RunBridge`] turns [`AcpEvent`]s
//! into [`ConductorEvent`]s, so the AI pane streams the agent's answer, the DAG pane
//! shows one node per tool call and the review gets its file writes as proposals.
//!
//! The DAG grows while the agent works; the Conductor's events have no "node added"
//! yet, so a new tool call re-announces the run (`RunStarted` with every node so far)
//! and then every node's status again. When the Conductor gains a node-added event
//! (Symphony's own agent needs it too), [`RunBridge::nodes_changed`] is the one place
//! to switch.

use agent_client_protocol_schema::v1::{StopReason, ToolCallStatus, ToolKind};

use super::{AcpError, AcpEvent, AcpRun, ToolNode};
use crate::events::{ConductorEvent, NodeInfo, NodeStatus, RunId, RunOutcome};

/// The node that holds the agent's streamed answer.
pub const ANSWER_NODE: &str = "answer";

/// One ACP run's translation into Conductor events.
#[derive(Debug)]
pub struct RunBridge {
    run_id: RunId,
    title: String,
    agent: String,
    /// The run folded so far.
    pub run: AcpRun,
}

impl RunBridge {
    /// A run `run_id` of agent `agent` for prompt `title`; its first events.
    pub fn start(run_id: RunId, agent: &str, title: &str) -> (RunBridge, Vec<ConductorEvent>) {
        let b = RunBridge {
            run_id,
            title: title.to_owned(),
            agent: agent.to_owned(),
            run: AcpRun::default(),
        };
        let mut out = b.nodes_changed();
        out.push(ConductorEvent::Node {
            run: run_id,
            node: ANSWER_NODE.into(),
            status: NodeStatus::Running { attempt: 1 },
        });
        (b, out)
    }

    /// The Conductor events for one event of the agent.
    pub fn event(&mut self, ev: &AcpEvent) -> Vec<ConductorEvent> {
        let run = self.run_id;
        match ev {
            AcpEvent::Update(u) => {
                let before_text = self.run.text.len();
                // Statuses only: cloning every node (with its content) per update
                // would make each chunk cost as much as the whole run so far.
                let before: Vec<ToolCallStatus> = self.run.nodes.iter().map(|n| n.status).collect();
                self.run.apply(u);
                let mut out = Vec::new();
                if self.run.text.len() > before_text {
                    out.push(ConductorEvent::Token {
                        run,
                        node: ANSWER_NODE.into(),
                        text: self.run.text[before_text..].to_owned(),
                    });
                }
                if self.run.nodes.len() != before.len() {
                    out.extend(self.nodes_changed());
                } else {
                    for (n, old) in self.run.nodes.iter().zip(&before) {
                        if n.status != *old {
                            out.push(ConductorEvent::Node {
                                run,
                                node: node_id(n),
                                status: status(n.status),
                            });
                        }
                    }
                }
                out
            }
            AcpEvent::Proposal(p) => vec![ConductorEvent::Proposal {
                run,
                proposal: p.proposal.clone(),
            }],
            AcpEvent::Ignored { .. } | AcpEvent::Malformed(_) | AcpEvent::TerminalOutput { .. } => {
                Vec::new()
            }
            AcpEvent::Permission(_) => Vec::new(),
            AcpEvent::Exited { stderr } => vec![ConductorEvent::Notice(format!(
                "agent `{}` exited{}",
                self.agent,
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(": {}", stderr.lines().last().unwrap_or(""))
                }
            ))],
        }
    }

    /// The events that end the run: its stop reason (or the error) and the answer.
    pub fn finish(&mut self, result: Result<StopReason, &AcpError>) -> Vec<ConductorEvent> {
        let run = self.run_id;
        let (node_status, outcome) = match result {
            Ok(StopReason::Cancelled) => (NodeStatus::Cancelled, RunOutcome::Cancelled),
            Ok(StopReason::EndTurn) => (NodeStatus::Done, RunOutcome::Succeeded),
            Ok(other) => {
                let why = match other {
                    StopReason::MaxTokens => "the agent hit its token limit",
                    StopReason::MaxTurnRequests => "the agent hit its turn limit",
                    StopReason::Refusal => "the agent refused",
                    _ => "the agent stopped",
                };
                (
                    NodeStatus::Failed(why.into()),
                    RunOutcome::Failed(why.into()),
                )
            }
            Err(e) => (
                NodeStatus::Failed(e.to_string()),
                RunOutcome::Failed(e.to_string()),
            ),
        };
        if let Ok(reason) = result {
            self.run.stop = Some(reason);
        }
        vec![
            ConductorEvent::Node {
                run,
                node: ANSWER_NODE.into(),
                status: node_status,
            },
            ConductorEvent::RunFinished {
                run,
                outcome,
                answer: Some(self.run.text.clone()),
            },
        ]
    }

    /// The events that end a run whose session was loaded again after a restart: its
    /// replayed answer stands, tool calls the replay left unfinished are cancelled.
    pub fn loaded(&mut self) -> Vec<ConductorEvent> {
        let run = self.run_id;
        let mut out: Vec<ConductorEvent> = self
            .run
            .nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.status,
                    ToolCallStatus::Pending | ToolCallStatus::InProgress
                )
            })
            .map(|n| ConductorEvent::Node {
                run,
                node: node_id(n),
                status: NodeStatus::Cancelled,
            })
            .collect();
        out.extend(self.finish(Ok(StopReason::EndTurn)));
        out
    }

    /// The events that end a run that cannot go on after a restart (`why` says so).
    pub fn interrupted(&mut self, why: &str) -> Vec<ConductorEvent> {
        let run = self.run_id;
        vec![
            ConductorEvent::Node {
                run,
                node: ANSWER_NODE.into(),
                status: NodeStatus::Failed(why.to_owned()),
            },
            ConductorEvent::Notice(why.to_owned()),
            ConductorEvent::RunFinished {
                run,
                outcome: RunOutcome::Interrupted,
                answer: None,
            },
        ]
    }

    /// The run announced with every node so far, then each tool node's status.
    pub fn nodes_changed(&self) -> Vec<ConductorEvent> {
        let run = self.run_id;
        let mut nodes = vec![NodeInfo {
            id: ANSWER_NODE.into(),
            kind: "agent".into(),
            depends_on: Vec::new(),
            instrument: Some(self.agent.clone()),
        }];
        nodes.extend(self.run.nodes.iter().map(|n| NodeInfo {
            id: node_id(n),
            kind: kind_name(n.kind).into(),
            depends_on: vec![ANSWER_NODE.into()],
            instrument: Some(self.agent.clone()),
        }));
        let mut out = vec![ConductorEvent::RunStarted {
            run,
            title: format!("{}: {}", self.agent, self.title),
            nodes,
        }];
        if self.run.stop.is_none() {
            out.push(ConductorEvent::Node {
                run,
                node: ANSWER_NODE.into(),
                status: NodeStatus::Running { attempt: 1 },
            });
        }
        out.extend(self.run.nodes.iter().map(|n| ConductorEvent::Node {
            run,
            node: node_id(n),
            status: status(n.status),
        }));
        if !self.run.text.is_empty() {
            out.push(ConductorEvent::Token {
                run,
                node: ANSWER_NODE.into(),
                text: self.run.text.clone(),
            });
        }
        out
    }
}

/// A tool node's id in the DAG: its title and the agent's id ("Read a.txt #t1").
fn node_id(n: &ToolNode) -> String {
    if n.title.is_empty() {
        format!("#{}", n.id)
    } else {
        format!("{} #{}", n.title, n.id)
    }
}

fn status(s: ToolCallStatus) -> NodeStatus {
    match s {
        ToolCallStatus::Pending => NodeStatus::Pending,
        ToolCallStatus::InProgress => NodeStatus::Running { attempt: 1 },
        ToolCallStatus::Completed => NodeStatus::Done,
        ToolCallStatus::Failed => NodeStatus::Failed("the tool call failed".into()),
        _ => NodeStatus::Pending,
    }
}

fn kind_name(k: ToolKind) -> &'static str {
    match k {
        ToolKind::Read => "read",
        ToolKind::Edit => "edit",
        ToolKind::Delete => "delete",
        ToolKind::Move => "move",
        ToolKind::Search => "search",
        ToolKind::Execute => "execute",
        ToolKind::Think => "think",
        ToolKind::Fetch => "fetch",
        ToolKind::SwitchMode => "switch_mode",
        _ => "tool",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(v: serde_json::Value) -> AcpEvent {
        AcpEvent::Update(Box::new(serde_json::from_value(v).unwrap()))
    }

    #[test]
    fn chunks_stream_tool_calls_become_nodes_and_the_stop_reason_ends_the_run() {
        let (mut b, first) = RunBridge::start(RunId(7), "opencode", "fix it");
        assert!(matches!(&first[0], ConductorEvent::RunStarted { nodes, .. } if nodes.len() == 1));
        let ev = b.event(&up(
            serde_json::json!({"sessionUpdate":"agent_message_chunk",
            "content":{"type":"text","text":"Hi"}}),
        ));
        assert_eq!(
            ev,
            [ConductorEvent::Token {
                run: RunId(7),
                node: ANSWER_NODE.into(),
                text: "Hi".into()
            }]
        );
        let ev = b.event(&up(
            serde_json::json!({"sessionUpdate":"tool_call","toolCallId":"t1",
            "title":"Read a.txt","kind":"read","status":"in_progress"}),
        ));
        let ConductorEvent::RunStarted { nodes, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(nodes[1].id, "Read a.txt #t1");
        assert_eq!(nodes[1].kind, "read");
        assert!(ev.contains(&ConductorEvent::Node {
            run: RunId(7),
            node: "Read a.txt #t1".into(),
            status: NodeStatus::Running { attempt: 1 },
        }));
        let ev = b.event(&up(serde_json::json!({"sessionUpdate":"tool_call_update",
            "toolCallId":"t1","status":"completed"})));
        assert_eq!(
            ev,
            [ConductorEvent::Node {
                run: RunId(7),
                node: "Read a.txt #t1".into(),
                status: NodeStatus::Done
            }]
        );
        let end = b.finish(Ok(StopReason::Cancelled));
        assert!(matches!(
            &end[1],
            ConductorEvent::RunFinished { outcome: RunOutcome::Cancelled, answer: Some(a), .. } if a == "Hi"
        ));
    }
}
