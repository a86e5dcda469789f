//! The org's role hierarchy (`admin` to change it, `read` to list it): roles with a parent
//! role, and each user's role. A user above a record's owner may forward it and stop sharing it
//! (sharing's `links::authority`). `role_edit` renames, moves and deletes roles; a move that
//! would make the hierarchy loop is refused.

use super::AppState;
use crate::org_users::{USER_COLUMNS, UserView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::{Scope, users};
use shared::roles::roles;
use shared::validate;
use uuid::Uuid;

/// A new role, under `parent_id` (none: a top role).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// Unique in your org.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// A role of your org this one reports to.
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<String>,
}

/// A role of the org.
#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct RoleView {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub(super) const ROLE_COLUMNS: (roles::id, roles::name, roles::parent_id, roles::created_at) =
    (roles::id, roles::name, roles::parent_id, roles::created_at);

/// A user's role (`null`: none).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRole {
    #[schema(value_type = Option<Uuid>)]
    pub role_id: Option<String>,
}

/// Add a role to your org's hierarchy (needs `admin`).
#[utoipa::path(post, path = "/v1/roles", tag = "org", request_body = NewRole, security(("api_key" = [])),
    responses(
        (status = 201, body = RoleView),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault: a name in use, a parent not of your org", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<NewRole>,
) -> Result<(StatusCode, Json<RoleView>), ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let name = validate::text("name", &request.name, 200)?;
    let org = principal.org_id.as_uuid();
    let parent = request
        .parent_id
        .as_deref()
        .map(|id| validate::uuid("parent_id", id))
        .transpose()?;
    let mut conn = state.pool.get().await?;
    if let Some(parent) = parent {
        require_role_of(&mut conn, org, parent, "parent_id").await?;
    }
    let created: Option<RoleView> = diesel::insert_into(roles::table)
        .values((
            roles::id.eq(Uuid::now_v7()),
            roles::org_id.eq(org),
            roles::name.eq(&name),
            roles::parent_id.eq(parent),
        ))
        .on_conflict_do_nothing()
        .returning(ROLE_COLUMNS)
        .get_result(&mut conn)
        .await
        .optional()?;
    let created = created
        .ok_or_else(|| ApiError::invalid_field("name", "your org has a role of that name"))?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Your org's roles, oldest first.
#[utoipa::path(get, path = "/v1/roles", tag = "org", security(("api_key" = [])),
    responses(
        (status = 200, body = Vec<RoleView>),
        (status = 403, description = "The key lacks read", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_roles(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<RoleView>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let found = roles::table
        .filter(roles::org_id.eq(principal.org_id.as_uuid()))
        .order((roles::created_at, roles::id))
        .select(ROLE_COLUMNS)
        .load(&mut conn)
        .await?;
    Ok(Json(found))
}

/// Set (or clear, with `null`) a user's role (needs `admin`).
#[utoipa::path(put, path = "/v1/users/{id}/role", tag = "org", request_body = UserRole,
    params(("id" = Uuid, Path, description = "The user's id")), security(("api_key" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user of yours", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`role_id`: no such role in your org", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_user_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<UserRole>,
) -> Result<Json<UserView>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let role = request
        .role_id
        .as_deref()
        .map(|r| validate::uuid("role_id", r))
        .transpose()?;
    let org = principal.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    if let Some(role) = role {
        require_role_of(&mut conn, org, role, "role_id").await?;
    }
    let user: Option<UserView> = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::org_id.eq(org)),
    )
    .set(users::role_id.eq(role))
    .returning(USER_COLUMNS)
    .get_result(&mut conn)
    .await
    .optional()?;
    user.map(Json).ok_or_else(|| ApiError::not_found("user"))
}

/// Refuses, naming `field`, a role id that is not one of the org's roles.
pub(super) async fn require_role_of(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    role: Uuid,
    field: &str,
) -> Result<(), ApiError> {
    let found: i64 = roles::table
        .filter(roles::id.eq(role))
        .filter(roles::org_id.eq(org))
        .count()
        .get_result(conn)
        .await?;
    if found == 0 {
        return Err(ApiError::invalid_field(field, "no such role in your org"));
    }
    Ok(())
}
