//! An API error as a whole page: a title for its kind, the problem in words, a way back.
//! Every service's pages answer a failed API call with this page, so the same error reads the
//! same everywhere.

use super::escape::escape;
use super::notice::problem_text;
use super::{Page, WebUser};
use crate::http::ApiError;
use axum::http::StatusCode;
use axum::response::Response;

/// Where the page's "back" link goes, and its words.
pub struct Back<'a> {
    pub href: &'a str,
    pub words: &'a str,
}

impl Back<'static> {
    pub const CONNECTIONS: Back<'static> = Back {
        href: "/connections",
        words: "Back to your connections",
    };
    pub const INBOX: Back<'static> = Back {
        href: "/records/inbox",
        words: "Back to your inbox",
    };
}

/// The page for an API error: its status, a title for its kind, its problem in words.
pub fn api_error_page(err: &ApiError, user: Option<&WebUser>, back: Back<'_>) -> Response {
    let title = match err.status() {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        _ => "That did not work",
    };
    Page::new(title)
        .notice_error(&problem_text(err))
        .push(&format!(
            "<p><a href=\"{}\" id=\"back\">{}</a></p>",
            escape(back.href),
            escape(back.words)
        ))
        .render(err.status(), user)
}
