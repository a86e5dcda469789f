//! Ordered consumption across processes: partitioned work queues.
//!
//! A message whose type has an order key ([`Message::order_key`]) is published with a bucket
//! in its routing key: `kind.vN.bNN`, where `NN` is a stable hash of the key modulo
//! [`BUCKETS`]. No broker plugin is needed: the publisher computes the bucket.
//!
//! - An ordinary work queue binds `kind.vN` and `kind.vN.*`, so it takes every bucket.
//! - A partitioned consumer (P partitions) has P work queues `{work}.p{i}`, each a quorum queue
//!   with `x-single-active-consumer`: bucket `b` goes to partition `b % P`, unkeyed messages to
//!   partition 0. Every process of the consumer subscribes to every partition; the broker lets
//!   one of them at a time take each partition, and hands it to another when that process goes
//!   away, so one key is never handled by two processes at once.

use super::connection::timed;
use super::topology::Topology;
use crate::message::{Envelope, Message};
use lapin::Channel;
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};

/// Buckets of the order-key hash. Partition counts that divide it spread keys evenly.
pub const BUCKETS: u32 = 64;

/// FNV-1a: stable across processes, versions and platforms (unlike `std`'s hasher).
pub fn bucket(key: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    u32::try_from(hash % u64::from(BUCKETS)).unwrap_or(0)
}

/// The routing key `payload` is published with on the events exchange.
pub fn routing_key_for<M: Message>(payload: &M) -> String {
    match payload.order_key() {
        Some(key) => format!("{}.b{}", M::routing_key(), bucket(&key)),
        None => M::routing_key(),
    }
}

/// The routing key `envelope` is published with: [`routing_key_for`] its payload, or
/// `kind.vN.{org_id}` for a type routed by org ([`Message::ROUTED_BY_ORG`]).
pub fn routing_key_for_envelope<M: Message>(envelope: &Envelope<M>) -> String {
    if M::ROUTED_BY_ORG {
        return format!("{}.{}", M::routing_key(), envelope.org_id);
    }
    routing_key_for(&envelope.payload)
}

impl Topology {
    /// Partition `partition` of a partitioned consumer's work queue.
    pub fn partition_queue(&self, service: &str, consumer: &str, partition: u16) -> String {
        format!("{}.p{partition}", self.work_queue(service, consumer))
    }

    /// Binds an ordinary work queue to the bucketed routing keys of its events too.
    pub async fn bind_buckets(
        &self,
        channel: &Channel,
        work: &str,
        routing_keys: &[String],
    ) -> anyhow::Result<()> {
        for key in routing_keys {
            self.bind(channel, work, &format!("{key}.*")).await?;
        }
        Ok(())
    }

    /// The partition queues of a consumer, their bindings and the service's dead letters.
    pub async fn declare_partitions(
        &self,
        channel: &Channel,
        service: &str,
        consumer: &str,
        partitions: u16,
        routing_keys: &[String],
    ) -> anyhow::Result<Vec<String>> {
        self.declare_exchanges(channel).await?;
        declare(channel, &self.dead_letter_queue(service), false).await?;
        let mut queues = Vec::new();
        for partition in 0..partitions {
            let queue = self.partition_queue(service, consumer, partition);
            declare(channel, &queue, true).await?;
            for key in routing_keys {
                if partition == 0 {
                    self.bind(channel, &queue, key).await?;
                }
                for bucket in
                    (0..BUCKETS).filter(|b| b % u32::from(partitions) == u32::from(partition))
                {
                    self.bind(channel, &queue, &format!("{key}.b{bucket}"))
                        .await?;
                }
            }
            queues.push(queue);
        }
        Ok(queues)
    }

    /// Removes the bindings [`Topology::declare_consumer`] and [`Topology::bind_buckets`] make
    /// for `routing_keys` (`key` and `key.*`) from the work queue `work`. Removing a binding
    /// that does not exist is no error.
    pub async fn unbind_keys(
        &self,
        channel: &Channel,
        work: &str,
        routing_keys: &[String],
    ) -> anyhow::Result<()> {
        for key in routing_keys {
            for pattern in [key.clone(), format!("{key}.*")] {
                timed(
                    "unbinding a work queue",
                    channel.queue_unbind(
                        work.into(),
                        self.events_exchange().into(),
                        pattern.as_str().into(),
                        FieldTable::default(),
                    ),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn bind(&self, channel: &Channel, queue: &str, key: &str) -> anyhow::Result<()> {
        timed(
            "binding a work queue",
            channel.queue_bind(
                queue.into(),
                self.events_exchange().into(),
                key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await
    }
}

async fn declare(channel: &Channel, name: &str, single_active: bool) -> anyhow::Result<()> {
    let mut args = FieldTable::default();
    // Quorum: replicated and durable.
    args.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString("quorum".into()),
    );
    if single_active {
        // One consumer at a time takes the partition: its keys stay in order across processes.
        args.insert(
            ShortString::from("x-single-active-consumer"),
            AMQPValue::Boolean(true),
        );
    }
    timed(
        "declaring a partition queue",
        channel.queue_declare(
            name.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            args,
        ),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_spread() {
        assert_eq!(bucket("record-1"), bucket("record-1"));
        // Pinned: a change would reroute keys of a running deployment.
        assert_eq!(bucket(""), (0xcbf2_9ce4_8422_2325u64 % 64) as u32);
        let used: std::collections::HashSet<u32> =
            (0..1000).map(|i| bucket(&format!("key-{i}"))).collect();
        assert_eq!(used.len(), BUCKETS as usize);
    }
}
