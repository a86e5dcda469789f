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

#[derive(diesel::QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    message_id: uuid::Uuid,
}

/// Records a batch in one statement and returns the ids seen for the first time. Duplicates
/// inside the batch and ids already in the inbox are dropped by the same statement.
pub async fn record_many(
    conn: &mut AsyncPgConnection,
    consumer_name: &str,
    ids: &[uuid::Uuid],
) -> QueryResult<std::collections::HashSet<uuid::Uuid>> {
    let claimed: Vec<Claimed> = diesel::sql_query(
        "INSERT INTO messaging.inbox (consumer, message_id) \
         SELECT DISTINCT $1, id FROM unnest($2::uuid[]) AS id \
         ON CONFLICT DO NOTHING RETURNING message_id",
    )
    .bind::<diesel::sql_types::Text, _>(consumer_name)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
    .load(conn)
    .await?;
    Ok(claimed.into_iter().map(|c| c.message_id).collect())
}
