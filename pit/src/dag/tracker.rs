//! The public entry points: [`DagTracker`] starts and resumes runs, [`RunHandle`] watches,
//! cancels and awaits one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::cancel::CancelToken;
use super::checkpoint::CheckpointPolicy;
use super::error::{DagError, Result};
use super::events::{EventBus, EventFilter, EventStream, RunId};
use super::executor::Executor;
use super::scheduler::{Control, Run};
use super::state::{NodeState, Progress, RunReport};
use super::workflow::Workflow;

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Most asynchronous executions in flight at once (inline executions finish at once and
    /// do not count).
    pub concurrency: usize,
    /// Where to checkpoint, if anywhere.
    pub checkpoint: Option<CheckpointPolicy>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            checkpoint: None,
        }
    }
}

impl RunOptions {
    /// Sets the concurrency limit (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Enables checkpoints.
    pub fn checkpoint(mut self, p: CheckpointPolicy) -> Self {
        self.checkpoint = Some(p);
        self
    }
}

/// State shared between a run's coordinator and its handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub states: Vec<AtomicU8>,
    pub done: AtomicUsize,
    pub cancel: CancelToken,
}

/// Starts runs of workflows and publishes their events.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::sync::Arc;
/// use symphony_pit::dag::*;
/// let wf = Arc::new(Workflow::new(vec![
///     NodeSpec::new("a", "const").output("x"),
///     NodeSpec::new("b", "double").input("a.x").output("y"),
/// ]).unwrap());
/// let exec = |node: &NodeSpec, inputs: &[Arc<Value>]| match &*node.kind {
///     "const" => Execution::done(vec![Value::from(21)]),
///     _ => {
///         let x = inputs[0].as_i64().unwrap_or(0);
///         Execution::future(async move { Ok(vec![Value::from(x * 2)]) })
///     }
/// };
/// let tracker = DagTracker::new();
/// let report = tracker.start(wf, Arc::new(exec), RunOptions::default()).wait().await.unwrap();
/// assert_eq!(report.outcome, RunOutcome::Completed);
/// assert_eq!(*report.outputs("b").unwrap()[0], Value::from(42));
/// # });
/// ```
#[derive(Debug, Default)]
pub struct DagTracker {
    bus: EventBus,
    next_run: AtomicU64,
}

impl DagTracker {
    /// A tracker with its own event bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// The event bus every run of this tracker publishes to.
    pub fn events(&self) -> &EventBus {
        &self.bus
    }

    /// Subscribes to events matching `filter`.
    pub fn subscribe(&self, filter: EventFilter) -> EventStream {
        self.bus.subscribe(filter)
    }

    /// Starts a fresh run on the current tokio runtime (call it inside one); an existing
    /// checkpoint in the options' directory is discarded.
    pub fn start(&self, wf: Arc<Workflow>, exec: Arc<dyn Executor>, opts: RunOptions) -> RunHandle {
        self.launch(wf, exec, opts, false)
    }

    /// Resumes from the checkpoint named in `opts`: nodes it holds are not run again.
    pub fn resume(
        &self,
        wf: Arc<Workflow>,
        exec: Arc<dyn Executor>,
        opts: RunOptions,
    ) -> RunHandle {
        self.launch(wf, exec, opts, true)
    }

    /// Starts a fresh run and waits for its report.
    pub async fn run(
        &self,
        wf: Arc<Workflow>,
        exec: Arc<dyn Executor>,
        opts: RunOptions,
    ) -> Result<RunReport> {
        self.start(wf, exec, opts).wait().await
    }

    fn launch(
        &self,
        wf: Arc<Workflow>,
        exec: Arc<dyn Executor>,
        opts: RunOptions,
        resume: bool,
    ) -> RunHandle {
        let id = RunId(self.next_run.fetch_add(1, Ordering::Relaxed) + 1);
        let shared = Arc::new(Shared {
            states: (0..wf.len())
                .map(|_| AtomicU8::new(NodeState::Pending as u8))
                .collect(),
            done: AtomicUsize::new(0),
            cancel: CancelToken::new(),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let run = Run::new(
            id,
            wf.clone(),
            exec,
            self.bus.clone(),
            shared.clone(),
            rx,
            opts.concurrency,
        );
        let join = tokio::spawn(run.execute(opts.checkpoint, resume));
        RunHandle {
            id,
            wf,
            shared,
            ctrl: tx,
            join,
        }
    }
}

/// A run in progress.
#[derive(Debug)]
pub struct RunHandle {
    id: RunId,
    wf: Arc<Workflow>,
    shared: Arc<Shared>,
    ctrl: mpsc::UnboundedSender<Control>,
    join: JoinHandle<Result<RunReport>>,
}

impl RunHandle {
    /// The run's id (as in events).
    pub fn id(&self) -> RunId {
        self.id
    }

    /// Finished nodes over all nodes.
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.shared.done.load(Ordering::Relaxed),
            total: self.wf.len(),
        }
    }

    /// The current state of node `id`.
    pub fn state(&self, id: &str) -> Option<NodeState> {
        let i = self.wf.position(id)? as usize;
        Some(NodeState::from_u8(
            self.shared.states[i].load(Ordering::Relaxed),
        ))
    }

    /// Cancels the whole run: running nodes are interrupted, the rest end Cancelled.
    pub fn cancel(&self) {
        self.shared.cancel.cancel();
        let _ = self.ctrl.send(Control::CancelRun);
    }

    /// Cancels one node and everything downstream of it; the rest continues.
    pub fn cancel_node(&self, id: &str) -> Result<()> {
        let i = self
            .wf
            .position(id)
            .ok_or_else(|| DagError::UnknownNode(id.to_owned()))?;
        let _ = self.ctrl.send(Control::CancelNode(i));
        Ok(())
    }

    /// Waits for the end of the run.
    pub async fn wait(self) -> Result<RunReport> {
        self.join
            .await
            .map_err(|e| DagError::Coordinator(e.to_string()))?
    }
}
