//! Connection templates: a name unique in the org, a description, an active flag and the
//! objects with fields a connection publishes when the template is applied. Each change queues
//! `ConnectionTemplateChangedV1` in its transaction (the invitation service keeps a read model).

use crate::NAME;
use crate::objects::store as objects;
use crate::publications::resolve::{ObjectToPublish, PublishedSet, published_set};
use crate::schema::{connection_templates, template_objects};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::message::events::sharing::ConnectionTemplateChangedV1;
use shared::outbox;
use shared::validate::{self, Invalid};
use uuid::Uuid;

pub const NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 1000;

/// A template as stored and shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Template {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub objects: Vec<ObjectToPublish>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Template {
    pub fn published_set(&self) -> PublishedSet {
        self.objects
            .iter()
            .map(|o| (o.object.clone(), o.fields.clone().unwrap_or_default()))
            .collect()
    }
}

/// A new template, or the whole of a changed one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// The objects to publish, each with its fields (omitted: the object's default fields).
    pub objects: Vec<ObjectToPublish>,
}

fn active_by_default() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such template")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

type Row = (Uuid, String, String, bool, DateTime<Utc>, DateTime<Utc>);

fn columns() -> (
    connection_templates::id,
    connection_templates::name,
    connection_templates::description,
    connection_templates::active,
    connection_templates::created_at,
    connection_templates::updated_at,
) {
    (
        connection_templates::id,
        connection_templates::name,
        connection_templates::description,
        connection_templates::active,
        connection_templates::created_at,
        connection_templates::updated_at,
    )
}

async fn with_objects(conn: &mut AsyncPgConnection, rows: Vec<Row>) -> QueryResult<Vec<Template>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let entries: Vec<(Uuid, String, Vec<String>)> = template_objects::table
        .filter(template_objects::template_id.eq_any(&ids))
        .order((template_objects::template_id, template_objects::object))
        .select((
            template_objects::template_id,
            template_objects::object,
            template_objects::fields,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, name, description, active, created_at, updated_at)| Template {
                id,
                name,
                description,
                active,
                objects: entries
                    .iter()
                    .filter(|e| e.0 == id)
                    .map(|e| ObjectToPublish {
                        object: e.1.clone(),
                        fields: Some(e.2.clone()),
                    })
                    .collect(),
                created_at,
                updated_at,
            },
        )
        .collect())
}

/// Every template of `org`, by name.
pub async fn list(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<Vec<Template>> {
    let rows: Vec<Row> = connection_templates::table
        .filter(connection_templates::org_id.eq(org.as_uuid()))
        .order(connection_templates::name)
        .select(columns())
        .load(conn)
        .await?;
    with_objects(conn, rows).await
}

/// `org`'s template `id`; another org's is "not found". `lock` holds it until the transaction ends.
pub async fn get(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
    lock: bool,
) -> Result<Template, TemplateError> {
    let query = connection_templates::table
        .filter(connection_templates::id.eq(id))
        .filter(connection_templates::org_id.eq(org.as_uuid()))
        .select(columns());
    let row: Option<Row> = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    let row = row.ok_or(TemplateError::NotFound)?;
    with_objects(conn, vec![row])
        .await?
        .pop()
        .ok_or(TemplateError::NotFound)
}

async fn checked(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    request: &TemplateRequest,
) -> Result<(String, String, PublishedSet), TemplateError> {
    let name = validate::text("name", &request.name, NAME_MAX)?;
    let description = request.description.trim().to_string();
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(Invalid::new(
            "description",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        )
        .into());
    }
    let known = objects::all(conn, org).await?;
    let set = published_set("objects", &known, &request.objects)?;
    Ok((name, description, set))
}

async fn name_taken(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    name: &str,
    except: Option<Uuid>,
) -> QueryResult<bool> {
    let ids: Vec<Uuid> = connection_templates::table
        .filter(connection_templates::org_id.eq(org.as_uuid()))
        .filter(connection_templates::name.eq(name))
        .select(connection_templates::id)
        .load(conn)
        .await?;
    Ok(ids.iter().any(|id| Some(*id) != except))
}

async fn write_objects(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    set: &PublishedSet,
) -> QueryResult<()> {
    diesel::delete(template_objects::table.filter(template_objects::template_id.eq(id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = set
        .iter()
        .map(|(object, fields)| {
            (
                template_objects::template_id.eq(id),
                template_objects::object.eq(object),
                template_objects::fields.eq(fields),
            )
        })
        .collect();
    diesel::insert_into(template_objects::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

async fn announce(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
    name: &str,
    active: bool,
    deleted: bool,
) -> QueryResult<()> {
    let event = ConnectionTemplateChangedV1 {
        template_id: id,
        name: name.to_string(),
        active,
        deleted,
    };
    outbox::enqueue(conn, NAME, &Envelope::new(org, event)).await
}

fn name_in_use(name: &str) -> TemplateError {
    Invalid::new(
        "name",
        format!("your organization already has a template named {name}"),
    )
    .into()
}

/// A concurrent request took the name between the check and the write (the unique index).
fn taken_or(err: diesel::result::Error, name: &str) -> TemplateError {
    match err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => name_in_use(name),
        other => other.into(),
    }
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    request: &TemplateRequest,
) -> Result<Template, TemplateError> {
    let (name, description, set) = checked(conn, org, request).await?;
    // Names are unique per org (a unique index backs this check against a race).
    if name_taken(conn, org, &name, None).await? {
        return Err(name_in_use(&name));
    }
    let id = Uuid::now_v7();
    diesel::insert_into(connection_templates::table)
        .values((
            connection_templates::id.eq(id),
            connection_templates::org_id.eq(org.as_uuid()),
            connection_templates::name.eq(&name),
            connection_templates::description.eq(&description),
            connection_templates::active.eq(request.active),
        ))
        .execute(conn)
        .await
        .map_err(|e| taken_or(e, &name))?;
    write_objects(conn, id, &set).await?;
    announce(conn, org, id, &name, request.active, false).await?;
    get(conn, org, id, false).await
}

pub async fn replace(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
    request: &TemplateRequest,
) -> Result<Template, TemplateError> {
    get(conn, org, id, true).await?;
    let (name, description, set) = checked(conn, org, request).await?;
    if name_taken(conn, org, &name, Some(id)).await? {
        return Err(name_in_use(&name));
    }
    diesel::update(connection_templates::table.find(id))
        .set((
            connection_templates::name.eq(&name),
            connection_templates::description.eq(&description),
            connection_templates::active.eq(request.active),
            connection_templates::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map_err(|e| taken_or(e, &name))?;
    write_objects(conn, id, &set).await?;
    announce(conn, org, id, &name, request.active, false).await?;
    get(conn, org, id, false).await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
) -> Result<(), TemplateError> {
    let template = get(conn, org, id, true).await?;
    diesel::delete(connection_templates::table.find(id))
        .execute(conn)
        .await?;
    announce(conn, org, id, &template.name, template.active, true).await?;
    Ok(())
}
