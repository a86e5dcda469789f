//! Changing and deleting a queue of the org (`admin`). A rename and a new set of members keep
//! the queue's id, so the records it owns stay its own and its members from then on share them
//! (sharing reads the members at request time). A queue that owns records is not deleted.

use super::AppState;
use super::queue_members;
use super::queues::QueueView;
use crate::queue_owned_records;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::roles::queues;
use shared::validate;
use uuid::Uuid;

/// A queue's new name and its members, which replace the current ones.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueChange {
    /// Unique in your org.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// All the members from now on: active users of your org (not the Connection User), at
    /// most 200; `[]` leaves the queue empty.
    #[schema(value_type = Vec<Uuid>, max_items = 200)]
    pub member_ids: Vec<String>,
}

/// Rename a queue and replace its members (needs `admin`). The records it owns stay its own.
#[utoipa::path(put, path = "/v1/queues/{id}", tag = "org", request_body = QueueChange,
    params(("id" = Uuid, Path, description = "The queue's id")), security(("api_key" = [])),
    responses(
        (status = 200, body = QueueView),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such queue of yours", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault: a name in use, a member not an active user of your org", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_queue(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<QueueChange>,
) -> Result<Json<QueueView>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let name = validate::text("name", &request.name, 200)?;
    let org = principal.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let created_at = lock_queue(conn, org, id).await?;
            let members = queue_members::checked(conn, org, &request.member_ids).await?;
            diesel::update(queues::table.find(id))
                .set(queues::name.eq(&name))
                .execute(conn)
                .await
                .map_err(|err| match err {
                    DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                        ApiError::invalid_field("name", "your org has a queue of that name")
                    }
                    other => other.into(),
                })?;
            queue_members::replace(conn, id, &members).await?;
            Ok(QueueView {
                id,
                name,
                member_ids: members,
                created_at,
            })
        })
        .await?;
    Ok(Json(view))
}

/// Delete a queue of your org (needs `admin`): refused while it owns records.
#[utoipa::path(delete, path = "/v1/queues/{id}", tag = "org",
    params(("id" = Uuid, Path, description = "The queue's id")), security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted, with its members"),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such queue of yours", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The queue owns records (`current_status`: `owns_records`): give them another owner first", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_queue(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        lock_queue(conn, org, id).await?;
        let owned = queue_owned_records::count(conn, org, id).await?;
        if owned > 0 {
            return Err(ApiError::conflict(
                format!(
                    "the queue owns {owned} record(s); give them another owner (their OwnerId) \
                     before deleting it"
                ),
                "owns_records",
            ));
        }
        diesel::delete(queues::table.find(id)).execute(conn).await?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Locks the queue `id` of `org` for this transaction (404 when the org has no such queue)
/// and returns when it was made.
async fn lock_queue(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> Result<DateTime<Utc>, ApiError> {
    queues::table
        .filter(queues::id.eq(id))
        .filter(queues::org_id.eq(org))
        .select(queues::created_at)
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("queue"))
}
