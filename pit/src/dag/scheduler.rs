//! The coordinator of one run: ready queue by priority, concurrency limit, inline and
//! spawned executions, failure policies, cancellation and checkpoint batching.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::attempt::{self, TaskCtx, TaskDone, TaskOutcome};
use super::cancel::CancelToken;
use super::checkpoint::{CheckpointPolicy, Checkpointer};
use super::error::Result;
use super::events::{Event, EventBus, EventKind, RunId};
use super::executor::{Execution, Executor, NodeError, Value};
use super::node::OnFailure;
use super::state::{NodeReport, NodeState, RunOutcome, RunReport};
use super::tracker::Shared;
use super::workflow::{NO_OUTPUT, Workflow};

/// Messages from a [`super::RunHandle`] to its coordinator.
#[derive(Debug)]
pub(crate) enum Control {
    CancelRun,
    CancelNode(u32),
}

const UNSET: u64 = u64::MAX;
/// Inline executions between two yields to the runtime.
const BUDGET: usize = 1024;

pub(crate) struct Run {
    id: RunId,
    wf: Arc<Workflow>,
    exec: Arc<dyn Executor>,
    bus: EventBus,
    shared: Arc<Shared>,
    ctrl: mpsc::UnboundedReceiver<Control>,
    concurrency: usize,
    started: Instant,
    remaining: Vec<u32>,
    attempts: Vec<u32>,
    started_at: Vec<u64>,
    finished_at: Vec<u64>,
    restored: Vec<bool>,
    activated: Vec<bool>,
    errors: HashMap<u32, String>,
    outputs: Vec<Vec<Arc<Value>>>,
    /// Fallback node -> the failed nodes it stands in for.
    replaces: HashMap<u32, Vec<u32>>,
    ready: BinaryHeap<(i32, Reverse<u32>)>,
    tasks: JoinSet<TaskDone>,
    task_nodes: HashMap<tokio::task::Id, u32>,
    node_tokens: HashMap<u32, CancelToken>,
    checkpoint: Option<Checkpointer>,
    outcome: Option<RunOutcome>,
    scratch: Vec<Arc<Value>>,
    null: Arc<Value>,
}

impl Run {
    pub fn new(
        id: RunId,
        wf: Arc<Workflow>,
        exec: Arc<dyn Executor>,
        bus: EventBus,
        shared: Arc<Shared>,
        ctrl: mpsc::UnboundedReceiver<Control>,
        concurrency: usize,
    ) -> Self {
        let n = wf.len();
        let remaining = (0..n).map(|i| wf.inputs_of(i).len() as u32).collect();
        Self {
            id,
            exec,
            bus,
            shared,
            ctrl,
            concurrency: concurrency.max(1),
            started: Instant::now(),
            remaining,
            attempts: vec![0; n],
            started_at: vec![UNSET; n],
            finished_at: vec![UNSET; n],
            restored: vec![false; n],
            activated: vec![false; n],
            errors: HashMap::new(),
            outputs: vec![Vec::new(); n],
            replaces: HashMap::new(),
            ready: BinaryHeap::new(),
            tasks: JoinSet::new(),
            task_nodes: HashMap::new(),
            node_tokens: HashMap::new(),
            checkpoint: None,
            outcome: None,
            scratch: Vec::new(),
            null: Arc::new(Value::Null),
            wf,
        }
    }

    /// Runs to the end and builds the report.
    pub async fn execute(
        mut self,
        policy: Option<CheckpointPolicy>,
        resume: bool,
    ) -> Result<RunReport> {
        let mut restored = Vec::new();
        if let Some(p) = policy {
            if resume {
                let (cp, r) = Checkpointer::resume(p, &self.wf)?;
                self.checkpoint = Some(cp);
                restored = r;
            } else {
                self.checkpoint = Some(Checkpointer::fresh(p, &self.wf)?);
            }
        } else if resume {
            return Err(super::error::DagError::NoCheckpoint);
        }
        self.emit(EventKind::RunStarted {
            total: self.wf.len(),
        });
        for r in restored {
            let i = r.idx as usize;
            self.restored[i] = true;
            self.outputs[i] = r.outputs;
            self.finish(i, r.state);
        }
        for i in 0..self.wf.len() {
            if self.restored[i] {
                self.release(i);
            }
        }
        for i in 0..self.wf.len() {
            if self.remaining[i] == 0 && self.state(i) == NodeState::Pending && !self.wf.standby[i]
            {
                self.make_ready(i);
            }
        }
        let result = self.main_loop().await;
        if let Err(e) = result {
            self.shared.cancel.cancel();
            self.tasks.shutdown().await;
            return Err(e);
        }
        self.finalize()
    }

    async fn main_loop(&mut self) -> Result<()> {
        loop {
            while let Ok(c) = self.ctrl.try_recv() {
                self.control(c)?;
            }
            if self.shared.cancel.is_cancelled() && self.outcome.is_none() {
                self.outcome = Some(RunOutcome::Cancelled);
            }
            let mut budget = BUDGET;
            while self.outcome.is_none() && self.tasks.len() < self.concurrency && budget > 0 {
                let Some((_, Reverse(i))) = self.ready.pop() else {
                    break;
                };
                if self.state(i as usize) != NodeState::Ready {
                    continue;
                }
                self.start(i as usize)?;
                budget -= 1;
            }
            if budget == 0 {
                tokio::task::yield_now().await;
                continue;
            }
            if self.tasks.is_empty() {
                return Ok(());
            }
            tokio::select! {
                biased;
                Some(c) = self.ctrl.recv() => self.control(c)?,
                Some(res) = self.tasks.join_next_with_id() => self.task_done(res)?,
                else => return Ok(()),
            }
        }
    }

    fn control(&mut self, c: Control) -> Result<()> {
        match c {
            Control::CancelRun => {
                self.shared.cancel.cancel();
                if self.outcome.is_none() {
                    self.outcome = Some(RunOutcome::Cancelled);
                }
            }
            Control::CancelNode(i) => {
                let i = i as usize;
                match self.state(i) {
                    NodeState::Pending | NodeState::Ready => {
                        self.finish(i, NodeState::Cancelled);
                        self.propagate(i, NodeState::Cancelled);
                    }
                    NodeState::Running => {
                        if let Some(t) = self.node_tokens.get(&(i as u32)) {
                            t.cancel();
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn now(&self) -> u64 {
        self.started.elapsed().as_nanos() as u64
    }

    #[inline]
    fn state(&self, i: usize) -> NodeState {
        NodeState::from_u8(self.shared.states[i].load(Ordering::Relaxed))
    }

    #[inline]
    fn set_state(&mut self, i: usize, s: NodeState) {
        self.shared.states[i].store(s as u8, Ordering::Relaxed);
        if self.bus.has_subscribers() {
            let node = self.wf.nodes()[i].id.clone();
            self.emit(EventKind::Node {
                node,
                state: s,
                attempt: self.attempts[i],
            });
        }
    }

    fn emit(&self, kind: EventKind) {
        if self.bus.has_subscribers() {
            self.bus.emit(Event {
                run: self.id,
                at: self.started.elapsed(),
                kind,
            });
        }
    }

    fn make_ready(&mut self, i: usize) {
        self.set_state(i, NodeState::Ready);
        self.ready
            .push((self.wf.nodes()[i].priority, Reverse(i as u32)));
    }

    fn finish(&mut self, i: usize, s: NodeState) {
        self.finished_at[i] = self.now();
        self.set_state(i, s);
        self.shared.done.fetch_add(1, Ordering::Relaxed);
    }

    fn start(&mut self, i: usize) -> Result<()> {
        self.attempts[i] = 1;
        self.started_at[i] = self.now();
        self.set_state(i, NodeState::Running);
        let mut inputs = std::mem::take(&mut self.scratch);
        for &(p, o) in self.wf.inputs_of(i) {
            inputs.push(if o == NO_OUTPUT {
                self.null.clone()
            } else {
                self.outputs[p as usize][o as usize].clone()
            });
        }
        let wf = self.wf.clone();
        let node = &wf.nodes()[i];
        let exec = self.exec.execute(node, &inputs);
        let retries = node.retry.max_attempts > 1;
        let result = match exec {
            Execution::Done(r) => match attempt::check(node, r) {
                Ok(out) => {
                    self.succeed(i, out)?;
                    None
                }
                Err(e) if retries => {
                    let delay = node.retry.backoff.delay(1);
                    self.spawn(i, inputs.clone(), None, Some(delay));
                    let _ = e;
                    None
                }
                Err(e) => Some(e),
            },
            Execution::Pending(fut) => {
                let owned = if retries { inputs.clone() } else { Vec::new() };
                self.spawn(i, owned, Some(fut), None);
                None
            }
        };
        inputs.clear();
        self.scratch = inputs;
        if let Some(e) = result {
            self.fail(i, e)?;
        }
        Ok(())
    }

    fn spawn(
        &mut self,
        i: usize,
        inputs: Vec<Arc<Value>>,
        first: Option<super::executor::BoxFuture>,
        delay_first: Option<std::time::Duration>,
    ) {
        let token = CancelToken::new();
        self.node_tokens.insert(i as u32, token.clone());
        let ctx = TaskCtx {
            wf: self.wf.clone(),
            exec: self.exec.clone(),
            bus: self.bus.clone(),
            run: self.id,
            started: self.started,
            run_token: self.shared.cancel.clone(),
            node_token: token,
        };
        let handle = self
            .tasks
            .spawn(attempt::drive(ctx, i, inputs, first, delay_first));
        self.task_nodes.insert(handle.id(), i as u32);
    }

    fn task_done(
        &mut self,
        res: std::result::Result<(tokio::task::Id, TaskDone), tokio::task::JoinError>,
    ) -> Result<()> {
        let (i, done) = match res {
            Ok((id, done)) => {
                self.task_nodes.remove(&id);
                (done.idx, done)
            }
            Err(e) => {
                let Some(i) = self.task_nodes.remove(&e.id()) else {
                    return Ok(());
                };
                self.node_tokens.remove(&i);
                self.fail(
                    i as usize,
                    NodeError::msg(format!("executor panicked: {e}")),
                )?;
                return Ok(());
            }
        };
        self.node_tokens.remove(&(i as u32));
        self.attempts[i] = done.attempts;
        match done.outcome {
            TaskOutcome::Ok(out) => self.succeed(i, out),
            TaskOutcome::Err(e) => self.fail(i, e),
            TaskOutcome::Cancelled => {
                self.finish(i, NodeState::Cancelled);
                if self.outcome.is_none() {
                    self.propagate(i, NodeState::Cancelled);
                    self.standby_gone(i);
                }
                Ok(())
            }
        }
    }

    fn succeed(&mut self, i: usize, out: Vec<Value>) -> Result<()> {
        self.outputs[i] = out.into_iter().map(Arc::new).collect();
        self.finish(i, NodeState::Succeeded);
        self.note(i)?;
        self.release(i);
        if let Some(primaries) = self.replaces.remove(&(i as u32)) {
            for p in primaries {
                self.substitute(p as usize, i)?;
            }
        }
        Ok(())
    }

    /// The failed node `p` takes the outputs of its fallback `f`.
    fn substitute(&mut self, p: usize, f: usize) -> Result<()> {
        let k = self.wf.nodes()[p].outputs.len();
        self.outputs[p] = self.outputs[f][..k].to_vec();
        self.note(p)?;
        self.release(p);
        Ok(())
    }

    fn note(&mut self, i: usize) -> Result<()> {
        let due = match &mut self.checkpoint {
            Some(cp) => cp.note(i as u32),
            None => return Ok(()),
        };
        if due {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(cp) = &mut self.checkpoint {
            let states = &self.shared.states;
            cp.flush(
                &self.wf,
                &|i| NodeState::from_u8(states[i].load(Ordering::Relaxed)),
                &self.outputs,
            )?;
        }
        Ok(())
    }

    fn release(&mut self, i: usize) {
        let wf = self.wf.clone();
        for d in wf.dependents(i) {
            let r = &mut self.remaining[d];
            *r -= 1;
            if *r == 0
                && self.state(d) == NodeState::Pending
                && (!wf.standby[d] || self.activated[d])
            {
                self.make_ready(d);
            }
        }
    }

    fn fail(&mut self, i: usize, e: NodeError) -> Result<()> {
        tracing::debug!(run = %self.id, node = %self.wf.nodes()[i].id, error = %e, "node failed");
        self.errors.insert(i as u32, e.to_string());
        self.finish(i, NodeState::Failed);
        if self.outcome.is_some() {
            return Ok(());
        }
        match self.wf.nodes()[i].on_failure.clone() {
            OnFailure::FailRun => {
                self.outcome = Some(RunOutcome::Failed {
                    node: self.wf.nodes()[i].id.to_string(),
                    error: e.to_string(),
                });
                self.shared.cancel.cancel();
            }
            OnFailure::Skip => self.propagate(i, NodeState::Skipped),
            OnFailure::Fallback(_) => {
                let Some(f) = self.wf.fallback[i].map(|f| f as usize) else {
                    self.propagate(i, NodeState::Skipped);
                    return Ok(());
                };
                match self.state(f) {
                    NodeState::Succeeded => self.substitute(i, f)?,
                    NodeState::Pending if !self.activated[f] => {
                        self.activated[f] = true;
                        self.replaces.entry(f as u32).or_default().push(i as u32);
                        if self.remaining[f] == 0 {
                            self.make_ready(f);
                        }
                    }
                    NodeState::Pending | NodeState::Ready | NodeState::Running => {
                        self.replaces.entry(f as u32).or_default().push(i as u32);
                    }
                    _ => self.propagate(i, NodeState::Skipped),
                }
            }
        }
        self.standby_gone(i);
        Ok(())
    }

    /// A fallback that ended without outputs leaves the nodes it stood in for without
    /// outputs: skip what is downstream of them.
    fn standby_gone(&mut self, f: usize) {
        if let Some(primaries) = self.replaces.remove(&(f as u32)) {
            for p in primaries {
                self.propagate(p as usize, NodeState::Skipped);
            }
        }
    }

    /// Puts every node downstream of `i` that has not started into `s`.
    fn propagate(&mut self, i: usize, s: NodeState) {
        let wf = self.wf.clone();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            for d in wf.dependents(n) {
                if matches!(self.state(d), NodeState::Pending | NodeState::Ready) {
                    self.finish(d, s);
                    stack.push(d);
                    self.standby_gone(d);
                }
            }
        }
    }

    fn finalize(mut self) -> Result<RunReport> {
        let leftover = match self.outcome {
            None | Some(RunOutcome::Completed) => NodeState::Skipped,
            Some(_) => NodeState::Cancelled,
        };
        for i in 0..self.wf.len() {
            if !self.state(i).is_terminal() {
                self.finish(i, leftover);
            }
        }
        self.flush()?;
        let outcome = self.outcome.take().unwrap_or(RunOutcome::Completed);
        self.emit(EventKind::RunFinished(outcome.clone()));
        let at = |v: u64| (v != UNSET).then(|| std::time::Duration::from_nanos(v));
        let nodes = (0..self.wf.len())
            .map(|i| NodeReport {
                state: self.state(i),
                attempts: self.attempts[i],
                started: at(self.started_at[i]),
                finished: at(self.finished_at[i]),
                restored: self.restored[i],
                error: self.errors.remove(&(i as u32)),
            })
            .collect();
        Ok(RunReport {
            run: self.id,
            outcome,
            elapsed: self.started.elapsed(),
            ids: self.wf.nodes().iter().map(|n| n.id.clone()).collect(),
            nodes,
            outputs: std::mem::take(&mut self.outputs),
        })
    }
}
