//! The record pages the sharing service serves: the inbox of records partners forwarded
//! (`/records/inbox`) and a record's page (`/records/{object}/{record_id}`: its External
//! Sharing list, forwarding with a dry run first, stopping the sharing). Every action calls
//! the API's own handler with the signed-in user's principal, so it checks the same
//! permissions and shows the API's own errors, in words.

mod forward;
mod inbox;
mod record;
mod render;
mod stop;

use crate::routes::AppState;
use axum::Router;
use axum::routing::get;

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records/inbox", get(inbox::show).post(inbox::answer))
        .route("/records/{object}/{record_id}", get(record::show))
        .route(
            "/records/{object}/{record_id}/forward",
            axum::routing::post(forward::forward),
        )
        .route(
            "/records/{object}/{record_id}/stop",
            get(stop::confirm).post(stop::stop),
        )
}
