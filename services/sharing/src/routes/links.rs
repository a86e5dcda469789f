//! A record's links (`read`): its External Sharing list, and the translation of a partner's
//! record id into your own on a connection. Another org's record or connection is 404.

use super::AppState;
use crate::connections::{self, Connection};
use crate::links::status::{Direction, Status};
use crate::links::store::{self, LinkRow};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::http::{ApiError, Auth, require_scope};
use shared::identity::Scope;
use shared::validate;
use std::collections::HashMap;
use uuid::Uuid;

/// One connection a record is shared over.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SharingEntry {
    pub connection_id: Uuid,
    /// Who: the partner org's name.
    pub partner_org_name: String,
    pub direction: Direction,
    pub status: Status,
    /// Since when: accepted (`start_date`) or, while pending, forwarded.
    pub since: DateTime<Utc>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub partner_object: Option<String>,
    pub partner_record_id: Option<String>,
    /// A child record's parent (`ParentRecordId`, your record id) it travels with.
    pub parent_record_id: Option<String>,
    /// The related objects, open and closed tasks sent with the record.
    #[schema(value_type = Vec<String>)]
    pub related_records: serde_json::Value,
    pub send_open_tasks: bool,
    pub send_closed_tasks: bool,
    /// While `Pending (sent)`: why the partner has not created its copy yet, as its inbox
    /// shows it (its validation rules refused the copy, or a product line's conditions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_error: Option<String>,
}

/// A record's External Sharing list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SharingList {
    pub object: String,
    pub record_id: String,
    pub links: Vec<SharingEntry>,
}

fn entry(
    link: LinkRow,
    connection: Option<&Connection>,
    org: shared::ids::OrgId,
    receiver_errors: &HashMap<Uuid, String>,
) -> Option<SharingEntry> {
    let connection = connection?;
    let side = connection.side_of(org)?;
    let other = match side {
        connections::Side::Inviter => connections::Side::Invitee,
        connections::Side::Invitee => connections::Side::Inviter,
    };
    let status = link.status()?;
    let receiver_error = (status == Status::PendingSent)
        .then(|| receiver_errors.get(&link.id).cloned())
        .flatten();
    Some(SharingEntry {
        receiver_error,
        connection_id: link.connection_id,
        partner_org_name: connection.name_of(other),
        direction: Direction::parse(&link.direction)?,
        status,
        since: link.start_date.unwrap_or(link.forwarded_at),
        start_date: link.start_date,
        end_date: link.end_date,
        partner_object: link.partner_object,
        partner_record_id: link.partner_record_id,
        parent_record_id: link.parent_record_id,
        related_records: link.related_records,
        send_open_tasks: link.send_open_tasks,
        send_closed_tasks: link.send_closed_tasks,
    })
}

/// Who the record is shared with, in which direction, since when, and its status.
#[utoipa::path(
    get,
    path = "/v1/sharing/records/{object}/{record_id}",
    tag = "record sharing",
    params(
        ("object" = String, Path, description = "Your object's API name"),
        ("record_id" = String, Path, description = "Your record's id"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SharingList),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record of yours", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the path parameter at fault", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "record_sharing"
)]
pub async fn sharing_list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, record_id)): Path<(String, String)>,
) -> Result<Json<SharingList>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    validate::text("object", &object, 255)?;
    validate::text("record_id", &record_id, 255)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let links = store::of_record(&mut conn, org, &object, &record_id).await?;
    if links.is_empty()
        && store::record(&mut conn, org, &object, &record_id)
            .await?
            .is_none()
    {
        return Err(ApiError::not_found("record"));
    }
    let known = connections::of_org(&mut conn, org).await?;
    let ids: Vec<Uuid> = links.iter().map(|l| l.id).collect();
    let receiver_errors = store::receiver_errors(&mut conn, &ids).await?;
    let links = links
        .into_iter()
        .filter_map(|link| {
            let connection = known.iter().find(|c| c.id == link.connection_id);
            entry(link, connection, org, &receiver_errors)
        })
        .collect();
    Ok(Json(SharingList {
        object,
        record_id,
        links,
    }))
}

/// Your record linked to a partner's record on a connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Translation {
    pub connection_id: Uuid,
    pub partner_object: String,
    pub partner_record_id: String,
    pub object: String,
    pub local_record_id: String,
    pub direction: Direction,
    pub status: Status,
}

/// Translate a partner's record id into your own: the record linked to it on the connection.
#[utoipa::path(
    get,
    path = "/v1/sharing/connections/{id}/partner-records/{object}/{partner_record_id}",
    tag = "record sharing",
    params(
        ("id" = Uuid, Path, description = "The connection's id"),
        ("object" = String, Path, description = "The partner's object API name"),
        ("partner_record_id" = String, Path, description = "The partner's record id"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, body = Translation),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours, or no record linked to that one", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the path parameter at fault", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "partner_record_translate"
)]
pub async fn translate(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((id, object, partner_record_id)): Path<(String, String, String)>,
) -> Result<Json<Translation>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    validate::text("object", &object, 255)?;
    validate::text("partner_record_id", &partner_record_id, 255)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    connections::party_to(&mut conn, org, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    let link = store::by_partner_record(&mut conn, org, id, &object, &partner_record_id)
        .await?
        .ok_or_else(|| ApiError::not_found("record linked to that partner record"))?;
    let (Some(direction), Some(status)) = (Direction::parse(&link.direction), link.status()) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "link {} is unreadable",
            link.id
        )));
    };
    Ok(Json(Translation {
        connection_id: id,
        partner_object: object,
        partner_record_id,
        object: link.object,
        local_record_id: link.local_record_id,
        direction,
        status,
    }))
}
