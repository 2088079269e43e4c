//! A validated workflow: the petgraph graph, resolved inputs and the deterministic
//! topological order.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use super::error::{DagError, Result};
use super::node::{NodeSpec, OnFailure};
use super::validate::{self, Problem};

/// Marks an ordering-only input (no value passed).
pub(crate) const NO_OUTPUT: u32 = u32::MAX;

/// A workflow that passed validation; cheap to share behind an `Arc`.
///
/// ```
/// use symphony_pit::dag::{NodeSpec, Workflow};
/// let wf = Workflow::new(vec![
///     NodeSpec::new("b", "noop").input("a.out"),
///     NodeSpec::new("a", "noop").output("out"),
/// ]).unwrap();
/// let order: Vec<&str> = wf.topological_order().map(|n| &*n.id).collect();
/// assert_eq!(order, ["a", "b"]);
/// ```
#[derive(Debug)]
pub struct Workflow {
    pub(crate) nodes: Vec<NodeSpec>,
    pub(crate) graph: DiGraph<(), u32>,
    pub(crate) index: HashMap<Arc<str>, u32, FxBuild>,
    /// Per input, in node order: (producer, output position or NO_OUTPUT).
    pub(crate) input_src: Vec<(u32, u32)>,
    /// `input_src[input_off[i]..input_off[i + 1]]` are node i's inputs.
    pub(crate) input_off: Vec<u32>,
    /// Resolved fallback of each node.
    pub(crate) fallback: Vec<Option<u32>>,
    /// Nodes that only run as someone's fallback.
    pub(crate) standby: Vec<bool>,
    topo: Vec<u32>,
}

impl Workflow {
    /// Validates `nodes` and builds the workflow; every problem is reported at once.
    ///
    /// ```
    /// use symphony_pit::dag::{DagError, NodeSpec, Workflow};
    /// let err = Workflow::new(vec![
    ///     NodeSpec::new("A", "x").input("C"),
    ///     NodeSpec::new("B", "x").input("A"),
    ///     NodeSpec::new("C", "x").input("B"),
    /// ]).unwrap_err();
    /// assert!(err.to_string().contains("A → B → C → A"), "{err}");
    /// ```
    pub fn new(nodes: Vec<NodeSpec>) -> Result<Self> {
        let n = nodes.len();
        let mut problems = Vec::new();
        let mut index: HashMap<Arc<str>, u32, FxBuild> =
            HashMap::with_capacity_and_hasher(n, FxBuild::default());
        let mut dup_reported: HashMap<Arc<str>, ()> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            match index.entry(node.id.clone()) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(i as u32);
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    if dup_reported.insert(node.id.clone(), ()).is_none() {
                        problems.push(Problem::DuplicateId(node.id.to_string()));
                    }
                }
            }
        }

        let mut graph: DiGraph<(), u32> = DiGraph::with_capacity(n, n);
        for _ in 0..n {
            graph.add_node(());
        }
        let total_inputs: usize = nodes.iter().map(|n| n.inputs.len()).sum();
        let mut input_src = Vec::with_capacity(total_inputs);
        let mut input_off = Vec::with_capacity(n + 1);
        for (i, node) in nodes.iter().enumerate() {
            input_off.push(input_src.len() as u32);
            for (slot, input) in node.inputs.iter().enumerate() {
                let Some(&p) = index.get(input.node.as_str()) else {
                    problems.push(Problem::MissingInput {
                        node: node.id.to_string(),
                        input: input.to_string(),
                        reason: format!("no node `{}`", input.node),
                    });
                    input_src.push((i as u32, NO_OUTPUT));
                    continue;
                };
                let out = match &input.output {
                    None => NO_OUTPUT,
                    Some(name) => match nodes[p as usize].outputs.iter().position(|o| o == name) {
                        Some(pos) => pos as u32,
                        None => {
                            problems.push(Problem::MissingInput {
                                node: node.id.to_string(),
                                input: input.to_string(),
                                reason: format!("node `{}` has no output `{name}`", input.node),
                            });
                            NO_OUTPUT
                        }
                    },
                };
                input_src.push((p, out));
                graph.add_edge(NodeIndex::new(p as usize), NodeIndex::new(i), slot as u32);
            }
        }
        input_off.push(input_src.len() as u32);

        let mut fallback = vec![None; n];
        let mut standby = vec![false; n];
        for (i, node) in nodes.iter().enumerate() {
            if let OnFailure::Fallback(f) = &node.on_failure {
                match index.get(f.as_str()) {
                    None => problems.push(Problem::BadFallback {
                        node: node.id.to_string(),
                        fallback: f.clone(),
                        reason: "no such node".into(),
                    }),
                    Some(&j) if j as usize == i => problems.push(Problem::BadFallback {
                        node: node.id.to_string(),
                        fallback: f.clone(),
                        reason: "a node cannot be its own fallback".into(),
                    }),
                    Some(&j) => {
                        if nodes[j as usize].outputs.len() < node.outputs.len() {
                            problems.push(Problem::BadFallback {
                                node: node.id.to_string(),
                                fallback: f.clone(),
                                reason: "the fallback has fewer outputs".into(),
                            });
                        }
                        fallback[i] = Some(j);
                        standby[j as usize] = true;
                    }
                }
            }
        }

        let topo = kahn(&nodes, &graph);
        if topo.len() < n {
            problems.extend(validate::cycles(&graph, &ids(&nodes)));
        } else {
            // A fallback downstream of its node would wait for it forever.
            for (i, f) in fallback.iter().enumerate() {
                if let Some(j) = *f
                    && petgraph::algo::has_path_connecting(
                        &graph,
                        NodeIndex::new(i),
                        NodeIndex::new(j as usize),
                        None,
                    )
                {
                    problems.push(Problem::BadFallback {
                        node: nodes[i].id.to_string(),
                        fallback: nodes[j as usize].id.to_string(),
                        reason: "the fallback depends on the node it replaces".into(),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(DagError::Invalid(problems));
        }
        Ok(Self {
            nodes,
            graph,
            index,
            input_src,
            input_off,
            fallback,
            standby,
            topo,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when the workflow has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes in insertion order.
    pub fn nodes(&self) -> &[NodeSpec] {
        &self.nodes
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&NodeSpec> {
        self.index.get(id).map(|&i| &self.nodes[i as usize])
    }

    /// The underlying petgraph graph (node index = insertion position; an edge goes from
    /// producer to consumer and carries the consumer's input slot).
    pub fn graph(&self) -> &DiGraph<(), u32> {
        &self.graph
    }

    /// Deterministic topological order: among nodes whose producers are all placed, the
    /// highest priority comes first, then the earliest inserted.
    pub fn topological_order(&self) -> impl Iterator<Item = &NodeSpec> + '_ {
        self.topo.iter().map(|&i| &self.nodes[i as usize])
    }

    pub(crate) fn position(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub(crate) fn inputs_of(&self, i: usize) -> &[(u32, u32)] {
        &self.input_src[self.input_off[i] as usize..self.input_off[i + 1] as usize]
    }

    pub(crate) fn dependents(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(i), Direction::Outgoing)
            .map(|n| n.index())
    }
}

/// A fast, non-cryptographic hasher for node ids (FxHash: multiply-rotate per word).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so the low bits (bucket index) depend on every input bit.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// Builds [`FxHasher`]s.
pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

fn ids(nodes: &[NodeSpec]) -> Vec<Arc<str>> {
    nodes.iter().map(|n| n.id.clone()).collect()
}

/// Kahn's algorithm; ties broken by priority (high first) then insertion order.
fn kahn(nodes: &[NodeSpec], graph: &DiGraph<(), u32>) -> Vec<u32> {
    let n = nodes.len();
    let mut indeg = vec![0u32; n];
    for e in graph.raw_edges() {
        indeg[e.target().index()] += 1;
    }
    let mut heap: BinaryHeap<(i32, Reverse<u32>)> = indeg
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| (nodes[i].priority, Reverse(i as u32)))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some((_, Reverse(i))) = heap.pop() {
        order.push(i);
        for m in graph.neighbors_directed(NodeIndex::new(i as usize), Direction::Outgoing) {
            let d = &mut indeg[m.index()];
            *d -= 1;
            if *d == 0 {
                heap.push((nodes[m.index()].priority, Reverse(m.index() as u32)));
            }
        }
    }
    order
}
