//! The event stream: every node state change and run start/end, delivered in order to
//! subscribers with a filter (run, node, states).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::state::{NodeState, RunOutcome};

/// Identifies one run of a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub u64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run-{}", self.0)
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// The run started with this many nodes.
    RunStarted {
        /// Nodes in the workflow.
        total: usize,
    },
    /// A node changed state (a retry shows as Running again with the next attempt number).
    Node {
        /// Node id.
        node: Arc<str>,
        /// The new state.
        state: NodeState,
        /// Attempt number (0 before the first start).
        attempt: u32,
    },
    /// The run ended.
    RunFinished(RunOutcome),
}

/// One event, stamped with the time since the run started.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The run.
    pub run: RunId,
    /// Time since the run started.
    pub at: Duration,
    /// What happened.
    pub kind: EventKind,
}

/// Which events a subscriber wants; empty matches everything.
///
/// Node and state filters apply to node events; run start/end events pass when no node
/// filter is set.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    run: Option<RunId>,
    node: Option<String>,
    states: Option<Vec<NodeState>>,
}

impl EventFilter {
    /// Everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only this run.
    pub fn run(mut self, run: RunId) -> Self {
        self.run = Some(run);
        self
    }

    /// Only this node.
    pub fn node(mut self, id: impl Into<String>) -> Self {
        self.node = Some(id.into());
        self
    }

    /// Only node events entering one of these states.
    pub fn states(mut self, states: impl IntoIterator<Item = NodeState>) -> Self {
        self.states = Some(states.into_iter().collect());
        self
    }

    /// True when `e` passes this filter.
    pub fn matches(&self, e: &Event) -> bool {
        if self.run.is_some_and(|r| r != e.run) {
            return false;
        }
        match &e.kind {
            EventKind::Node { node, state, .. } => {
                self.node.as_deref().is_none_or(|n| n == &**node)
                    && self.states.as_ref().is_none_or(|s| s.contains(state))
            }
            _ => self.node.is_none() && self.states.is_none(),
        }
    }
}

/// Receives the events matching a filter, in the order they happened.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::UnboundedReceiver<Event>,
}

impl EventStream {
    /// The next event; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }
}

struct Subscriber {
    filter: EventFilter,
    tx: mpsc::UnboundedSender<Event>,
}

#[derive(Default)]
struct BusInner {
    subs: Mutex<Vec<Subscriber>>,
    count: AtomicUsize,
}

/// Fans events out to subscribers. Costs one atomic load per event when nobody listens.
///
/// ```
/// use symphony_pit::dag::{EventBus, EventFilter, NodeState};
/// let bus = EventBus::new();
/// let mut stream = bus.subscribe(EventFilter::all().states([NodeState::Failed]));
/// assert!(stream.try_recv().is_none());
/// ```
#[derive(Clone, Default)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

impl fmt::Debug for EventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBus")
            .field("subscribers", &self.inner.count.load(Ordering::Relaxed))
            .finish()
    }
}

impl EventBus {
    /// A bus without subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes to the events matching `filter` from now on.
    pub fn subscribe(&self, filter: EventFilter) -> EventStream {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut subs = self.inner.subs.lock();
        subs.push(Subscriber { filter, tx });
        self.inner.count.store(subs.len(), Ordering::Release);
        EventStream { rx }
    }

    /// True when at least one subscriber listens.
    #[inline]
    pub fn has_subscribers(&self) -> bool {
        self.inner.count.load(Ordering::Acquire) > 0
    }

    /// Delivers `event` to every matching subscriber, dropping closed ones.
    pub fn emit(&self, event: Event) {
        if !self.has_subscribers() {
            return;
        }
        let mut subs = self.inner.subs.lock();
        subs.retain(|s| {
            if s.tx.is_closed() {
                return false;
            }
            if s.filter.matches(&event) {
                return s.tx.send(event.clone()).is_ok();
            }
            true
        });
        self.inner.count.store(subs.len(), Ordering::Release);
    }
}
