//! The one stylesheet of the web pages, served at `/assets/app.css`.

use axum::http::header;
use axum::response::IntoResponse;

pub const APP_CSS: &str = include_str!("app.css");

/// `GET /assets/app.css`.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}
