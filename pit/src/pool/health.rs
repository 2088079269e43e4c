//! Health of an instrument from its recent calls: error rate, latency percentiles,
//! time to first token, tokens per second, and the Healthy/Degraded/Unhealthy verdict.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One observed call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CallSample {
    /// Whether the call succeeded.
    pub ok: bool,
    /// Wall time of the whole call.
    pub latency: Duration,
    /// Time until the first streamed token, if the call streamed.
    pub time_to_first_token: Option<Duration>,
    /// Tokens produced.
    pub tokens: u32,
}

impl CallSample {
    /// A successful call.
    pub fn ok(latency: Duration, time_to_first_token: Option<Duration>, tokens: u32) -> CallSample {
        CallSample {
            ok: true,
            latency,
            time_to_first_token,
            tokens,
        }
    }

    /// A failed call.
    pub fn failed(latency: Duration) -> CallSample {
        CallSample {
            ok: false,
            latency,
            time_to_first_token: None,
            tokens: 0,
        }
    }
}

/// The verdict on an instrument's health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Within every threshold (or too few calls to judge).
    #[default]
    Healthy,
    /// Over a Degraded threshold: still used, shown in amber.
    Degraded,
    /// Over an Unhealthy threshold: skipped for its fallback.
    Unhealthy,
}

/// Where Degraded and Unhealthy begin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealthThresholds {
    /// Fewer calls than this in the window always count as Healthy.
    pub min_samples: usize,
    /// Error rate (0..=1) from which the entry is Degraded.
    pub degraded_error_rate: f64,
    /// Error rate (0..=1) from which the entry is Unhealthy.
    pub unhealthy_error_rate: f64,
    /// p95 latency from which the entry is Degraded.
    pub degraded_p95: Duration,
    /// p95 latency from which the entry is Unhealthy.
    pub unhealthy_p95: Duration,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds {
            min_samples: 5,
            degraded_error_rate: 0.10,
            unhealthy_error_rate: 0.50,
            degraded_p95: Duration::from_secs(10),
            unhealthy_p95: Duration::from_secs(60),
        }
    }
}

/// Figures over the window, for the pool pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthFigures {
    /// Calls in the window.
    pub samples: usize,
    /// Failed calls / calls.
    pub error_rate: f64,
    /// Median latency.
    pub latency_p50: Duration,
    /// 95th percentile latency.
    pub latency_p95: Duration,
    /// Median time to first token over streamed calls.
    pub ttft_p50: Option<Duration>,
    /// Tokens per second over successful calls.
    pub tokens_per_sec: Option<f64>,
    /// The verdict.
    pub status: HealthStatus,
}

/// A sliding window over the last `capacity` calls.
///
/// ```
/// use std::time::Duration;
/// use symphony_pit::pool::{CallSample, HealthStatus, HealthThresholds, HealthWindow};
/// let mut w = HealthWindow::new(10, HealthThresholds::default());
/// for _ in 0..5 {
///     w.record(CallSample::ok(Duration::from_millis(200), Some(Duration::from_millis(50)), 40));
/// }
/// assert_eq!(w.status(), HealthStatus::Healthy);
/// for _ in 0..5 {
///     w.record(CallSample::failed(Duration::from_millis(10)));
/// }
/// let f = w.figures();
/// assert_eq!(f.error_rate, 0.5);
/// assert_eq!(f.status, HealthStatus::Unhealthy);
/// ```
#[derive(Debug, Clone)]
pub struct HealthWindow {
    capacity: usize,
    thresholds: HealthThresholds,
    samples: VecDeque<CallSample>,
    status: HealthStatus,
}

impl HealthWindow {
    /// A window of the last `capacity` calls (at least one).
    pub fn new(capacity: usize, thresholds: HealthThresholds) -> HealthWindow {
        let capacity = capacity.max(1);
        HealthWindow {
            capacity,
            thresholds,
            samples: VecDeque::with_capacity(capacity),
            status: HealthStatus::Healthy,
        }
    }

    /// Adds a call; returns the status before and after.
    pub fn record(&mut self, sample: CallSample) -> (HealthStatus, HealthStatus) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
        let before = self.status;
        self.status = self.figures().status;
        (before, self.status)
    }

    /// Forgets every call (after a recovery).
    pub fn clear(&mut self) {
        self.samples.clear();
        self.status = HealthStatus::Healthy;
    }

    /// The current verdict.
    pub fn status(&self) -> HealthStatus {
        self.status
    }

    /// Computes the figures over the window.
    pub fn figures(&self) -> HealthFigures {
        let n = self.samples.len();
        if n == 0 {
            return HealthFigures::default();
        }
        let errors = self.samples.iter().filter(|s| !s.ok).count();
        let error_rate = errors as f64 / n as f64;
        let mut latencies: Vec<Duration> = self.samples.iter().map(|s| s.latency).collect();
        latencies.sort_unstable();
        let mut ttfts: Vec<Duration> = self
            .samples
            .iter()
            .filter_map(|s| s.time_to_first_token)
            .collect();
        ttfts.sort_unstable();
        let (tokens, busy) = self
            .samples
            .iter()
            .filter(|s| s.ok)
            .fold((0u64, Duration::ZERO), |(t, d), s| {
                (t + u64::from(s.tokens), d + s.latency)
            });
        let tokens_per_sec = (busy > Duration::ZERO).then(|| tokens as f64 / busy.as_secs_f64());
        let latency_p95 = percentile(&latencies, 95).unwrap_or_default();
        let th = &self.thresholds;
        let status = if n < th.min_samples {
            HealthStatus::Healthy
        } else if error_rate >= th.unhealthy_error_rate || latency_p95 >= th.unhealthy_p95 {
            HealthStatus::Unhealthy
        } else if error_rate >= th.degraded_error_rate || latency_p95 >= th.degraded_p95 {
            HealthStatus::Degraded
        } else {
            HealthStatus::Healthy
        };
        HealthFigures {
            samples: n,
            error_rate,
            latency_p50: percentile(&latencies, 50).unwrap_or_default(),
            latency_p95,
            ttft_p50: percentile(&ttfts, 50),
            tokens_per_sec,
            status,
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: usize) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&v, 95), Some(Duration::from_millis(95)));
        assert_eq!(percentile(&v[..1], 95), Some(Duration::from_millis(1)));
    }

    #[test]
    fn slow_calls_degrade_then_make_unhealthy() {
        let th = HealthThresholds {
            min_samples: 2,
            degraded_p95: Duration::from_secs(1),
            unhealthy_p95: Duration::from_secs(5),
            ..HealthThresholds::default()
        };
        let mut w = HealthWindow::new(4, th);
        w.record(CallSample::ok(Duration::from_millis(100), None, 1));
        w.record(CallSample::ok(Duration::from_secs(2), None, 1));
        assert_eq!(w.status(), HealthStatus::Degraded);
        let (_, after) = w.record(CallSample::ok(Duration::from_secs(6), None, 1));
        assert_eq!(after, HealthStatus::Unhealthy);
        for _ in 0..4 {
            w.record(CallSample::ok(Duration::from_millis(100), None, 10));
        }
        assert_eq!(
            w.status(),
            HealthStatus::Healthy,
            "old calls slide out of the window"
        );
        let f = w.figures();
        assert_eq!(f.tokens_per_sec, Some(100.0));
    }
}
