//! "A change of the last-modified date alone also syncs", the receiving side: a partner saved
//! a linked record without changing a value (`RecordTouchedV1`); the org's copy gets a new
//! version, last modified by its Connection User for the connection now, its values untouched.
//!
//! Under the copy's row lock the touch is taken only if its stamp is newer than every stamp
//! the copy holds (fields and last touch): a redelivered or late touch, or one coming round a
//! cycle of links, changes nothing (ledger Superseded). It goes through the store's one write
//! path ([`Writer::touch`]), keeping the touch's stamp and origin, so it travels on along the
//! chain like any change (never back over the connection it came over). A deleted or missing
//! copy is not brought back: Failed, "no copy", and reported. A failure for good (the copy
//! refuses the touch, or a transient failure outlasts the retry schedule) ends like an update's:
//! Failed, reported once, dead-lettered, replayable.

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
use shared::message::events::field_sync::RecordTouchedV1;
use std::sync::Arc;

#[derive(Clone)]
pub struct ApplyTouches {
    pub clock: Arc<Clock>,
    /// For the ledger's Retrying and Failed rows, written on their own (the attempt's
    /// transaction is rolled back). `None` only in the documentation's consumer specs.
    pub pool: Option<DbPool>,
}

impl Handler<RecordTouchedV1> for ApplyTouches {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordTouchedV1>,
    ) -> Result<(), HandlerError> {
        let applied = self.apply(conn, message).await;
        let event = &message.payload.event;
        let (pool, org, head) = (self.pool.as_ref(), message.org_id, message.head());
        settle(ctx, pool, org, event, Kind::Touch, applied, &head).await
    }
}

impl ApplyTouches {
    async fn apply(
        &self,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordTouchedV1>,
    ) -> Result<(), HandlerError> {
        let event = &message.payload.event;
        let org = message.org_id;
        let Some(stamp) = stamp_of(event) else {
            return Err(HandlerError::permanent("stamp is not a stamp"));
        };
        let head = message.head();
        let copy = lock_copy(conn, org, event).await?;
        let Some(copy) = copy.filter(|c| !c.deleted) else {
            return Ok(no_copy(conn, org, event, Kind::Touch, &head).await?);
        };
        let state = if copy.takes(&stamp) {
            let writer = Writer {
                clock: &self.clock,
                org,
                changed_by: written_by(event),
                cause: Some(&head),
            };
            match writer
                .touch(conn, &event.object, &event.record_id, Some(stamp))
                .await
            {
                Ok(_) => State::Applied,
                Err(WriteError::Database(e)) => return Err(e.into()),
                // The copy refuses it: permanent, Failed and dead-lettered (settle).
                Err(refused) => return Err(HandlerError::permanent(refused.to_string())),
            }
        } else {
            State::Superseded
        };
        finish(conn, org, event, Kind::Touch, state, None).await?;
        Ok(())
    }
}
