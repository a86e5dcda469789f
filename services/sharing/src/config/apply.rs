//! Making the org's stored configuration the document's, inside the caller's transaction, with
//! every event through the outbox in that same transaction.

use super::context::{Context, Partner};
use super::definitions;
use super::document::{ConfigDocument, PublishedObject, SubscribedObject};
use super::plan::keyed;
use super::problems::{ImportError, Problem};
use crate::NAME;
use crate::publications::change::{Edit, PublishError, change_published, unpublish_everywhere};
use crate::publications::resolve::PublishedSet;
use crate::schema::{
    connection_templates, field_mappings, object_definitions, subscriptions, template_objects,
};
use crate::subscriptions::announce::announce;
use crate::subscriptions::store::Key;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::crm::{ObjectDef, standard};
use shared::ids::OrgId;
use shared::message::events::sharing::{ConnectionTemplateChangedV1, ObjectSchemaChangedV1};
use shared::message::{Envelope, Message};
use shared::outbox;
use uuid::Uuid;

/// Serializes imports (and whatever else takes it) of one org: taken first in the transaction,
/// before the current configuration is read.
pub async fn lock(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended('sharing.config:' || $1::text, 0))",
    )
    .bind::<sql_types::Uuid, _>(org)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every difference between `current` and `desired` (both canonical, `desired` checked).
pub async fn apply(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    context: &Context,
    current: &ConfigDocument,
    desired: &ConfigDocument,
) -> Result<(), ImportError> {
    if current.currency != desired.currency {
        let currency = desired
            .currency
            .as_deref()
            .unwrap_or(crate::org_settings::DEFAULT_CURRENCY);
        crate::org_settings::set_currency(conn, OrgId(org), currency).await?;
    }
    objects(conn, org, current, desired).await?;
    templates(conn, org, current, desired).await?;
    for partner in context.partners.values() {
        let find = |doc: &ConfigDocument| {
            doc.publications
                .iter()
                .find(|p| p.partner_org_id == partner.partner_org_id)
                .map(|p| p.objects.clone())
                .unwrap_or_default()
        };
        if find(current) != find(desired) {
            publications(conn, org, partner, &find(desired)).await?;
        }
        let find = |doc: &ConfigDocument| {
            doc.subscriptions
                .iter()
                .find(|p| p.partner_org_id == partner.partner_org_id)
                .map(|p| p.objects.clone())
                .unwrap_or_default()
        };
        subscribed(conn, org, partner, &find(current), &find(desired)).await?;
    }
    Ok(())
}

async fn emit<M: Message>(conn: &mut AsyncPgConnection, org: Uuid, payload: M) -> QueryResult<()> {
    outbox::enqueue(conn, NAME, &Envelope::new(OrgId(org), payload)).await
}

/// Raises the org's schema version and returns it.
async fn next_schema_version(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = sql_types::BigInt)]
        version: i64,
    }
    let row: Version = diesel::sql_query(
        "INSERT INTO sharing.schema_versions (org_id, version) VALUES ($1, 1) \
         ON CONFLICT (org_id) DO UPDATE SET version = sharing.schema_versions.version + 1 \
         RETURNING version",
    )
    .bind::<sql_types::Uuid, _>(org)
    .get_result(conn)
    .await?;
    Ok(row.version)
}

async fn objects(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    current: &ConfigDocument,
    desired: &ConfigDocument,
) -> Result<(), ImportError> {
    let diff = keyed(&current.objects, &desired.objects, |o| o.api_name.clone());
    let written = diff
        .added
        .iter()
        .copied()
        .chain(diff.changed.iter().map(|(_, new)| *new));
    for object in written {
        let definition = definitions::definition(object);
        let json = serde_json::to_value(&definition)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        diesel::insert_into(object_definitions::table)
            .values((
                object_definitions::org_id.eq(org),
                object_definitions::api_name.eq(&definition.api_name),
                object_definitions::custom.eq(definition.custom),
                object_definitions::definition.eq(&json),
            ))
            .on_conflict((object_definitions::org_id, object_definitions::api_name))
            .do_update()
            .set((
                object_definitions::custom.eq(definition.custom),
                object_definitions::definition.eq(&json),
                object_definitions::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        schema_changed(conn, org, definition, false).await?;
    }
    for object in &diff.removed {
        diesel::delete(
            object_definitions::table
                .filter(object_definitions::org_id.eq(org))
                .filter(object_definitions::api_name.eq(&object.api_name)),
        )
        .execute(conn)
        .await?;
        match standard::object(&object.api_name) {
            // Its custom fields are gone; the standard object itself stays.
            Some(standard) => schema_changed(conn, org, standard, false).await?,
            None => {
                unpublish_everywhere(conn, OrgId(org), &object.api_name, None)
                    .await
                    .map_err(|e| match e {
                        PublishError::Database(err) => ImportError::Database(err),
                        other => ImportError::Invalid(vec![Problem::new(
                            format!("objects[{}]", object.api_name),
                            other.to_string(),
                        )]),
                    })?;
                schema_changed(conn, org, definitions::definition(object), true).await?;
            }
        }
    }
    Ok(())
}

async fn schema_changed(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    object: ObjectDef,
    deleted: bool,
) -> QueryResult<()> {
    let schema_version = next_schema_version(conn, org).await?;
    emit(
        conn,
        org,
        ObjectSchemaChangedV1 {
            object,
            deleted,
            schema_version,
        },
    )
    .await
}

async fn templates(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    current: &ConfigDocument,
    desired: &ConfigDocument,
) -> QueryResult<()> {
    let diff = keyed(&current.templates, &desired.templates, |t| t.name.clone());
    let now = Utc::now();
    for template in &diff.added {
        let id = Uuid::now_v7();
        diesel::insert_into(connection_templates::table)
            .values((
                connection_templates::id.eq(id),
                connection_templates::org_id.eq(org),
                connection_templates::name.eq(&template.name),
                connection_templates::description.eq(&template.description),
                connection_templates::active.eq(template.active),
            ))
            .execute(conn)
            .await?;
        template_objects_of(conn, id, &template.objects).await?;
        template_changed(conn, org, id, &template.name, template.active, false).await?;
    }
    for (_, template) in &diff.changed {
        let id: Uuid = diesel::update(
            connection_templates::table
                .filter(connection_templates::org_id.eq(org))
                .filter(connection_templates::name.eq(&template.name)),
        )
        .set((
            connection_templates::description.eq(&template.description),
            connection_templates::active.eq(template.active),
            connection_templates::updated_at.eq(now),
        ))
        .returning(connection_templates::id)
        .get_result(conn)
        .await?;
        diesel::delete(template_objects::table.filter(template_objects::template_id.eq(id)))
            .execute(conn)
            .await?;
        template_objects_of(conn, id, &template.objects).await?;
        template_changed(conn, org, id, &template.name, template.active, false).await?;
    }
    for template in &diff.removed {
        let id: Uuid = diesel::delete(
            connection_templates::table
                .filter(connection_templates::org_id.eq(org))
                .filter(connection_templates::name.eq(&template.name)),
        )
        .returning(connection_templates::id)
        .get_result(conn)
        .await?;
        template_changed(conn, org, id, &template.name, template.active, true).await?;
    }
    Ok(())
}

async fn template_objects_of(
    conn: &mut AsyncPgConnection,
    template: Uuid,
    objects: &[PublishedObject],
) -> QueryResult<()> {
    let rows: Vec<_> = objects
        .iter()
        .map(|o| {
            (
                template_objects::template_id.eq(template),
                template_objects::object.eq(&o.object),
                template_objects::fields.eq(&o.fields),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(template_objects::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}

async fn template_changed(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    template_id: Uuid,
    name: &str,
    active: bool,
    deleted: bool,
) -> QueryResult<()> {
    emit(
        conn,
        org,
        ConnectionTemplateChangedV1 {
            template_id,
            name: name.to_string(),
            active,
            deleted,
        },
    )
    .await
}

/// Makes what the org publishes to one partner exactly the document's, through the same
/// publication change as the routes (history entry, email, automatic unsubscribe).
async fn publications(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    partner: &Partner,
    desired: &[PublishedObject],
) -> Result<(), ImportError> {
    let set: PublishedSet = desired
        .iter()
        .map(|o| (o.object.clone(), o.fields.clone()))
        .collect();
    let edit = Edit::Exactly(set);
    match change_published(conn, OrgId(org), partner.connection_id, edit, None).await {
        Ok(_) => Ok(()),
        Err(PublishError::Database(err)) => Err(ImportError::Database(err)),
        // The connection changed (closed, or its partner's contact is unknown) since the
        // document was checked: the whole import is refused, naming the partner.
        Err(refused) => Err(ImportError::Invalid(vec![Problem::new(
            format!("publications[{}]", partner.partner_org_id),
            refused.to_string(),
        )])),
    }
}

/// Makes the org's subscriptions to one partner's publications `new`, with their mappings.
async fn subscribed(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    partner: &Partner,
    old: &[SubscribedObject],
    new: &[SubscribedObject],
) -> QueryResult<()> {
    let connection = partner.connection_id;
    let diff = keyed(old, new, |o| o.object.clone());
    let mut changed: Vec<&str> = diff.removed.iter().map(|o| o.object.as_str()).collect();
    let now = Utc::now();
    for object in &diff.removed {
        diesel::delete(
            subscriptions::table
                .filter(subscriptions::connection_id.eq(connection))
                .filter(subscriptions::org_id.eq(org))
                .filter(subscriptions::object.eq(&object.object)),
        )
        .execute(conn)
        .await?;
    }
    let written = diff
        .added
        .iter()
        .copied()
        .chain(diff.changed.iter().map(|(_, new)| *new));
    for object in written {
        changed.push(&object.object);
        diesel::insert_into(subscriptions::table)
            .values((
                subscriptions::connection_id.eq(connection),
                subscriptions::org_id.eq(org),
                subscriptions::object.eq(&object.object),
                subscriptions::target_object.eq(&object.target_object),
                subscriptions::auto_accept.eq(object.auto_accept),
                subscriptions::sync_deletes.eq(object.sync_deletes),
            ))
            .on_conflict((
                subscriptions::connection_id,
                subscriptions::org_id,
                subscriptions::object,
            ))
            .do_update()
            .set((
                subscriptions::target_object.eq(&object.target_object),
                subscriptions::auto_accept.eq(object.auto_accept),
                subscriptions::sync_deletes.eq(object.sync_deletes),
                subscriptions::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        diesel::delete(
            field_mappings::table
                .filter(field_mappings::connection_id.eq(connection))
                .filter(field_mappings::org_id.eq(org))
                .filter(field_mappings::object.eq(&object.object)),
        )
        .execute(conn)
        .await?;
        let mut rows = Vec::new();
        for field in &object.fields {
            let values = serde_json::to_value(&field.picklist_values)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            rows.push((
                field_mappings::connection_id.eq(connection),
                field_mappings::org_id.eq(org),
                field_mappings::object.eq(object.object.clone()),
                field_mappings::field.eq(field.field.clone()),
                field_mappings::target_field.eq(field.target_field.clone()),
                field_mappings::picklist_values.eq(values),
            ));
        }
        if !rows.is_empty() {
            diesel::insert_into(field_mappings::table)
                .values(rows)
                .execute(conn)
                .await?;
        }
    }
    let key = Key {
        connection_id: connection,
        org_id: org,
    };
    for object in changed {
        announce(conn, key, partner.partner_org_id, object, None).await?;
    }
    Ok(())
}
