//! The page for an API error a page action got: its status, a title that says what kind of
//! error, the problem in words, and a way back.

use super::escape::escape;
use super::layout::Page;
use super::notice::problem_text;
use super::user::WebUser;
use crate::http::ApiError;
use axum::http::StatusCode;
use axum::response::Response;

/// The page for `err`, linking back to `back` (a path of this site) with the words `back_text`.
pub fn error_page(err: &ApiError, user: &WebUser, back: &str, back_text: &str) -> Response {
    let title = match err.status() {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        _ => "That did not work",
    };
    Page::new(title)
        .notice_error(&problem_text(err))
        .push(&format!(
            "<p><a href=\"{}\" id=\"back\">{}</a></p>",
            escape(back),
            escape(back_text)
        ))
        .render(err.status(), Some(user))
}
