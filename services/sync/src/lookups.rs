//! Field sync's lookups, translated through the links: a lookup field sent to a partner holds
//! the partner's copy of the record it names when that record is shared over the same
//! connection (sharing's `sharing.synced_links`: an active link), and is sent empty otherwise,
//! never as this org's own id (`shared::crm::mapping::translate_lookup`).

use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Map, Value};
use shared::crm::mapping::Copies;
use shared::crm::{FieldType, ObjectDef};
use shared::ids::OrgId;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The object's lookup fields among `changed`: field to the object it looks up.
pub fn changed_lookups(
    schema: Option<&ObjectDef>,
    changed: &Map<String, Value>,
) -> BTreeMap<String, String> {
    let Some(schema) = schema else {
        return BTreeMap::new();
    };
    schema
        .fields
        .iter()
        .filter(|f| changed.contains_key(&f.api_name))
        .filter_map(|f| match &f.field_type {
            FieldType::Lookup { object } => Some((f.api_name.clone(), object.clone())),
            _ => None,
        })
        .collect()
}

#[derive(diesel::QueryableByName)]
struct CopyRow {
    #[diesel(sql_type = sql_types::Text)]
    object: String,
    #[diesel(sql_type = sql_types::Text)]
    local_record_id: String,
    #[diesel(sql_type = sql_types::Text)]
    partner_record_id: String,
}

/// The partner's copies, on the connection, of the org's records `ids`.
pub async fn copies(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    ids: &[&str],
) -> diesel::QueryResult<Copies> {
    if ids.is_empty() {
        return Ok(Copies::new());
    }
    let rows: Vec<CopyRow> = diesel::sql_query(
        "SELECT object, local_record_id, partner_record_id FROM sharing.synced_links \
         WHERE org_id = $1 AND connection_id = $2 AND local_record_id = ANY($3)",
    )
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .bind::<sql_types::Uuid, _>(connection_id)
    .bind::<sql_types::Array<sql_types::Text>, _>(ids)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.object, r.local_record_id), r.partner_record_id))
        .collect())
}
