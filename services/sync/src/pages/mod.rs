//! The web pages the sync service serves: a connection's sync failures, replayed through the
//! API's own handlers with the signed-in user's principal ([`shared::web::WebUser::principal`]),
//! so they check the same permissions and show the API's own errors, in words.

mod known_connection;
mod outcome;
mod sync_failures;
mod sync_failures_replay;

use crate::routes::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use shared::http::ApiError;
use shared::web::notice::problem_text;
use shared::web::{Page, WebUser};

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/connections/{id}/sync-failures",
        get(sync_failures::show).post(sync_failures_replay::replay),
    )
}

/// The page for an API error: its status, its problem in words.
fn error_page(err: &ApiError, user: &WebUser) -> Response {
    let title = match err.status() {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        _ => "That did not work",
    };
    Page::new(title)
        .notice_error(&problem_text(err))
        .push("<p><a href=\"/connections\">Back to your connections</a></p>")
        .render(err.status(), Some(user))
}
