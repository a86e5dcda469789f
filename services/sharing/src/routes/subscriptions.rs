//! `/v1/connections/{id}/subscriptions`: what your org subscribes to of the partner's
//! publications, and how each object and field is mapped to yours. Reading needs `read`,
//! changing `manage_connections`. Only a party to the connection sees it (anyone else gets
//! 404); subscriptions change only once the connection is accepted.

use super::AppState;
use crate::connections::{self, Connection, Side};
use crate::objects::store as objects;
use crate::subscriptions::announce::announce;
use crate::subscriptions::rules::{self, Objects, SubscribeRequest};
use crate::subscriptions::store::{self, Key};
use crate::subscriptions::view::{self, AvailableObject, SubscriptionView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::ids::OrgId;
use shared::validate::{self, Invalid};
use uuid::Uuid;

/// Your subscriptions on a connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionsPage {
    pub connection_id: Uuid,
    pub subscriptions: Vec<SubscriptionView>,
}

/// What the partner publishes to you on a connection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AvailablePage {
    pub connection_id: Uuid,
    pub objects: Vec<AvailableObject>,
}

/// The connection if `org` is a party to it, else 404.
async fn party(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
    lock: bool,
) -> Result<(Connection, Side), ApiError> {
    connections::party_to(conn, org, id, lock)
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))
}

/// 409 unless the connection is accepted: before that there is no partner to subscribe to.
fn accepted(connection: &Connection) -> Result<(), ApiError> {
    if connection.status == "accepted" {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "subscriptions exist only on accepted connections",
            connection.status.clone(),
        ))
    }
}

fn key(connection: &Connection, org: OrgId) -> Key {
    Key {
        connection_id: connection.id,
        org_id: org.as_uuid(),
    }
}

/// Your subscriptions: each with its target object, auto-accept, and each published field's
/// mapping, picklist value map and problem.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}/subscriptions",
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "The connection's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = SubscriptionsPage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection, or not one of yours", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "subscriptions_list"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionsPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let (connection, side) = party(&mut conn, org, id, false).await?;
    let offered = view::offered(&mut conn, &connection, side).await?;
    let subscriptions = store::all(&mut conn, key(&connection, org))
        .await?
        .iter()
        .map(|(object, s)| view::describe(object, s, offered.get(object)))
        .collect();
    Ok(Json(SubscriptionsPage {
        connection_id: id,
        subscriptions,
    }))
}

/// What the partner publishes to you: each object with its published fields and types, and
/// which of your objects (and, per field, which of their fields) it could be mapped to.
#[utoipa::path(
    get,
    path = "/v1/connections/{id}/subscriptions/available",
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "The connection's id")),
    security(("api_key" = [])),
    responses(
        (status = 200, body = AvailablePage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not accepted", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "subscriptions_available"
)]
pub async fn available(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> Result<Json<AvailablePage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let (connection, side) = party(&mut conn, org, id, false).await?;
    accepted(&connection)?;
    let offered = view::offered(&mut conn, &connection, side).await?;
    let mine = objects::all(&mut conn, org).await?;
    let subscribed = store::all(&mut conn, key(&connection, org)).await?;
    Ok(Json(AvailablePage {
        connection_id: id,
        objects: view::available(&offered, &mine, &subscribed),
    }))
}

/// Subscribe to an object the partner publishes to you, or change the subscription: target
/// object, auto-accept, field mappings (one to one, compatible types), picklist value maps,
/// auto-map of the undecided fields.
#[utoipa::path(
    put,
    path = "/v1/connections/{id}/subscriptions/{object}",
    tag = "subscriptions",
    params(
        ("id" = Uuid, Path, description = "The connection's id"),
        ("object" = String, Path, description = "The partner's published object (API name)"),
    ),
    request_body = SubscribeRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Changed", body = SubscriptionView),
        (status = 201, description = "Subscribed", body = SubscriptionView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection, or the partner does not publish the object to you", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not accepted", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A mapping rule is broken; `field` names it (`target_object`, `auto_accept`, `fields.Phone`, `picklist_values.Industry.Tech`)", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "subscriptions_put"
)]
pub async fn put(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((id, object)): Path<(String, String)>,
    ValidJson(request): ValidJson<SubscribeRequest>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    for (field, size) in [
        ("fields", request.fields.as_ref().map_or(0, |f| f.len())),
        (
            "picklist_values",
            request.picklist_values.as_ref().map_or(0, |p| p.len()),
        ),
    ] {
        if size > rules::MAX_ENTRIES {
            return Err(Invalid::new(
                field,
                format!("holds more than {} entries", rules::MAX_ENTRIES),
            )
            .into());
        }
    }
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        // The connection's row lock orders this after (or before) a partner's publication
        // change, which may end or mark this subscription.
        let (connection, side) = party(conn, org, id, true).await?;
        accepted(&connection)?;
        let offered = view::offered(conn, &connection, side).await?;
        let offer = offered.get(&object).ok_or_else(|| {
            ApiError::not_found(&format!("publication of {object} to your organization"))
        })?;
        let key = key(&connection, org);
        let stored = store::one(conn, key, &object).await?;
        let target_name = rules::target_name(&offer.object, stored.as_ref(), &request)?;
        let target = objects::one(conn, org, &target_name)
            .await?
            .ok_or_else(|| {
                Invalid::new(
                    "target_object",
                    format!("your organization has no object {target_name}"),
                )
            })?;
        let objects = Objects {
            published: &offer.object,
            published_fields: &offer.fields,
            target: &target,
        };
        let subscription = rules::apply(&objects, stored.as_ref(), &request)?;
        let created = store::save(conn, key, &object, &subscription).await?;
        let publisher = connection
            .partner_of(side)
            .ok_or_else(|| ApiError::not_found("connection"))?;
        announce(conn, key, publisher, &object, None).await?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            Json(view::describe(&object, &subscription, Some(offer))),
        ))
    })
    .await
}

/// Unsubscribe from an object: its records stop arriving; its mappings are forgotten.
#[utoipa::path(
    delete,
    path = "/v1/connections/{id}/subscriptions/{object}",
    tag = "subscriptions",
    params(
        ("id" = Uuid, Path, description = "The connection's id"),
        ("object" = String, Path, description = "The partner's published object (API name)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Unsubscribed"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection, or not subscribed to the object", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not accepted", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "subscriptions_delete"
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((id, object)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let (connection, side) = party(conn, org, id, true).await?;
        accepted(&connection)?;
        let key = key(&connection, org);
        if store::remove(conn, key, &object).await? {
            if let Some(publisher) = connection.partner_of(side) {
                announce(conn, key, publisher, &object, None).await?;
            }
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::not_found(&format!("subscription to {object}")))
        }
    })
    .await
}

/// The subscription routes (merged into the service's router).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/v1/connections/{id}/subscriptions", get(list))
        .route(
            "/v1/connections/{id}/subscriptions/available",
            get(available),
        )
        .route(
            "/v1/connections/{id}/subscriptions/{object}",
            axum::routing::put(put).delete(delete),
        )
}

/// The subscription routes' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, available, put, delete),
    components(schemas(
        SubscriptionsPage,
        AvailablePage,
        SubscriptionView,
        AvailableObject,
        SubscribeRequest,
        crate::subscriptions::view::FieldMappingView,
        crate::subscriptions::view::TargetOption,
    )),
    tags((name = "subscriptions", description = "What your organization takes of its partner's publications, and how it is mapped to your objects"))
)]
pub struct ApiDoc;
