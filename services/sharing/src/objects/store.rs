//! An org's objects as stored: the standard objects from `shared::crm::standard` with the org's
//! custom fields added, and its custom objects. Every change bumps the org's schema version and
//! queues `ObjectSchemaChangedV1` in the same transaction.

use crate::NAME;
use crate::schema::{object_definitions, schema_versions};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::crm::{ObjectDef, standard};
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::message::events::sharing::ObjectSchemaChangedV1;
use shared::outbox;

fn decode(api_name: &str, definition: serde_json::Value) -> QueryResult<ObjectDef> {
    serde_json::from_value::<ObjectDef>(definition).map_err(|e| {
        diesel::result::Error::DeserializationError(
            format!("stored definition of {api_name}: {e}").into(),
        )
    })
}

/// A standard object with the custom fields of the org's stored copy added: the standard
/// fields always come from the code, so a new standard field reaches every org.
fn merged(standard: ObjectDef, stored: Option<&ObjectDef>) -> ObjectDef {
    let mut object = standard;
    if let Some(stored) = stored {
        object
            .fields
            .extend(stored.fields.iter().filter(|f| f.custom).cloned());
    }
    object
}

/// Every object of `org`: the standard ones first, then its custom objects by API name.
pub async fn all(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<Vec<ObjectDef>> {
    let rows: Vec<(String, serde_json::Value)> = object_definitions::table
        .filter(object_definitions::org_id.eq(org.as_uuid()))
        .order(object_definitions::api_name)
        .select((object_definitions::api_name, object_definitions::definition))
        .load(conn)
        .await?;
    let mut stored = Vec::with_capacity(rows.len());
    for (name, definition) in rows {
        stored.push(decode(&name, definition)?);
    }
    let mut objects: Vec<ObjectDef> = standard::objects()
        .into_iter()
        .map(|s| {
            let own = stored.iter().find(|o| o.api_name == s.api_name);
            merged(s, own)
        })
        .collect();
    objects.extend(stored.into_iter().filter(|o| o.custom));
    Ok(objects)
}

/// One object of `org` by API name.
pub async fn one(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    api_name: &str,
) -> QueryResult<Option<ObjectDef>> {
    let stored: Option<serde_json::Value> = object_definitions::table
        .find((org.as_uuid(), api_name))
        .select(object_definitions::definition)
        .first(conn)
        .await
        .optional()?;
    let stored = stored.map(|d| decode(api_name, d)).transpose()?;
    Ok(match standard::object(api_name) {
        Some(s) => Some(merged(s, stored.as_ref())),
        None => stored.filter(|o| o.custom),
    })
}

/// Raises `org`'s schema version and returns it. Taking the row lock first also makes the
/// org's schema changes run one after another (no lost field between two concurrent adds).
pub async fn next_version(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<i64> {
    diesel::insert_into(schema_versions::table)
        .values((
            schema_versions::org_id.eq(org.as_uuid()),
            schema_versions::version.eq(1_i64),
        ))
        .on_conflict(schema_versions::org_id)
        .do_update()
        .set(schema_versions::version.eq(schema_versions::version + 1))
        .returning(schema_versions::version)
        .get_result(conn)
        .await
}

/// Stores `object` as `org`'s definition and queues the event. Call inside a transaction
/// that began with [`next_version`].
pub async fn save(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &ObjectDef,
    version: i64,
) -> QueryResult<()> {
    let definition = serde_json::to_value(object)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(object_definitions::table)
        .values((
            object_definitions::org_id.eq(org.as_uuid()),
            object_definitions::api_name.eq(&object.api_name),
            object_definitions::custom.eq(object.custom),
            object_definitions::definition.eq(&definition),
        ))
        .on_conflict((object_definitions::org_id, object_definitions::api_name))
        .do_update()
        .set((
            object_definitions::definition.eq(excluded(object_definitions::definition)),
            object_definitions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    announce(conn, org, object, false, version).await
}

/// Removes `org`'s custom object and queues the event saying so.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &ObjectDef,
    version: i64,
) -> QueryResult<()> {
    diesel::delete(object_definitions::table.find((org.as_uuid(), &object.api_name)))
        .execute(conn)
        .await?;
    announce(conn, org, object, true, version).await
}

async fn announce(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &ObjectDef,
    deleted: bool,
    version: i64,
) -> QueryResult<()> {
    let event = ObjectSchemaChangedV1 {
        object: object.clone(),
        deleted,
        schema_version: version,
    };
    outbox::enqueue(conn, NAME, &Envelope::new(org, event)).await
}
