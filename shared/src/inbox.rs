//! The inbox: which messages a consumer has already handled.
//!
//! [`record`] runs in the same transaction as the handler's effect, so either both commit or
//! neither does; a redelivered message then finds its row and is acknowledged without effect.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

diesel::table! {
    messaging.inbox (consumer, org_id, message_id) {
        consumer -> Text,
        org_id -> Uuid,
        message_id -> Uuid,
        handled_at -> Timestamptz,
    }
}

/// A message as the inbox knows it: the org it is addressed to and its id. Keyed by both, so
/// that no org can have another org's message taken for a duplicate by sending its id first
/// (orgs choose the ids of what their own systems publish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InboxKey {
    pub org: uuid::Uuid,
    pub message: uuid::Uuid,
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
    key: InboxKey,
) -> QueryResult<InboxOutcome> {
    let new = record_many(conn, consumer_name, &[key]).await?;
    Ok(if new.contains(&key) {
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
    orgs: &'a [uuid::Uuid],
    ids: &'a [uuid::Uuid],
}

impl diesel::query_builder::QueryId for RecordMany<'_> {
    type QueryId = RecordMany<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for RecordMany<'_> {
    type SqlType = (diesel::sql_types::Uuid, diesel::sql_types::Uuid);
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for RecordMany<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Text, Uuid};
        out.push_sql(
            "INSERT INTO messaging.inbox (consumer, org_id, message_id) \
             SELECT DISTINCT c.consumer, m.org_id, m.message_id \
             FROM (SELECT ",
        );
        out.push_bind_param::<Text, _>(self.consumer)?;
        out.push_sql("::text AS consumer) c, unnest(");
        out.push_bind_param::<Array<Uuid>, _>(self.orgs)?;
        out.push_sql("::uuid[], ");
        out.push_bind_param::<Array<Uuid>, _>(self.ids)?;
        // A row of the nil org was handled before the inbox was keyed by org: it still marks
        // its message id as handled for every org, until the retention removes it.
        out.push_sql(
            "::uuid[]) AS m (org_id, message_id) \
             WHERE NOT EXISTS (SELECT 1 FROM messaging.inbox l WHERE l.consumer = c.consumer \
               AND l.org_id = '00000000-0000-0000-0000-000000000000' \
               AND l.message_id = m.message_id) \
             ON CONFLICT DO NOTHING RETURNING org_id, message_id",
        );
        Ok(())
    }
}

/// Records a batch in one statement and returns the keys seen for the first time. Duplicates
/// inside the batch and keys already in the inbox are dropped by the same statement.
pub async fn record_many(
    conn: &mut AsyncPgConnection,
    consumer_name: &str,
    keys: &[InboxKey],
) -> QueryResult<std::collections::HashSet<InboxKey>> {
    let orgs: Vec<uuid::Uuid> = keys.iter().map(|k| k.org).collect();
    let ids: Vec<uuid::Uuid> = keys.iter().map(|k| k.message).collect();
    let claimed: Vec<(uuid::Uuid, uuid::Uuid)> = RecordMany {
        consumer: consumer_name,
        orgs: &orgs,
        ids: &ids,
    }
    .load(conn)
    .await?;
    Ok(claimed
        .into_iter()
        .map(|(org, message)| InboxKey { org, message })
        .collect())
}

/// Takes back inbox rows of this transaction: messages a handler refused (dead-lettered, so
/// that the same message put back on the queue later is handled, not taken for a duplicate).
pub async fn forget_many(
    conn: &mut AsyncPgConnection,
    consumer_name: &str,
    keys: &[InboxKey],
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Text, Uuid};
    let orgs: Vec<uuid::Uuid> = keys.iter().map(|k| k.org).collect();
    let ids: Vec<uuid::Uuid> = keys.iter().map(|k| k.message).collect();
    diesel::sql_query(
        "DELETE FROM messaging.inbox i USING unnest($2::uuid[], $3::uuid[]) AS m (org_id, message_id) \
         WHERE i.consumer = $1 AND i.org_id = m.org_id AND i.message_id = m.message_id",
    )
    .bind::<Text, _>(consumer_name)
    .bind::<Array<Uuid>, _>(&orgs)
    .bind::<Array<Uuid>, _>(&ids)
    .execute(conn)
    .await
}
