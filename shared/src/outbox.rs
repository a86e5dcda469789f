//! The transactional outbox.
//!
//! A service never publishes from a request or a handler. It calls [`enqueue`] inside the
//! transaction that changes its state; the [`relay`] publishes committed rows with publisher
//! confirms and deletes them. A crash between publish and delete publishes a row twice, which
//! the consumers' inboxes absorb: at-least-once on the wire, exactly-once in effect.

use crate::amqp::{Publisher, Topology};
use crate::health::Health;
use crate::message::{Envelope, Message};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

diesel::table! {
    messaging.outbox (id) {
        id -> Int8,
        service -> Text,
        message_id -> Uuid,
        routing_key -> Text,
        body -> Jsonb,
        created_at -> Timestamptz,
    }
}

/// Rows published per relay transaction.
const BATCH: i64 = 200;

/// Adds `envelope` to `service`'s outbox. Call it inside the transaction of the state change.
pub async fn enqueue<M: Message>(
    conn: &mut AsyncPgConnection,
    service: &str,
    envelope: &Envelope<M>,
) -> QueryResult<()> {
    let body = serde_json::to_value(envelope)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::service.eq(service),
            outbox::message_id.eq(envelope.message_id.as_uuid()),
            outbox::routing_key.eq(crate::amqp::partitions::routing_key_for(&envelope.payload)),
            outbox::body.eq(body),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Rows of `service` not yet published.
pub async fn backlog(conn: &mut AsyncPgConnection, service: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::service.eq(service))
        .count()
        .get_result(conn)
        .await
}

/// The name under which a service's relay reports its health.
pub fn component_name(service: &str) -> String {
    format!("outbox relay {service}")
}

/// Publishes `service`'s outbox until shutdown. Errors are logged and retried after a pause.
pub async fn relay(
    service: &'static str,
    pool: crate::db::DbPool,
    publisher: Publisher,
    topology: Topology,
    poll: Duration,
    health: Health,
    shutdown: CancellationToken,
) {
    let component = component_name(service);
    let mut pause = poll;
    while !shutdown.is_cancelled() {
        match relay_once(service, &pool, &publisher, &topology).await {
            Ok(published) => {
                health.set(&component, true);
                pause = poll;
                if published as i64 == BATCH {
                    continue; // more may be waiting
                }
            }
            Err(err) => {
                health.set(&component, false);
                tracing::warn!(service, error = %format!("{err:#}"), "outbox relay pass failed");
                pause = (pause * 2).clamp(Duration::from_millis(200), Duration::from_secs(5));
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    publisher.close().await;
}

/// One pass: lock a batch, publish it with confirms, delete it, commit. Returns rows published.
pub async fn relay_once(
    service: &str,
    pool: &crate::db::DbPool,
    publisher: &Publisher,
    topology: &Topology,
) -> anyhow::Result<usize> {
    let mut conn = pool.get().await?;
    let exchange = topology.events_exchange();
    let published = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            let rows: Vec<(i64, String, serde_json::Value)> = outbox::table
                .filter(outbox::service.eq(service))
                .order(outbox::id)
                .select((outbox::id, outbox::routing_key, outbox::body))
                .limit(BATCH)
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            if rows.is_empty() {
                return Ok(0);
            }
            metrics::gauge!("partnernet_outbox_backlog", "service" => service.to_string())
                .set(rows.len() as f64);
            let batch: Vec<(String, Vec<u8>)> = rows
                .iter()
                .map(|(_, key, body)| Ok((key.clone(), serde_json::to_vec(body)?)))
                .collect::<anyhow::Result<_>>()?;
            publisher.publish_batch(&exchange, &batch, service).await?;
            let ids: Vec<i64> = rows.iter().map(|(id, _, _)| *id).collect();
            diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids)))
                .execute(conn)
                .await?;
            Ok(rows.len())
        })
        .await?;
    if published > 0 {
        metrics::counter!("partnernet_outbox_published_total", "service" => service.to_string())
            .increment(published as u64);
        metrics::gauge!("partnernet_outbox_backlog", "service" => service.to_string()).set(0.0);
    }
    Ok(published)
}
