//! The one write path of the record store (see the module above).

use super::batch::{Author, Write, upsert_many};
use super::read;
use super::{Mode, Outcome, WriteError};
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
