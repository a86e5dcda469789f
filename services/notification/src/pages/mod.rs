//! The web pages the notification service serves: the org's email templates (with a live
//! preview and save-time errors shown at their line) and its sender settings. Every action calls
//! the API's own handler with the signed-in user's principal
//! ([`shared::web::WebUser::principal`]), so it checks the same scopes and shows the API's own
//! errors, in words.

mod kind_words;
mod preview;
mod sender_settings;
mod template_edit;
mod template_form;
mod templates_list;

use crate::routes::AppState;
use axum::Router;
use axum::routing::{get, post};
use shared::web::Back;

/// The way back from a failed action on a template or the sender.
const TEMPLATES: Back<'static> = Back {
    href: "/email-templates",
    words: "Back to the email templates",
};

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/email-preview.js", get(preview::script))
        .route("/email-templates", get(templates_list::list))
        .route(
            "/email-templates/{kind}",
            get(template_edit::show).post(template_edit::post),
        )
        .route("/email-templates/{kind}/preview", post(preview::fragment))
        .route("/email-templates/{kind}/reset", post(template_edit::reset))
        .route(
            "/settings/email",
            get(sender_settings::show).post(sender_settings::save),
        )
}
