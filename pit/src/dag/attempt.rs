//! One spawned node execution: attempts with timeout and backoff, interrupted by the
//! node's or the run's cancellation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cancel::CancelToken;
use super::events::{Event, EventBus, EventKind, RunId};
use super::executor::{BoxFuture, Execution, Executor, NodeError, NodeResult, Value};
use super::node::NodeSpec;
use super::state::NodeState;
use super::workflow::Workflow;

/// What a spawned execution needs from its run.
pub(crate) struct TaskCtx {
    pub wf: Arc<Workflow>,
    pub exec: Arc<dyn Executor>,
    pub bus: EventBus,
    pub run: RunId,
    pub started: Instant,
    pub run_token: CancelToken,
    pub node_token: CancelToken,
}

/// How a spawned execution ended.
pub(crate) enum TaskOutcome {
    Ok(Vec<Value>),
    Err(NodeError),
    Cancelled,
}

/// Result of a spawned execution.
pub(crate) struct TaskDone {
    pub idx: usize,
    pub attempts: u32,
    pub outcome: TaskOutcome,
}

/// Checks the number of outputs against the node's declaration.
pub(crate) fn check(node: &NodeSpec, r: NodeResult) -> NodeResult {
    let out = r?;
    if out.len() != node.outputs.len() {
        return Err(NodeError::OutputCount {
            got: out.len(),
            want: node.outputs.len(),
        });
    }
    Ok(out)
}

/// Runs attempts of node `idx` until success, the last failure or cancellation.
///
/// `first` is the already started first attempt; `delay_first` means attempt 1 already
/// failed inline and the next one starts after that delay.
pub(crate) async fn drive(
    ctx: TaskCtx,
    idx: usize,
    inputs: Vec<Arc<Value>>,
    first: Option<BoxFuture>,
    delay_first: Option<Duration>,
) -> TaskDone {
    let mut attempt = 1;
    let run_token = ctx.run_token.clone();
    let node_token = ctx.node_token.clone();
    let work = attempts(&ctx, idx, &inputs, first, delay_first, &mut attempt);
    let outcome = tokio::select! {
        biased;
        _ = run_token.cancelled() => TaskOutcome::Cancelled,
        _ = node_token.cancelled() => TaskOutcome::Cancelled,
        r = work => match r {
            Ok(out) => TaskOutcome::Ok(out),
            Err(e) => TaskOutcome::Err(e),
        },
    };
    TaskDone {
        idx,
        attempts: attempt,
        outcome,
    }
}

async fn attempts(
    ctx: &TaskCtx,
    idx: usize,
    inputs: &[Arc<Value>],
    mut pending: Option<BoxFuture>,
    delay_first: Option<Duration>,
    attempt: &mut u32,
) -> NodeResult {
    let node = &ctx.wf.nodes()[idx];
    if let Some(d) = delay_first {
        tokio::time::sleep(d).await;
        *attempt += 1;
        running_again(ctx, node, *attempt);
    }
    loop {
        let fut = match pending.take() {
            Some(f) => f,
            None => match ctx.exec.execute(node, inputs) {
                Execution::Done(r) => Box::pin(std::future::ready(r)),
                Execution::Pending(f) => f,
            },
        };
        let r = match node.timeout {
            Some(t) => tokio::time::timeout(t, fut)
                .await
                .unwrap_or(Err(NodeError::Timeout)),
            None => fut.await,
        };
        match check(node, r) {
            Ok(out) => return Ok(out),
            Err(e) if *attempt < node.retry.max_attempts => {
                tracing::debug!(node = %node.id, attempt = *attempt, error = %e, "retrying");
                tokio::time::sleep(node.retry.backoff.delay(*attempt)).await;
                *attempt += 1;
                running_again(ctx, node, *attempt);
            }
            Err(e) => return Err(e),
        }
    }
}

fn running_again(ctx: &TaskCtx, node: &NodeSpec, attempt: u32) {
    if ctx.bus.has_subscribers() {
        ctx.bus.emit(Event {
            run: ctx.run,
            at: ctx.started.elapsed(),
            kind: EventKind::Node {
                node: node.id.clone(),
                state: NodeState::Running,
                attempt,
            },
        });
    }
}
