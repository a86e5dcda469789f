//! What the two record-level events of field sync share (a delete's tombstone,
//! [`crate::apply_delete`], and a touch, [`crate::apply_touch`]): their ledger rows, and the
//! copy they apply to, read under its lock and compared with the event's stamp.
//!
//! Their ledger rows are those of field updates with no fields, told apart by `kind`
//! (`delete`, `touch`): the same states, attempts and visibility.

use crate::apply_update::newer;
use crate::ledger::{self, State};
use crate::store::FieldStamp;
use crate::store::record_stamp::{self, latest};
use diesel::OptionalExtension;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::error::HandlerError;
use shared::ids::OrgId;
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
    fn as_str(self) -> &'static str {
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

async fn mark(
    conn: &mut AsyncPgConnection,
    event: &LinkedRecordEvent,
    kind: Kind,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE sync.ledger SET kind = $2 WHERE update_id = $1")
        .bind::<sql_types::Uuid, _>(event.update_id)
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
    mark(conn, event, kind).await
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
    mark(conn, event, kind).await
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

/// What the handler's attempt answered, after marking the ledger Retrying (on its own
/// connection: the attempt's transaction is rolled back) when the failure is transient.
pub async fn mark_retrying(
    pool: Option<&shared::db::DbPool>,
    org: OrgId,
    event: &LinkedRecordEvent,
    applied: Result<(), HandlerError>,
) -> Result<(), HandlerError> {
    if let (Err(err @ HandlerError::Transient(_)), Some(pool)) = (&applied, pool) {
        ledger::retrying(pool, org, &as_update(event), &err.to_string()).await;
    }
    applied
}

/// Who writes the event into the copy: the org's Connection User for the connection, on
/// behalf of the partner that sent it.
pub fn written_by(event: &LinkedRecordEvent) -> ChangedBy {
    ChangedBy::ConnectionUser {
        connection_id: event.connection_id,
        partner_org_id: Some(event.sender_org_id),
    }
}
