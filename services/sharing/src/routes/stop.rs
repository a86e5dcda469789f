//! `POST /v1/sharing/records/{object}/{record_id}/stop` (`forward` scope): stop sharing a record
//! on a connection. The org's live links of the record there become `Inactive` with an end
//! date and the partner's side ends too (told by a message); both copies stay, each editable
//! by its org. Another org's record or connection is 404.

use super::AppState;
use crate::connections;
use crate::links::authority::Authority;
use crate::links::ending::{self, StopRefused};
use crate::links::status::Direction;
use crate::links::store;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::validate;
use uuid::Uuid;

/// Which connection to stop sharing the record on.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopRequest {
    #[schema(value_type = Uuid)]
    pub connection_id: String,
}

/// One link that ended.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndedLink {
    pub link_id: Uuid,
    pub direction: Direction,
    /// Always `Inactive`.
    pub status: crate::links::status::Status,
    pub end_date: DateTime<Utc>,
}

/// The links of the record that ended on the connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StopResponse {
    pub object: String,
    pub record_id: String,
    pub connection_id: Uuid,
    pub ended: Vec<EndedLink>,
}

/// Stop sharing a record on a connection: your link (pending or active, sent or received)
/// becomes `Inactive` with an end date, and so does the partner's; a forward still waiting in
/// the partner's inbox is withdrawn. Both records stay. Only the record's owner, a user above
/// the owner in the role hierarchy, or an admin may stop it (as for a forward).
#[utoipa::path(
    post,
    path = "/v1/sharing/records/{object}/{record_id}/stop",
    tag = "record sharing",
    params(
        ("object" = String, Path, description = "Your object's API name"),
        ("record_id" = String, Path, description = "Your record's id"),
    ),
    request_body = StopRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, body = StopResponse),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `forward`, or you may not stop sharing this record: you neither own it nor are above its owner in your role hierarchy nor an admin (a key: neither `admin` nor `manage_connections`)", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours, or the record was never shared on it", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record's links on the connection have ended already; `current_status` says how", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member or path parameter at fault", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "record_sharing_stop"
)]
pub async fn stop(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((object, record_id)): Path<(String, String)>,
    ValidJson(request): ValidJson<StopRequest>,
) -> Result<Json<StopResponse>, ApiError> {
    require_scope(&principal, Scope::Forward)?;
    validate::text("object", &object, 255)?;
    validate::text("record_id", &record_id, 255)?;
    let connection_id = validate::uuid("connection_id", &request.connection_id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let ended = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (connection, side) = connections::party_to(conn, org, connection_id, true)
                .await?
                .ok_or_else(|| ApiError::not_found("connection"))?;
            // The same rule as a forward's: the owner, a user above the owner, or an admin.
            let key = (object.clone(), record_id.clone());
            let owners = store::owners(conn, org, std::slice::from_ref(&key)).await?;
            let owner = owners.get(&key).map(String::as_str);
            if let Some(refusal) = Authority::new(&principal, 1).refusal(conn, owner).await? {
                return Err(ApiError::not_permitted(refusal.detail));
            }
            match ending::stop(conn, org, &connection, side, &object, &record_id).await? {
                Ok(ended) => Ok(ended),
                Err(StopRefused::NotLinked) => {
                    Err(ApiError::not_found("record shared on that connection"))
                }
                Err(StopRefused::Ended(status)) => Err(ApiError::conflict(
                    "the record is no longer shared on that connection",
                    status,
                )),
            }
        })
        .await?;
    let ended = ended
        .into_iter()
        .filter_map(|link| {
            Some(EndedLink {
                link_id: link.id,
                direction: Direction::parse(&link.direction)?,
                status: link.status()?,
                end_date: link.end_date?,
            })
        })
        .collect();
    Ok(Json(StopResponse {
        object,
        record_id,
        connection_id,
        ended,
    }))
}
