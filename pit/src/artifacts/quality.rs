//! Quality score of an artifact from the signals given to it (user verdicts, tests, reuse).

use serde::{Deserialize, Serialize};

/// One observation about an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The user accepted it (e.g. applied the proposal).
    Accepted,
    /// The user rejected it.
    Rejected,
    /// Tests passed with it.
    TestsPassed,
    /// Tests failed with it.
    TestsFailed,
    /// It was used again (as a parent, as context, …).
    Reused,
}

/// Counts of signals received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualitySignals {
    /// Times accepted.
    pub accepted: u32,
    /// Times rejected.
    pub rejected: u32,
    /// Test runs that passed.
    pub tests_passed: u32,
    /// Test runs that failed.
    pub tests_failed: u32,
    /// Times reused.
    pub reused: u32,
}

impl QualitySignals {
    /// Counts one more signal.
    pub fn record(&mut self, s: Signal) {
        let c = match s {
            Signal::Accepted => &mut self.accepted,
            Signal::Rejected => &mut self.rejected,
            Signal::TestsPassed => &mut self.tests_passed,
            Signal::TestsFailed => &mut self.tests_failed,
            Signal::Reused => &mut self.reused,
        };
        *c = c.saturating_add(1);
    }

    /// Score in 0..=1: 50% user verdicts and 30% tests (each a smoothed success ratio that
    /// starts at 0.5 with no evidence) plus 20% reuse (0 unused, towards 1 with more reuse).
    ///
    /// ```
    /// use symphony_pit::artifacts::{QualitySignals, Signal};
    /// let mut q = QualitySignals::default();
    /// let neutral = q.score();
    /// q.record(Signal::Accepted);
    /// q.record(Signal::TestsPassed);
    /// assert!(q.score() > neutral);
    /// q.record(Signal::Rejected);
    /// q.record(Signal::Rejected);
    /// assert!(q.score() < 1.0 && q.score() > 0.0);
    /// ```
    pub fn score(&self) -> f32 {
        let ratio = |good: u32, bad: u32| (good as f32 + 1.0) / (good as f32 + bad as f32 + 2.0);
        let user = ratio(self.accepted, self.rejected);
        let tests = ratio(self.tests_passed, self.tests_failed);
        let reuse = 1.0 - 1.0 / (1.0 + self.reused as f32);
        0.5 * user + 0.3 * tests + 0.2 * reuse
    }
}
