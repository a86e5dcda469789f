//! Field sync, the receiving side: a partner's `FieldsUpdatedV1` applied to the org's copy.
//!
//! Under the copy's row lock, each field is taken only if its stamp is newer than the copy's
//! (equal stamps: the larger origin org id wins), so redeliveries and reordering never move a
//! copy backwards, and two orgs editing one field end with the same value. The winners go
//! through the store's one write path, written by the org's Connection User for the
//! connection (the change feed and onward propagation follow from it), then keep their
//! incoming stamps and origins. A copy that refuses the values (its validation rules) is a
//! permanent failure: the ledger says Failed with the reason, `sync.update_failed.v1` reports it
//! to the connection owner, and the message is dead-lettered with it, not retried. Database
//! errors are transient and retried (in place: the consumer is ordered by copy); the ledger
//! says Retrying meanwhile (written on its own) and Resolved once an attempt applies the
//! update. A transient failure on the last attempt of the retry schedule ends like a permanent
//! one: Failed with the error, reported, dead-lettered. An update whose copy is gone is Failed
//! and reported, but not dead-lettered (see [`ApplyUpdates::no_copy`]). A failure is reported
//! once per update (the ledger's `failure_reported_at`), however often it is redelivered.
//!
//! Metrics (`partnernet_sync_updates_total`, `partnernet_sync_lag_seconds`) are recorded once
//! the ledger write they count has committed: after the handler's commit (a hook), or after
//! the commit of the ledger write made on its own connection.

use crate::failed::{self, Failure};
use crate::failure_report;
use crate::ledger::{self, State};
use crate::store::write::{Upsert, Writer};
use crate::store::{FieldStamp, Mode, WriteError};
use diesel::OptionalExtension;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::consumer::{Context, Handler};
use shared::db::DbPool;
use shared::error::HandlerError;
use shared::hlc::{Clock, Hlc};
use shared::message::Envelope;
use shared::message::events::field_sync::{FieldsUpdatedV1, SyncedField};
use shared::message::events::sync::ChangedBy;
use std::sync::Arc;

#[derive(Clone)]
pub struct ApplyUpdates {
    pub clock: Arc<Clock>,
    /// For the ledger's Failed row, written outside the handler's transaction (which a
    /// permanent failure rolls back before the message is dead-lettered). `None` only in the
    /// consumer specs built for documentation, which never run.
    pub pool: Option<DbPool>,
}

#[derive(diesel::QueryableByName)]
struct Copy {
    #[diesel(sql_type = sql_types::Jsonb)]
    fields: Value,
    #[diesel(sql_type = sql_types::Jsonb)]
    stamps: Value,
    #[diesel(sql_type = sql_types::Bool)]
    deleted: bool,
}

/// Whether `incoming` beats what the copy holds for a field: later stamp, or the same stamp
/// from a larger origin org id.
pub fn newer(incoming: (Hlc, uuid::Uuid), held: Option<(Hlc, uuid::Uuid)>) -> bool {
    held.is_none_or(|held| incoming > held)
}

impl Handler<FieldsUpdatedV1> for ApplyUpdates {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<FieldsUpdatedV1>,
    ) -> Result<(), HandlerError> {
        let applied = self.apply(ctx, conn, message).await;
        let (Err(HandlerError::Transient(err)), Some(pool)) = (&applied, &self.pool) else {
            return applied;
        };
        let error = format!("{err:#}");
        if ctx.last_attempt {
            // The retry schedule is spent: Failed and reported now, and a permanent error so
            // that the runtime dead-letters it (it would anyway, this attempt being the last).
            let reason = failed::gave_up(ctx, &error);
            return Err(self.failed(message, error, reason).await);
        }
        if ledger::retrying(pool, message.org_id, &message.payload, &error).await {
            shared::metrics::sync::update(State::Retrying.outcome());
        }
        applied
    }
}

/// Counts the attempt's outcome once the handler's transaction commits, and for an applied
/// update the lag from its creation (its envelope's `occurred_at`) to that commit.
fn count_after_commit(ctx: &Context<'_>, state: State, created: chrono::DateTime<chrono::Utc>) {
    ctx.after_commit(move || {
        shared::metrics::sync::update(state.outcome());
        if matches!(state, State::Applied | State::Resolved) {
            let lag = (chrono::Utc::now() - created).to_std().unwrap_or_default();
            shared::metrics::sync::lag(lag);
        }
    });
}

impl ApplyUpdates {
    async fn apply(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<FieldsUpdatedV1>,
    ) -> Result<(), HandlerError> {
        let update = &message.payload;
        let org = message.org_id;
        let copy: Option<Copy> = diesel::sql_query(
            "SELECT fields, stamps, deleted FROM sync.records \
             WHERE org_id = $1 AND object = $2 AND record_id = $3 FOR UPDATE",
        )
        .bind::<sql_types::Uuid, _>(org.as_uuid())
        .bind::<sql_types::Text, _>(&update.object)
        .bind::<sql_types::Text, _>(&update.record_id)
        .get_result(conn)
        .await
        .optional()?;
        let Some(copy) = copy.filter(|c| !c.deleted) else {
            return self.no_copy(ctx, conn, message).await;
        };
        let empty = Map::new();
        let held_stamps = copy.stamps.as_object().unwrap_or(&empty);
        let held_values = copy.fields.as_object().unwrap_or(&empty);
        let winners: Vec<(&String, &SyncedField, Hlc)> = update
            .fields
            .iter()
            .filter_map(|(name, field)| {
                let stamp = field.hlc()?;
                let held = held_stamps
                    .get(name)
                    .and_then(|s| serde_json::from_value::<FieldStamp>(s.clone()).ok())
                    .map(|s| (s.stamp, s.origin));
                newer((stamp, field.origin.as_uuid()), held).then_some((name, field, stamp))
            })
            .collect();
        if winners.is_empty() {
            // Counted as what this attempt did, whatever the row says (an Applied row stays so).
            ledger::finish(conn, org, update, State::Superseded, None, None).await?;
            count_after_commit(ctx, State::Superseded, message.occurred_at);
            return Ok(());
        }
        let values: Map<String, Value> = winners
            .iter()
            .map(|(name, field, _)| ((*name).clone(), field.value.clone()))
            .collect();
        let overwritten: Map<String, Value> = winners
            .iter()
            .map(|(name, _, _)| {
                let old = held_values.get(*name).cloned().unwrap_or(Value::Null);
                ((*name).clone(), old)
            })
            .collect();
        let head = message.head();
        let writer = Writer {
            clock: &self.clock,
            org,
            changed_by: ChangedBy::ConnectionUser {
                connection_id: update.connection_id,
                partner_org_id: Some(update.sender_org_id),
            },
            cause: Some(&head),
        };
        let written = writer
            .upsert(
                conn,
                &Upsert {
                    object: &update.object,
                    record_id: &update.record_id,
                    fields: &values,
                    private: None,
                    mode: Mode::UpdateOnly,
                },
            )
            .await;
        match written {
            Ok(_) => {}
            Err(WriteError::Database(e)) => return Err(e.into()),
            Err(refused) => {
                let error = refused.to_string();
                return Err(self.failed(message, error.clone(), error).await);
            }
        }
        // The winners keep the stamps and origins they came with (the write path stamped them
        // anew): the same value has the same version in every org.
        let stamps: Map<String, Value> = winners
            .iter()
            .filter_map(|(name, field, stamp)| {
                let kept = FieldStamp {
                    stamp: *stamp,
                    origin: field.origin.as_uuid(),
                };
                Some(((*name).clone(), serde_json::to_value(kept).ok()?))
            })
            .collect();
        diesel::sql_query(
            "UPDATE sync.records SET stamps = stamps || $4 \
             WHERE org_id = $1 AND object = $2 AND record_id = $3",
        )
        .bind::<sql_types::Uuid, _>(org.as_uuid())
        .bind::<sql_types::Text, _>(&update.object)
        .bind::<sql_types::Text, _>(&update.record_id)
        .bind::<sql_types::Jsonb, _>(Value::Object(stamps))
        .execute(conn)
        .await?;
        let overwritten = Value::Object(overwritten);
        let state =
            ledger::finish(conn, org, update, State::Applied, None, Some(&overwritten)).await?;
        count_after_commit(ctx, state, message.occurred_at);
        Ok(())
    }

    /// The update's copy does not exist, or is deleted: Failed and reported, in the handler's
    /// transaction, and the message is acked, not dead-lettered. Nothing would make a replay
    /// apply it (a deleted copy stays deleted, and a copy exists before its link carries
    /// updates), so a dead letter would only be noise for operators; the ledger row keeps
    /// what was sent.
    async fn no_copy(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<FieldsUpdatedV1>,
    ) -> Result<(), HandlerError> {
        let update = &message.payload;
        let error = format!(
            "record_id: no copy {:?} of {}",
            update.record_id, update.object
        );
        tracing::warn!(update_id = %update.update_id, %error, "a partner's update has no copy");
        let state = ledger::finish(
            conn,
            message.org_id,
            update,
            State::Failed,
            Some(&error),
            None,
        )
        .await?;
        if let Some(attempts) = ledger::mark_reported(conn, update.update_id).await? {
            let head = message.head();
            failure_report::report(conn, message.org_id, update, &head, &error, attempts).await?;
        }
        count_after_commit(ctx, state, message.occurred_at);
        Ok(())
    }

    /// A failure for good (a permanent one, or a transient one on the last attempt): Failed,
    /// reported once, dead-lettered with `reason` (see [`crate::failed`]).
    async fn failed(
        &self,
        message: &Envelope<FieldsUpdatedV1>,
        error: String,
        reason: String,
    ) -> HandlerError {
        let head = message.head();
        let failure = Failure {
            org: message.org_id,
            update: &message.payload,
            kind: None,
            cause: &head,
        };
        failed::for_good(self.pool.as_ref(), &failure, &error, reason).await
    }
}
