//! The web pages of a connection's configuration: what this org publishes on a connection
//! (`/connections/{id}/publications`), what it subscribes to of the partner's publications and
//! how it is mapped (`/connections/{id}/subscriptions`), and connection templates
//! (`/connection-templates`). Every action calls the API's own handler with the signed-in
//! user's principal, so it checks the same permissions and shows the API's own errors.

mod publications;
mod render;
mod subscription_form;
mod subscriptions;
mod template_form;
mod templates;

use crate::routes::AppState;
use axum::Router;
use axum::routing::{get, post};

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/connections/{id}/publications",
            get(publications::show).post(publications::change),
        )
        .route(
            "/connections/{id}/subscriptions",
            get(subscriptions::show).post(subscriptions::change),
        )
        .route(
            "/connection-templates",
            get(templates::list).post(templates::create),
        )
        .route(
            "/connection-templates/{id}",
            get(templates::edit).post(templates::save),
        )
        .route("/connection-templates/{id}/apply", post(templates::apply))
}
