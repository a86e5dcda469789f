//! The sync service's HTTP routes: `/v1/records...`, `/v1/sync/ledger` (and its replay).

mod bulk;
pub(crate) mod ledger;
mod records;
pub(crate) mod replay;
mod touch;

use axum::Router;
use axum::routing::{get, post};
use shared::db::DbPool;
use shared::hlc::Clock;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub clock: Arc<Clock>,
    /// For replaying dead letters.
    pub amqp_url: String,
    pub topology: shared::amqp::Topology,
}

impl axum::extract::FromRef<AppState> for DbPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/records/{object}",
            post(records::create).get(records::list),
        )
        .route("/v1/records/{object}/bulk", post(bulk::bulk_upsert))
        .route("/v1/records/{object}/{id}/touch", post(touch::touch))
        .route("/v1/sync/ledger", get(ledger::list))
        .route("/v1/sync/ledger/replay", post(replay::replay))
        .route(
            "/v1/records/{object}/{id}",
            get(records::get_one)
                .patch(records::update)
                .put(records::upsert)
                .delete(records::delete),
        )
        .merge(crate::pages::router())
        .with_state(state)
}

/// The service's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        records::create,
        records::list,
        records::get_one,
        records::update,
        records::upsert,
        records::delete,
        touch::touch,
        bulk::bulk_upsert,
        ledger::list,
        replay::replay,
    ),
    components(schemas(
        records::RecordView,
        records::RecordPage,
        records::NewRecord,
        records::RecordChange,
        crate::store::bulk::BulkSummary,
        crate::store::bulk::BulkFailure,
        ledger::LedgerPage,
        crate::ledger::Entry,
        replay::ReplayRequest,
        replay::ReplayResult,
        shared::http::Problem,
    )),
    tags((name = "records", description = "Your org's records: the record store sync keeps"))
)]
pub struct ApiDoc;
