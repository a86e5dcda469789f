//! Schema changes: create or delete a custom object, add, change or delete a custom field.
//! Each runs in the caller's transaction: a new schema version, the stored definition, the
//! event, and for a deletion, the publications that named what was deleted.

use super::{define, store};
use crate::publications::change::{PublishError, unpublish_everywhere};
use crate::schema::{connection_templates, subscriptions, template_objects};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use shared::crm::{FieldDef, FieldType, ObjectDef};
use shared::ids::OrgId;
use shared::validate::Invalid;

/// Why a schema change was refused.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{0}")]
    StandardOnly(String),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// A new custom object.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObject {
    /// Ends in `__c`, e.g. `Invoice__c`.
    pub api_name: String,
    pub label: String,
    /// Custom fields besides the `Name` field every custom object gets.
    #[serde(default)]
    pub fields: Vec<FieldDef>,
}

/// The parts of a custom field that may change; its API name and type stay.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    pub label: Option<String>,
    pub required: Option<bool>,
    /// Number, currency, percent: smallest accepted value.
    pub min: Option<f64>,
    /// Number, currency, percent: largest accepted value.
    pub max: Option<f64>,
    /// Text, long text, rich text, encrypted.
    pub max_length: Option<u32>,
    /// Picklist: the values (replacing the list).
    pub values: Option<Vec<String>>,
    /// Picklist: whether other values are refused.
    pub restricted: Option<bool>,
}

pub async fn create_object(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    request: &NewObject,
) -> Result<ObjectDef, SchemaError> {
    let version = store::next_version(conn, org).await?;
    let known = store::all(conn, org).await?;
    define::name_is_free(&request.api_name, &known)?;
    let object = define::new_object(&request.api_name, &request.label, &request.fields, &known)?;
    store::save(conn, org, &object, version).await?;
    Ok(object)
}

/// Deletes a custom object: unpublished from every connection (the partners' subscriptions
/// go), the org's own subscriptions mapped to it and its template entries removed.
pub async fn delete_object(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    api_name: &str,
) -> Result<(), SchemaError> {
    let version = store::next_version(conn, org).await?;
    let object = custom_object(conn, org, api_name).await?;
    unpublish_everywhere(conn, org, api_name, None).await?;
    diesel::delete(
        subscriptions::table
            .filter(subscriptions::org_id.eq(org.as_uuid()))
            .filter(subscriptions::target_object.eq(api_name)),
    )
    .execute(conn)
    .await?;
    let templates = connection_templates::table
        .filter(connection_templates::org_id.eq(org.as_uuid()))
        .select(connection_templates::id);
    diesel::delete(
        template_objects::table
            .filter(template_objects::template_id.eq_any(templates))
            .filter(template_objects::object.eq(api_name)),
    )
    .execute(conn)
    .await?;
    store::remove(conn, org, &object, version).await?;
    Ok(())
}

pub async fn add_field(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    api_name: &str,
    field: &FieldDef,
) -> Result<ObjectDef, SchemaError> {
    let version = store::next_version(conn, org).await?;
    let mut object = store::one(conn, org, api_name)
        .await?
        .ok_or(SchemaError::NotFound("object"))?;
    let known = store::all(conn, org).await?;
    let field = define::new_field("", field, &object, &known)?;
    object.fields.push(field);
    store::save(conn, org, &object, version).await?;
    Ok(object)
}

pub async fn change_field(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    api_name: &str,
    field_name: &str,
    change: &FieldChange,
) -> Result<ObjectDef, SchemaError> {
    let version = store::next_version(conn, org).await?;
    let mut object = store::one(conn, org, api_name)
        .await?
        .ok_or(SchemaError::NotFound("object"))?;
    let known = store::all(conn, org).await?;
    let field = custom_field(&mut object, field_name)?;
    apply(field, change)?;
    define::check_constraints("", field, &known)?;
    store::save(conn, org, &object, version).await?;
    Ok(object)
}

/// Deletes a custom field; it stops being published on every connection.
pub async fn delete_field(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    api_name: &str,
    field_name: &str,
) -> Result<ObjectDef, SchemaError> {
    let version = store::next_version(conn, org).await?;
    let mut object = store::one(conn, org, api_name)
        .await?
        .ok_or(SchemaError::NotFound("object"))?;
    custom_field(&mut object, field_name)?;
    object.fields.retain(|f| f.api_name != field_name);
    unpublish_everywhere(conn, org, api_name, Some(vec![field_name.to_string()])).await?;
    // Templates stop naming the field; an entry left without fields goes.
    diesel::sql_query(
        "UPDATE sharing.template_objects SET fields = array_remove(fields, $1) \
         WHERE object = $2 AND template_id IN \
         (SELECT id FROM sharing.connection_templates WHERE org_id = $3)",
    )
    .bind::<Text, _>(field_name)
    .bind::<Text, _>(api_name)
    .bind::<diesel::sql_types::Uuid, _>(org.as_uuid())
    .execute(conn)
    .await?;
    diesel::delete(
        template_objects::table.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "cardinality(fields) = 0",
        )),
    )
    .execute(conn)
    .await?;
    store::save(conn, org, &object, version).await?;
    Ok(object)
}

async fn custom_object(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    api_name: &str,
) -> Result<ObjectDef, SchemaError> {
    let object = store::one(conn, org, api_name)
        .await?
        .ok_or(SchemaError::NotFound("object"))?;
    if !object.custom {
        return Err(SchemaError::StandardOnly(format!(
            "{api_name} is a standard object: it cannot be deleted"
        )));
    }
    Ok(object)
}

fn custom_field<'a>(
    object: &'a mut ObjectDef,
    name: &str,
) -> Result<&'a mut FieldDef, SchemaError> {
    let field = object
        .fields
        .iter_mut()
        .find(|f| f.api_name == name)
        .ok_or(SchemaError::NotFound("field"))?;
    if !field.custom {
        return Err(SchemaError::StandardOnly(format!(
            "{name} is a standard field: it cannot be changed or deleted"
        )));
    }
    Ok(field)
}

fn apply(field: &mut FieldDef, change: &FieldChange) -> Result<(), Invalid> {
    if let Some(label) = &change.label {
        field.label = define::label("label", label)?;
    }
    if let Some(required) = change.required {
        field.required = required;
    }
    if change.min.is_some() {
        field.min = change.min;
    }
    if change.max.is_some() {
        field.max = change.max;
    }
    if let Some(new) = change.max_length {
        match &mut field.field_type {
            FieldType::Text { max_length }
            | FieldType::LongText { max_length }
            | FieldType::RichText { max_length }
            | FieldType::Encrypted { max_length } => *max_length = new,
            _ => {
                return Err(Invalid::new(
                    "max_length",
                    "does not apply to this field's type",
                ));
            }
        }
    }
    if change.values.is_some() || change.restricted.is_some() {
        let FieldType::Picklist { values, restricted } = &mut field.field_type else {
            let name = if change.values.is_some() {
                "values"
            } else {
                "restricted"
            };
            return Err(Invalid::new(name, "applies only to picklist fields"));
        };
        if let Some(new) = &change.values {
            *values = new.clone();
        }
        if let Some(new) = change.restricted {
            *restricted = new;
        }
    }
    Ok(())
}
