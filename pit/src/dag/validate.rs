//! Validation of a workflow: duplicate ids, missing inputs, bad fallbacks and cycles named by
//! their path, all reported at once.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// One thing wrong with a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Node ids along a cycle, the first repeated at the end (`A → B → C → A`).
    Cycle(Vec<String>),
    /// An input that no node produces.
    MissingInput {
        /// The consuming node.
        node: String,
        /// The input as written (`producer.output`).
        input: String,
        /// Why it cannot be resolved.
        reason: String,
    },
    /// Two or more nodes share this id.
    DuplicateId(String),
    /// A fallback that cannot be used.
    BadFallback {
        /// The node whose failure policy names the fallback.
        node: String,
        /// The named fallback.
        fallback: String,
        /// Why it cannot be used.
        reason: String,
    },
}

impl Problem {
    /// Joins problems for an error message.
    pub(crate) fn join(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Cycle(path) => write!(f, "cycle: {}", path.join(" → ")),
            Problem::MissingInput {
                node,
                input,
                reason,
            } => {
                write!(f, "node `{node}` input `{input}`: {reason}")
            }
            Problem::DuplicateId(id) => write!(f, "duplicate node id `{id}`"),
            Problem::BadFallback {
                node,
                fallback,
                reason,
            } => {
                write!(f, "node `{node}` fallback `{fallback}`: {reason}")
            }
        }
    }
}

/// Finds every cycle (one per strongly connected component) and returns its path.
pub(crate) fn cycles(graph: &DiGraph<(), u32>, ids: &[impl AsRef<str>]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut comps = petgraph::algo::tarjan_scc(graph);
    for comp in &mut comps {
        comp.sort_unstable();
    }
    comps.sort_unstable_by_key(|c| c.first().map(|n| n.index()));
    for comp in comps {
        let Some(&start) = comp.first() else { continue };
        let self_loop = graph.edges(start).any(|e| e.target() == start);
        if comp.len() == 1 && !self_loop {
            continue;
        }
        let path = cycle_path(graph, &comp, start);
        out.push(Problem::Cycle(
            path.iter()
                .map(|n| ids[n.index()].as_ref().to_owned())
                .collect(),
        ));
    }
    out
}

/// Shortest path start → … → start inside one strongly connected component.
fn cycle_path(graph: &DiGraph<(), u32>, comp: &[NodeIndex], start: NodeIndex) -> Vec<NodeIndex> {
    let inside: HashMap<NodeIndex, ()> = comp.iter().map(|&n| (n, ())).collect();
    let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    let mut seen = HashMap::from([(start, ())]);
    let mut last = None;
    'bfs: while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph.neighbors(n).collect();
        next.sort_unstable();
        next.dedup();
        for m in next {
            if m == start {
                last = Some(n);
                break 'bfs;
            }
            if inside.contains_key(&m) && seen.insert(m, ()).is_none() {
                prev.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    let mut path = vec![start];
    let mut cur = last;
    while let Some(n) = cur {
        if n == start {
            break;
        }
        path.push(n);
        cur = prev.get(&n).copied();
    }
    path[1..].reverse();
    path.push(start);
    path
}
