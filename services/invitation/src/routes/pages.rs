//! Where the links in emails land until PartnerNet has web pages: a minimal HTML page that says
//! what to do with the link, through the API. Everything shown is escaped; the token is shown
//! to the person who holds it, and logged nowhere (the HTTP trace logs paths without queries).

use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AcceptQuery {
    token: Option<String>,
}

/// `GET /invitations/accept?token=…`, the link of an invitation email.
pub async fn accept_invitation(Query(query): Query<AcceptQuery>) -> Response {
    let token = query.token.unwrap_or_default();
    if token.is_empty() || token.len() > 200 {
        return page(
            StatusCode::BAD_REQUEST,
            "This invitation link is incomplete",
            "<p>The link has no invitation token. Open the link from the invitation email \
             again, whole, or ask the inviting organization to resend the invitation.</p>",
        );
    }
    let token = escape(&token);
    let body = format!(
        "<p>You were invited to connect your organization with a partner on PartnerNet. \
         Web pages to answer invitations are not there yet: answer through the API, with an API \
         key of your organization that holds the <code>manage_connections</code> scope.</p>\
         <ol>\
         <li>Claim the invitation with its token:\
         <pre>POST /v1/invitations/claim\n\
Authorization: Bearer pn_…\n\
Content-Type: application/json\n\n\
{{\"token\": \"{token}\"}}</pre>\
         The answer is the connection, with its <code>id</code>.</li>\
         <li>Then accept it (<code>POST /v1/connections/{{id}}/accept</code>), decline it \
         (<code>POST /v1/connections/{{id}}/decline</code>) or decide later \
         (<code>POST /v1/connections/{{id}}/decide-later</code>).</li>\
         </ol>\
         <p>The token works once, for one organization, until the invitation expires. Keep it \
         private: whoever holds it can claim the invitation.</p>"
    );
    page(StatusCode::OK, "Your PartnerNet invitation", &body)
}

/// `GET /connections/{id}`, the link of the emails about a connection.
pub async fn connection(Path(id): Path<String>) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return page(
            StatusCode::NOT_FOUND,
            "No such connection",
            "<p>This link does not name a connection. Open it again from the email, whole.</p>",
        );
    };
    let body = format!(
        "<p>Web pages for connections are not there yet. Read this connection through the API, \
         with an API key of your organization:</p>\
         <pre>GET /v1/connections/{id}\nAuthorization: Bearer pn_…</pre>\
         <p>and its history with <code>GET /v1/connections/{id}/history</code>.</p>"
    );
    page(StatusCode::OK, "A PartnerNet connection", &body)
}

/// A whole HTML page; `body` is trusted markup (everything from outside is escaped before).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = escape(title);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>\n"
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page carries a token in its address: no caching, no referrer, no scripts.
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response()
}

/// Text made safe to place in HTML, inside elements or attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
