//! An org's own users and API keys (the org-admin routes, which need the `admin` scope). They
//! write the runtime's `identity` tables, which every service reads to authenticate requests.
//! A key never grants a scope it does not hold itself.

use super::AppState;
use crate::org_users::{self, USER_COLUMNS, UserView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::{self, Principal, Scope, api_keys, users};
use shared::validate;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[schema(format = "email")]
    pub email: String,
    /// What the user may do on the web pages: scopes the calling key holds itself. Default:
    /// every scope the key holds but `admin`.
    #[schema(value_type = Option<Vec<ScopeName>>)]
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Deactivated users can no longer own connections.
    pub active: bool,
}

/// Add a user to your org (needs `admin`).
#[utoipa::path(post, path = "/v1/users", tag = "org", request_body = NewUser, security(("api_key" = [])),
    responses(
        (status = 201, body = UserView),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<NewUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let name = validate::text("name", &request.name, 200)?;
    let email = validate::email("email", &request.email)?;
    let scopes = match &request.scopes {
        Some(names) => grantable_scopes(&principal, names)?,
        None => principal
            .scopes
            .iter()
            .copied()
            .filter(|s| *s != Scope::Admin)
            .collect(),
    };
    let mut conn = state.pool.get().await?;
    let user = org_users::create(&mut conn, principal.org_id, &name, &email, &scopes).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Your org's users.
#[utoipa::path(get, path = "/v1/users", tag = "org", security(("api_key" = [])),
    responses((status = 200, body = Vec<UserView>)))]
pub async fn list_users(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<Vec<UserView>>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let found = users::table
        .filter(users::org_id.eq(principal.org_id.as_uuid()))
        .order(users::created_at)
        .select(USER_COLUMNS)
        .load(&mut conn)
        .await?;
    Ok(Json(found))
}

/// Activate or deactivate a user of your org (needs `admin`).
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "org", request_body = UserPatch,
    params(("id" = Uuid, Path, description = "The user's id")), security(("api_key" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Connection User cannot be deactivated", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let mut conn = state.pool.get().await?;
    let mine = users::table
        .filter(users::id.eq(id))
        .filter(users::org_id.eq(principal.org_id.as_uuid()));
    let is_connection_user: bool = mine
        .select(users::is_connection_user)
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if is_connection_user && !request.active {
        return Err(ApiError::invalid_field(
            "active",
            "the Connection User cannot be deactivated",
        ));
    }
    let user = diesel::update(mine)
        .set(users::active.eq(request.active))
        .returning(USER_COLUMNS)
        .get_result(&mut conn)
        .await?;
    Ok(Json(user))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    /// Any of `manage_connections`, `forward`, `accept`, `read`, `admin`; only scopes the
    /// calling key holds itself.
    #[schema(value_type = Vec<ScopeName>, min_items = 1)]
    pub scopes: Vec<String>,
}

/// A scope an API key may hold (documentation of `NewKey::scopes`; the handler checks the names).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ScopeName {
    ManageConnections,
    Forward,
    Accept,
    Read,
    Admin,
    WriteRecords,
}

/// A new API key: `key` is shown this once; only its hash is kept.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub key: String,
}

/// Create an API key for your org (needs `admin`; grants only scopes the calling key holds).
#[utoipa::path(post, path = "/v1/api-keys", tag = "org", request_body = NewKey, security(("api_key" = [])),
    responses(
        (status = 201, body = CreatedKey),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_key(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let name = validate::text("name", &request.name, 200)?;
    if request.scopes.is_empty() {
        return Err(ApiError::invalid_field(
            "scopes",
            "must name at least one scope",
        ));
    }
    let scopes = grantable_scopes(&principal, &request.scopes)?;
    let mut conn = state.pool.get().await?;
    let key = identity::create_key(&mut conn, principal.org_id, &name, &scopes)
        .await
        .map_err(ApiError::internal)?;
    let id: Uuid = api_keys::table
        .filter(api_keys::key_hash.eq(identity::hash_key(&key)))
        .select(api_keys::id)
        .first(&mut conn)
        .await?;
    let scopes = scopes.iter().map(|s| s.as_str().to_string()).collect();
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id,
            name,
            scopes,
            key,
        }),
    ))
}

/// Revoke an API key of your org (needs `admin`); it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "org",
    params(("id" = Uuid, Path, description = "The key's id")), security(("api_key" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key of yours, or already revoked", body = shared::http::Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let id = validate::uuid("id", &id)?;
    let mut conn = state.pool.get().await?;
    let revoked = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::org_id.eq(principal.org_id.as_uuid()))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Utc::now()))
    .execute(&mut conn)
    .await?;
    if revoked == 1 {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("API key"))
    }
}

/// The scopes `names` names, each one the calling principal holds (it cannot grant more).
fn grantable_scopes(principal: &Principal, names: &[String]) -> Result<Vec<Scope>, ApiError> {
    let mut scopes = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let scope = Scope::parse(raw).ok_or_else(|| {
            ApiError::invalid_field(
                format!("scopes[{i}]"),
                format!("must be one of {}", Scope::names()),
            )
        })?;
        if !principal.has(scope) {
            return Err(ApiError::invalid_field(
                format!("scopes[{i}]"),
                "your key does not hold this scope, so it cannot grant it",
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Ok(scopes)
}
