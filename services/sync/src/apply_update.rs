//! Field sync, the receiving side: a partner's `FieldsUpdatedV1` applied to the org's copy.
//!
//! Under the copy's row lock, each field is taken only if its stamp is newer than the copy's
//! (equal stamps: the larger origin org id wins), so redeliveries and reordering never move a
//! copy backwards, and two orgs editing one field end with the same value. The winners go
//! through the store's one write path, written by the org's Connection User for the
//! connection (the change feed and onward propagation follow from it), and keep their
//! incoming stamps and origins (the same value has the same version in every org). A copy that refuses the values (its validation rules) is a
//! permanent failure: the ledger says Failed with the reason, `sync.update_failed.v1` reports it
//! to the connection owner, and the message is dead-lettered with it, not retried. Database
//! errors are transient and retried (in place: the consumer is ordered by copy); the ledger
//! says Retrying meanwhile (written on its own) and Resolved once an attempt applies the
//! update. A transient failure on the last attempt of the retry schedule ends like a permanent
//! one: Failed with the error, reported, dead-lettered. An update whose copy is gone is Failed
//! and reported, but not dead-lettered (nothing would make a replay apply it: a deleted copy
//! stays deleted, and a copy exists before its link carries updates; the ledger row keeps what
//! was sent). A failure is reported once per update (the ledger's `failure_reported_at`), however often it is redelivered.
//!
//! The consumer hands over runs of updates (a delivery batch's, in queue order: updates of one
//! copy one after another, a tombstone or a touch of the copy between them in its place, since
//! the runtime runs a batch's messages in order, consecutive ones of one type together):
//! [`crate::apply_batch`] applies a run with set statements, each update as described here. A
//! run that fails for a passing reason is tried again message by message (the runtime's rule),
//! so the Retrying row and the last attempt concern single updates.
//!
//! Metrics (`partnernet_sync_updates_total`, `partnernet_sync_lag_seconds`) are recorded once
//! the ledger write they count has committed: after the handler's commit (a hook), or after
//! the commit of the ledger write made on its own connection.

use crate::failed::{self, Failure};
use crate::ledger::{self, State};
use diesel_async::AsyncPgConnection;
use shared::consumer::{Context, RefusingBatchHandler};
use shared::db::DbPool;
use shared::error::HandlerError;
use shared::hlc::{Clock, Hlc};
use shared::message::Envelope;
use shared::message::events::field_sync::FieldsUpdatedV1;
use std::sync::Arc;

#[derive(Clone)]
pub struct ApplyUpdates {
    pub clock: Arc<Clock>,
    /// For the ledger's Retrying row and the last attempt's Failed row, written outside the
    /// handler's transaction (which a failure rolls back). `None` only in the
    /// consumer specs built for documentation, which never run.
    pub pool: Option<DbPool>,
}

/// Whether `incoming` beats what the copy holds for a field: later stamp, or the same stamp
/// from a larger origin org id.
pub fn newer(incoming: (Hlc, uuid::Uuid), held: Option<(Hlc, uuid::Uuid)>) -> bool {
    held.is_none_or(|held| incoming > held)
}

impl RefusingBatchHandler<FieldsUpdatedV1> for ApplyUpdates {
    async fn handle_batch(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<FieldsUpdatedV1>],
    ) -> Result<Vec<Result<(), String>>, HandlerError> {
        let applied = self.apply_batch(ctx, conn, messages).await;
        // A run of several that fails is tried again message by message: only then is the
        // failure one update's.
        let ([message], Err(HandlerError::Transient(err)), Some(pool)) =
            (messages, &applied, &self.pool)
        else {
            return applied;
        };
        let error = format!("{err:#}");
        if ctx.last_attempt {
            // The retry schedule is spent: Failed and reported now, and a permanent error so
            // that the runtime dead-letters it (it would anyway, this attempt being the last).
            let reason = format!(
                "gave up after {} attempts; last error: {error}",
                ctx.attempt
            );
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
pub(crate) fn count_after_commit(
    ctx: &Context<'_>,
    state: State,
    created: chrono::DateTime<chrono::Utc>,
) {
    ctx.after_commit(move || {
        shared::metrics::sync::update(state.outcome());
        if matches!(state, State::Applied | State::Resolved) {
            let lag = (chrono::Utc::now() - created).to_std().unwrap_or_default();
            shared::metrics::sync::lag(lag);
        }
    });
}

impl ApplyUpdates {
    /// A failure for good on the last attempt (a copy's refusal is handled in the run, see
    /// [`crate::apply_batch`]): Failed, reported once, dead-lettered with `reason` (see
    /// [`crate::failed`]).
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
