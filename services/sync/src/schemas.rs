//! Sync's read model of org schemas: the effective definition of an org's object is the org's
//! own (from sharing's `ObjectSchemaChangedV1`, which carries the whole object) if it has one,
//! else the standard object from `shared::crm::standard`.

use crate::schema::object_schemas;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::consumer::{Context, Handler};
use shared::crm::ObjectDef;
use shared::error::HandlerError;
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::message::events::sharing::ObjectSchemaChangedV1;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The standard objects by API name, built once (the model builds them on every call).
fn standard(api_name: &str) -> Option<&'static ObjectDef> {
    static STANDARD: OnceLock<HashMap<String, ObjectDef>> = OnceLock::new();
    STANDARD
        .get_or_init(|| {
            shared::crm::standard::objects()
                .into_iter()
                .map(|o| (o.api_name.clone(), o))
                .collect()
        })
        .get(api_name)
}

/// The object as the org has it, or `None` if the org has no such object.
pub async fn effective(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
) -> QueryResult<Option<ObjectDef>> {
    let row: Option<(serde_json::Value, bool)> = object_schemas::table
        .filter(object_schemas::org_id.eq(org.as_uuid()))
        .filter(object_schemas::object.eq(object))
        .select((object_schemas::definition, object_schemas::deleted))
        .first(conn)
        .await
        .optional()?;
    match row {
        Some((_, true)) => Ok(standard(object).cloned()),
        Some((definition, false)) => match serde_json::from_value::<ObjectDef>(definition) {
            Ok(def) => Ok(Some(def)),
            // Stored by us from a validated event: unreadable means a bug, not bad input.
            Err(e) => Err(diesel::result::Error::DeserializationError(Box::new(e))),
        },
        None => Ok(standard(object).cloned()),
    }
}

/// Keeps the read model: replaces the org's definition of the object, unless the event is
/// older than what is stored (events of one object are handled in order; a redelivered or
/// replayed old one must not win).
pub struct KeepSchema;

impl Handler<ObjectSchemaChangedV1> for KeepSchema {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<ObjectSchemaChangedV1>,
    ) -> Result<(), HandlerError> {
        let event = &message.payload;
        let definition = serde_json::to_value(&event.object)
            .map_err(|e| HandlerError::permanent(format!("object definition: {e}")))?;
        // An older version than the stored one changes nothing.
        diesel::sql_query(
            "INSERT INTO sync.object_schemas (org_id, object, definition, deleted, schema_version) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, object) DO UPDATE SET definition = excluded.definition, \
               deleted = excluded.deleted, schema_version = excluded.schema_version, updated_at = now() \
             WHERE sync.object_schemas.schema_version < excluded.schema_version",
        )
        .bind::<diesel::sql_types::Uuid, _>(message.org_id.as_uuid())
        .bind::<diesel::sql_types::Text, _>(&event.object.api_name)
        .bind::<diesel::sql_types::Jsonb, _>(&definition)
        .bind::<diesel::sql_types::Bool, _>(event.deleted)
        .bind::<diesel::sql_types::BigInt, _>(event.schema_version)
        .execute(conn)
        .await?;
        Ok(())
    }
}
