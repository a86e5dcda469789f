//! Field sync, the sending side: a change of an org's record goes, as `FieldsUpdatedV1`, over
//! every active link of the record (sharing's `sharing.synced_links` view) to the partner org,
//! with the fields the partner subscribed to on that connection, mapped to its field names and
//! picklist values. Both directions work alike: whichever side changes, the other side's
//! subscription (on that connection, to the changing org's object) says what flows.
//!
//! The mapping and the values are read when the change is handled, not when it was made: a
//! changed mapping takes effect on the next update, and a value is sent with the stamp it has
//! in the store. A change written by the Connection User of a connection (a partner's update
//! applied here) is never sent back over that connection.

use crate::ledger;
use crate::mappings::{self, Subscriber};
use crate::store::{FieldStamp, read};
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::consumer::{Context, Handler};
use shared::crm::mapping::translate_picklist;
use shared::error::HandlerError;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::field_sync::{FieldsUpdatedV1, SyncedField};
use shared::message::events::sync::{ChangedBy, RecordChangedV1};
use std::collections::BTreeMap;
use uuid::Uuid;

pub struct Propagate;

/// An active link of a record, as sharing's view shows it.
#[derive(diesel::QueryableByName)]
struct Link {
    #[diesel(sql_type = sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    connection_id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    partner_object: String,
    #[diesel(sql_type = sql_types::Text)]
    partner_record_id: String,
    #[diesel(sql_type = sql_types::Uuid)]
    partner_org_id: Uuid,
}

impl Handler<RecordChangedV1> for Propagate {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordChangedV1>,
    ) -> Result<(), HandlerError> {
        let change = &message.payload;
        let org = message.org_id;
        // Deletes are not synced (yet): a tombstone would need its own ordering rules.
        if change.deleted || change.fields.is_empty() {
            return Ok(());
        }
        let came_over = match change.changed_by {
            ChangedBy::ConnectionUser { connection_id } => Some(connection_id.0),
            ChangedBy::Org { .. } => None,
        };
        let links: Vec<Link> = diesel::sql_query(
            "SELECT id, connection_id, partner_object, partner_record_id, partner_org_id \
             FROM sharing.synced_links \
             WHERE org_id = $1 AND object = $2 AND local_record_id = $3 \
             ORDER BY connection_id",
        )
        .bind::<sql_types::Uuid, _>(org.as_uuid())
        .bind::<sql_types::Text, _>(&change.object)
        .bind::<sql_types::Text, _>(&change.record_id)
        .load(conn)
        .await?;
        let links: Vec<Link> = links
            .into_iter()
            .filter(|link| Some(link.connection_id) != came_over)
            .collect();
        if links.is_empty() {
            return Ok(());
        }
        let Some(row) = read::one(conn, org, &change.object, &change.record_id, false).await?
        else {
            return Ok(());
        };
        if row.deleted {
            return Ok(());
        }
        let subscribers = mappings::subscribers_of(conn, org, &change.object).await?;
        let empty = Map::new();
        let values = row.fields.as_object().unwrap_or(&empty);
        let stamps = row.stamps.as_object().unwrap_or(&empty);
        for link in links {
            let Some(subscriber) = subscribers.iter().find(|s| {
                s.connection_id == link.connection_id
                    && s.subscriber_org_id.as_uuid() == link.partner_org_id
            }) else {
                continue;
            };
            let fields = mapped(subscriber, &change.fields, values, stamps);
            if fields.is_empty() {
                continue;
            }
            let update = FieldsUpdatedV1 {
                update_id: Uuid::now_v7(),
                connection_id: ConnectionId(link.connection_id),
                link_id: link.id,
                sender_org_id: org,
                sender_object: change.object.clone(),
                sender_record_id: change.record_id.clone(),
                object: link.partner_object,
                record_id: link.partner_record_id,
                fields,
            };
            let partner = OrgId(link.partner_org_id);
            ledger::queue(conn, partner, &update).await?;
            ctx.emit(conn, message, partner, update).await?;
        }
        Ok(())
    }
}

/// The changed fields the subscriber takes, under its names, with their current values
/// (picklist values translated) and stamps. A field without a stamp is not sent.
fn mapped(
    subscriber: &Subscriber,
    changed: &Map<String, Value>,
    values: &Map<String, Value>,
    stamps: &Map<String, Value>,
) -> BTreeMap<String, SyncedField> {
    subscriber
        .fields
        .iter()
        .filter(|m| changed.contains_key(&m.field))
        .filter_map(|m| {
            let stamp: FieldStamp = serde_json::from_value(stamps.get(&m.field)?.clone()).ok()?;
            let value = match values.get(&m.field) {
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
