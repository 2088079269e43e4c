//! What an agent run used and what it did, kept for later: tokens per turn and per
//! run, the cost when the instrument has a price per million tokens, and every
//! prompt, response, tool call and result as an artifact of the run's node (so the
//! artifacts pane finds them, tagged `run:<id>` and `node:<id>`).

use serde::{Deserialize, Serialize};

use super::run::{AgentNode, NodeKind, NodeStatus};
use crate::conductor::RunArtifacts;
use crate::events::{ArtifactHit, RunId};

/// An instrument's price, in the user's currency per million tokens.
///
/// ```toml
/// [agent.prices.claude]   # keyed by instrument name
/// input = 3.0
/// output = 15.0
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Per million prompt tokens.
    #[serde(default)]
    pub input: f64,
    /// Per million generated tokens.
    #[serde(default)]
    pub output: f64,
}

/// A run's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    /// Model turns.
    pub turns: usize,
    /// Tool calls.
    pub calls: usize,
    /// Prompt tokens, summed over the turns.
    pub tokens_in: u64,
    /// Generated tokens, summed over the turns.
    pub tokens_out: u64,
    /// The cost, when the instrument has a price.
    pub cost: Option<f64>,
}

impl RunTotals {
    /// The totals of `nodes` (one run's), priced with `price`.
    pub fn of(nodes: &[AgentNode], price: Option<Price>) -> RunTotals {
        let mut t = RunTotals::default();
        for n in nodes {
            match n.kind {
                NodeKind::Turn => t.turns += 1,
                NodeKind::Tool => t.calls += 1,
                NodeKind::Context => {}
            }
            t.tokens_in += n.tokens_in;
            t.tokens_out += n.tokens_out;
        }
        t.cost = price
            .map(|p| (t.tokens_in as f64 * p.input + t.tokens_out as f64 * p.output) / 1_000_000.0);
        t
    }

    /// Tokens in and out.
    pub fn tokens(&self) -> u64 {
        self.tokens_in + self.tokens_out
    }

    /// The run's summary line ("3 turns, 4 tool calls, 1200 tokens in / 300 out, cost 0.0081").
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} turn{}, {} tool call{}, {} tokens in / {} out",
            self.turns,
            if self.turns == 1 { "" } else { "s" },
            self.calls,
            if self.calls == 1 { "" } else { "s" },
            self.tokens_in,
            self.tokens_out
        );
        if let Some(c) = self.cost {
            s.push_str(&format!(", cost {c:.4}"));
        }
        s
    }
}

/// The artifacts a finished node leaves: a turn's prompt (what was new since the model
/// last spoke) and response; a call's arguments and result. `(kind, text)`.
pub fn node_artifacts(n: &AgentNode) -> Vec<(&'static str, String)> {
    if n.status == NodeStatus::Running {
        return Vec::new();
    }
    match n.kind {
        NodeKind::Turn => {
            let mut response = n.output.clone();
            if n.summary.starts_with("calls ") {
                if !response.is_empty() {
                    response.push_str("\n\n");
                }
                response.push_str(&n.summary);
            }
            vec![("prompt", n.input.clone()), ("response", response)]
        }
        NodeKind::Tool => vec![
            ("tool-call", format!("{} {}", n.label, n.input)),
            ("tool-result", n.output.clone()),
        ],
        NodeKind::Context => Vec::new(),
    }
}

/// Stores `n`'s artifacts for DAG node `node` of `run`; their hits. Blocking.
pub fn store_node(
    artifacts: &RunArtifacts,
    run: RunId,
    node: &str,
    n: &AgentNode,
    instrument: &str,
) -> Vec<ArtifactHit> {
    let instrument = (n.kind == NodeKind::Turn).then_some(instrument);
    node_artifacts(n)
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .filter_map(|(kind, text)| artifacts.put(&text, kind, run, node, "agent", instrument))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: NodeKind, tokens_in: u64, tokens_out: u64) -> AgentNode {
        AgentNode {
            id: 0,
            kind,
            label: "grep".into(),
            summary: "calls grep".into(),
            parent: None,
            status: NodeStatus::Done,
            tokens_in,
            tokens_out,
            time_to_first_token: None,
            tokens_per_sec: None,
            duration: None,
            result_bytes: None,
            input: "{\"pattern\":\"x\"}".into(),
            output: "a.rs:1: x".into(),
        }
    }

    #[test]
    fn totals_count_turns_calls_tokens_and_the_cost_per_million() {
        let nodes = [
            node(NodeKind::Turn, 1000, 200),
            node(NodeKind::Tool, 0, 0),
            node(NodeKind::Turn, 1500, 300),
        ];
        let t = RunTotals::of(
            &nodes,
            Some(Price {
                input: 3.0,
                output: 15.0,
            }),
        );
        assert_eq!(
            (t.turns, t.calls, t.tokens_in, t.tokens_out),
            (2, 1, 2500, 500)
        );
        let cost = t.cost.unwrap();
        assert!((cost - 0.015).abs() < 1e-9, "{cost}");
        assert_eq!(
            t.line(),
            "2 turns, 1 tool call, 2500 tokens in / 500 out, cost 0.0150"
        );
        assert_eq!(RunTotals::of(&nodes, None).cost, None);
    }

    #[test]
    fn a_turn_stores_its_prompt_and_response_and_a_call_its_arguments_and_result() {
        let turn = node(NodeKind::Turn, 1, 1);
        let kinds: Vec<&str> = node_artifacts(&turn).iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, ["prompt", "response"]);
        assert!(node_artifacts(&turn)[1].1.ends_with("calls grep"));
        let call = node(NodeKind::Tool, 0, 0);
        assert_eq!(
            node_artifacts(&call),
            [
                ("tool-call", "grep {\"pattern\":\"x\"}".to_string()),
                ("tool-result", "a.rs:1: x".to_string())
            ]
        );
        let mut running = call;
        running.status = NodeStatus::Running;
        assert!(node_artifacts(&running).is_empty());
    }
}
