//! The invitation service's HTTP routes.

mod invite;
mod read;

use crate::Config;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use shared::db::DbPool;
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
    Router::new()
        .route("/v1/connections", post(invite::invite))
        .route("/v1/connections/{id}", get(read::get_connection))
        .route("/v1/connections/{id}/history", get(read::history))
        .with_state(state)
}

/// The service's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(invite::invite, read::get_connection, read::history),
    components(schemas(
        invite::InviteRequest,
        crate::connection::ConnectionView,
        crate::connection::Contact,
        crate::connection::Status,
        crate::history::EntryView,
        read::HistoryPage,
        shared::http::Problem,
    )),
    tags((name = "connections", description = "Connections between organizations and their invitations"))
)]
pub struct ApiDoc;
