//! Many ledger rows in one statement: the receiver's outcomes of a batch of updates
//! ([`crate::ledger::finish`] for many rows, the same row rules), as the batch apply writes
//! them, and the sender's Queued rows (and Superseded ones of coalesced changes), as the batch
//! propagation writes them.

use crate::ledger::{ON_CONFLICT, State, fields_json};
use chrono::Utc;
use diesel::sql_types::{Array, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::ids::OrgId;
use shared::message::events::field_sync::FieldsUpdatedV1;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One attempt's outcome for one update (or, on the sender's side, no attempt yet).
pub struct Outcome<'a> {
    pub receiver: OrgId,
    pub update: &'a FieldsUpdatedV1,
    pub state: State,
    /// Whether the row counts an attempt to apply the update (the receiver's outcomes do, the
    /// sender's rows do not).
    pub attempted: bool,
    pub error: Option<String>,
    pub overwritten: Option<Value>,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    update_id: Uuid,
    #[diesel(sql_type = Text)]
    state: String,
}

const INSERT_MANY: &str = "INSERT INTO sync.ledger (update_id, connection_id, link_id, \
       sender_org_id, sender_object, sender_record_id, receiver_org_id, receiver_object, \
       receiver_record_id, fields, state, attempts, error, overwritten, finished_at) \
     SELECT u, c, l, so, sob, sr, ro, rob, rr, f, st, a, e, o, fin FROM unnest($1::uuid[], \
       $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::uuid[], $8::text[], \
       $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::jsonb[], $14::int[], \
       $15::timestamptz[]) \
       AS r(u, c, l, so, sob, sr, ro, rob, rr, f, st, e, o, a, fin)";

/// Writes every outcome (finished now, unless Queued or Retrying) and returns the state each
/// row is in after it, in order. An update twice in the batch (a replay beside the original)
/// is written in a second statement: one statement may not change a row twice.
pub async fn finish_many(
    conn: &mut AsyncPgConnection,
    outcomes: &[Outcome<'_>],
) -> diesel::QueryResult<Vec<State>> {
    let mut states = Vec::with_capacity(outcomes.len());
    let mut start = 0;
    while start < outcomes.len() {
        let mut seen = HashSet::new();
        let end = outcomes[start..]
            .iter()
            .position(|o| !seen.insert(o.update.update_id))
            .map_or(outcomes.len(), |i| start + i);
        let chunk = &outcomes[start..end];
        let written = write(conn, chunk).await?;
        states.extend(
            chunk
                .iter()
                .map(|o| written.get(&o.update.update_id).copied().unwrap_or(o.state)),
        );
        start = end;
    }
    Ok(states)
}

async fn write(
    conn: &mut AsyncPgConnection,
    outcomes: &[Outcome<'_>],
) -> diesel::QueryResult<HashMap<Uuid, State>> {
    let column = |f: fn(&Outcome<'_>) -> Uuid| outcomes.iter().map(f).collect::<Vec<_>>();
    let text = |f: fn(&Outcome<'_>) -> String| outcomes.iter().map(f).collect::<Vec<_>>();
    let now = Utc::now();
    let fields = outcomes
        .iter()
        .map(|o| fields_json(o.update))
        .collect::<diesel::QueryResult<Vec<Value>>>()?;
    let rows: Vec<Row> = diesel::sql_query(format!(
        "{INSERT_MANY} {ON_CONFLICT} RETURNING update_id, state"
    ))
    .bind::<Array<SqlUuid>, _>(column(|o| o.update.update_id))
    .bind::<Array<SqlUuid>, _>(column(|o| o.update.connection_id.0))
    .bind::<Array<SqlUuid>, _>(column(|o| o.update.link_id))
    .bind::<Array<SqlUuid>, _>(column(|o| o.update.sender_org_id.as_uuid()))
    .bind::<Array<Text>, _>(text(|o| o.update.sender_object.clone()))
    .bind::<Array<Text>, _>(text(|o| o.update.sender_record_id.clone()))
    .bind::<Array<SqlUuid>, _>(column(|o| o.receiver.as_uuid()))
    .bind::<Array<Text>, _>(text(|o| o.update.object.clone()))
    .bind::<Array<Text>, _>(text(|o| o.update.record_id.clone()))
    .bind::<Array<Jsonb>, _>(fields)
    .bind::<Array<Text>, _>(text(|o| o.state.as_str().to_string()))
    .bind::<Array<Nullable<Text>>, _>(outcomes.iter().map(|o| o.error.clone()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Jsonb>>, _>(
        outcomes
            .iter()
            .map(|o| o.overwritten.clone())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Integer>, _>(
        outcomes
            .iter()
            .map(|o| i32::from(o.attempted))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(
        outcomes
            .iter()
            .map(|o| (!matches!(o.state, State::Queued | State::Retrying)).then_some(now))
            .collect::<Vec<_>>(),
    )
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.update_id, State::parse(&row.state)?)))
        .collect())
}
