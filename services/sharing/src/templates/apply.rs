//! Applying a template to a connection: the org's published set becomes exactly the template's
//! (what is missing published, what is extra unpublished), through the one publication change.
//! Each outcome is kept per connection and side in `sharing.template_applications`.

use super::store::{self, TemplateError};
use crate::connections;
use crate::objects::store as objects;
use crate::publications::change::{Edit, PublicationChange, PublishError, change_published};
use crate::publications::resolve::published_set;
use crate::schema::template_applications;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::OrgId;
use shared::message::EnvelopeHead;
use shared::validate::Invalid;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("the template is inactive: only active templates can be applied")]
    Inactive,
    /// The schema changed since the template was saved.
    #[error("the template no longer fits your objects: {0}")]
    Stale(Invalid),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl From<diesel::result::Error> for ApplyError {
    fn from(err: diesel::result::Error) -> Self {
        Self::Publish(PublishError::Database(err))
    }
}

impl ApplyError {
    /// Whether it comes from the database (retry) rather than from the request (report).
    pub fn is_database(&self) -> bool {
        matches!(
            self,
            Self::Template(TemplateError::Database(_)) | Self::Publish(PublishError::Database(_))
        )
    }
}

/// Applies `org`'s template `template_id` to `connection_id`, in the caller's transaction.
pub async fn apply(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    template_id: Uuid,
    connection_id: Uuid,
    cause: Option<&EnvelopeHead>,
) -> Result<PublicationChange, ApplyError> {
    let template = store::get(conn, org, template_id, false).await?;
    if !template.active {
        return Err(ApplyError::Inactive);
    }
    let known = objects::all(conn, org).await?;
    let set = published_set("objects", &known, &template.objects).map_err(ApplyError::Stale)?;
    let change = change_published(conn, org, connection_id, Edit::Exactly(set), cause).await?;
    record(conn, org, template_id, connection_id, None).await?;
    Ok(change)
}

/// Keeps the outcome of applying a template where the org sees it (the publications view).
/// Only for a connection `org` is a party to.
pub async fn record(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    template_id: Uuid,
    connection_id: Uuid,
    error: Option<&str>,
) -> QueryResult<()> {
    if connections::party_to(conn, org, connection_id, false)
        .await?
        .is_none()
    {
        return Ok(());
    }
    diesel::insert_into(template_applications::table)
        .values((
            template_applications::connection_id.eq(connection_id),
            template_applications::org_id.eq(org.as_uuid()),
            template_applications::template_id.eq(template_id),
            template_applications::outcome.eq(if error.is_some() { "failed" } else { "applied" }),
            template_applications::error.eq(error),
        ))
        .on_conflict((
            template_applications::connection_id,
            template_applications::org_id,
        ))
        .do_update()
        .set((
            template_applications::template_id.eq(excluded(template_applications::template_id)),
            template_applications::outcome.eq(excluded(template_applications::outcome)),
            template_applications::error.eq(excluded(template_applications::error)),
            template_applications::applied_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The last template applied by `org` to `connection_id`, if any.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TemplateApplication {
    pub template_id: Uuid,
    /// `applied` or `failed`.
    pub outcome: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub applied_at: chrono::DateTime<chrono::Utc>,
}

pub async fn last(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
) -> QueryResult<Option<TemplateApplication>> {
    template_applications::table
        .find((connection_id, org.as_uuid()))
        .select((
            template_applications::template_id,
            template_applications::outcome,
            template_applications::error,
            template_applications::applied_at,
        ))
        .first::<(Uuid, String, Option<String>, chrono::DateTime<chrono::Utc>)>(conn)
        .await
        .optional()
        .map(|row| {
            row.map(
                |(template_id, outcome, error, applied_at)| TemplateApplication {
                    template_id,
                    outcome,
                    error,
                    applied_at,
                },
            )
        })
}
