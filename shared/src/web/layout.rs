//! The page layout: title, navigation (Connections, sign out), notices, the stylesheet.
//! Pages are built from trusted markup: everything from outside is escaped before it is added.

use super::csrf;
use super::escape::escape;
use super::notice;
use super::user::WebUser;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A page being built.
pub struct Page {
    title: String,
    notices: String,
    body: String,
}

impl Page {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            notices: String::new(),
            body: String::new(),
        }
    }

    /// Adds trusted markup to the body.
    pub fn push(mut self, markup: &str) -> Self {
        self.body.push_str(markup);
        self
    }

    /// An error shown above the body (`role="alert"`); `text` is escaped.
    pub fn notice_error(mut self, text: &str) -> Self {
        self.notices.push_str(&notice::error(text));
        self
    }

    /// A confirmation shown above the body; `text` is escaped.
    pub fn notice_ok(mut self, text: &str) -> Self {
        self.notices.push_str(&notice::success(text));
        self
    }

    /// The outcome of an action above the body: its confirmation, or the API's error in words.
    /// Returns the page and the status to render it with (the error's, else 200).
    pub fn with_outcome(
        self,
        done: Option<&str>,
        failed: Option<&crate::http::ApiError>,
    ) -> (Self, StatusCode) {
        let page = match done {
            Some(text) => self.notice_ok(text),
            None => self,
        };
        match failed {
            Some(err) => (page.notice_error(&notice::problem_text(err)), err.status()),
            None => (page, StatusCode::OK),
        }
    }

    /// The whole HTML page; the navigation shows when someone is signed in.
    pub fn render(self, status: StatusCode, user: Option<&WebUser>) -> Response {
        let title = escape(&self.title);
        let nav = match user {
            Some(user) => format!(
                "<nav aria-label=\"Main\"><a href=\"/connections\" id=\"nav-connections\">Connections</a>\
                 <a href=\"/records/inbox\" id=\"nav-inbox\">Inbox</a>\
                 <a href=\"/connection-templates\" id=\"nav-templates\">Templates</a>\
                 <span class=\"who\">{name} · {org}</span>\
                 <form method=\"post\" action=\"/sign-out\" class=\"inline\">{csrf}\
                 <button type=\"submit\" id=\"sign-out\">Sign out</button></form></nav>",
                name = escape(&user.name),
                org = escape(&user.org_name),
                csrf = csrf::hidden_field(user),
            ),
            None => String::new(),
        };
        let html = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · PartnerNet</title>\
             <link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\
             <body><header><a class=\"brand\" href=\"/connections\">PartnerNet</a>{nav}</header>\
             <main><h1>{title}</h1>{notices}{body}</main></body></html>\n",
            notices = self.notices,
            body = self.body,
        );
        (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                // Pages may carry tokens in their address or show an org's data: no caching,
                // no referrer, no scripts, no framing, forms only to this site.
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                     frame-ancestors 'none'; base-uri 'none'",
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            html,
        )
            .into_response()
    }
}
