//! Runs of an earlier session: listing them ([`Conductor::recent_runs`]), their node
//! outputs from the artifact store, and rebuilding a run from its journal so a failed or
//! interrupted node can be retried after a restart.

use std::collections::HashMap;
use std::sync::Arc;

use super::Conductor;
use super::exec::context_vars;
use super::journal::{NodeOutput, RECENT_RUNS, RunSummary};
use super::run::{RunEntry, RunParts};
use crate::events::RunId;
use crate::workflow::builtin;

impl Conductor {
    /// The recent runs, newest first (at most 50): those of this session and those loaded
    /// from the store on start, each with its nodes' last known state. A run that was
    /// running when Symphony stopped is `interrupted`; its outcome and the nodes that were
    /// running are `Failed` ("interrupted: ..."), so [`Conductor::retry_node`] can run them
    /// again.
    pub fn recent_runs(&self) -> Vec<RunSummary> {
        self.inner.journals.recent(RECENT_RUNS)
    }

    /// The stored output of `node` of a run known only from its journal.
    pub(super) fn stored_output(&self, run: RunId, node: &str) -> Option<String> {
        let id = self.inner.journals.get(run)?.output_of(node)?;
        Some(self.load_output(&id)?.text())
    }

    fn load_output(&self, artifact: &str) -> Option<NodeOutput> {
        let text = self.inner.artifacts.text(artifact)?;
        match serde_json::from_str(&text) {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::warn!(artifact, error = %e, "unreadable node output");
                None
            }
        }
    }

    /// Rebuilds a run of an earlier session from its journal: its workflow planned again
    /// against the instruments configured now, its editor context, and the outputs of its
    /// finished nodes read back from the artifact store (a node whose output cannot be read
    /// runs again). The run is then known like a run of this session.
    pub(super) fn resume(&self, run: RunId) -> std::result::Result<Arc<RunEntry>, String> {
        let inner = &self.inner;
        let journal = inner
            .journals
            .get(run)
            .ok_or_else(|| format!("run {} is unknown", run.0))?;
        let m = journal.manifest();
        let plan = m
            .workflow
            .plan(
                &inner.journals.instruments,
                inner.journals.default_instrument.as_deref(),
            )
            .map_err(|e| format!("run {} cannot run again: {e}", run.0))?;
        let conversation = m.conversation.as_deref().and_then(|cid| {
            let c = inner.artifacts.conversation(cid);
            if c.is_none() {
                tracing::warn!(
                    conversation = cid,
                    "conversation of a resumed run not found"
                );
            }
            c
        });
        let mut values = HashMap::new();
        let mut outputs = HashMap::new();
        for (node, artifact) in journal.done_outputs() {
            if !plan.nodes.contains_key(&node) {
                continue;
            }
            if let Some(out) = self.load_output(&artifact) {
                outputs.insert(node.clone(), out.text());
                values.insert(node, out.value);
            }
        }
        let vars = context_vars(&m.context, builtin::instruction(&m.command));
        let entry = RunEntry::new(
            RunParts {
                run,
                command: m.command_name.clone(),
                plan: Arc::new(plan),
                ctx: m.context.clone(),
                vars,
                conversation,
                journal,
                outputs,
                values,
            },
            inner.instruments.clone(),
            inner.artifacts.clone(),
            inner.extensions.clone(),
        );
        // Two retries at once: the first one rebuilt wins.
        Ok(inner.runs.lock().entry(run).or_insert(entry).clone())
    }
}
