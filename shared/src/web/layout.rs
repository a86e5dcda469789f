//! The page layout: title, navigation (Connections, sign out), notices, the stylesheet, and
//! for a page that asks, one script of this site (progressive enhancement: the page works
//! without it). Pages are built from trusted markup: everything from outside is escaped before
//! it is added.

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
    /// A script of this site (`/assets/...`) the page loads, if any.
    script: Option<&'static str>,
    /// Whether `style="..."` attributes apply (see [`Page::allow_style_attributes`]).
    style_attributes: bool,
}

impl Page {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_string(),
            notices: String::new(),
            body: String::new(),
            script: None,
            style_attributes: false,
        }
    }

    /// Lets `style="..."` attributes apply (not `<style>` elements, not scripts): for a page
    /// showing an email's HTML in a sandboxed `<iframe srcdoc>`, which inherits the page's
    /// policy, and whose emails are styled by such attributes. The page's own markup has none,
    /// and everything from outside is escaped, so nothing else gains a style.
    pub fn allow_style_attributes(mut self) -> Self {
        self.style_attributes = true;
        self
    }

    /// Loads the script at `path` (a path of this site) at the end of the page; the page's
    /// policy then lets scripts of this site run and fetch from it, and nothing else.
    pub fn script(mut self, path: &'static str) -> Self {
        self.script = Some(path);
        self
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
                 <a href=\"/email-templates\" id=\"nav-email\">Email</a>\
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
             <main><h1>{title}</h1>{notices}{body}</main>{script}</body></html>\n",
            notices = self.notices,
            body = self.body,
            script = self
                .script
                .map(|path| format!("<script src=\"{}\" defer></script>", escape(path)))
                .unwrap_or_default(),
        );
        let scripts = if self.script.is_some() {
            "script-src 'self'; connect-src 'self'; "
        } else {
            ""
        };
        let style_attributes = if self.style_attributes {
            "style-src-attr 'unsafe-inline'; "
        } else {
            ""
        };
        (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                // Pages may carry tokens in their address or show an org's data: no caching,
                // no referrer, no scripts but the page's own, no framing, forms only to this site.
                (header::CACHE_CONTROL, "no-store".to_string()),
                (header::REFERRER_POLICY, "no-referrer".to_string()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    format!(
                        "default-src 'none'; {scripts}style-src 'self'; {style_attributes}img-src 'self'; \
                         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
                    ),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            ],
            html,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(page: Page) -> String {
        let response = page.render(StatusCode::OK, None);
        response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn scripts_and_style_attributes_are_allowed_only_on_the_pages_that_ask() {
        let plain = policy(Page::new("Plain"));
        assert!(!plain.contains("script-src") && !plain.contains("style-src-attr"));
        let scripted = policy(
            Page::new("Scripted")
                .script("/assets/x.js")
                .allow_style_attributes(),
        );
        assert!(scripted.contains("script-src 'self'; connect-src 'self'"));
        assert!(scripted.contains("style-src-attr 'unsafe-inline'"));
        assert!(scripted.starts_with("default-src 'none'"));
    }
}
