//! The web pages the invitation service serves: sign-in by emailed link, the invitation link,
//! and the Connections tab. Every page action calls the API's own handler with the signed-in
//! user's principal ([`shared::web::WebUser::principal`]), so it checks the same permissions
//! and shows the API's own errors, in words.

mod connection_actions;
mod connection_detail;
mod connection_edit;
mod connection_new;
mod connections_list;
mod invitation;
mod render;
mod sign_in;

use super::AppState;
use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/connections") }))
        .route("/assets/app.css", get(shared::web::assets::stylesheet))
        .route("/sign-in", get(sign_in::form).post(sign_in::request))
        .route("/sign-in/link", get(sign_in::link).post(sign_in::redeem))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/invitations/accept", get(invitation::show))
        .route("/invitations/answer", post(invitation::answer))
        .route("/connections", get(connections_list::list))
        .route(
            "/connections/new",
            get(connection_new::form).post(connection_new::invite),
        )
        .route("/connections/{id}", get(connection_detail::show))
        .route(
            "/connections/{id}/edit",
            get(connection_edit::form).post(connection_edit::save),
        )
        .route(
            "/connections/{id}/history.csv",
            get(connection_detail::history_csv),
        )
        .route(
            "/connections/{id}/{action}",
            get(connection_actions::confirm).post(connection_actions::act),
        )
}
