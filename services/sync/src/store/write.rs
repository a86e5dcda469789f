//! The one write path of the record store (see the module above).

use super::read::{self, RecordRow};
use super::{FieldStamp, Mode, Outcome, WriteError};
use crate::schema::{record_lookups, records};
use crate::schemas;
use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::crm::values::{self, WriteKind};
use shared::crm::{FieldType, ObjectDef};
use shared::hlc::Clock;
use shared::ids::OrgId;
use shared::message::events::sync::{ChangedBy, RecordChangedV1};
use shared::message::{Envelope, EnvelopeHead};

/// Who writes, and what caused it: the same for every write of a request or message.
pub struct Writer<'a> {
    pub clock: &'a Clock,
    pub org: OrgId,
    pub changed_by: ChangedBy,
    /// The message that caused the write (its correlation and trace go on), if any.
    pub cause: Option<&'a EnvelopeHead>,
}

/// Create a record or change the fields given (`null` clears one); fields not named keep
/// their value. `private`: `None` keeps the flag.
pub struct Upsert<'a> {
    pub object: &'a str,
    pub record_id: &'a str,
    pub fields: &'a Map<String, Value>,
    pub private: Option<bool>,
    pub mode: Mode,
}

impl Writer<'_> {
    /// Call inside a transaction: the record's row is locked until it ends.
    pub async fn upsert(
        &self,
        conn: &mut AsyncPgConnection,
        input: &Upsert<'_>,
    ) -> Result<Outcome, WriteError> {
        let schema = schemas::effective(conn, self.org, input.object)
            .await?
            .ok_or_else(|| WriteError::UnknownObject(input.object.to_string()))?;
        // A tombstone is read too: a record created again goes on from its version.
        let existing = read::one(conn, self.org, input.object, input.record_id, true).await?;
        let live = existing.as_ref().filter(|row| !row.deleted);
        match (input.mode, live) {
            (Mode::CreateOnly, Some(_)) => {
                return Err(WriteError::AlreadyExists(input.record_id.to_string()));
            }
            (Mode::UpdateOnly, None) => {
                return Err(WriteError::NotFound(input.record_id.to_string()));
            }
            _ => {}
        }
        let kind = if live.is_some() {
            WriteKind::Update
        } else {
            WriteKind::Create
        };
        let canonical =
            values::validate(&schema, input.fields, kind).map_err(WriteError::Invalid)?;
        let empty = Map::new();
        let old_fields = live
            .and_then(|row| row.fields.as_object())
            .unwrap_or(&empty);
        let changed: Map<String, Value> = canonical
            .into_iter()
            .filter(|(name, value)| old_fields.get(name).unwrap_or(&Value::Null) != value)
            .collect();
        let old_private = live.is_some_and(|row| row.private);
        let private = input.private.unwrap_or(old_private);
        if let Some(row) = live
            && changed.is_empty()
            && private == old_private
        {
            return Ok(Outcome::Unchanged {
                version: row.version,
            });
        }
        let mut fields = old_fields.clone();
        for (name, value) in &changed {
            if value.is_null() {
                fields.remove(name);
            } else {
                fields.insert(name.clone(), value.clone());
            }
        }
        let stamps = self.stamp(live, &changed);
        let version = existing.as_ref().map_or(0, |row| row.version) + 1;
        self.store(conn, input, &fields, &stamps, version, private, false)
            .await?;
        self.keep_lookups(conn, &schema, input, &changed).await?;
        self.publish(conn, input.object, input.record_id, version, false, changed)
            .await?;
        Ok(if live.is_some() {
            Outcome::Updated { version }
        } else {
            Outcome::Created { version }
        })
    }

    /// Deletes a live record: its fields go, a tombstone keeps its version.
    pub async fn delete(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
    ) -> Result<Outcome, WriteError> {
        schemas::effective(conn, self.org, object)
            .await?
            .ok_or_else(|| WriteError::UnknownObject(object.to_string()))?;
        let Some(row) = read::one(conn, self.org, object, record_id, true)
            .await?
            .filter(|row| !row.deleted)
        else {
            return Err(WriteError::NotFound(record_id.to_string()));
        };
        let version = row.version + 1;
        let input = Upsert {
            object,
            record_id,
            fields: &Map::new(),
            private: None,
            mode: Mode::UpdateOnly,
        };
        self.store(
            conn,
            &input,
            &Map::new(),
            &Map::new(),
            version,
            row.private,
            true,
        )
        .await?;
        diesel::delete(
            record_lookups::table
                .filter(record_lookups::org_id.eq(self.org.as_uuid()))
                .filter(record_lookups::object.eq(object))
                .filter(record_lookups::record_id.eq(record_id)),
        )
        .execute(conn)
        .await?;
        self.publish(conn, object, record_id, version, true, Map::new())
            .await?;
        Ok(Outcome::Deleted { version })
    }

    /// The stamps after the write: new ones for the changed fields, the old ones for the rest.
    fn stamp(&self, live: Option<&RecordRow>, changed: &Map<String, Value>) -> Map<String, Value> {
        let mut stamps = live
            .and_then(|row| row.stamps.as_object().cloned())
            .unwrap_or_default();
        for name in changed.keys() {
            let floor = stamps
                .get(name)
                .and_then(|s| serde_json::from_value::<FieldStamp>(s.clone()).ok())
                .map(|s| s.stamp);
            let stamp = FieldStamp {
                stamp: self.clock.after(floor),
                origin: self.org.as_uuid(),
            };
            if let Ok(value) = serde_json::to_value(stamp) {
                stamps.insert(name.clone(), value);
            }
        }
        stamps
    }

    #[allow(clippy::too_many_arguments)]
    async fn store(
        &self,
        conn: &mut AsyncPgConnection,
        input: &Upsert<'_>,
        fields: &Map<String, Value>,
        stamps: &Map<String, Value>,
        version: i64,
        private: bool,
        deleted: bool,
    ) -> QueryResult<()> {
        let changed_by = serde_json::to_value(&self.changed_by)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        let owner = fields
            .get("OwnerId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        diesel::insert_into(records::table)
            .values((
                records::org_id.eq(self.org.as_uuid()),
                records::object.eq(input.object),
                records::record_id.eq(input.record_id),
                records::owner.eq(&owner),
                records::fields.eq(Value::Object(fields.clone())),
                records::stamps.eq(Value::Object(stamps.clone())),
                records::version.eq(version),
                records::private.eq(private),
                records::deleted.eq(deleted),
                records::last_modified_by.eq(&changed_by),
                records::last_modified_at.eq(Utc::now()),
            ))
            .on_conflict((records::org_id, records::object, records::record_id))
            .do_update()
            .set((
                records::owner.eq(excluded(records::owner)),
                records::fields.eq(excluded(records::fields)),
                records::stamps.eq(excluded(records::stamps)),
                records::version.eq(excluded(records::version)),
                records::private.eq(excluded(records::private)),
                records::deleted.eq(excluded(records::deleted)),
                records::last_modified_by.eq(excluded(records::last_modified_by)),
                records::last_modified_at.eq(excluded(records::last_modified_at)),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Rewrites the lookup index rows of the lookup fields that changed.
    async fn keep_lookups(
        &self,
        conn: &mut AsyncPgConnection,
        schema: &ObjectDef,
        input: &Upsert<'_>,
        changed: &Map<String, Value>,
    ) -> QueryResult<()> {
        for (name, value) in changed {
            let Some(FieldType::Lookup { object: parent }) =
                schema.field(name).map(|f| &f.field_type)
            else {
                continue;
            };
            diesel::delete(
                record_lookups::table
                    .filter(record_lookups::org_id.eq(self.org.as_uuid()))
                    .filter(record_lookups::object.eq(input.object))
                    .filter(record_lookups::record_id.eq(input.record_id))
                    .filter(record_lookups::field.eq(name)),
            )
            .execute(conn)
            .await?;
            if let Some(parent_id) = value.as_str() {
                diesel::insert_into(record_lookups::table)
                    .values((
                        record_lookups::org_id.eq(self.org.as_uuid()),
                        record_lookups::object.eq(input.object),
                        record_lookups::record_id.eq(input.record_id),
                        record_lookups::field.eq(name),
                        record_lookups::parent_object.eq(parent),
                        record_lookups::parent_id.eq(parent_id),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// The change, to the org's change feed, through the outbox (same transaction).
    async fn publish(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
        version: i64,
        deleted: bool,
        fields: Map<String, Value>,
    ) -> QueryResult<()> {
        let change = RecordChangedV1 {
            object: object.to_string(),
            record_id: record_id.to_string(),
            version,
            deleted,
            fields,
            changed_by: self.changed_by.clone(),
            changed_at: Utc::now(),
        };
        let envelope = match self.cause {
            Some(cause) => Envelope::caused_by(self.org, change, cause),
            None => Envelope::new(self.org, change),
        };
        shared::outbox::enqueue(conn, crate::NAME, &envelope).await
    }
}
