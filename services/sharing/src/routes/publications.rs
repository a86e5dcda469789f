//! `/v1/connections/{id}/publications`: what each side publishes to a connection. Reading
//! needs `read`; changing `manage_connections`. Only a party to the connection sees it (the
//! invitee once it accepted); anyone else gets 404.

use super::AppState;
use crate::connections;
use crate::objects::store;
use crate::publications::change::{Edit, PublicationChange, change_published};
use crate::publications::resolve::{ObjectToPublish, fields_of, object_named, published_set};
use crate::publications::view::{PublicationsView, view};
use crate::templates::apply::{TemplateApplication, last};
use axum::Json;
use axum::extract::{Path, State};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::ids::OrgId;
use shared::validate;
use uuid::Uuid;

/// Both sides' publications, and the last template your org applied to the connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicationsPage {
    #[serde(flatten)]
    pub publications: PublicationsView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateApplication>,
}

/// The fields to publish of one object.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishObject {
    /// Omitted: the object's default published fields.
    pub fields: Option<Vec<String>>,
}

/// The whole published set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishAll {
    pub objects: Vec<ObjectToPublish>,
}

/// What a change did, and the publications after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicationResult {
    pub change: PublicationChange,
    #[serde(flatten)]
    pub publications: PublicationsView,
}

async fn page(state: &AppState, org: OrgId, id: Uuid) -> Result<PublicationsPage, ApiError> {
    let mut conn = state.pool.get().await?;
    let (connection, side) = connections::party_to(&mut conn, org, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    Ok(PublicationsPage {
        publications: view(&mut conn, &connection, side, org).await?,
        template: last(&mut conn, org, id).await?,
    })
}

async fn result(
    state: &AppState,
    org: OrgId,
    id: Uuid,
    change: PublicationChange,
) -> Result<Json<PublicationResult>, ApiError> {
    let page = page(state, org, id).await?;
    Ok(Json(PublicationResult {
        change,
        publications: page.publications,
    }))
}

/// What your org publishes to the connection and what the partner publishes to you.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}/publications",
    tag = "publications",
    params(("id" = Uuid, Path, description = "The connection's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = PublicationsPage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection, or not one of yours", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "publications_list"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<Json<PublicationsPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    Ok(Json(page(&state, principal.org_id, id).await?))
}

/// Publish one object with its fields (or its default fields); the partner is told.
#[utoipa::path(
    put,
    path = "/v1/connections/{id}/publications/{object}",
    tag = "publications",
    params(
        ("id" = Uuid, Path, description = "The connection's id"),
        ("object" = String, Path, description = "The object's API name"),
    ),
    request_body = PublishObject,
    security(("api_key" = [])),
    responses(
        (status = 200, body = PublicationResult),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not invited or accepted", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an object of yours, a field it lacks, or a field that cannot be published", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "publications_put_one"
)]
pub async fn put_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((id, object)): Path<(String, String)>,
    ValidJson(request): ValidJson<PublishObject>,
) -> Result<Json<PublicationResult>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let change = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let objects = store::all(conn, org).await?;
            let def = object_named("", &objects, &object)?;
            let fields = fields_of("", def, request.fields.as_deref())?;
            let edit = Edit::Put(def.api_name.clone(), fields);
            Ok(change_published(conn, org, id, edit, None).await?)
        })
        .await?;
    result(&state, org, id, change).await
}

/// Make your published set exactly this one (what is missing is published, what is extra
/// unpublished); the partner is told of the difference.
#[utoipa::path(
    put,
    path = "/v1/connections/{id}/publications",
    tag = "publications",
    params(("id" = Uuid, Path, description = "The connection's id")),
    request_body = PublishAll,
    security(("api_key" = [])),
    responses(
        (status = 200, body = PublicationResult),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "publications_put_all"
)]
pub async fn put_all(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<PublishAll>,
) -> Result<Json<PublicationResult>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let change = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let objects = store::all(conn, org).await?;
            let set = published_set("objects", &objects, &request.objects)?;
            Ok(change_published(conn, org, id, Edit::Exactly(set), None).await?)
        })
        .await?;
    result(&state, org, id, change).await
}

/// Stop publishing an object; the partner's subscription to it ends and the partner is told.
#[utoipa::path(
    delete,
    path = "/v1/connections/{id}/publications/{object}",
    tag = "publications",
    params(
        ("id" = Uuid, Path, description = "The connection's id"),
        ("object" = String, Path, description = "The object's API name"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, body = PublicationResult),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection, or the object is not published", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "publications_delete_one"
)]
pub async fn delete_one(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((id, object)): Path<(String, String)>,
) -> Result<Json<PublicationResult>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let change = conn
        .transaction::<_, ApiError, _>(async |conn| {
            Ok(change_published(conn, org, id, Edit::Remove(object.clone()), None).await?)
        })
        .await?;
    result(&state, org, id, change).await
}
