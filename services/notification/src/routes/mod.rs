//! The notification service's HTTP routes: an org's email templates, its sender, its emails.

mod emails;
pub mod settings;
pub mod templates;

use crate::Config;
use crate::templates::Templates;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use shared::db::DbPool;
use shared::service::Platform;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub templates: Arc<Templates>,
    /// Renders from HTTP requests run on blocking threads, at most this many at once, so a
    /// costly template can neither stall the async executor nor pile up in memory.
    pub render_slots: Arc<Semaphore>,
    pub default_from: String,
}

/// Template renders (preview, save-time checks) the HTTP routes run at once: one, so that on a
/// small machine a core stays free for everything else.
const RENDER_SLOTS: usize = 1;

impl AppState {
    pub fn new(platform: &Platform, config: &Config) -> Self {
        Self {
            pool: platform.pool.clone(),
            templates: Arc::new(Templates::defaults()),
            render_slots: Arc::new(Semaphore::new(RENDER_SLOTS)),
            default_from: config.default_from.clone(),
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
        .route("/v1/email-templates", get(templates::list))
        .route(
            "/v1/email-templates/{kind}",
            get(templates::get)
                .put(templates::put)
                .delete(templates::reset),
        )
        .route(
            "/v1/email-templates/{kind}/preview",
            axum::routing::post(templates::preview),
        )
        .route("/v1/email-settings", get(settings::get).put(settings::put))
        .route("/v1/emails", get(emails::list))
        .merge(crate::pages::router())
        .with_state(state)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        templates::list, templates::get, templates::put, templates::reset, templates::preview,
        settings::get, settings::put, emails::list,
    ),
    components(schemas(
        crate::templates::TemplateSet,
        crate::templates::Rendered,
        templates::KindSummary,
        templates::TemplateView,
        templates::PreviewRequest,
        settings::SenderSettings,
        settings::SenderView,
        emails::EmailView,
        emails::EmailPage,
    )),
    tags((name = "emails", description = "Email templates, sender settings and sent emails"))
)]
pub struct ApiDoc;
