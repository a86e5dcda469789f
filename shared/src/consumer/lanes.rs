//! How many batches of one consumer run at once. The first `CONSUMER_EAGER_LANES` (1) start as
//! soon as messages wait; another starts only while every running batch is overdue, up to
//! `CONSUMER_LANES`. Overdue: it has run longer than four times the median of the last batches,
//! and at least [`FLOOR`].
//!
//! Why not every lane at once: on a steady flow, lanes that start as soon as a delivery waits run
//! many small transactions side by side; with PostgreSQL, RabbitMQ and the services on a few
//! cores, their backends then wait for a core with a transaction open. One transaction per
//! consumer at a time takes what waits instead (fewer, larger transactions): on two cores that
//! kept 15-25 % more field updates at a third of the latency (docs/benchmarks.md, "One lane per
//! consumer on two cores"). A handler that makes a round trip per message rather than one
//! statement per batch waits more than it works, and gains from eager lanes.
//!
//! Why lanes at all: a batch stuck on a row lock or a slow call is overdue soon, and the next
//! lane starts beside it, so a slow key holds only itself.
//! Pure bookkeeping, no I/O; the session loop passes the time.

use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// The least time a batch runs before it counts as overdue.
pub(crate) const FLOOR: Duration = Duration::from_millis(50);
/// How many times the recent median a batch may run before it counts as overdue.
const PATIENCE_FACTOR: u32 = 4;
/// Batches whose durations set the median.
const RECENT: usize = 16;

pub(crate) type LaneId = u64;

pub(crate) struct Lanes {
    max: usize,
    eager: usize,
    running: Vec<(LaneId, Instant)>,
    recent: VecDeque<Duration>,
    patience: Duration,
    next_id: LaneId,
}

impl Lanes {
    pub fn new(max: usize, eager: usize) -> Self {
        Self {
            max: max.max(1),
            eager,
            running: Vec::new(),
            recent: VecDeque::with_capacity(RECENT),
            patience: FLOOR,
            next_id: 0,
        }
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Whether one more batch may start at `now`.
    pub fn may_start(&self, now: Instant) -> bool {
        self.may_start_eagerly()
            || self.running.len() < self.max
                && self
                    .running
                    .iter()
                    .all(|(_, started)| now.saturating_duration_since(*started) >= self.patience)
    }

    fn may_start_eagerly(&self) -> bool {
        self.running.len() < self.max.min(self.eager)
    }

    pub fn start(&mut self, now: Instant) -> LaneId {
        self.next_id += 1;
        self.running.push((self.next_id, now));
        self.next_id
    }

    pub fn finish(&mut self, id: LaneId, now: Instant) {
        let Some(at) = self.running.iter().position(|(lane, _)| *lane == id) else {
            return;
        };
        let (_, started) = self.running.swap_remove(at);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent
            .push_back(now.saturating_duration_since(started));
        let mut sorted: Vec<Duration> = self.recent.iter().copied().collect();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        self.patience = (median * PATIENCE_FACTOR).max(FLOOR);
    }

    /// When the running batches will all be overdue, if a lane is free: the session loop looks
    /// again then.
    pub fn next_look(&self) -> Option<Instant> {
        if self.running.len() >= self.max || self.may_start_eagerly() {
            return None;
        }
        let latest = self.running.iter().map(|(_, started)| *started).max()?;
        Some(latest + self.patience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_second_lane_starts_only_once_the_running_batch_is_overdue() {
        let t0 = Instant::now();
        let mut lanes = Lanes::new(4, 1);
        assert!(lanes.may_start(t0), "the first lane always starts");
        let first = lanes.start(t0);
        assert!(!lanes.may_start(t0 + 49 * MS), "within the floor");
        assert_eq!(lanes.next_look(), Some(t0 + FLOOR));
        assert!(
            lanes.may_start(t0 + FLOOR),
            "overdue: a stuck batch holds only itself"
        );
        let second = lanes.start(t0 + FLOOR);
        assert!(
            !lanes.may_start(t0 + 60 * MS),
            "the second batch is not overdue yet"
        );
        lanes.finish(second, t0 + 60 * MS);
        assert_eq!(lanes.running(), 1);
        assert!(
            lanes.may_start(t0 + 60 * MS),
            "the first is still overdue (4 × 10 ms is below the floor)"
        );
        lanes.finish(first, t0 + 80 * MS);
        assert_eq!(lanes.next_look(), None, "nothing runs");
    }

    #[test]
    fn patience_follows_the_median_of_recent_batches_and_ignores_one_outlier() {
        let t0 = Instant::now();
        let mut lanes = Lanes::new(2, 1);
        let mut now = t0;
        for took in [100, 100, 5_000, 100] {
            let id = lanes.start(now);
            now += took * MS;
            lanes.finish(id, now);
        }
        lanes.start(now);
        assert!(!lanes.may_start(now + 399 * MS), "4 × the median of 100 ms");
        assert!(lanes.may_start(now + 400 * MS));
        lanes.start(now + 400 * MS);
        assert!(
            !lanes.may_start(now + 10_000 * MS),
            "at most CONSUMER_LANES batches"
        );
        assert_eq!(lanes.next_look(), None, "every lane is taken");
    }

    #[test]
    fn eager_lanes_start_at_once_and_the_rest_wait_for_overdue_batches() {
        let t0 = Instant::now();
        let mut lanes = Lanes::new(3, 2);
        lanes.start(t0);
        assert!(lanes.may_start(t0), "the second lane is eager");
        lanes.start(t0);
        assert!(!lanes.may_start(t0 + 10 * MS));
        assert_eq!(lanes.next_look(), Some(t0 + FLOOR));
        assert!(lanes.may_start(t0 + FLOOR));
    }

    #[test]
    fn one_lane_runs_one_batch_at_a_time() {
        let t0 = Instant::now();
        let mut lanes = Lanes::new(1, 1);
        lanes.start(t0);
        assert!(!lanes.may_start(t0 + 3_600_000 * MS));
    }
}
