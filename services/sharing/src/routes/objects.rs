//! `/v1/objects`: the org's object schemas. Reading needs `read`; changing them `admin`.

use super::AppState;
use crate::objects::changes::{self, FieldChange, NewObject};
use crate::objects::store;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use diesel_async::AsyncConnection;
use serde::Serialize;
use shared::crm::{FieldDef, ObjectDef};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;

/// Every object of your org.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObjectList {
    pub items: Vec<ObjectDef>,
}

/// List your org's objects: the standard ones with your custom fields, and your custom objects.
#[utoipa::path(
    get,
    path = "/v1/objects",
    tag = "objects",
    security(("api_key" = [])),
    responses(
        (status = 200, body = ObjectList),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_list"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> Result<Json<ObjectList>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let items = store::all(&mut conn, principal.org_id).await?;
    Ok(Json(ObjectList { items }))
}

/// One object of your org, with all its fields.
#[utoipa::path(
    get,
    path = "/v1/objects/{api_name}",
    tag = "objects",
    params(("api_name" = String, Path, description = "The object's API name")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = ObjectDef),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_get"
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(api_name): Path<String>,
) -> Result<Json<ObjectDef>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let mut conn = state.pool.get().await?;
    store::one(&mut conn, principal.org_id, &api_name)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("object"))
}

/// Define a custom object (its API name ends in `__c`; it gets a `Name` text field).
#[utoipa::path(
    post,
    path = "/v1/objects",
    tag = "objects",
    request_body = NewObject,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Defined", body = ObjectDef),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks admin", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, or the name is taken", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_create"
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<NewObject>,
) -> Result<(StatusCode, Json<ObjectDef>), ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let object = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(changes::create_object(conn, org, &request).await?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(object)))
}

/// Delete a custom object: it is unpublished from every connection, and partners' subscriptions
/// to it end.
#[utoipa::path(
    delete,
    path = "/v1/objects/{api_name}",
    tag = "objects",
    params(("api_name" = String, Path, description = "The custom object's API name")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A standard object cannot be deleted", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_delete"
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(api_name): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        Ok(changes::delete_object(conn, org, &api_name).await?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a custom field (`X__c`) to a standard or custom object.
#[utoipa::path(
    post,
    path = "/v1/objects/{api_name}/fields",
    tag = "objects",
    params(("api_name" = String, Path, description = "The object's API name")),
    request_body = FieldDef,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Added; the whole object", body = ObjectDef),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_add_field"
)]
pub async fn add_field(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(api_name): Path<String>,
    ValidJson(field): ValidJson<FieldDef>,
) -> Result<(StatusCode, Json<ObjectDef>), ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let object = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(changes::add_field(conn, org, &api_name, &field).await?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(object)))
}

/// Change a custom field's label, required flag, range, length or picklist values.
#[utoipa::path(
    patch,
    path = "/v1/objects/{api_name}/fields/{field}",
    tag = "objects",
    params(
        ("api_name" = String, Path, description = "The object's API name"),
        ("field" = String, Path, description = "The custom field's API name"),
    ),
    request_body = FieldChange,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Changed; the whole object", body = ObjectDef),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A standard field cannot be changed", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_change_field"
)]
pub async fn change_field(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((api_name, field)): Path<(String, String)>,
    ValidJson(change): ValidJson<FieldChange>,
) -> Result<Json<ObjectDef>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let object = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(changes::change_field(conn, org, &api_name, &field, &change).await?)
        })
        .await?;
    Ok(Json(object))
}

/// Delete a custom field; it stops being published on every connection.
#[utoipa::path(
    delete,
    path = "/v1/objects/{api_name}/fields/{field}",
    tag = "objects",
    params(
        ("api_name" = String, Path, description = "The object's API name"),
        ("field" = String, Path, description = "The custom field's API name"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Deleted; the whole object", body = ObjectDef),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A standard field cannot be deleted", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "objects_delete_field"
)]
pub async fn delete_field(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((api_name, field)): Path<(String, String)>,
) -> Result<Json<ObjectDef>, ApiError> {
    require_scope(&principal, Scope::Admin)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let object = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(changes::delete_field(conn, org, &api_name, &field).await?)
        })
        .await?;
    Ok(Json(object))
}
