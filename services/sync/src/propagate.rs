//! Field sync, the sending side: a change of an org's record goes, as `FieldsUpdatedV1`, over
//! every active link of the record (sharing's `sharing.synced_links` view) to the partner org,
//! with the fields the partner subscribed to on that connection, mapped to its field names and
//! picklist values. Both directions work alike: whichever side changes, the other side's
//! subscription (on that connection, to the changing org's object) says what flows.
//!
//! The store propagates in the transaction that writes the change
//! ([`crate::propagate_batch::propagate_changes`]), so the change and its updates commit
//! together. The mapping is read then (a changed mapping takes effect on the next update), and a
//! value is sent with the stamp the transaction wrote. A change written by the Connection User
//! of a connection (a partner's update applied here) is never sent back over that connection.
//!
//! The changes of one write go at once: field changes with set statements, several changes of
//! one record coalesced into one update per link. [`Propagate`] is the retired consumer that
//! propagated `record.changed.v1` after the commit; it only drains what an older version left
//! in its queue (see `docs/architecture.md`, "Propagation commits with the change").
//!
//! Two record-level changes travel too, each as its own message with the record's
//! record-level stamp (`sync.records.record_stamp`) and origin, ledgered like updates (`kind`
//! `delete` / `touch`):
//! - a delete (beyond S2S) as a tombstone, `RecordDeletedV1`, only to partners whose
//!   subscription has `sync_deletes`; over the links that were active when the record was
//!   deleted (sharing may already have ended them for that delete: `sharing.synced_links_deleted`
//!   by the change's end date). Without the flag the partner's link just ends, as in S2S.
//! - a touch (a save without a change of value), `RecordTouchedV1`, to every subscribed partner.

use crate::mappings::{self, Subscriber};
use crate::record_events::{self, Kind};
use crate::store::{FieldStamp, read, record_stamp};
use chrono::SubsecRound;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::crm::mapping::{Copies, translate_lookup, translate_picklist};
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::field_sync::{
    LinkedRecordEvent, RecordDeletedV1, RecordTouchedV1, SyncedField,
};
use shared::message::events::sync::{ChangedBy, RecordChangedV1};
use std::collections::BTreeMap;
use uuid::Uuid;

pub struct Propagate;

/// An active link of a record, as sharing's view shows it.
#[derive(diesel::QueryableByName)]
pub(crate) struct Link {
    #[diesel(sql_type = sql_types::Uuid)]
    pub(crate) id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    pub(crate) connection_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    pub(crate) partner_object: String,
    #[diesel(sql_type = sql_types::Text)]
    pub(crate) partner_record_id: String,
    #[diesel(sql_type = sql_types::Uuid)]
    pub(crate) partner_org_id: Uuid,
}

/// The connection a change came over, if a partner's update made it: never sent back over it.
pub(crate) fn came_over(change: &RecordChangedV1) -> Option<Uuid> {
    match change.changed_by {
        ChangedBy::ConnectionUser { connection_id, .. } => Some(connection_id.0),
        ChangedBy::Org { .. } => None,
    }
}

/// The record's active links, but the one the change came over. With `ended_by_delete`, also
/// the links the change (a delete) itself ended: sharing ends them with the change's time as
/// their end date, perhaps before this runs.
async fn links_of(
    conn: &mut AsyncPgConnection,
    message: &Envelope<RecordChangedV1>,
    ended_by_delete: bool,
) -> diesel::QueryResult<Vec<Link>> {
    let change = &message.payload;
    let links: Vec<Link> = diesel::sql_query(
        "SELECT id, connection_id, partner_object, partner_record_id, partner_org_id \
         FROM sharing.synced_links \
         WHERE org_id = $1 AND object = $2 AND local_record_id = $3 \
         UNION \
         SELECT id, connection_id, partner_object, partner_record_id, partner_org_id \
         FROM sharing.synced_links_deleted \
         WHERE $4 AND org_id = $1 AND object = $2 AND local_record_id = $3 AND end_date = $5 \
         ORDER BY connection_id",
    )
    .bind::<sql_types::Uuid, _>(message.org_id.as_uuid())
    .bind::<sql_types::Text, _>(&change.object)
    .bind::<sql_types::Text, _>(&change.record_id)
    .bind::<sql_types::Bool, _>(ended_by_delete)
    .bind::<sql_types::Timestamptz, _>(change.changed_at.trunc_subsecs(6))
    .load(conn)
    .await?;
    let came_over = came_over(change);
    Ok(links
        .into_iter()
        .filter(|link| Some(link.connection_id) != came_over)
        .collect())
}

/// A delete's tombstone or a touch, over each link to a partner that takes it, with the
/// record's record-level stamp as it is now (a record deleted since is not touched).
pub(crate) async fn record_event(
    conn: &mut AsyncPgConnection,
    message: &Envelope<RecordChangedV1>,
    kind: Kind,
) -> diesel::QueryResult<()> {
    let change = &message.payload;
    let org = message.org_id;
    let links = links_of(conn, message, kind == Kind::Delete).await?;
    if links.is_empty() {
        return Ok(());
    }
    let Some(row) = read::one(conn, org, &change.object, &change.record_id, false).await? else {
        return Ok(());
    };
    if row.deleted != (kind == Kind::Delete) {
        return Ok(());
    }
    let Some(stamp) = record_stamp::get(conn, org, &change.object, &change.record_id).await? else {
        return Ok(());
    };
    let subscribers = mappings::subscribers_of(conn, org, &change.object).await?;
    for link in links {
        let takes = subscribers.iter().any(|s| {
            s.connection_id == link.connection_id
                && s.subscriber_org_id.as_uuid() == link.partner_org_id
                && (kind == Kind::Touch || s.sync_deletes)
        });
        if !takes {
            continue;
        }
        let event = LinkedRecordEvent {
            update_id: Uuid::now_v7(),
            connection_id: ConnectionId(link.connection_id),
            link_id: link.id,
            sender_org_id: org,
            sender_object: change.object.clone(),
            sender_record_id: change.record_id.clone(),
            object: link.partner_object,
            record_id: link.partner_record_id,
            stamp: stamp.stamp.to_string(),
            origin: OrgId(stamp.origin),
        };
        let partner = OrgId(link.partner_org_id);
        record_events::queue(conn, partner, &event, kind).await?;
        let cause = message.head();
        match kind {
            Kind::Delete => {
                let tombstone = Envelope::caused_by(partner, RecordDeletedV1 { event }, &cause);
                shared::outbox::enqueue(conn, crate::NAME, &tombstone).await?
            }
            Kind::Touch => {
                let touch = Envelope::caused_by(partner, RecordTouchedV1 { event }, &cause);
                shared::outbox::enqueue(conn, crate::NAME, &touch).await?
            }
        }
    }
    Ok(())
}

/// The changed lookup fields (field to the object looked up) and the partner's copies of the
/// records they name, on one connection.
pub(crate) struct Lookups<'a> {
    pub(crate) fields: &'a BTreeMap<String, String>,
    pub(crate) copies: &'a Copies,
}

/// The changed fields the subscriber takes, under its names, with their current values
/// (picklist values translated, lookups translated through the links or sent empty) and
/// stamps. A field without a stamp is not sent.
pub(crate) fn mapped(
    subscriber: &Subscriber,
    changed: &Map<String, Value>,
    values: &Map<String, Value>,
    stamps: &Map<String, Value>,
    lookups: &Lookups<'_>,
) -> BTreeMap<String, SyncedField> {
    subscriber
        .fields
        .iter()
        .filter(|m| changed.contains_key(&m.field))
        .filter_map(|m| {
            let stamp: FieldStamp = serde_json::from_value(stamps.get(&m.field)?.clone()).ok()?;
            let value = match values.get(&m.field) {
                Some(Value::String(s)) if lookups.fields.contains_key(&m.field) => {
                    let target = lookups.fields.get(&m.field).map(String::as_str);
                    target
                        .and_then(|t| translate_lookup(lookups.copies, t, s))
                        .map_or(Value::Null, |copy| Value::String(copy.to_string()))
                }
                Some(Value::String(s)) if !m.picklist_values.is_empty() => {
                    Value::String(translate_picklist(s, &m.picklist_values).to_string())
                }
                Some(other) => other.clone(),
                None => Value::Null,
            };
            Some((
                m.target_field.clone(),
                SyncedField {
                    value,
                    stamp: stamp.stamp.to_string(),
                    origin: OrgId(stamp.origin),
                },
            ))
        })
        .collect()
}
