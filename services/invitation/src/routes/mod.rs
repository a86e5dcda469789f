//! The invitation service's HTTP routes.

mod access;
mod actions;
mod claim;
mod edit;
mod effects;
mod export;
mod invite;
mod pages;
mod queue_edit;
mod queue_members;
mod queues;
mod read;
mod role_edit;
mod roles;
mod users;

use crate::Config;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, get, patch, post, put};
use shared::db::DbPool;
use shared::http::idempotency;
use shared::service::Platform;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(platform: &Platform, config: &Config) -> Self {
        Self {
            pool: platform.pool.clone(),
            config: Arc::new(config.clone()),
        }
    }
}

impl FromRef<AppState> for DbPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

pub fn router(state: AppState) -> Router {
    // Creating routes accept `Idempotency-Key`: a retried request creates nothing new.
    let idempotent = || idempotency::layer(state.pool.clone());
    Router::new()
        .route(
            "/v1/connections",
            post(invite::invite)
                .layer(idempotent())
                .get(read::list_connections),
        )
        .route(
            "/v1/connections/bulk",
            post(invite::bulk_invite).layer(idempotent()),
        )
        .route(
            "/v1/connections/{id}",
            get(read::get_connection).patch(edit::edit),
        )
        .route("/v1/connections/{id}/accept", post(actions::accept))
        .route("/v1/connections/{id}/decline", post(actions::decline))
        .route(
            "/v1/connections/{id}/decide-later",
            post(actions::decide_later),
        )
        .route("/v1/connections/{id}/resend", post(actions::resend))
        .route("/v1/connections/{id}/cancel", post(actions::cancel))
        .route("/v1/connections/{id}/deactivate", post(actions::deactivate))
        .route("/v1/connections/{id}/history", get(read::history))
        .route("/v1/connections/{id}/history.csv", get(export::history_csv))
        .route("/v1/invitations/claim", post(claim::claim))
        .route("/v1/users", post(users::create_user).get(users::list_users))
        .route("/v1/users/{id}", patch(users::update_user))
        .route("/v1/users/{id}/role", put(roles::set_user_role))
        .route("/v1/roles", post(roles::create_role).get(roles::list_roles))
        .route(
            "/v1/roles/{id}",
            put(role_edit::update_role).delete(role_edit::delete_role),
        )
        .route(
            "/v1/queues",
            post(queues::create_queue).get(queues::list_queues),
        )
        .route(
            "/v1/queues/{id}",
            put(queue_edit::update_queue).delete(queue_edit::delete_queue),
        )
        .route("/v1/api-keys", post(users::create_key))
        .route("/v1/api-keys/{id}", delete(users::revoke_key))
        // The web pages, where the links in emails land (HTML; not part of the API document).
        .merge(pages::router())
        .with_state(state)
}

/// The service's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        invite::invite,
        invite::bulk_invite,
        read::list_connections,
        read::get_connection,
        edit::edit,
        claim::claim,
        actions::accept,
        actions::decline,
        actions::decide_later,
        actions::resend,
        actions::cancel,
        actions::deactivate,
        read::history,
        export::history_csv,
        users::create_user,
        users::list_users,
        users::update_user,
        users::create_key,
        users::revoke_key,
        roles::create_role,
        roles::list_roles,
        roles::set_user_role,
        role_edit::update_role,
        role_edit::delete_role,
        queues::create_queue,
        queues::list_queues,
        queue_edit::update_queue,
        queue_edit::delete_queue,
    ),
    components(schemas(
        invite::InviteRequest,
        invite::BulkInviteRequest,
        invite::BulkInviteResponse,
        invite::BulkOutcome,
        claim::ClaimRequest,
        actions::AcceptRequest,
        edit::EditRequest,
        crate::org_users::UserView,
        users::NewUser,
        users::UserPatch,
        users::NewKey,
        users::ScopeName,
        users::CreatedKey,
        roles::NewRole,
        roles::RoleView,
        roles::UserRole,
        role_edit::RoleChange,
        queues::NewQueue,
        queues::QueueView,
        queue_edit::QueueChange,
        crate::connection::ConnectionView,
        crate::connection::Contact,
        crate::connection::Status,
        crate::history::EntryView,
        read::HistoryPage,
        shared::http::Problem,
    )),
    tags(
        (name = "connections", description = "Connections between organizations and their invitations"),
        (name = "org", description = "Your organization's users, API keys, roles and queues"),
    )
)]
pub struct ApiDoc;
