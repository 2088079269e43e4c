//! Node specifications: id, kind, inputs, outputs, priority, timeout, retry and failure policy.

use std::sync::Arc;
use std::time::Duration;

/// A reference from a node's input to another node's output, written `"node.output"`.
///
/// A reference without a dot (`"node"`) is an ordering dependency: the consumer waits for
/// `node` to finish and receives `null` for that input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InputRef {
    /// Id of the producing node.
    pub node: String,
    /// Name of the producer's output, or `None` for a pure ordering dependency.
    pub output: Option<String>,
}

impl InputRef {
    /// Parses `"node.output"` (or `"node"` for an ordering dependency).
    ///
    /// ```
    /// use symphony_pit::dag::InputRef;
    /// let r = InputRef::parse("fetch.text");
    /// assert_eq!(r.node, "fetch");
    /// assert_eq!(r.output.as_deref(), Some("text"));
    /// assert_eq!(InputRef::parse("fetch").output, None);
    /// ```
    pub fn parse(s: &str) -> Self {
        match s.split_once('.') {
            Some((node, output)) => Self {
                node: node.to_owned(),
                output: Some(output.to_owned()),
            },
            None => Self {
                node: s.to_owned(),
                output: None,
            },
        }
    }
}

impl std::fmt::Display for InputRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.output {
            Some(o) => write!(f, "{}.{o}", self.node),
            None => f.write_str(&self.node),
        }
    }
}

/// How long to wait before the next attempt of a failed node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backoff {
    /// The same delay before every retry.
    Constant(Duration),
    /// `base + step * (attempt - 1)`.
    Linear {
        /// Delay before the first retry.
        base: Duration,
        /// Added for every further retry.
        step: Duration,
    },
    /// `base * factor^(attempt - 1)`, capped at `max`.
    Exponential {
        /// Delay before the first retry.
        base: Duration,
        /// Growth factor (2.0 doubles each time).
        factor: f64,
        /// Upper bound of any delay.
        max: Duration,
    },
}

impl Backoff {
    /// Delay before retrying after failed attempt number `attempt` (1-based).
    ///
    /// ```
    /// use std::time::Duration;
    /// use symphony_pit::dag::Backoff;
    /// let b = Backoff::Exponential { base: Duration::from_millis(10), factor: 2.0, max: Duration::from_millis(35) };
    /// assert_eq!(b.delay(1), Duration::from_millis(10));
    /// assert_eq!(b.delay(2), Duration::from_millis(20));
    /// assert_eq!(b.delay(3), Duration::from_millis(35));
    /// ```
    pub fn delay(&self, attempt: u32) -> Duration {
        let n = attempt.saturating_sub(1);
        match *self {
            Backoff::Constant(d) => d,
            Backoff::Linear { base, step } => base.saturating_add(step.saturating_mul(n)),
            Backoff::Exponential { base, factor, max } => {
                let secs = base.as_secs_f64() * factor.max(0.0).powi(n.min(1000) as i32);
                if !secs.is_finite() || secs >= max.as_secs_f64() {
                    max
                } else {
                    Duration::from_secs_f64(secs)
                }
            }
        }
    }
}

/// How many times a node is tried and how long to wait in between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts including the first (at least 1).
    pub max_attempts: u32,
    /// Delay between attempts.
    pub backoff: Backoff,
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        backoff: Backoff::Constant(Duration::ZERO),
    };

    /// `max_attempts` attempts with the given backoff.
    pub fn new(max_attempts: u32, backoff: Backoff) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            backoff,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::NONE
    }
}

/// What happens when a node has failed all its attempts (or timed out on the last one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OnFailure {
    /// The whole run fails; nodes not finished yet are cancelled.
    #[default]
    FailRun,
    /// The node stays Failed, everything downstream of it is Skipped, the rest continues.
    Skip,
    /// The named standby node runs instead; its outputs (by position) replace the failed
    /// node's outputs for everything downstream. A node named as a fallback only runs when
    /// called upon and ends Skipped otherwise.
    Fallback(String),
}

/// One step of a workflow.
///
/// ```
/// use std::time::Duration;
/// use symphony_pit::dag::{NodeSpec, OnFailure};
/// let n = NodeSpec::new("summarize", "instrument")
///     .input("fetch.text")
///     .output("summary")
///     .priority(5)
///     .timeout(Duration::from_secs(30))
///     .on_failure(OnFailure::Skip);
/// assert_eq!(n.inputs.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// Unique id inside the workflow.
    pub id: Arc<str>,
    /// What the executor should do (free-form, e.g. "prompt", "instrument", "format").
    pub kind: Arc<str>,
    /// Inputs, in the order the executor receives their values.
    pub inputs: Vec<InputRef>,
    /// Names of the outputs, in the order the executor must return them.
    pub outputs: Vec<String>,
    /// Higher runs first among ready nodes.
    pub priority: i32,
    /// Per-attempt time limit for asynchronous executions.
    pub timeout: Option<Duration>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Failure policy.
    pub on_failure: OnFailure,
}

impl NodeSpec {
    /// A node with no inputs or outputs, priority 0, no timeout, no retry, `FailRun`.
    pub fn new(id: impl Into<Arc<str>>, kind: impl Into<Arc<str>>) -> Self {
        Self {
            id: id.into(),
            kind: kind.into(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            priority: 0,
            timeout: None,
            retry: RetryPolicy::NONE,
            on_failure: OnFailure::FailRun,
        }
    }

    /// Adds an input written `"node.output"` or `"node"` (see [`InputRef::parse`]).
    pub fn input(mut self, r: &str) -> Self {
        self.inputs.push(InputRef::parse(r));
        self
    }

    /// Adds a named output.
    pub fn output(mut self, name: impl Into<String>) -> Self {
        self.outputs.push(name.into());
        self
    }

    /// Sets the priority (higher first).
    pub fn priority(mut self, p: i32) -> Self {
        self.priority = p;
        self
    }

    /// Sets the per-attempt timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }

    /// Sets the failure policy.
    pub fn on_failure(mut self, f: OnFailure) -> Self {
        self.on_failure = f;
        self
    }
}
