//! The inbox: which messages a consumer has already handled.
//!
//! [`record`] runs in the same transaction as the handler's effect, so either both commit or
//! neither does; a redelivered message then finds its row and is acknowledged without effect.

use crate::ids::MessageId;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

diesel::table! {
    messaging.inbox (consumer, message_id) {
        consumer -> Text,
        message_id -> Uuid,
        handled_at -> Timestamptz,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    /// First time: run the handler.
    New,
    /// Handled before: acknowledge and do nothing.
    AlreadyHandled,
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    consumer_name: &str,
    id: MessageId,
) -> QueryResult<InboxOutcome> {
    let inserted = diesel::insert_into(inbox::table)
        .values((
            inbox::consumer.eq(consumer_name),
            inbox::message_id.eq(id.as_uuid()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(if inserted == 1 {
        InboxOutcome::New
    } else {
        InboxOutcome::AlreadyHandled
    })
}

/// The batch insert of [`record_many`] as a query type of its own. `diesel::sql_query` is never
/// kept prepared, so it costs a Parse round trip before each execution; this one has a static
/// query id, so each pooled connection prepares it once and then runs it in one round trip.
struct RecordMany<'a> {
    consumer: &'a str,
    ids: &'a [uuid::Uuid],
}

impl diesel::query_builder::QueryId for RecordMany<'_> {
    type QueryId = RecordMany<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for RecordMany<'_> {
    type SqlType = diesel::sql_types::Uuid;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for RecordMany<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql("INSERT INTO messaging.inbox (consumer, message_id) SELECT DISTINCT ");
        out.push_bind_param::<diesel::sql_types::Text, _>(self.consumer)?;
        out.push_sql(", id FROM unnest(");
        out.push_bind_param::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(self.ids)?;
        out.push_sql("::uuid[]) AS id ON CONFLICT DO NOTHING RETURNING message_id");
        Ok(())
    }
}

/// Records a batch in one statement and returns the ids seen for the first time. Duplicates
/// inside the batch and ids already in the inbox are dropped by the same statement.
pub async fn record_many(
    conn: &mut AsyncPgConnection,
    consumer_name: &str,
    ids: &[uuid::Uuid],
) -> QueryResult<std::collections::HashSet<uuid::Uuid>> {
    let claimed: Vec<uuid::Uuid> = RecordMany {
        consumer: consumer_name,
        ids,
    }
    .load(conn)
    .await?;
    Ok(claimed.into_iter().collect())
}

/// Takes back inbox rows of this transaction: messages a handler refused (dead-lettered, so
/// that the same message put back on the queue later is handled, not taken for a duplicate).
pub async fn forget_many(
    conn: &mut AsyncPgConnection,
    consumer_name: &str,
    ids: &[uuid::Uuid],
) -> QueryResult<usize> {
    diesel::delete(
        inbox::table
            .filter(inbox::consumer.eq(consumer_name))
            .filter(inbox::message_id.eq_any(ids)),
    )
    .execute(conn)
    .await
}
