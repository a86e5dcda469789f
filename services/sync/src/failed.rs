//! A partner's message that failed for good, whatever it carried (field values, a tombstone, a
//! touch): a permanent failure, or a transient one on the last attempt of the retry schedule.
//! The ledger says Failed with the error and the failure is reported, unless it already was
//! (the ledger's `failure_reported_at`), committed together on a connection of their own (the
//! handler's transaction is rolled back); the runtime then dead-letters the message with the
//! reason, from where a replay can bring it back.

use crate::failure_report;
use crate::ledger::{self, State};
use crate::record_events::{self, Kind};
use diesel_async::AsyncConnection;
use shared::consumer::Context;
use shared::db::DbPool;
use shared::error::HandlerError;
use shared::ids::OrgId;
use shared::message::EnvelopeHead;
use shared::message::events::field_sync::FieldsUpdatedV1;

/// The failed message, as the ledger knows it.
pub struct Failure<'a> {
    /// The org whose copy it was for.
    pub org: OrgId,
    /// The message as the ledger's update shape (no fields for a tombstone or a touch).
    pub update: &'a FieldsUpdatedV1,
    /// What it carried, for a tombstone or a touch (an update's row is `update` already).
    pub kind: Option<Kind>,
    pub cause: &'a EnvelopeHead,
}

/// The reason a message that failed transiently on its last attempt is dead-lettered with.
pub fn gave_up(ctx: &Context<'_>, error: &str) -> String {
    format!(
        "gave up after {} attempts; last error: {error}",
        ctx.attempt
    )
}

/// Ledgers and reports the failure (see the module), and returns the permanent error that makes
/// the runtime dead-letter the message with `reason`. If the ledger cannot be written now, the
/// failure is transient: the runtime retries the attempt if PostgreSQL is down, else (on the
/// last attempt) dead-letters it with the ledger left Retrying.
pub async fn for_good(
    pool: Option<&DbPool>,
    failure: &Failure<'_>,
    error: &str,
    reason: String,
) -> HandlerError {
    let update = failure.update;
    tracing::warn!(update_id = %update.update_id, %error, "a partner's update failed for good");
    let Some(pool) = pool else {
        return HandlerError::permanent(reason);
    };
    let written = async {
        let mut conn = pool.get().await.map_err(HandlerError::transient)?;
        // The ledger row and the report commit together.
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            ledger::finish(conn, failure.org, update, State::Failed, Some(error), None).await?;
            if let Some(kind) = failure.kind {
                record_events::mark(conn, update.update_id, kind).await?;
            }
            // A redelivered message that fails again is not reported twice.
            if let Some(attempts) = ledger::mark_reported(conn, update.update_id).await? {
                failure_report::report(conn, failure.org, update, failure.cause, error, attempts)
                    .await?;
            }
            Ok(())
        })
        .await
        .map_err(HandlerError::from)
    }
    .await;
    if let Err(err) = written {
        return err;
    }
    shared::metrics::sync::update(State::Failed.outcome());
    HandlerError::permanent(reason)
}
