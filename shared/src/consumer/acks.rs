//! Acknowledgements of one channel, sent after commit.
//!
//! Lanes finish out of order, and `ack` with `multiple` acknowledges every outstanding delivery
//! up to its tag, including ones other lanes still hold. So: the contiguous prefix of settled
//! tags is acknowledged with one `multiple` ack. A settled tag beyond a gap waits for the gap to
//! close, so that the same `multiple` ack covers it: on a quorum queue every ack frame is a
//! command through the queue's Raft log, and acking each alone cost RabbitMQ 50 µs of CPU per
//! message draining a backlog, against 14 to 17 µs now (docs/benchmarks.md).
//!
//! So that a slow lane cannot fill the prefetch window with finished messages, the waiting tags
//! are acknowledged alone once they are three quarters of the window, or once the oldest has
//! waited [`MAX_WAIT`] (checked at each ack, and by the consumer's watchdog when nothing else
//! settles); at shutdown, every waiting tag is acknowledged once the running batches are done.
//! Three quarters is more than one lane's batch when prefetch covers every lane's batch
//! (as `AMQP_PREFETCH` asks), so a batch that finishes early waits whole; and less than the
//! window, so deliveries keep coming meanwhile. A tag acknowledged alone is remembered so that it
//! is never acknowledged twice.

use lapin::Channel;
use lapin::options::BasicAckOptions;
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The longest a settled tag waits for a `multiple` ack before it is acknowledged alone.
const MAX_WAIT: Duration = Duration::from_secs(1);

pub(crate) struct Acks {
    channel: Channel,
    state: Mutex<State>,
}

struct State {
    /// The lowest tag not yet settled (tags start at 1 on each channel).
    next: u64,
    /// Settled tags beyond `next`.
    settled: BTreeSet<u64>,
    /// Those of `settled` already acknowledged alone.
    acked_alone: HashSet<u64>,
    /// Those of `settled` not acknowledged yet, and since when the oldest waits.
    waiting: Vec<u64>,
    waiting_since: Option<Instant>,
    /// How many may wait before they are acknowledged alone.
    wait_limit: usize,
}

/// What to send for a set of newly settled tags: one `multiple` ack, then single acks.
#[derive(Debug, PartialEq)]
struct Plan {
    multiple: Option<u64>,
    single: Vec<u64>,
}

impl State {
    fn new(prefetch: u16) -> Self {
        Self {
            next: 1,
            settled: BTreeSet::new(),
            acked_alone: HashSet::new(),
            waiting: Vec::new(),
            waiting_since: None,
            wait_limit: (usize::from(prefetch) * 3 / 4).max(1),
        }
    }

    fn settle(&mut self, tags: &[u64], now: Instant) -> Plan {
        self.settled.extend(tags.iter().copied());
        let mut multiple = None;
        while self.settled.remove(&self.next) {
            if !self.acked_alone.remove(&self.next) {
                multiple = Some(self.next);
            }
            self.next += 1;
        }
        let next = self.next;
        self.waiting.retain(|tag| *tag >= next);
        self.waiting
            .extend(tags.iter().copied().filter(|tag| *tag >= next));
        if self.waiting.is_empty() {
            self.waiting_since = None;
            return Plan {
                multiple,
                single: Vec::new(),
            };
        }
        let since = *self.waiting_since.get_or_insert(now);
        if self.waiting.len() < self.wait_limit && now.duration_since(since) < MAX_WAIT {
            return Plan {
                multiple,
                single: Vec::new(),
            };
        }
        Plan {
            multiple,
            single: self.take_waiting(),
        }
    }

    /// The waiting tags, if the oldest has waited [`MAX_WAIT`].
    fn overdue(&mut self, now: Instant) -> Vec<u64> {
        match self.waiting_since {
            Some(since) if now.duration_since(since) >= MAX_WAIT => self.take_waiting(),
            _ => Vec::new(),
        }
    }

    fn take_waiting(&mut self) -> Vec<u64> {
        let mut single = std::mem::take(&mut self.waiting);
        single.sort_unstable();
        self.acked_alone.extend(single.iter().copied());
        self.waiting_since = None;
        single
    }
}

impl Acks {
    pub fn new(channel: Channel, prefetch: u16) -> Self {
        Self {
            channel,
            state: Mutex::new(State::new(prefetch)),
        }
    }

    /// Acknowledges `tags` (now, or with a later `multiple` ack: see the module's note). An
    /// error means the channel is gone: the messages will be delivered again (and the inbox
    /// will absorb them); the caller must not count them as handled.
    pub async fn ack(&self, tags: &[u64]) -> anyhow::Result<()> {
        let mut state = self.state.lock().await;
        let plan = state.settle(tags, Instant::now());
        if let Some(tag) = plan.multiple {
            self.send(tag, true).await?;
        }
        self.send_alone(plan.single).await
    }

    /// Acknowledges alone the tags that waited too long for a `multiple` ack (called by the
    /// consumer's watchdog, so that they are acknowledged even when no other message settles).
    pub async fn flush_overdue(&self) -> anyhow::Result<()> {
        let overdue = self.state.lock().await.overdue(Instant::now());
        self.send_alone(overdue).await
    }

    /// Acknowledges alone every waiting tag: at shutdown, when the running batches are done, so
    /// that no handled message goes back to the queue with the channel.
    pub async fn flush_all(&self) -> anyhow::Result<()> {
        let waiting = self.state.lock().await.take_waiting();
        self.send_alone(waiting).await
    }

    async fn send_alone(&self, tags: Vec<u64>) -> anyhow::Result<()> {
        for tag in tags {
            self.send(tag, false).await?;
        }
        Ok(())
    }

    async fn send(&self, tag: u64, multiple: bool) -> anyhow::Result<()> {
        // Unlike `Acker::ack`, which answers Ok(false) on a dead channel, this fails.
        crate::amqp::timed(
            "acknowledging",
            self.channel.basic_ack(tag, BasicAckOptions { multiple }),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(multiple: Option<u64>, single: &[u64]) -> Plan {
        Plan {
            multiple,
            single: single.to_vec(),
        }
    }

    #[test]
    fn tags_beyond_a_gap_wait_for_the_multiple_ack_that_closes_it() {
        let (mut s, now) = (State::new(100), Instant::now());
        assert_eq!(s.settle(&[1, 2], now), plan(Some(2), &[]));
        assert_eq!(s.settle(&[4, 5], now), plan(None, &[]));
        assert_eq!(s.settle(&[3], now), plan(Some(5), &[]));
        assert_eq!(s.settle(&[6], now), plan(Some(6), &[]));
    }

    #[test]
    fn three_quarters_of_the_window_waiting_are_acked_alone_and_never_acked_twice() {
        let (mut s, now) = (State::new(5), Instant::now());
        assert_eq!(s.settle(&[3, 2], now), plan(None, &[]));
        assert_eq!(s.settle(&[5, 4], now), plan(None, &[2, 3, 4, 5]));
        assert_eq!(s.settle(&[6], now), plan(None, &[]));
        // 1 closes the gap: of the prefix, only 1 and 6 are still outstanding.
        assert_eq!(s.settle(&[1], now), plan(Some(6), &[]));
        assert_eq!(s.settle(&[7], now), plan(Some(7), &[]));
    }

    #[test]
    fn a_tag_waiting_too_long_is_acked_alone() {
        let (mut s, start) = (State::new(100), Instant::now());
        assert_eq!(s.settle(&[2], start), plan(None, &[]));
        assert_eq!(s.settle(&[3], start + MAX_WAIT / 2), plan(None, &[]));
        assert_eq!(s.settle(&[4], start + MAX_WAIT), plan(None, &[2, 3, 4]));
        assert_eq!(s.settle(&[1], start + MAX_WAIT), plan(Some(1), &[]));
    }

    #[test]
    fn the_watchdog_acks_alone_what_waited_too_long() {
        let (mut s, start) = (State::new(100), Instant::now());
        assert_eq!(s.settle(&[3, 2], start), plan(None, &[]));
        assert_eq!(s.overdue(start + MAX_WAIT / 2), Vec::<u64>::new());
        assert_eq!(s.overdue(start + MAX_WAIT), vec![2, 3]);
        assert_eq!(s.overdue(start + MAX_WAIT * 2), Vec::<u64>::new());
        assert_eq!(s.settle(&[1], start + MAX_WAIT), plan(Some(1), &[]));
    }

    #[test]
    fn a_prefix_made_only_of_single_acks_sends_no_multiple() {
        let (mut s, now) = (State::new(2), Instant::now());
        assert_eq!(s.settle(&[2], now), plan(None, &[2]));
        assert_eq!(s.settle(&[1], now), plan(Some(1), &[]));
        assert_eq!(s.settle(&[3], now), plan(Some(3), &[]));
    }
}
