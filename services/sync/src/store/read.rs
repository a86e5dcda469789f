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

/// A record's values and stamps, as a read of many records returns them.
#[derive(Debug, diesel::QueryableByName)]
pub struct Values {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub org_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub object: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub record_id: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub fields: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub stamps: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub deleted: bool,
}

/// The values and stamps of the records `keys` (org, object, record id) in one statement,
/// deleted ones too (the caller decides); unknown ones are left out.
pub async fn values_of_many(
    conn: &mut AsyncPgConnection,
    keys: &[(OrgId, &str, &str)],
) -> QueryResult<Vec<Values>> {
    use diesel::sql_types::{Array, Text, Uuid};
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let orgs: Vec<uuid::Uuid> = keys.iter().map(|k| k.0.as_uuid()).collect();
    let objects: Vec<&str> = keys.iter().map(|k| k.1).collect();
    let ids: Vec<&str> = keys.iter().map(|k| k.2).collect();
    diesel::sql_query(
        "SELECT r.org_id, r.object, r.record_id, r.fields, r.stamps, r.deleted \
         FROM sync.records r \
         JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS k(org_id, object, record_id) \
           ON r.org_id = k.org_id AND r.object = k.object AND r.record_id = k.record_id",
    )
    .bind::<Array<Uuid>, _>(&orgs)
    .bind::<Array<Text>, _>(&objects)
    .bind::<Array<Text>, _>(&ids)
    .load(conn)
    .await
}
