//! An org's configuration as it is stored, as a document.

use super::context::{self, Context};
use super::document::{
    ConfigDocument, FieldMapping, ObjectConfig, PartnerPublications, PartnerSubscriptions,
    PublishedObject, SubscribedObject, TemplateConfig,
};
use super::problems::ImportError;
use crate::schema::{
    connection_templates, field_mappings, object_definitions, published_objects, subscriptions,
    template_objects,
};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::crm::ObjectDef;
use shared::ids::OrgId;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The org's whole configuration, in canonical order.
pub async fn export(
    conn: &mut AsyncPgConnection,
    org: Uuid,
) -> Result<ConfigDocument, ImportError> {
    let context = context::load(conn, org).await?;
    current(conn, org, &context).await
}

/// The org's configuration over the partners of `context`.
pub async fn current(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    context: &Context,
) -> Result<ConfigDocument, ImportError> {
    let mut document = ConfigDocument::empty();
    document.currency = Some(crate::org_settings::currency(conn, OrgId(org)).await?);
    document.objects = objects(conn, org).await?;
    document.templates = templates(conn, org).await?;
    for partner in context.partners.values() {
        let objects: Vec<(String, Vec<String>)> = published_objects::table
            .filter(published_objects::connection_id.eq(partner.connection_id))
            .filter(published_objects::org_id.eq(org))
            .select((published_objects::object, published_objects::fields))
            .load(conn)
            .await?;
        if !objects.is_empty() {
            document.publications.push(PartnerPublications {
                partner_org_id: partner.partner_org_id,
                partner_name: partner.partner_name.clone(),
                objects: objects
                    .into_iter()
                    .map(|(object, fields)| PublishedObject { object, fields })
                    .collect(),
            });
        }
        let subscribed = subscribed(conn, org, partner.connection_id).await?;
        if !subscribed.is_empty() {
            document.subscriptions.push(PartnerSubscriptions {
                partner_org_id: partner.partner_org_id,
                partner_name: partner.partner_name.clone(),
                objects: subscribed,
            });
        }
    }
    Ok(document.canonical())
}

async fn objects(
    conn: &mut AsyncPgConnection,
    org: Uuid,
) -> Result<Vec<ObjectConfig>, ImportError> {
    let rows: Vec<(String, bool, serde_json::Value)> = object_definitions::table
        .filter(object_definitions::org_id.eq(org))
        .select((
            object_definitions::api_name,
            object_definitions::custom,
            object_definitions::definition,
        ))
        .load(conn)
        .await?;
    let mut objects = Vec::new();
    for (api_name, custom, json) in rows {
        let definition: ObjectDef = serde_json::from_value(json)
            .map_err(|e| ImportError::Corrupt(format!("object {api_name}: {e}")))?;
        if custom {
            objects.push(ObjectConfig {
                api_name,
                label: Some(definition.label),
                parent: definition.parent,
                fields: definition.fields,
            });
        } else {
            // A standard object's standard fields are everyone's: only the org's are exported.
            let fields: Vec<_> = definition.fields.into_iter().filter(|f| f.custom).collect();
            if !fields.is_empty() {
                objects.push(ObjectConfig {
                    api_name,
                    label: None,
                    parent: None,
                    fields,
                });
            }
        }
    }
    Ok(objects)
}

async fn templates(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<Vec<TemplateConfig>> {
    let rows: Vec<(Uuid, String, String, bool)> = connection_templates::table
        .filter(connection_templates::org_id.eq(org))
        .select((
            connection_templates::id,
            connection_templates::name,
            connection_templates::description,
            connection_templates::active,
        ))
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let objects: Vec<(Uuid, String, Vec<String>)> = template_objects::table
        .filter(template_objects::template_id.eq_any(&ids))
        .select((
            template_objects::template_id,
            template_objects::object,
            template_objects::fields,
        ))
        .load(conn)
        .await?;
    let mut by_template: BTreeMap<Uuid, Vec<PublishedObject>> = BTreeMap::new();
    for (id, object, fields) in objects {
        by_template
            .entry(id)
            .or_default()
            .push(PublishedObject { object, fields });
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, description, active)| TemplateConfig {
            name,
            description,
            active,
            objects: by_template.remove(&id).unwrap_or_default(),
        })
        .collect())
}

async fn subscribed(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    connection: Uuid,
) -> QueryResult<Vec<SubscribedObject>> {
    let rows: Vec<(String, String, bool, bool)> = subscriptions::table
        .filter(subscriptions::connection_id.eq(connection))
        .filter(subscriptions::org_id.eq(org))
        .select((
            subscriptions::object,
            subscriptions::target_object,
            subscriptions::auto_accept,
            subscriptions::sync_deletes,
        ))
        .load(conn)
        .await?;
    let mappings: Vec<(String, String, Option<String>, serde_json::Value)> = field_mappings::table
        .filter(field_mappings::connection_id.eq(connection))
        .filter(field_mappings::org_id.eq(org))
        .select((
            field_mappings::object,
            field_mappings::field,
            field_mappings::target_field,
            field_mappings::picklist_values,
        ))
        .load(conn)
        .await?;
    let mut by_object: BTreeMap<String, Vec<FieldMapping>> = BTreeMap::new();
    for (object, field, target_field, values) in mappings {
        by_object.entry(object).or_default().push(FieldMapping {
            field,
            target_field,
            // Written by us or the subscribe routes as a string map; anything else reads empty.
            picklist_values: serde_json::from_value(values).unwrap_or_default(),
        });
    }
    Ok(rows
        .into_iter()
        .map(
            |(object, target_object, auto_accept, sync_deletes)| SubscribedObject {
                fields: by_object.remove(&object).unwrap_or_default(),
                object,
                target_object,
                auto_accept,
                sync_deletes,
            },
        )
        .collect())
}
