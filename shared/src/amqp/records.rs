//! The record exchanges: what orgs' own systems publish to, and each org's change feed.
//!
//! - `{prefix}.ingest`: topic exchange where an org's system publishes `record.upsert.v1` and
//!   `record.delete.v1` with the routing key `{org_id}.record.upsert.v1`, as the org's own
//!   broker user (whose topic permission admits only `^{org_id}\.`). The sync service's ingest
//!   queue binds `*.record.upsert.v1` and `*.record.delete.v1`. No alternate exchange: a
//!   publisher with `mandatory` hears at once that its routing key is wrong.
//! - `{prefix}.changes`: topic exchange bound from the events exchange with
//!   `record.changed.v1.#`; every org with a broker user has a quorum queue
//!   `{prefix}.changes.{org_id}` bound with `record.changed.v1.{org_id}`, which only that org's
//!   user may read. Its alternate exchange is `{prefix}.unrouted`: a change of an org without a
//!   feed is kept there, never returned to the outbox relay as unroutable.

use super::connection::timed;
use super::topology::{Topology, declare_queue, quorum, retry_queue_arguments};
use crate::ids::OrgId;
use lapin::options::{ExchangeBindOptions, ExchangeDeclareOptions, QueueBindOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

impl Topology {
    pub fn ingest_exchange(&self) -> String {
        format!("{}.ingest", self.prefix())
    }

    pub fn changes_exchange(&self) -> String {
        format!("{}.changes", self.prefix())
    }

    /// The org's change feed: the queue its own systems consume.
    pub fn change_feed_queue(&self, org: OrgId) -> String {
        format!("{}.changes.{org}", self.prefix())
    }

    /// What an org's system publishes a message of `routing_key` (`record.upsert.v1`) with.
    pub fn ingest_routing_key(org: OrgId, routing_key: &str) -> String {
        format!("{org}.{routing_key}")
    }

    /// The ingest and changes exchanges, and the binding that feeds the changes exchange.
    /// Called by [`Topology::declare_exchanges`], after the events exchange exists.
    pub(super) async fn declare_record_exchanges(&self, channel: &Channel) -> anyhow::Result<()> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        timed(
            "declaring the ingest exchange",
            channel.exchange_declare(
                self.ingest_exchange().into(),
                ExchangeKind::Topic,
                durable,
                FieldTable::default(),
            ),
        )
        .await?;
        let mut args = FieldTable::default();
        // A change no feed takes is kept in the unrouted queue, never returned to the relay.
        args.insert(
            ShortString::from("alternate-exchange"),
            AMQPValue::LongString(self.unrouted().as_str().into()),
        );
        timed(
            "declaring the changes exchange",
            channel.exchange_declare(
                self.changes_exchange().into(),
                ExchangeKind::Topic,
                durable,
                args,
            ),
        )
        .await?;
        timed(
            "binding the changes exchange",
            channel.exchange_bind(
                self.changes_exchange().into(),
                self.events_exchange().into(),
                "record.changed.v1.#".into(),
                ExchangeBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await
    }

    /// A consumer of the ingest exchange: its work queue (quorum, single active consumer, so
    /// that one process at a time takes it and per-record order holds across replicas), bound
    /// to `*.{key}` on the ingest exchange; its retry queues and its service's dead letters.
    pub async fn declare_ingest_consumer(
        &self,
        channel: &Channel,
        service: &str,
        consumer: &str,
        routing_keys: &[String],
    ) -> anyhow::Result<String> {
        self.declare_exchanges(channel).await?;
        let work = self.work_queue(service, consumer);
        declare_queue(channel, &self.dead_letter_queue(service), quorum()).await?;
        let mut args = quorum();
        args.insert(
            ShortString::from("x-single-active-consumer"),
            AMQPValue::Boolean(true),
        );
        declare_queue(channel, &work, args).await?;
        for key in routing_keys {
            self.bind_queue(channel, &work, &self.ingest_exchange(), &format!("*.{key}"))
                .await?;
        }
        for retry in 1..self.retry_schedule().max_attempts() {
            let (Some(name), Some(delay)) = (
                self.retry_queue(&work, retry),
                self.retry_schedule().delay_before_retry(retry),
            ) else {
                continue;
            };
            declare_queue(channel, &name, retry_queue_arguments(&work, delay)).await?;
        }
        Ok(work)
    }

    /// The org's change-feed queue (quorum), bound to its changes. Idempotent.
    pub async fn declare_change_feed(
        &self,
        channel: &Channel,
        org: OrgId,
    ) -> anyhow::Result<String> {
        self.declare_exchanges(channel).await?;
        let queue = self.change_feed_queue(org);
        declare_queue(channel, &queue, quorum()).await?;
        let key = format!("record.changed.v1.{org}");
        self.bind_queue(channel, &queue, &self.changes_exchange(), &key)
            .await?;
        Ok(queue)
    }

    async fn bind_queue(
        &self,
        channel: &Channel,
        queue: &str,
        exchange: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        timed(
            "binding a queue",
            channel.queue_bind(
                queue.into(),
                exchange.into(),
                key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await
    }
}
