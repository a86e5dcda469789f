//! The retry schedule: how long a transiently failed message waits before each retry.
//!
//! The `backoff` crate only *computes* the delays here (it is unmaintained, so it stays in this
//! one file); the broker does the waiting, in one retry queue per attempt whose TTL is that delay.

use backoff::backoff::Backoff;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
}

impl RetrySchedule {
    /// `count` delays: `initial`, then each `multiplier` times the one before, capped at `max`.
    /// No jitter: each delay is the TTL of a queue, so it must be the same for every message.
    pub fn exponential(initial: Duration, multiplier: f64, max: Duration, count: usize) -> Self {
        let mut backoff = backoff::ExponentialBackoff {
            current_interval: initial,
            initial_interval: initial,
            randomization_factor: 0.0,
            multiplier,
            max_interval: max,
            max_elapsed_time: None,
            ..backoff::ExponentialBackoff::default()
        };
        let delays = (0..count)
            .map_while(|_| backoff.next_backoff())
            .map(|d| Duration::from_millis(d.as_millis() as u64))
            .collect();
        Self { delays }
    }

    /// The delay before retry number `retry` (1-based), or `None` when retries are exhausted.
    pub fn delay_before_retry(&self, retry: u32) -> Option<Duration> {
        let index = usize::try_from(retry).ok()?.checked_sub(1)?;
        self.delays.get(index).copied()
    }

    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// The first attempt plus one per retry.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX - 1) + 1
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self::exponential(Duration::from_secs(1), 5.0, Duration::from_secs(600), 5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_pinned() {
        let secs: Vec<u64> = RetrySchedule::default()
            .delays()
            .iter()
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(secs, vec![1, 5, 25, 125, 600]);
    }

    #[test]
    fn retries_past_the_schedule_have_no_delay() {
        let s =
            RetrySchedule::exponential(Duration::from_millis(100), 2.0, Duration::from_secs(1), 2);
        assert_eq!(s.delay_before_retry(0), None);
        assert_eq!(s.delay_before_retry(1), Some(Duration::from_millis(100)));
        assert_eq!(s.delay_before_retry(2), Some(Duration::from_millis(200)));
        assert_eq!(s.delay_before_retry(3), None);
        assert_eq!(s.max_attempts(), 3);
    }
}
