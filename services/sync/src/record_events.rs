//! What the two record-level events of field sync share (a delete's tombstone,
//! [`crate::apply_delete`], and a touch, [`crate::apply_touch`]): their ledger rows, and the
//! copy they apply to, read under its lock and compared with the event's stamp.
//!
//! Their ledger rows are those of field updates with no fields, told apart by `kind`
//! (`delete`, `touch`): the same states, attempts and visibility.

use crate::apply_update::newer;
use crate::failed::{self, Failure};
use crate::failure_report;
use crate::ledger::{self, State};
use crate::store::FieldStamp;
use crate::store::record_stamp::{self, latest};
use diesel::OptionalExtension;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::consumer::Context;
use shared::db::DbPool;
use shared::error::HandlerError;
use shared::ids::OrgId;
use shared::message::EnvelopeHead;
use shared::message::events::field_sync::{FieldsUpdatedV1, LinkedRecordEvent};
use shared::message::events::sync::ChangedBy;
use std::collections::BTreeMap;

/// Which record-level event a ledger row carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Delete,
    Touch,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Touch => "touch",
        }
    }
}

/// The event as the ledger's update shape: no fields.
pub fn as_update(event: &LinkedRecordEvent) -> FieldsUpdatedV1 {
    FieldsUpdatedV1 {
        update_id: event.update_id,
        connection_id: event.connection_id,
        link_id: event.link_id,
        sender_org_id: event.sender_org_id,
        sender_object: event.sender_object.clone(),
        sender_record_id: event.sender_record_id.clone(),
        object: event.object.clone(),
        record_id: event.record_id.clone(),
        fields: BTreeMap::new(),
    }
}

/// Marks the ledger row of `update_id` as carrying `kind`.
pub async fn mark(
    conn: &mut AsyncPgConnection,
    update_id: uuid::Uuid,
    kind: Kind,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE sync.ledger SET kind = $2 WHERE update_id = $1")
        .bind::<sql_types::Uuid, _>(update_id)
        .bind::<sql_types::Text, _>(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// The sender's ledger row, Queued (in the transaction that emits the event).
pub async fn queue(
    conn: &mut AsyncPgConnection,
    receiver: OrgId,
    event: &LinkedRecordEvent,
    kind: Kind,
) -> diesel::QueryResult<()> {
    ledger::queue(conn, receiver, &as_update(event)).await?;
    mark(conn, event.update_id, kind).await
}

/// The receiver's outcome of one attempt.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    receiver: OrgId,
    event: &LinkedRecordEvent,
    kind: Kind,
    state: State,
    error: Option<&str>,
) -> diesel::QueryResult<()> {
    ledger::finish(conn, receiver, &as_update(event), state, error, None).await?;
    mark(conn, event.update_id, kind).await
}

/// The receiving org's copy, locked until the transaction ends.
pub struct Copy {
    pub deleted: bool,
    /// The newest of its field stamps and its record-level stamp.
    pub latest: Option<(shared::hlc::Hlc, uuid::Uuid)>,
}

impl Copy {
    /// Whether the event is newer than everything the copy holds.
    pub fn takes(&self, stamp: &FieldStamp) -> bool {
        newer((stamp.stamp, stamp.origin), self.latest)
    }
}

pub async fn lock_copy(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    event: &LinkedRecordEvent,
) -> diesel::QueryResult<Option<Copy>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Jsonb)]
        stamps: Value,
        #[diesel(sql_type = sql_types::Bool)]
        deleted: bool,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT stamps, deleted FROM sync.records \
         WHERE org_id = $1 AND object = $2 AND record_id = $3 FOR UPDATE",
    )
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .bind::<sql_types::Text, _>(&event.object)
    .bind::<sql_types::Text, _>(&event.record_id)
    .get_result(conn)
    .await
    .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let held = record_stamp::get(conn, org, &event.object, &event.record_id).await?;
    Ok(Some(Copy {
        deleted: row.deleted,
        latest: latest(&row.stamps, held.as_ref()),
    }))
}

/// The event's stamp and origin (validated when the message was decoded).
pub fn stamp_of(event: &LinkedRecordEvent) -> Option<FieldStamp> {
    Some(FieldStamp {
        stamp: event.hlc()?,
        origin: event.origin.as_uuid(),
    })
}

/// The event has no copy to apply to (none, or a deleted one): Failed and reported, in the
/// handler's transaction, and acked, not dead-lettered (as an update without its copy, see
/// [`crate::apply_update`]: no replay could apply it).
pub async fn no_copy(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    event: &LinkedRecordEvent,
    kind: Kind,
    cause: &EnvelopeHead,
) -> diesel::QueryResult<()> {
    let error = format!(
        "record_id: no copy {:?} of {}",
        event.record_id, event.object
    );
    tracing::warn!(update_id = %event.update_id, %error, "a partner's {} has no copy", kind.as_str());
    finish(conn, org, event, kind, State::Failed, Some(&error)).await?;
    if let Some(attempts) = ledger::mark_reported(conn, event.update_id).await? {
        failure_report::report(conn, org, &as_update(event), cause, &error, attempts).await?;
    }
    Ok(())
}

/// What the handler's attempt answered, settled like an update's: a transient failure marks
/// the ledger Retrying (on its own connection: the attempt's transaction is rolled back), or,
/// on the last attempt, ends like a permanent one: Failed with the error, reported once, and
/// dead-lettered with the reason (see [`crate::failed`]).
pub async fn settle(
    ctx: &Context<'_>,
    pool: Option<&DbPool>,
    org: OrgId,
    event: &LinkedRecordEvent,
    kind: Kind,
    applied: Result<(), HandlerError>,
    cause: &EnvelopeHead,
) -> Result<(), HandlerError> {
    let Err(err) = applied else {
        return Ok(());
    };
    let update = as_update(event);
    let failure = Failure {
        org,
        update: &update,
        kind: Some(kind),
        cause,
    };
    match err {
        HandlerError::Permanent(error) => {
            Err(failed::for_good(pool, &failure, &error, error.clone()).await)
        }
        HandlerError::Transient(err) => {
            let error = format!("{err:#}");
            if ctx.last_attempt {
                let reason = failed::gave_up(ctx, &error);
                return Err(failed::for_good(pool, &failure, &error, reason).await);
            }
            if let Some(pool) = pool {
                ledger::retrying(pool, org, &update, &error).await;
            }
            Err(HandlerError::Transient(err))
        }
    }
}

/// Who writes the event into the copy: the org's Connection User for the connection, on
/// behalf of the partner that sent it.
pub fn written_by(event: &LinkedRecordEvent) -> ChangedBy {
    ChangedBy::ConnectionUser {
        connection_id: event.connection_id,
        partner_org_id: Some(event.sender_org_id),
    }
}
