//! The transactional outbox.
//!
//! A service never publishes from a request or a handler. It calls [`enqueue`] inside the
//! transaction that changes its state; the [`relay`] publishes committed rows with publisher
//! confirms and deletes them. A crash between publish and delete publishes a row twice, which
//! the consumers' inboxes absorb: at-least-once on the wire, exactly-once in effect.

mod relay;

use crate::message::{Envelope, Message};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

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
            outbox::routing_key.eq(crate::amqp::partitions::routing_key_for_envelope(envelope)),
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

pub use relay::{publish_pending, relay};
