//! A token bucket limiting how many messages per second an extension may send.

use std::time::Instant;

/// Refills `rate` tokens per second up to `burst`; each message takes one.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        TokenBucket {
            rate: f64::from(rate_per_sec),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            last: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    pub fn try_take(&mut self) -> bool {
        if self.tokens < 1.0 {
            let now = Instant::now();
            let dt = now.duration_since(self.last).as_secs_f64();
            self.last = now;
            self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_bucket_refuses() {
        let mut b = TokenBucket::new(0, 3);
        assert!(b.try_take() && b.try_take() && b.try_take());
        assert!(!b.try_take());
    }
}
