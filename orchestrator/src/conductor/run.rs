//! One run's life on the Pit: started on the DAG Tracker (a retry starts the same graph
//! with the nodes that succeeded replaced by their kept outputs), and driven to its end by
//! a task that turns the tracker's events and the nodes' own events into
//! `ConductorEvent`s, in order, each node state and the end also written to the run's
//! journal first (so it survives a restart).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use symphony_pit::dag::{
    self, DagTracker, EventFilter, EventKind, NodeSpec, NodeState, RunHandle, RunOptions, Value,
    Workflow,
};
use tokio::sync::mpsc;

use super::exec::{RunEnv, RunExec};
use super::journal::RunJournal;
use super::pool::Instruments;
use super::store::{Artifacts, Conversation};
use crate::command::EditorContext;
use crate::events::{ConductorEvent, NodeStatus, RunId, RunOutcome};
use crate::extension_bridge::ExtensionCatalog;
use crate::instrument::{ChatMessage, Role};
use crate::workflow::Plan;

/// A run the Conductor knows.
pub(crate) struct RunEntry {
    pub env: Arc<RunEnv>,
    /// The nodes' events (the driver forwards them); `None` while a driver holds it.
    pub internal: Mutex<Option<mpsc::UnboundedReceiver<ConductorEvent>>>,
    /// The current attempt's DAG run (taken by the driver once it ended).
    pub handle: Mutex<Option<RunHandle>>,
    /// True while the DAG runs.
    pub running: AtomicBool,
    /// The conversation continued by a chat run.
    pub conversation: Option<Conversation>,
}

/// A run's own parts before it starts: a new run's, or those of a run rebuilt from
/// its journal ([`RunEntry::new`] adds what every run shares).
pub(crate) struct RunParts {
    pub run: RunId,
    /// The command's name.
    pub command: String,
    pub plan: Arc<Plan>,
    pub ctx: EditorContext,
    pub vars: HashMap<String, String>,
    pub conversation: Option<Conversation>,
    pub journal: Arc<RunJournal>,
    /// Text outputs of nodes that finished before (a rebuilt run), by node.
    pub outputs: HashMap<String, String>,
    /// Their output values.
    pub values: HashMap<String, Value>,
}

impl RunEntry {
    /// A run ready to launch, with the Conductor's instruments, artifacts and
    /// extensions.
    pub(crate) fn new(
        parts: RunParts,
        instruments: Arc<Instruments>,
        artifacts: Arc<Artifacts>,
        extensions: Option<Arc<ExtensionCatalog>>,
        hooks: super::exec::Hooks,
    ) -> Arc<RunEntry> {
        let (tx, rx) = mpsc::unbounded_channel();
        let env = Arc::new(RunEnv {
            run: parts.run,
            command: parts.command,
            plan: parts.plan,
            ctx: parts.ctx,
            vars: parts.vars,
            history: parts
                .conversation
                .as_ref()
                .map(|c| c.messages.clone())
                .unwrap_or_default(),
            instruments,
            extensions,
            artifacts,
            tx,
            cancel: Mutex::new(Default::default()),
            outputs: Mutex::new(parts.outputs),
            values: Mutex::new(parts.values),
            errors: Mutex::new(HashMap::new()),
            choices: Mutex::new(HashMap::new()),
            pending: Mutex::new(Vec::new()),
            journal: parts.journal,
            policy: hooks.policy,
            #[cfg(feature = "python")]
            python: hooks.python,
        });
        Arc::new(RunEntry {
            env,
            internal: Mutex::new(Some(rx)),
            handle: Mutex::new(None),
            running: AtomicBool::new(false),
            conversation: parts.conversation,
        })
    }
}

/// Starts the run of `entry`; with `restored` (a retry), those nodes are not run again:
/// they hand on the outputs they produced before.
pub(crate) fn launch(
    tracker: &DagTracker,
    entry: Arc<RunEntry>,
    events: mpsc::UnboundedSender<ConductorEvent>,
    restored: HashMap<String, dag::Value>,
) {
    let Some(internal) = entry.internal.lock().take() else {
        tracing::warn!(run = entry.env.run.0, "run already driven");
        return;
    };
    entry.running.store(true, Ordering::SeqCst);
    // Subscribe first, so no event of the new run is missed; events of other runs are
    // filtered out by id below.
    let stream = tracker.subscribe(EventFilter::all());
    let dag = if restored.is_empty() {
        entry.env.plan.dag.clone()
    } else {
        match retry_dag(&entry.env.plan.dag, &restored) {
            Ok(d) => d,
            Err(e) => {
                *entry.internal.lock() = Some(internal);
                entry.running.store(false, Ordering::SeqCst);
                let _ = events.send(ConductorEvent::RunFinished {
                    run: entry.env.run,
                    outcome: RunOutcome::Failed(format!("cannot retry: {e}")),
                    answer: None,
                });
                return;
            }
        }
    };
    // Kept nodes do not run again: they are Done from the start (the panes show it).
    for node in entry.env.plan.dag.topological_order() {
        if restored.contains_key(&*node.id) {
            let _ = events.send(ConductorEvent::Node {
                run: entry.env.run,
                node: node.id.to_string(),
                status: NodeStatus::Done,
            });
        }
    }
    let restored = Arc::new(restored);
    let exec = Arc::new(RunExec {
        env: entry.env.clone(),
        restored: restored.clone(),
    });
    let handle = tracker.start(dag, exec, RunOptions::default());
    let pit_run = handle.id();
    *entry.handle.lock() = Some(handle);
    tokio::spawn(drive(entry, pit_run, stream, internal, events, restored));
}

fn status(env: &RunEnv, node: &str, state: NodeState, attempt: u32) -> Option<NodeStatus> {
    Some(match state {
        NodeState::Pending => NodeStatus::Pending,
        NodeState::Ready => return None,
        NodeState::Running => NodeStatus::Running {
            attempt: attempt.max(1),
        },
        NodeState::Succeeded => NodeStatus::Done,
        NodeState::Failed => NodeStatus::Failed(
            env.errors
                .lock()
                .get(node)
                .cloned()
                .unwrap_or_else(|| "failed".into()),
        ),
        NodeState::Skipped => NodeStatus::Skipped,
        NodeState::Cancelled => NodeStatus::Cancelled,
    })
}

async fn drive(
    entry: Arc<RunEntry>,
    pit_run: dag::RunId,
    mut stream: dag::EventStream,
    mut internal: mpsc::UnboundedReceiver<ConductorEvent>,
    events: mpsc::UnboundedSender<ConductorEvent>,
    restored: Arc<HashMap<String, dag::Value>>,
) {
    let env = entry.env.clone();
    let run = env.run;
    // The journal's first write (a new run's manifest, and the text it read into the
    // sources store: hashed, written only if new) is here, not on the caller's thread.
    // It is not awaited on a blocking thread: the nodes' events would queue meanwhile,
    // and the loop below could no longer forward them in the order they came.
    env.journal.started();
    loop {
        tokio::select! {
            biased;
            ev = stream.recv() => {
                let Some(ev) = ev else { break };
                if ev.run != pit_run {
                    continue;
                }
                match ev.kind {
                    EventKind::Node { node, state, attempt } => {
                        // Kept nodes only hand on their outputs: they stay Done.
                        if restored.contains_key(&*node) {
                            continue;
                        }
                        if let Some(status) = status(&env, &node, state, attempt) {
                            env.journal.node(&node, &status);
                            let _ = events.send(ConductorEvent::Node {
                                run,
                                node: node.to_string(),
                                status,
                            });
                        }
                    }
                    EventKind::RunFinished(_) => break,
                    EventKind::RunStarted { .. } => {}
                }
            }
            Some(ev) = internal.recv() => {
                let _ = events.send(ev);
            }
        }
    }
    drop(stream);
    let handle = entry.handle.lock().take();
    let report = match handle {
        Some(h) => h.wait().await,
        None => Err(dag::DagError::Coordinator(
            "the run's handle is gone".into(),
        )),
    };
    // Artifact writes still in flight: their events come before the end.
    let pending: Vec<_> = std::mem::take(&mut *env.pending.lock());
    for h in pending {
        let _ = h.await;
    }
    while let Ok(ev) = internal.try_recv() {
        let _ = events.send(ev);
    }
    let (outcome, answer) = match report {
        Ok(r) => match r.outcome {
            dag::RunOutcome::Completed => {
                let answer = env
                    .plan
                    .answer
                    .as_ref()
                    .and_then(|a| env.outputs.lock().get(a).cloned());
                (RunOutcome::Succeeded, answer)
            }
            dag::RunOutcome::Failed { node, error } => {
                (RunOutcome::Failed(format!("{node}: {error}")), None)
            }
            dag::RunOutcome::Cancelled => (RunOutcome::Cancelled, None),
        },
        Err(e) => (RunOutcome::Failed(e.to_string()), None),
    };
    if outcome == RunOutcome::Succeeded
        && env.command == "chat"
        && let Some(answer) = &answer
    {
        save_conversation(&entry, answer, &events).await;
    }
    let artifacts = env.artifacts.clone();
    let _ = tokio::task::spawn_blocking(move || artifacts.commit()).await;
    env.journal.finished(&outcome, answer.as_deref());
    *entry.internal.lock() = Some(internal);
    entry.running.store(false, Ordering::SeqCst);
    let _ = events.send(ConductorEvent::RunFinished {
        run,
        outcome,
        answer,
    });
}

async fn save_conversation(
    entry: &RunEntry,
    answer: &str,
    events: &mpsc::UnboundedSender<ConductorEvent>,
) {
    let env = &entry.env;
    let message = env.vars.get("instruction").cloned().unwrap_or_default();
    let mut conv = entry.conversation.clone().unwrap_or_else(|| Conversation {
        id: uuid::Uuid::new_v4().to_string(),
        title: message.chars().take(60).collect(),
        messages: Vec::new(),
    });
    conv.messages.push(ChatMessage::new(Role::User, message));
    conv.messages
        .push(ChatMessage::new(Role::Assistant, answer));
    let artifacts = env.artifacts.clone();
    let run = env.run;
    let hit = tokio::task::spawn_blocking(move || artifacts.save_conversation(&conv, run))
        .await
        .ok()
        .flatten();
    if let Some(hit) = hit {
        let _ = events.send(ConductorEvent::Artifact {
            run,
            node: "model".into(),
            hit,
        });
    }
}

/// The run's graph for a retry: nodes in `restored` lose their inputs (they do not run
/// again, so they wait for nothing) and become `restored` nodes.
fn retry_dag(dag: &Workflow, restored: &HashMap<String, dag::Value>) -> dag::Result<Arc<Workflow>> {
    let specs = dag
        .nodes()
        .iter()
        .map(|n| {
            if restored.contains_key(&*n.id) {
                let mut kept = NodeSpec::new(n.id.clone(), "restored");
                kept.outputs = n.outputs.clone();
                kept
            } else {
                n.clone()
            }
        })
        .collect();
    Workflow::new(specs).map(Arc::new)
}
