//! The prewarming predictor: learns from recent usage which instrument follows which
//! command (and at which hour of the day) and keeps hit statistics.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Counters of the predictor's usefulness.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictorStats {
    /// Predictions made.
    pub predictions: u64,
    /// Predictions followed by a call to the predicted instrument.
    pub hits: u64,
    /// Predictions followed by a call to another instrument.
    pub misses: u64,
    /// Calls that found their instrument warming or hot thanks to a prewarm.
    pub cold_starts_avoided: u64,
    /// Calls that found their instrument cold.
    pub cold_starts: u64,
}

impl PredictorStats {
    /// hits / (hits + misses), or 0 before any outcome.
    pub fn hit_rate(&self) -> f64 {
        let judged = self.hits + self.misses;
        if judged == 0 {
            0.0
        } else {
            self.hits as f64 / judged as f64
        }
    }
}

/// What the predictor expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The instrument expected to be called.
    pub instrument: String,
    /// Times it followed this command in the recent usage.
    pub command_support: u32,
    /// Times it was used in this hour of the day in the recent usage.
    pub hour_support: u32,
}

#[derive(Debug, Clone)]
struct Usage {
    command: String,
    instrument: String,
    hour: u8,
}

/// Learns from the last `capacity` uses.
///
/// ```
/// use symphony_pit::pool::Predictor;
/// let mut p = Predictor::new(100, 2);
/// assert!(p.predict("explain", 9).is_none());
/// p.observe("explain", "local-7b", 9);
/// p.observe("explain", "local-7b", 10);
/// assert_eq!(p.predict("explain", 14).map(|p| p.instrument), Some("local-7b".to_string()));
/// ```
#[derive(Debug, Clone)]
pub struct Predictor {
    capacity: usize,
    min_support: u32,
    recent: VecDeque<Usage>,
    by_command: BTreeMap<String, BTreeMap<String, u32>>,
    by_hour: [BTreeMap<String, u32>; 24],
}

impl Predictor {
    /// Remembers the last `capacity` uses; a command needs `min_support` uses of an
    /// instrument (or an hour twice that many) before anything is predicted.
    pub fn new(capacity: usize, min_support: u32) -> Predictor {
        Predictor {
            capacity: capacity.max(1),
            min_support: min_support.max(1),
            recent: VecDeque::new(),
            by_command: BTreeMap::new(),
            by_hour: Default::default(),
        }
    }

    /// Records that `command` called `instrument` at `hour` (0..24, wrapped).
    pub fn observe(&mut self, command: &str, instrument: &str, hour: u8) {
        let hour = hour % 24;
        if self.recent.len() == self.capacity
            && let Some(old) = self.recent.pop_front()
        {
            decrement(self.by_command.get_mut(&old.command), &old.instrument);
            if self
                .by_command
                .get(&old.command)
                .is_some_and(BTreeMap::is_empty)
            {
                self.by_command.remove(&old.command);
            }
            decrement(self.by_hour.get_mut(usize::from(old.hour)), &old.instrument);
        }
        *self
            .by_command
            .entry(command.to_string())
            .or_default()
            .entry(instrument.to_string())
            .or_default() += 1;
        if let Some(h) = self.by_hour.get_mut(usize::from(hour)) {
            *h.entry(instrument.to_string()).or_default() += 1;
        }
        self.recent.push_back(Usage {
            command: command.to_string(),
            instrument: instrument.to_string(),
            hour,
        });
    }

    /// The instrument most likely to be called by `command` at `hour`.
    ///
    /// Score = 3 x uses after this command + uses in this hour; ties go to the
    /// smaller name, so the answer is deterministic.
    pub fn predict(&self, command: &str, hour: u8) -> Option<Prediction> {
        let empty = BTreeMap::new();
        let cmd = self.by_command.get(command).unwrap_or(&empty);
        let hourly = self.by_hour.get(usize::from(hour % 24)).unwrap_or(&empty);
        let mut best: Option<(u64, &String, u32, u32)> = None;
        for name in cmd.keys().chain(hourly.keys()) {
            let c = cmd.get(name).copied().unwrap_or(0);
            let h = hourly.get(name).copied().unwrap_or(0);
            if c < self.min_support && h < 2 * self.min_support {
                continue;
            }
            let score = 3 * u64::from(c) + u64::from(h);
            let better = match best {
                None => true,
                Some((s, n, _, _)) => score > s || (score == s && name < n),
            };
            if better {
                best = Some((score, name, c, h));
            }
        }
        best.map(|(_, name, c, h)| Prediction {
            instrument: name.clone(),
            command_support: c,
            hour_support: h,
        })
    }

    /// Uses remembered.
    pub fn len(&self) -> usize {
        self.recent.len()
    }

    /// Whether nothing was observed yet.
    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }
}

fn decrement(map: Option<&mut BTreeMap<String, u32>>, key: &str) {
    if let Some(map) = map
        && let Some(n) = map.get_mut(key)
    {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_usage_is_forgotten() {
        let mut p = Predictor::new(3, 1);
        p.observe("chat", "remote", 1);
        for _ in 0..3 {
            p.observe("chat", "local", 2);
        }
        let pred = p.predict("chat", 5).map(|p| p.instrument);
        assert_eq!(pred.as_deref(), Some("local"));
        assert_eq!(p.len(), 3);
        assert!(p.predict("chat", 1).is_some_and(|p| p.command_support == 3));
    }

    #[test]
    fn hour_of_day_alone_can_predict() {
        let mut p = Predictor::new(50, 1);
        p.observe("a", "night-model", 23);
        p.observe("b", "night-model", 23);
        let pred = p.predict("never-seen", 23).map(|p| p.instrument);
        assert_eq!(pred.as_deref(), Some("night-model"));
        assert!(p.predict("never-seen", 12).is_none());
    }
}
