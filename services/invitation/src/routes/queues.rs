//! The org's queues of users (`admin` to create one, `read` to list them; `queue_edit` changes
//! and deletes them). An accepted copy may be assigned to a queue (`assign_to_queue`): the
//! queue's id is then the copy's owner.

use super::AppState;
use super::queue_members;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::roles::queues;
use shared::validate;
use std::collections::HashMap;
use uuid::Uuid;

/// A new queue and its members.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQueue {
    /// Unique in your org.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// Active users of your org (not the Connection User), at most 200.
    #[schema(value_type = Vec<Uuid>, max_items = 200)]
    #[serde(default)]
    pub member_ids: Vec<String>,
}

/// A queue of the org.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueView {
    pub id: Uuid,
    pub name: String,
    pub member_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Create a queue of users (needs `admin`).
#[utoipa::path(post, path = "/v1/queues", tag = "org", request_body = NewQueue, security(("api_key" = [])),
    responses(
        (status = 201, body = QueueView),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault: a name in use, a member not an active user of your org", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_queue(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<NewQueue>,
) -> Result<(StatusCode, Json<QueueView>), ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let name = validate::text("name", &request.name, 200)?;
    let org = principal.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    let members = queue_members::checked(&mut conn, org, &request.member_ids).await?;
    let id = Uuid::now_v7();
    let created = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let created: Option<DateTime<Utc>> = diesel::insert_into(queues::table)
                .values((
                    queues::id.eq(id),
                    queues::org_id.eq(org),
                    queues::name.eq(&name),
                ))
                .on_conflict_do_nothing()
                .returning(queues::created_at)
                .get_result(conn)
                .await
                .optional()?;
            let created = created.ok_or_else(|| {
                ApiError::invalid_field("name", "your org has a queue of that name")
            })?;
            queue_members::insert(conn, id, &members).await?;
            Ok(created)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(QueueView {
            id,
            name,
            member_ids: members,
            created_at: created,
        }),
    ))
}

/// Your org's queues with their members, oldest first.
#[utoipa::path(get, path = "/v1/queues", tag = "org", security(("api_key" = [])),
    responses(
        (status = 200, body = Vec<QueueView>),
        (status = 403, description = "The key lacks read", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_queues(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<QueueView>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let found: Vec<(Uuid, String, DateTime<Utc>)> = queues::table
        .filter(queues::org_id.eq(principal.org_id.as_uuid()))
        .order((queues::created_at, queues::id))
        .select((queues::id, queues::name, queues::created_at))
        .load(&mut conn)
        .await?;
    let ids: Vec<Uuid> = found.iter().map(|(id, _, _)| *id).collect();
    let rows = queue_members::of(&mut conn, &ids).await?;
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (queue, user) in rows {
        members.entry(queue).or_default().push(user);
    }
    Ok(Json(
        found
            .into_iter()
            .map(|(id, name, created_at)| QueueView {
                member_ids: members.remove(&id).unwrap_or_default(),
                id,
                name,
                created_at,
            })
            .collect(),
    ))
}
