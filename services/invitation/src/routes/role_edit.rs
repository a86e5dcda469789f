//! Renaming, moving and deleting a role of the org (`admin`). A role moves under another role
//! of the org, or to the top; never under itself or one of its descendants, so the hierarchy
//! never loops. Moves in one org are made one at a time (each locks the org's roles), so two
//! moves at once cannot make a loop together. A role held by users or parent of roles is not
//! deleted.

use super::AppState;
use super::roles::{ROLE_COLUMNS, RoleView, require_role_of};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::{Scope, users};
use shared::roles::roles;
use shared::validate;
use uuid::Uuid;

/// A role's new name and place: `parent_id` (`null`: a top role) replaces its parent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// Unique in your org.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// A role of your org this one reports to from now on, neither this role nor one below it;
    /// `null`: a top role. Required, so a rename never moves a role by leaving it out.
    #[schema(value_type = Option<Uuid>, required = true)]
    #[serde(deserialize_with = "Option::deserialize")]
    pub parent_id: Option<String>,
}

/// Rename a role and move it in your org's hierarchy (needs `admin`).
#[utoipa::path(put, path = "/v1/roles/{id}", tag = "org", request_body = RoleChange,
    params(("id" = Uuid, Path, description = "The role's id")), security(("api_key" = [])),
    responses(
        (status = 200, body = RoleView),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such role of yours", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault: a name in use, a parent not of your org, or a parent that would make a cycle (the role itself or one below it)", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<RoleChange>,
) -> Result<Json<RoleView>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let name = validate::text("name", &request.name, 200)?;
    let parent = request
        .parent_id
        .as_deref()
        .map(|p| validate::uuid("parent_id", p))
        .transpose()?;
    let org = principal.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    let changed = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let locked: Vec<Uuid> = roles::table
                .filter(roles::org_id.eq(org))
                .order(roles::id)
                .select(roles::id)
                .for_update()
                .load(conn)
                .await?;
            if !locked.contains(&id) {
                return Err(ApiError::not_found("role"));
            }
            if let Some(parent) = parent {
                require_role_of(conn, org, parent, "parent_id").await?;
                if is_at_or_below(conn, parent, id).await? {
                    return Err(ApiError::invalid_field(
                        "parent_id",
                        "would make a cycle: the parent is this role or a role below it",
                    ));
                }
            }
            diesel::update(roles::table.find(id))
                .set((roles::name.eq(&name), roles::parent_id.eq(parent)))
                .returning(ROLE_COLUMNS)
                .get_result(conn)
                .await
                .map_err(|err| match err {
                    DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                        ApiError::invalid_field("name", "your org has a role of that name")
                    }
                    other => other.into(),
                })
        })
        .await?;
    Ok(Json(changed))
}

/// Delete a role of your org (needs `admin`): refused while users hold it or roles report to it.
#[utoipa::path(delete, path = "/v1/roles/{id}", tag = "org",
    params(("id" = Uuid, Path, description = "The role's id")), security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such role of yours", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Still in use (`current_status`: `held_by_users` or `parent_of_roles`): give the users another role, move the roles below it, then delete it", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_role(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let found: Option<Uuid> = roles::table
            .filter(roles::id.eq(id))
            .filter(roles::org_id.eq(org))
            .select(roles::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if found.is_none() {
            return Err(ApiError::not_found("role"));
        }
        let holders: i64 = users::table
            .filter(users::role_id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if holders > 0 {
            return Err(ApiError::conflict(
                format!("{holders} user(s) hold this role; give them another role first"),
                "held_by_users",
            ));
        }
        let children: i64 = roles::table
            .filter(roles::parent_id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        if children > 0 {
            return Err(ApiError::conflict(
                format!("{children} role(s) report to this role; move them first"),
                "parent_of_roles",
            ));
        }
        diesel::delete(roles::table.find(id)).execute(conn).await?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Bool)]
    found: bool,
}

/// Whether `role` is `candidate` or one of its ancestors, i.e. `candidate` is `role` or below
/// it: moving `role` under `candidate` would make a cycle.
async fn is_at_or_below(
    conn: &mut AsyncPgConnection,
    candidate: Uuid,
    role: Uuid,
) -> QueryResult<bool> {
    let found: Found = diesel::sql_query(
        "WITH RECURSIVE up (id) AS ( \
             SELECT $1::uuid \
             UNION \
             SELECT r.parent_id FROM identity.roles r JOIN up ON r.id = up.id \
             WHERE r.parent_id IS NOT NULL \
         ) \
         SELECT EXISTS (SELECT 1 FROM up WHERE id = $2) AS found",
    )
    .bind::<SqlUuid, _>(candidate)
    .bind::<SqlUuid, _>(role)
    .get_result(conn)
    .await?;
    Ok(found.found)
}
