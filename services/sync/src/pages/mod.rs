//! The web pages the sync service serves: a connection's sync failures, replayed through the
//! API's own handlers with the signed-in user's principal ([`shared::web::WebUser::principal`]),
//! so they check the same permissions and show the API's own errors, in words.

mod known_connection;
mod outcome;
mod sync_failures;
mod sync_failures_replay;

use crate::routes::AppState;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use shared::http::ApiError;
use shared::web::{Back, WebUser, api_error_page};

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/connections/{id}/sync-failures",
        get(sync_failures::show).post(sync_failures_replay::replay),
    )
}

/// The page for an API error, with a way back to the connections.
fn error_page(err: &ApiError, user: &WebUser) -> Response {
    api_error_page(err, Some(user), Back::CONNECTIONS)
}
