//! The one write path of the record store (see the module above).

use super::batch::{Author, Write, upsert_many};
use super::read;
use super::{FieldStamp, Mode, Outcome, WriteError, record_stamp};
use crate::schema::{record_lookups, records};
use crate::schemas;
use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::hlc::Clock;
use shared::ids::OrgId;
use shared::message::events::sync::{ChangedBy, RecordChangedV1};
use shared::message::{Envelope, EnvelopeHead};

/// A record-level change this module publishes (field changes go through the batch path).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Event {
    Deleted,
    Touched,
}

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
#[derive(Clone, Copy)]
pub struct Upsert<'a> {
    pub object: &'a str,
    pub record_id: &'a str,
    pub fields: &'a Map<String, Value>,
    pub private: Option<bool>,
    pub mode: Mode,
}

impl Writer<'_> {
    /// Call inside a transaction: the record's row is locked until it ends. The same path as
    /// a batch ([`super::batch::upsert_many`]) of one.
    pub async fn upsert(
        &self,
        conn: &mut AsyncPgConnection,
        input: &Upsert<'_>,
    ) -> Result<Outcome, WriteError> {
        let write = Write {
            org: self.org,
            cause: self.cause,
            input: *input,
            synced: None,
        };
        let author = Author {
            clock: self.clock,
            changed_by: &self.changed_by,
        };
        let mut results = upsert_many(conn, &author, std::slice::from_ref(&write)).await?;
        results.pop().unwrap_or(Err(WriteError::Database(
            diesel::result::Error::QueryBuilderError("the batch write gave no result".into()),
        )))
    }

    /// Deletes a live record: its fields go, a tombstone keeps its version and the delete's
    /// stamp (above every stamp the record held), which field sync sends as the tombstone's.
    pub async fn delete(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
    ) -> Result<Outcome, WriteError> {
        self.delete_stamped(conn, object, record_id, None).await
    }

    /// [`Self::delete`] with the stamp given (a partner's tombstone keeps its own), or a new one.
    pub async fn delete_stamped(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
        stamp: Option<FieldStamp>,
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
        let stamp = match stamp {
            Some(given) => given,
            None => {
                self.next_stamp(conn, object, record_id, &row.stamps)
                    .await?
            }
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
        record_stamp::set(conn, self.org, object, record_id, &stamp).await?;
        diesel::delete(
            record_lookups::table
                .filter(record_lookups::org_id.eq(self.org.as_uuid()))
                .filter(record_lookups::object.eq(object))
                .filter(record_lookups::record_id.eq(record_id)),
        )
        .execute(conn)
        .await?;
        self.publish(conn, object, record_id, version, Event::Deleted)
            .await?;
        Ok(Outcome::Deleted { version })
    }

    /// Saves a live record without changing a value (S2S: a save with no change still syncs):
    /// a new version, last modified by this writer now, a new record-level stamp (or the one
    /// given: a partner's touch keeps its own), and a `RecordChangedV1` with `touched` and no
    /// fields. A write of equal values stays a no-op (re-imports and redeliveries publish
    /// nothing): touching is asked for explicitly.
    pub async fn touch(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
        stamp: Option<FieldStamp>,
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
        let stamp = match stamp {
            Some(given) => given,
            None => {
                self.next_stamp(conn, object, record_id, &row.stamps)
                    .await?
            }
        };
        let version = row.version + 1;
        let changed_by = serde_json::to_value(&self.changed_by)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        diesel::update(records::table.find((self.org.as_uuid(), object, record_id)))
            .set((
                records::version.eq(version),
                records::last_modified_by.eq(&changed_by),
                records::last_modified_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        record_stamp::set(conn, self.org, object, record_id, &stamp).await?;
        self.publish(conn, object, record_id, version, Event::Touched)
            .await?;
        Ok(Outcome::Updated { version })
    }

    /// A stamp above every stamp the record holds (fields and record-level), from this org.
    async fn next_stamp(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
        stamps: &Value,
    ) -> QueryResult<FieldStamp> {
        let held = record_stamp::get(conn, self.org, object, record_id).await?;
        let floor = record_stamp::latest(stamps, held.as_ref()).map(|(stamp, _)| stamp);
        Ok(FieldStamp {
            stamp: self.clock.after(floor),
            origin: self.org.as_uuid(),
        })
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

    /// The change, to the org's change feed, through the outbox (same transaction).
    async fn publish(
        &self,
        conn: &mut AsyncPgConnection,
        object: &str,
        record_id: &str,
        version: i64,
        event: Event,
    ) -> QueryResult<()> {
        let change = RecordChangedV1 {
            object: object.to_string(),
            record_id: record_id.to_string(),
            version,
            deleted: event == Event::Deleted,
            fields: Map::new(),
            touched: event == Event::Touched,
            changed_by: self.changed_by.clone(),
            changed_at: Utc::now(),
        };
        let envelope = match self.cause {
            Some(cause) => Envelope::caused_by(self.org, change, cause),
            None => Envelope::new(self.org, change),
        };
        shared::outbox::enqueue(conn, crate::NAME, &envelope).await?;
        if super::links_may_end::may_end(None, &envelope.payload) {
            super::links_may_end::enqueue(conn, &[&envelope]).await?;
        }
        crate::propagate_batch::propagate_changes(conn, &[&envelope]).await
    }
}
