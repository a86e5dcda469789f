//! What happens to one delivery: the failure policy of [`crate::error`], applied.

use super::ConsumerSpec;
use super::runner::ConsumerContext;
use crate::amqp::{ConfirmedChannel, Headers, header_i64, timed};
use crate::db;
use crate::error::HandlerError;
use crate::inbox::{self, InboxOutcome};
use crate::message::EnvelopeHead;
use diesel_async::AsyncConnection;
use lapin::message::Delivery;
use lapin::options::BasicAckOptions;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub(crate) enum Fate {
    /// Acknowledged: handled, duplicate, sent to retry, or dead-lettered.
    Settled,
    /// Shutdown came while PostgreSQL was down: left unacknowledged for redelivery.
    LeftForRedelivery,
}

/// Decodes, handles and settles one delivery. An `Err` means the broker session is unusable;
/// the delivery is then left unacknowledged and the broker will deliver it again.
pub(crate) async fn process(
    spec: &ConsumerSpec,
    ctx: &ConsumerContext,
    channel: &ConfirmedChannel,
    queue: &str,
    delivery: &Delivery,
    shutdown: &CancellationToken,
) -> anyhow::Result<Fate> {
    let headers = delivery.properties.headers().as_ref();
    let attempt = u32::try_from(header_i64(headers, "x-attempt").unwrap_or(1).max(1)).unwrap_or(1);
    let head = match EnvelopeHead::decode(&delivery.data) {
        Ok(head) => head,
        Err(err) => {
            let reason = err.to_string();
            tracing::warn!(queue, reason, "undecodable message dead-lettered");
            dead_letter(ctx, channel, spec, queue, delivery, attempt, &reason).await?;
            return Ok(Fate::Settled);
        }
    };
    let span = tracing::info_span!(
        "message",
        consumer = queue,
        kind = %head.routing_key(),
        message_id = %head.message_id,
        attempt,
    );
    handle(
        spec, ctx, channel, queue, delivery, &head, attempt, shutdown,
    )
    .instrument(span)
    .await
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    spec: &ConsumerSpec,
    ctx: &ConsumerContext,
    channel: &ConfirmedChannel,
    queue: &str,
    delivery: &Delivery,
    head: &EnvelopeHead,
    attempt: u32,
    shutdown: &CancellationToken,
) -> anyhow::Result<Fate> {
    let ready = match spec.handlers.decode(&head.routing_key(), &delivery.data) {
        Ok(ready) => ready,
        Err(err) => {
            let reason = err.to_string();
            tracing::warn!(reason, "message dead-lettered: cannot decode");
            dead_letter(ctx, channel, spec, queue, delivery, attempt, &reason).await?;
            return Ok(Fate::Settled);
        }
    };
    loop {
        let mut conn = match ctx.pool.get().await {
            Ok(conn) => conn,
            Err(_) => {
                if !db::wait_until_reachable(&ctx.pool, shutdown).await {
                    return Ok(Fate::LeftForRedelivery);
                }
                continue;
            }
        };
        let result = conn
            .transaction::<_, HandlerError, _>(async |conn| {
                match inbox::record(conn, queue, head.message_id).await? {
                    InboxOutcome::AlreadyHandled => Ok(InboxOutcome::AlreadyHandled),
                    InboxOutcome::New => {
                        ready.run(conn).await?;
                        Ok(InboxOutcome::New)
                    }
                }
            })
            .await;
        drop(conn);
        match result {
            Ok(outcome) => {
                ack(delivery).await?;
                let outcome = match outcome {
                    InboxOutcome::New => "handled",
                    InboxOutcome::AlreadyHandled => "duplicate",
                };
                tracing::debug!(outcome, "message settled");
                metrics::counter!("partnernet_messages_handled_total", "consumer" => queue.to_string(), "outcome" => outcome).increment(1);
                return Ok(Fate::Settled);
            }
            Err(HandlerError::Transient(err)) => {
                // A failure because PostgreSQL went away is not the message's fault: wait, then
                // try the same delivery again without spending an attempt.
                if !db::ping(&ctx.pool).await {
                    if !db::wait_until_reachable(&ctx.pool, shutdown).await {
                        return Ok(Fate::LeftForRedelivery);
                    }
                    continue;
                }
                let error = format!("{err:#}");
                retry_or_dead_letter(ctx, channel, spec, queue, delivery, attempt, &error).await?;
                return Ok(Fate::Settled);
            }
            Err(HandlerError::Permanent(reason)) => {
                tracing::warn!(reason, "message dead-lettered: permanent failure");
                dead_letter(ctx, channel, spec, queue, delivery, attempt, &reason).await?;
                return Ok(Fate::Settled);
            }
        }
    }
}

async fn retry_or_dead_letter(
    ctx: &ConsumerContext,
    channel: &ConfirmedChannel,
    spec: &ConsumerSpec,
    queue: &str,
    delivery: &Delivery,
    attempt: u32,
    error: &str,
) -> anyhow::Result<()> {
    let Some(retry_queue) = ctx.topology.retry_queue(queue, attempt) else {
        let reason = format!("gave up after {attempt} attempts; last error: {error}");
        tracing::warn!(reason, "message dead-lettered");
        return dead_letter(ctx, channel, spec, queue, delivery, attempt, &reason).await;
    };
    tracing::info!(
        error,
        retry_queue,
        "transient failure; message will be retried"
    );
    let headers = Headers::from_table(delivery.properties.headers().as_ref())
        .int("x-attempt", i64::from(attempt) + 1)
        .text("x-last-error", &truncate(error));
    let properties = delivery
        .properties
        .clone()
        .with_headers(headers.into_table());
    channel
        .publish("", &retry_queue, &delivery.data, properties)
        .await?;
    ack(delivery).await?;
    metrics::counter!("partnernet_messages_retried_total", "consumer" => queue.to_string())
        .increment(1);
    Ok(())
}

/// Moves the delivery, body untouched, to the service's dead-letter queue with its reason.
async fn dead_letter(
    ctx: &ConsumerContext,
    channel: &ConfirmedChannel,
    spec: &ConsumerSpec,
    queue: &str,
    delivery: &Delivery,
    attempt: u32,
    reason: &str,
) -> anyhow::Result<()> {
    let headers = Headers::from_table(delivery.properties.headers().as_ref())
        .text("x-death-reason", &truncate(reason))
        .text("x-original-queue", queue)
        .text("x-original-routing-key", delivery.routing_key.as_str())
        .int("x-attempt", i64::from(attempt))
        .text("x-failed-at", &chrono::Utc::now().to_rfc3339());
    let properties = delivery
        .properties
        .clone()
        .with_headers(headers.into_table());
    channel
        .publish(
            "",
            &ctx.topology.dead_letter_queue(spec.service),
            &delivery.data,
            properties,
        )
        .await?;
    ack(delivery).await?;
    metrics::counter!("partnernet_messages_dead_lettered_total", "consumer" => queue.to_string())
        .increment(1);
    Ok(())
}

async fn ack(delivery: &Delivery) -> anyhow::Result<()> {
    timed(
        "acknowledging",
        delivery.acker.ack(BasicAckOptions::default()),
    )
    .await?;
    Ok(())
}

/// Header values stay short: a reason, not a stack dump.
fn truncate(text: &str) -> String {
    text.chars().take(1000).collect()
}
