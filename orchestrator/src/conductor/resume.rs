//! Runs of an earlier session: listing them ([`Conductor::recent_runs`]), their node
//! outputs from the artifact store, the text they read ([`Conductor::run_source`]), and
//! rebuilding a run from its journal so a failed or interrupted node can be retried after a
//! restart.

use std::collections::HashMap;
use std::sync::Arc;

use super::Conductor;
use super::exec::context_vars;
use super::journal::{NodeOutput, RECENT_RUNS, RunSummary};
use super::run::{RunEntry, RunParts};
use crate::events::{ConductorEvent, RunId};
use crate::workflow::builtin;

impl Conductor {
    /// The recent runs, newest first (at most 50): those of this session and those loaded
    /// from the store on start, each with its nodes' last known state. A run that was
    /// running when Symphony stopped is `interrupted`: its outcome is
    /// [`RunOutcome::Interrupted`](crate::events::RunOutcome::Interrupted) and the nodes
    /// that were running are [`NodeStatus::Interrupted`](crate::events::NodeStatus::Interrupted);
    /// [`Conductor::retry_node`] runs them again.
    pub fn recent_runs(&self) -> Vec<RunSummary> {
        self.inner.journals.recent(RECENT_RUNS)
    }

    /// The text `run` read (its selection, else the whole file), for a candidate's diff
    /// preview: from memory for a run of this session, else from the journal's
    /// content-addressed store. Reads the disk: call it off the UI thread (or use
    /// [`Conductor::fetch_run_source`]). `Err` says why it cannot be had (an unknown run,
    /// a text deleted by hand).
    pub fn run_source(&self, run: RunId) -> std::result::Result<String, String> {
        if let Some(entry) = self.inner.runs.lock().get(&run).cloned() {
            let ctx = &entry.env.ctx;
            return Ok(ctx
                .selection
                .as_ref()
                .map_or_else(|| ctx.file_text.clone(), |s| s.text.clone()));
        }
        let journal = self
            .inner
            .journals
            .get(run)
            .ok_or_else(|| format!("run {} is unknown", run.0))?;
        journal.read_text().map_err(|e| e.0)
    }

    /// Reads [`Conductor::run_source`] on a blocking task and reports it as a
    /// [`ConductorEvent::RunSource`]. Returns at once.
    pub fn fetch_run_source(&self, run: RunId) {
        let _rt = self.inner.rt.enter();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let text = this.run_source(run).map(std::sync::Arc::<str>::from);
            let _ = this
                .inner
                .events
                .send(ConductorEvent::RunSource { run, text });
        });
    }

    /// The stored output of `node` of a run known only from its journal.
    pub(super) fn stored_output(&self, run: RunId, node: &str) -> Option<String> {
        let journal = self.inner.journals.get(run)?;
        let id = journal.output_of(node)?;
        let mut out = self.load_output(&id)?;
        if !out.omitted.is_empty() {
            // A context node: the text it read comes back from the sources store.
            match journal.context() {
                Ok(ctx) => {
                    let m = journal.manifest();
                    out.restore_vars(&context_vars(&ctx, builtin::instruction(&m.command)));
                }
                Err(e) => tracing::warn!(run = run.0, node, "{}", e.0),
            }
        }
        Some(out.text())
    }

    pub(super) fn load_output(&self, artifact: &str) -> Option<NodeOutput> {
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
        // The text it read (a run whose text was deleted cannot run again: its proposals
        // would target a text nobody has).
        let ctx = journal
            .context()
            .map_err(|e| format!("run {} cannot run again: {}", run.0, e.0))?;
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
        let vars = context_vars(&ctx, builtin::instruction(&m.command));
        let mut values = HashMap::new();
        let mut outputs = HashMap::new();
        for (node, artifact) in journal.done_outputs() {
            if !plan.nodes.contains_key(&node) {
                continue;
            }
            if let Some(mut out) = self.load_output(&artifact) {
                out.restore_vars(&vars);
                outputs.insert(node.clone(), out.text());
                values.insert(node, out.value);
            }
        }
        let entry = RunEntry::new(
            RunParts {
                run,
                command: m.command_name.clone(),
                plan: Arc::new(plan),
                ctx,
                vars,
                conversation,
                journal,
                outputs,
                values,
            },
            inner.instruments.clone(),
            inner.artifacts.clone(),
            inner.extensions.clone(),
            self.hooks(),
        );
        // Two retries at once: the first one rebuilt wins.
        Ok(inner.runs.lock().entry(run).or_insert(entry).clone())
    }
}
