//! Deletes beyond S2S, the receiving side: a partner's tombstone (`RecordDeletedV1`, sent only
//! where this org subscribed with `sync_deletes`) applied to the org's copy.
//!
//! Under the copy's row lock, the tombstone deletes the copy only if its stamp is newer than
//! every stamp the copy holds (its fields' and its last touch's): a copy edited after the
//! delete keeps living (ledger Superseded), like a field update that lost. The delete goes
//! through the store's one write path, by the org's Connection User for the connection, and
//! keeps the tombstone's stamp and origin: the copy's own links end as `Inactive (deleted)`
//! and its tombstone travels on along the chain (never back over the connection it came
//! over). A copy already deleted is Superseded; no copy at all is Failed and reported. A
//! failure for good (the copy refuses the delete, or a transient failure outlasts the retry
//! schedule) ends like an update's: Failed, reported once, dead-lettered, replayable.
//!
//! A deleted copy stays deleted: a later field update or touch for it is not applied (the
//! update is ledgered Failed, "no copy"), so a delete is never undone by a late message.

use crate::ledger::State;
use crate::record_events::{Kind, finish, lock_copy, no_copy, settle, stamp_of, written_by};
use crate::store::WriteError;
use crate::store::write::Writer;
use diesel_async::AsyncPgConnection;
use shared::consumer::{Context, Handler};
use shared::db::DbPool;
use shared::error::HandlerError;
use shared::hlc::Clock;
use shared::message::Envelope;
use shared::message::events::field_sync::RecordDeletedV1;
use std::sync::Arc;

#[derive(Clone)]
pub struct ApplyDeletes {
    pub clock: Arc<Clock>,
    /// For the ledger's Retrying and Failed rows, written on their own (the attempt's
    /// transaction is rolled back). `None` only in the documentation's consumer specs.
    pub pool: Option<DbPool>,
}

impl Handler<RecordDeletedV1> for ApplyDeletes {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordDeletedV1>,
    ) -> Result<(), HandlerError> {
        let applied = self.apply(conn, message).await;
        let event = &message.payload.event;
        let (pool, org, head) = (self.pool.as_ref(), message.org_id, message.head());
        settle(ctx, pool, org, event, Kind::Delete, applied, &head).await
    }
}

impl ApplyDeletes {
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordDeletedV1>,
    ) -> Result<(), HandlerError> {
        let event = &message.payload.event;
        let org = message.org_id;
        let Some(stamp) = stamp_of(event) else {
            return Err(HandlerError::permanent("stamp is not a stamp"));
        };
        let head = message.head();
        let state = match lock_copy(conn, org, event).await? {
            None => return Ok(no_copy(conn, org, event, Kind::Delete, &head).await?),
            Some(copy) if copy.deleted => State::Superseded,
            Some(copy) if !copy.takes(&stamp) => State::Superseded,
            Some(_) => {
                let writer = Writer {
                    clock: &self.clock,
                    org,
                    changed_by: written_by(event),
                    cause: Some(&head),
                };
                match writer
                    .delete_stamped(conn, &event.object, &event.record_id, Some(stamp))
                    .await
                {
                    Ok(_) => State::Applied,
                    Err(WriteError::Database(e)) => return Err(e.into()),
                    // The copy refuses it: permanent, Failed and dead-lettered (settle).
                    Err(refused) => return Err(HandlerError::permanent(refused.to_string())),
                }
            }
        };
        finish(conn, org, event, Kind::Delete, state, None).await?;
        Ok(())
    }
}
