//! Every exchange and queue PartnerNet uses, declared here and nowhere else.
//!
//! Names (with the deployment's `QUEUE_PREFIX`, `partnernet` by default):
//! - `{prefix}.events`: topic exchange of domain events, routing key `kind.vN`;
//! - `{prefix}.{service}.{consumer}`: a consumer's work queue (quorum), bound to its events;
//! - `{prefix}.{service}.{consumer}.retry{n}.{ms}ms.quorum`: where a message waits before retry
//!   `n`; its TTL is the retry schedule's delay, after which the broker dead-letters it back to
//!   the work queue. The delay is in the name so a changed schedule declares new queues instead
//!   of clashing with the old arguments. These are quorum queues with at-least-once
//!   dead-lettering: the classic retry queues they replace (same name without `.quorum`, which
//!   cannot change type in place) lost every waiting message across a broker restart, because
//!   they expired messages before the work queue had a leader and the broker dropped them;
//! - `{prefix}.{service}.dead`: the service's dead letters (quorum), each with its reason;
//! - `{prefix}.unrouted`: the events exchange's alternate exchange and its queue (quorum). An
//!   event no consumer's queue is bound to lands here instead of being lost, and never holds up
//!   a publisher.
//! - `{prefix}.ingest` and `{prefix}.changes`: records in from orgs' own systems, and each
//!   org's change feed (see `records.rs` beside this file).

use super::connection::timed;
use crate::retry::RetrySchedule;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
    retry: RetrySchedule,
}

/// One queue, for the AsyncAPI document.
#[derive(Debug, Clone)]
pub struct QueueDoc {
    pub name: String,
    pub description: String,
}

impl Topology {
    pub fn new(prefix: &str, retry: RetrySchedule) -> Self {
        Self {
            prefix: prefix.to_string(),
            retry,
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn retry_schedule(&self) -> &RetrySchedule {
        &self.retry
    }

    pub fn events_exchange(&self) -> String {
        format!("{}.events", self.prefix)
    }

    pub fn work_queue(&self, service: &str, consumer: &str) -> String {
        format!("{}.{service}.{consumer}", self.prefix)
    }

    /// The alternate exchange of the events exchange, and its queue (same name).
    pub fn unrouted(&self) -> String {
        format!("{}.unrouted", self.prefix)
    }

    pub fn dead_letter_queue(&self, service: &str) -> String {
        format!("{}.{service}.dead", self.prefix)
    }

    /// The queue a message waits in before retry `retry` (1-based), if the schedule has one.
    pub fn retry_queue(&self, work_queue: &str, retry: u32) -> Option<String> {
        let delay = self.retry.delay_before_retry(retry)?;
        Some(format!(
            "{work_queue}.retry{retry}.{}ms.quorum",
            delay.as_millis()
        ))
    }

    /// Every retry queue of a work queue.
    pub fn retry_queues(&self, work_queue: &str) -> Vec<String> {
        (1..self.retry.max_attempts())
            .filter_map(|retry| self.retry_queue(work_queue, retry))
            .collect()
    }

    /// The events exchange and its alternate exchange. Durable: they survive a broker restart.
    pub async fn declare_exchanges(&self, channel: &Channel) -> anyhow::Result<()> {
        let unrouted = self.unrouted();
        timed(
            "declaring the unrouted exchange",
            channel.exchange_declare(
                unrouted.as_str().into(),
                ExchangeKind::Fanout,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            ),
        )
        .await?;
        declare_queue(channel, &unrouted, quorum()).await?;
        timed(
            "binding the unrouted queue",
            channel.queue_bind(
                unrouted.as_str().into(),
                unrouted.as_str().into(),
                "".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await?;
        let mut args = FieldTable::default();
        // Events no queue is bound to go to the unrouted queue: kept, visible, not blocking.
        args.insert(
            ShortString::from("alternate-exchange"),
            AMQPValue::LongString(unrouted.as_str().into()),
        );
        timed(
            "declaring the events exchange",
            channel.exchange_declare(
                self.events_exchange().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true, // survives a broker restart
                    ..ExchangeDeclareOptions::default()
                },
                args,
            ),
        )
        .await?;
        self.declare_record_exchanges(channel).await
    }

    /// A consumer's work queue, its bindings, its retry queues and its service's dead letters.
    pub async fn declare_consumer(
        &self,
        channel: &Channel,
        service: &str,
        consumer: &str,
        routing_keys: &[String],
    ) -> anyhow::Result<String> {
        self.declare_exchanges(channel).await?;
        let work = self.work_queue(service, consumer);
        declare_queue(channel, &self.dead_letter_queue(service), quorum()).await?;
        declare_queue(channel, &work, quorum()).await?;
        for key in routing_keys {
            timed(
                "binding a work queue",
                channel.queue_bind(
                    work.as_str().into(),
                    self.events_exchange().into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                ),
            )
            .await?;
        }
        for retry in 1..self.retry.max_attempts() {
            let (Some(name), Some(delay)) = (
                self.retry_queue(&work, retry),
                self.retry.delay_before_retry(retry),
            ) else {
                continue;
            };
            declare_queue(channel, &name, retry_queue_arguments(&work, delay)).await?;
        }
        Ok(work)
    }

    /// The queues of one consumer, for documentation.
    pub fn describe_consumer(&self, service: &str, consumer: &str) -> Vec<QueueDoc> {
        let work = self.work_queue(service, consumer);
        let mut docs = vec![QueueDoc {
            name: work.clone(),
            description: format!(
                "Work queue of the {service} service's {consumer} consumer (quorum)."
            ),
        }];
        for retry in 1..self.retry.max_attempts() {
            if let (Some(name), Some(delay)) = (
                self.retry_queue(&work, retry),
                self.retry.delay_before_retry(retry),
            ) {
                docs.push(QueueDoc {
                    name,
                    description: format!(
                        "Retry {retry} (quorum): holds a failed message {delay:?}, then returns it to {work} (at-least-once dead-lettering)."
                    ),
                });
            }
        }
        docs
    }
}

/// A retry queue: quorum, every message held `delay`, then dead-lettered back to `work`
/// at-least-once (the broker keeps the message until the work queue has confirmed it).
pub(super) fn retry_queue_arguments(work: &str, delay: std::time::Duration) -> FieldTable {
    let mut args = quorum();
    // Same TTL for every message in the queue, so expiry at the head is exact.
    args.insert(
        ShortString::from("x-message-ttl"),
        AMQPValue::LongLongInt(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
    );
    // When the TTL passes, the broker sends the message back to the work queue.
    args.insert(
        ShortString::from("x-dead-letter-exchange"),
        AMQPValue::LongString("".into()),
    );
    args.insert(
        ShortString::from("x-dead-letter-routing-key"),
        AMQPValue::LongString(work.into()),
    );
    // The default (at-most-once) drops an expired message whose target has no leader yet, as
    // after a broker restart; at-least-once keeps it until the target confirms it.
    args.insert(
        ShortString::from("x-dead-letter-strategy"),
        AMQPValue::LongString("at-least-once".into()),
    );
    // Required by at-least-once: a full queue refuses new messages instead of dropping old ones.
    args.insert(
        ShortString::from("x-overflow"),
        AMQPValue::LongString("reject-publish".into()),
    );
    args
}

pub(super) fn quorum() -> FieldTable {
    let mut args = FieldTable::default();
    // Quorum: replicated and durable; the type RabbitMQ recommends for work that must not be lost.
    args.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString("quorum".into()),
    );
    args
}

pub(super) async fn declare_queue(
    channel: &Channel,
    name: &str,
    args: FieldTable,
) -> anyhow::Result<()> {
    timed(
        "declaring a queue",
        channel.queue_declare(
            name.into(),
            QueueDeclareOptions {
                durable: true,      // survives a broker restart; RabbitMQ 4 requires it
                exclusive: false,   // competing consumers in other processes share it
                auto_delete: false, // messages wait while no consumer runs
                ..QueueDeclareOptions::default()
            },
            args,
        ),
    )
    .await?;
    Ok(())
}
