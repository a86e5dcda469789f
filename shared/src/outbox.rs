//! The transactional outbox.
//!
//! A service never publishes from a request or a handler. It calls [`enqueue`] inside the
//! transaction that changes its state; the [`relay`] publishes committed rows with publisher
//! confirms and deletes them. A crash between publish and delete publishes a row twice, which
//! the consumers' inboxes absorb: at-least-once on the wire, exactly-once in effect.

mod id_runs;
mod idle;
pub use idle::relay_is_busy;
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
        body -> Json,
        created_at -> Timestamptz,
    }
}

/// Adds `envelope` to `service`'s outbox. Call it inside the transaction of the state change.
pub async fn enqueue<M: Message>(
    conn: &mut AsyncPgConnection,
    service: &str,
    envelope: &Envelope<M>,
) -> QueryResult<()> {
    enqueue_many(conn, service, std::slice::from_ref(envelope)).await
}

/// Adds `envelopes` to `service`'s outbox in one statement, in order (their ids, and so their
/// publishing order, follow the slice). Call it inside the transaction of the state change.
pub async fn enqueue_many<M: Message>(
    conn: &mut AsyncPgConnection,
    service: &str,
    envelopes: &[Envelope<M>],
) -> QueryResult<()> {
    if envelopes.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(envelopes.len());
    let mut keys = Vec::with_capacity(envelopes.len());
    let mut bodies = Vec::with_capacity(envelopes.len());
    for envelope in envelopes {
        ids.push(envelope.message_id.as_uuid());
        keys.push(crate::amqp::partitions::routing_key_for_envelope(envelope));
        // Straight to JSON text, stored as written (the column is `json`) and published as it is.
        bodies.push(
            serde_json::to_string(envelope)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?,
        );
    }
    EnqueueMany {
        service,
        ids: &ids,
        keys: &keys,
        bodies: &bodies,
    }
    .execute(conn)
    .await?;
    Ok(())
}

/// The insert of [`enqueue_many`]: arrays unnested in order, so the SQL is the same whatever
/// the count and each pooled connection prepares it once (see `inbox::RecordMany`).
struct EnqueueMany<'a> {
    service: &'a str,
    ids: &'a [uuid::Uuid],
    keys: &'a [String],
    /// Each envelope's JSON text.
    bodies: &'a [String],
}

impl diesel::query_builder::QueryId for EnqueueMany<'_> {
    type QueryId = EnqueueMany<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for EnqueueMany<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text, Uuid};
        out.push_sql(
            "INSERT INTO messaging.outbox (service, message_id, routing_key, body) SELECT ",
        );
        out.push_bind_param::<Text, _>(self.service)?;
        out.push_sql(", m.id, m.key, m.body::json FROM unnest(");
        out.push_bind_param::<Array<Uuid>, _>(self.ids)?;
        out.push_sql("::uuid[], ");
        out.push_bind_param::<Array<Text>, _>(self.keys)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Text>, _>(self.bodies)?;
        out.push_sql("::text[]) WITH ORDINALITY AS m(id, key, body, n) ORDER BY m.n");
        Ok(())
    }
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

pub use relay::{publish_pending, read_unsent, relay};
