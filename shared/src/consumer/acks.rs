//! Acknowledgements of one channel, sent after commit.
//!
//! Lanes finish out of order, and `ack` with `multiple` acknowledges every outstanding delivery
//! up to its tag, including ones other lanes still hold. So: the contiguous prefix of settled
//! tags is acknowledged with one `multiple` ack; a settled tag beyond a gap is acknowledged
//! alone at once (so a slow lane does not hold prefetch slots of finished ones), and remembered
//! so that no tag is ever acknowledged twice.

use lapin::Channel;
use lapin::options::BasicAckOptions;
use std::collections::{BTreeSet, HashSet};
use tokio::sync::Mutex;

pub(crate) struct Acks {
    channel: Channel,
    state: Mutex<State>,
}

struct State {
    /// The lowest tag not yet settled (tags start at 1 on each channel).
    next: u64,
    settled: BTreeSet<u64>,
    acked_alone: HashSet<u64>,
}

/// What to send for a set of newly settled tags: one `multiple` ack, then single acks.
#[derive(Debug, PartialEq)]
struct Plan {
    multiple: Option<u64>,
    single: Vec<u64>,
}

impl State {
    fn settle(&mut self, tags: &[u64]) -> Plan {
        self.settled.extend(tags.iter().copied());
        let mut multiple = None;
        while self.settled.remove(&self.next) {
            if !self.acked_alone.remove(&self.next) {
                multiple = Some(self.next);
            }
            self.next += 1;
        }
        let single: Vec<u64> = tags.iter().copied().filter(|t| *t >= self.next).collect();
        self.acked_alone.extend(single.iter().copied());
        Plan { multiple, single }
    }
}

impl Acks {
    pub fn new(channel: Channel) -> Self {
        Self {
            channel,
            state: Mutex::new(State {
                next: 1,
                settled: BTreeSet::new(),
                acked_alone: HashSet::new(),
            }),
        }
    }

    /// Acknowledges `tags`. An error means the channel is gone: the messages will be delivered
    /// again (and the inbox will absorb them); the caller must not count them as handled.
    pub async fn ack(&self, tags: &[u64]) -> anyhow::Result<()> {
        let mut state = self.state.lock().await;
        let plan = state.settle(tags);
        if let Some(tag) = plan.multiple {
            self.send(tag, true).await?;
        }
        for tag in plan.single {
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

    fn state() -> State {
        State {
            next: 1,
            settled: BTreeSet::new(),
            acked_alone: HashSet::new(),
        }
    }

    #[test]
    fn a_gap_is_acked_alone_and_never_acked_twice() {
        let mut s = state();
        assert_eq!(
            s.settle(&[1, 2]),
            Plan {
                multiple: Some(2),
                single: vec![]
            }
        );
        assert_eq!(
            s.settle(&[4, 5]),
            Plan {
                multiple: None,
                single: vec![4, 5]
            }
        );
        // 3 closes the gap: only 3 is still outstanding in the prefix.
        assert_eq!(
            s.settle(&[3]),
            Plan {
                multiple: Some(3),
                single: vec![]
            }
        );
        assert_eq!(
            s.settle(&[6]),
            Plan {
                multiple: Some(6),
                single: vec![]
            }
        );
    }

    #[test]
    fn a_prefix_made_only_of_single_acks_sends_no_multiple() {
        let mut s = state();
        assert_eq!(
            s.settle(&[2]),
            Plan {
                multiple: None,
                single: vec![2]
            }
        );
        assert_eq!(
            s.settle(&[1]),
            Plan {
                multiple: Some(1),
                single: vec![]
            }
        );
        assert_eq!(
            s.settle(&[3]),
            Plan {
                multiple: Some(3),
                single: vec![]
            }
        );
    }
}
