//! Reading records.

use crate::schema::records;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::OrgId;

/// A stored record, as the table holds it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordRow {
    pub object: String,
    pub record_id: String,
    pub owner: Option<String>,
    pub fields: serde_json::Value,
    pub stamps: serde_json::Value,
    pub version: i64,
    pub private: bool,
    pub deleted: bool,
    pub last_modified_by: serde_json::Value,
    pub last_modified_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// One record of the org (deleted ones too: the caller decides), locked for update if `lock`.
pub async fn one(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    record_id: &str,
    lock: bool,
) -> QueryResult<Option<RecordRow>> {
    let query = records::table
        .filter(records::org_id.eq(org.as_uuid()))
        .filter(records::object.eq(object))
        .filter(records::record_id.eq(record_id))
        .select(RecordRow::as_select());
    if lock {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

/// A page of the org's live records of `object`, in record id order, after `after`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<RecordRow>> {
    let mut query = records::table
        .filter(records::org_id.eq(org.as_uuid()))
        .filter(records::object.eq(object))
        .filter(records::deleted.eq(false))
        .select(RecordRow::as_select())
        .order(records::record_id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(records::record_id.gt(after.to_string()));
    }
    query.load(conn).await
}
