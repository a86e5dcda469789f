//! The sync ledger (`sync.ledger`): one row per update sent over one link. Propagation writes
//! it Queued; the receiver's apply moves it to Applied, Superseded (nothing in it was newer
//! than the copy) or Failed (the copy refused it), counting attempts; an attempt that fails for
//! a passing reason makes it Retrying, and a later one that applies it Resolved. The sending and the
//! receiving org both see the row; no one else does.

use chrono::{DateTime, Utc};
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::ids::OrgId;
use shared::message::events::field_sync::FieldsUpdatedV1;
use uuid::Uuid;

/// Where an update stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    /// An attempt failed for a passing reason; the update waits in a retry queue.
    Retrying,
    Applied,
    /// Applied by an attempt after a Retrying or Failed one (a retry, a replay).
    Resolved,
    Superseded,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Retrying => "Retrying",
            Self::Resolved => "Resolved",
            Self::Applied => "Applied",
            Self::Superseded => "Superseded",
            Self::Failed => "Failed",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Retrying,
            Self::Applied,
            Self::Resolved,
            Self::Superseded,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The state as the `outcome` label of `partnernet_sync_updates_total`.
    pub fn outcome(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Applied => "applied",
            Self::Resolved => "resolved",
            Self::Superseded => "superseded",
            Self::Failed => "failed",
        }
    }
}

pub(crate) fn fields_json(update: &FieldsUpdatedV1) -> diesel::QueryResult<Value> {
    serde_json::to_value(&update.fields)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

const INSERT: &str = "INSERT INTO sync.ledger (update_id, connection_id, link_id, sender_org_id, \
       sender_object, sender_record_id, receiver_org_id, receiver_object, receiver_record_id, \
       fields, state, attempts, error, overwritten, finished_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// How an outcome meets the row already there (see [`finish`]).
pub(crate) const ON_CONFLICT: &str = "ON CONFLICT (update_id) DO UPDATE SET \
       state = CASE WHEN sync.ledger.state IN ('Applied', 'Resolved') \
                         AND excluded.state = 'Superseded' THEN sync.ledger.state \
                    WHEN sync.ledger.state IN ('Retrying', 'Failed') \
                         AND excluded.state = 'Applied' \
                         THEN 'Resolved' ELSE excluded.state END, \
       attempts = sync.ledger.attempts + excluded.attempts, error = excluded.error, \
       overwritten = COALESCE(excluded.overwritten, sync.ledger.overwritten), \
       finished_at = excluded.finished_at";

/// Records an update as Queued (the sender's side, in the transaction that emits it).
pub async fn queue(
    conn: &mut AsyncPgConnection,
    receiver: OrgId,
    update: &FieldsUpdatedV1,
) -> diesel::QueryResult<()> {
    write(conn, receiver, update, State::Queued, 0, None, None).await?;
    Ok(())
}

/// Records the outcome of one attempt to apply an update (the receiver's side). The row may not
/// exist yet (the sender's ledger is elsewhere): then it is made. An Applied update that comes
/// again (redelivered, nothing newer in it) stays Applied, one attempt more. Returns the state
/// the row is in now (Applied after a failed attempt becomes Resolved).
pub async fn finish(
    conn: &mut AsyncPgConnection,
    receiver: OrgId,
    update: &FieldsUpdatedV1,
    state: State,
    error: Option<&str>,
    overwritten: Option<&Value>,
) -> diesel::QueryResult<State> {
    write(conn, receiver, update, state, 1, error, overwritten).await
}

#[derive(diesel::QueryableByName)]
struct StateRow {
    #[diesel(sql_type = sql_types::Text)]
    state: String,
}

async fn write(
    conn: &mut AsyncPgConnection,
    receiver: OrgId,
    update: &FieldsUpdatedV1,
    state: State,
    attempts: i32,
    error: Option<&str>,
    overwritten: Option<&Value>,
) -> diesel::QueryResult<State> {
    let finished_at = !matches!(state, State::Queued | State::Retrying);
    let finished_at = finished_at.then(Utc::now);
    let row = diesel::sql_query(format!("{INSERT} {ON_CONFLICT} RETURNING state"))
        .bind::<sql_types::Uuid, _>(update.update_id)
        .bind::<sql_types::Uuid, _>(update.connection_id.0)
        .bind::<sql_types::Uuid, _>(update.link_id)
        .bind::<sql_types::Uuid, _>(update.sender_org_id.as_uuid())
        .bind::<sql_types::Text, _>(&update.sender_object)
        .bind::<sql_types::Text, _>(&update.sender_record_id)
        .bind::<sql_types::Uuid, _>(receiver.as_uuid())
        .bind::<sql_types::Text, _>(&update.object)
        .bind::<sql_types::Text, _>(&update.record_id)
        .bind::<sql_types::Jsonb, _>(fields_json(update)?)
        .bind::<sql_types::Text, _>(state.as_str())
        .bind::<sql_types::Integer, _>(attempts)
        .bind::<sql_types::Nullable<sql_types::Text>, _>(error)
        .bind::<sql_types::Nullable<sql_types::Jsonb>, _>(overwritten)
        .bind::<sql_types::Nullable<sql_types::Timestamptz>, _>(finished_at)
        .get_result::<StateRow>(conn)
        .await?;
    Ok(State::parse(&row.state).unwrap_or(state))
}

/// Marks an update Retrying after a failed attempt (one attempt more, the error kept), on a
/// connection of its own: the attempt's transaction is rolled back. Best effort, waiting for
/// no lock long: the retry happens whether or not the ledger says so. Returns whether the
/// ledger says so.
pub async fn retrying(
    pool: &shared::db::DbPool,
    receiver: OrgId,
    update: &FieldsUpdatedV1,
    error: &str,
) -> bool {
    let marked = async {
        let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        diesel_async::AsyncConnection::transaction::<_, diesel::result::Error, _>(
            &mut *conn,
            async |conn| {
                diesel::sql_query("SET LOCAL lock_timeout = '1s'")
                    .execute(conn)
                    .await?;
                write(
                    conn,
                    receiver,
                    update,
                    State::Retrying,
                    1,
                    Some(error),
                    None,
                )
                .await?;
                Ok(())
            },
        )
        .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(err) = &marked {
        tracing::warn!(update_id = %update.update_id, %err, "the ledger could not say Retrying");
    }
    marked.is_ok()
}

/// Marks the update's failure reported, unless it already is, and returns its attempts if
/// this call marked it: the caller then queues the report in the same transaction. The row
/// lock makes a concurrent second caller wait, then find it marked. Call after [`finish`].
pub async fn mark_reported(
    conn: &mut AsyncPgConnection,
    update_id: Uuid,
) -> diesel::QueryResult<Option<u32>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Integer)]
        attempts: i32,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "UPDATE sync.ledger SET failure_reported_at = now() \
         WHERE update_id = $1 AND failure_reported_at IS NULL RETURNING attempts",
    )
    .bind::<sql_types::Uuid, _>(update_id)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|r| u32::try_from(r.attempts).unwrap_or(0)))
}

/// Forgets that the org's updates `ids` were reported failed (they are being replayed: a new
/// failure of theirs is reported again).
pub async fn rearm_reports(
    conn: &mut AsyncPgConnection,
    receiver: OrgId,
    ids: &[Uuid],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE sync.ledger SET failure_reported_at = NULL \
         WHERE receiver_org_id = $1 AND update_id = ANY($2) AND failure_reported_at IS NOT NULL",
    )
    .bind::<sql_types::Uuid, _>(receiver.as_uuid())
    .bind::<sql_types::Array<sql_types::Uuid>, _>(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A ledger row as the API lists it.
#[derive(Debug, Clone, diesel::QueryableByName, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    #[diesel(sql_type = sql_types::BigInt)]
    #[serde(skip)]
    pub seq: i64,
    #[diesel(sql_type = sql_types::Uuid)]
    pub update_id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub connection_id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub link_id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub sender_org_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    pub sender_object: String,
    #[diesel(sql_type = sql_types::Text)]
    pub sender_record_id: String,
    #[diesel(sql_type = sql_types::Uuid)]
    pub receiver_org_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    pub receiver_object: String,
    #[diesel(sql_type = sql_types::Text)]
    pub receiver_record_id: String,
    /// Target field -> `{value, stamp, origin}`: what was sent.
    #[diesel(sql_type = sql_types::Jsonb)]
    #[schema(value_type = Object)]
    pub fields: Value,
    /// What it carried: `update` (field values), `delete` (a tombstone) or `touch` (a save
    /// without a change of value); the last two have no fields.
    #[diesel(sql_type = sql_types::Text)]
    pub kind: String,
    /// Queued, Retrying, Applied, Resolved, Superseded or Failed.
    #[diesel(sql_type = sql_types::Text)]
    pub state: String,
    #[diesel(sql_type = sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
    pub error: Option<String>,
    /// The copy's values the update overwrote.
    #[diesel(sql_type = sql_types::Nullable<sql_types::Jsonb>)]
    #[schema(value_type = Option<Object>)]
    pub overwritten: Option<Value>,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub queued_at: DateTime<Utc>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
}

/// Which rows to list: always the org's own (as sender or receiver).
pub struct Filter<'a> {
    pub org: OrgId,
    pub connection_id: Option<Uuid>,
    /// The org's own record id (the sender's record or the receiver's copy).
    pub record_id: Option<&'a str>,
    pub failed_only: bool,
    pub after: Option<i64>,
    pub limit: i64,
}

/// The org's ledger rows, oldest first, from `after` (a `seq`).
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &Filter<'_>,
) -> diesel::QueryResult<Vec<Entry>> {
    diesel::sql_query(
        "SELECT seq, update_id, connection_id, link_id, sender_org_id, sender_object, \
           sender_record_id, receiver_org_id, receiver_object, receiver_record_id, fields, kind, \
           state, \
           attempts, error, overwritten, queued_at, finished_at \
         FROM sync.ledger \
         WHERE (sender_org_id = $1 OR receiver_org_id = $1) \
           AND ($2::uuid IS NULL OR connection_id = $2) \
           AND ($3::text IS NULL \
                OR (sender_org_id = $1 AND sender_record_id = $3) \
                OR (receiver_org_id = $1 AND receiver_record_id = $3)) \
           AND (NOT $4 OR state = 'Failed') \
           AND seq > $5 \
         ORDER BY seq LIMIT $6",
    )
    .bind::<sql_types::Uuid, _>(filter.org.as_uuid())
    .bind::<sql_types::Nullable<sql_types::Uuid>, _>(filter.connection_id)
    .bind::<sql_types::Nullable<sql_types::Text>, _>(filter.record_id)
    .bind::<sql_types::Bool, _>(filter.failed_only)
    .bind::<sql_types::BigInt, _>(filter.after.unwrap_or(0))
    .bind::<sql_types::BigInt, _>(filter.limit)
    .load(conn)
    .await
}
