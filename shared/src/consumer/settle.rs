//! Moving a message on after a failure: to its next retry queue, or to the service's
//! dead-letter queue with its reason. Each publish is confirmed before the delivery is acked.

use super::acks::Acks;
use super::item::Item;
use super::runner::ConsumerContext;
use crate::amqp::{ConfirmedChannel, Headers};
use tokio_util::sync::CancellationToken;

/// What the lanes of one broker session share.
pub(crate) struct Shared {
    pub ctx: ConsumerContext,
    pub service: &'static str,
    pub queue: String,
    pub channel: ConfirmedChannel,
    pub acks: Acks,
    pub shutdown: CancellationToken,
    /// Partitioned consumers have no retry queues: every retry waits in place.
    pub retry_in_place: bool,
}

impl Shared {
    /// `partnernet_messages_handled_total{consumer, outcome}`.
    pub fn count_handled(&self, outcome: &'static str, n: usize) {
        if n > 0 {
            metrics::counter!("partnernet_messages_handled_total", "consumer" => self.queue.clone(), "outcome" => outcome)
                .increment(n as u64);
        }
    }

    /// `partnernet_messages_retried_total{consumer}` or `..._dead_lettered_total{consumer}`.
    pub fn count(&self, metric: &'static str) {
        metrics::counter!(metric, "consumer" => self.queue.clone()).increment(1);
    }
}

/// Sends `item` to its next retry queue, or dead-letters it when the schedule is spent.
pub(crate) async fn retry_later(shared: &Shared, item: &Item, error: &str) -> anyhow::Result<()> {
    let Some(retry_queue) = shared.ctx.topology.retry_queue(&item.queue, item.attempt) else {
        let reason = format!(
            "gave up after {} attempts; last error: {error}",
            item.attempt
        );
        return dead_letter(shared, item, &reason).await;
    };
    tracing::info!(
        error,
        retry_queue,
        "transient failure; message will be retried"
    );
    let headers = Headers::from_table(item.delivery.properties.headers().as_ref())
        .int("x-attempt", i64::from(item.attempt) + 1)
        .text("x-last-error", &truncate(error));
    let properties = super::republish::properties(
        &item.delivery.properties,
        headers,
        &super::republish::broker_user(&shared.ctx.amqp_url),
    );
    shared
        .channel
        .publish("", &retry_queue, &item.delivery.data, properties)
        .await?;
    shared.acks.ack(&[item.tag()]).await?;
    shared.count("partnernet_messages_retried_total");
    Ok(())
}

/// Moves the delivery, body untouched, to the service's dead-letter queue with its reason.
pub(crate) async fn dead_letter(shared: &Shared, item: &Item, reason: &str) -> anyhow::Result<()> {
    tracing::warn!(reason, queue = shared.queue, "message dead-lettered");
    let delivery = &item.delivery;
    let headers = Headers::from_table(delivery.properties.headers().as_ref())
        .text("x-death-reason", &truncate(reason))
        .text("x-original-queue", &item.queue)
        .text("x-original-routing-key", delivery.routing_key.as_str())
        .int("x-attempt", i64::from(item.attempt))
        .text("x-failed-at", &chrono::Utc::now().to_rfc3339());
    let properties = super::republish::properties(
        &delivery.properties,
        headers,
        &super::republish::broker_user(&shared.ctx.amqp_url),
    );
    shared
        .channel
        .publish(
            "",
            &shared.ctx.topology.dead_letter_queue(shared.service),
            &delivery.data,
            properties,
        )
        .await?;
    shared.acks.ack(&[item.tag()]).await?;
    shared.count("partnernet_messages_dead_lettered_total");
    Ok(())
}

/// Header values stay short: a reason, not a stack dump.
fn truncate(text: &str) -> String {
    text.chars().take(1000).collect()
}
