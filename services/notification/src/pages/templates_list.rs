//! `GET /email-templates`: every email kind PartnerNet sends for the org, what it is for, who
//! receives it, and whether the org customised it or the default is sent. The kinds are fixed
//! by PartnerNet (ten), so the list is one page.

use super::kind_words;
use crate::routes::AppState;
use crate::routes::templates::list as api_list;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use shared::http::Auth;
use shared::web::{Back, api_error_page};
use shared::web::{Page, WebUser, escape};

pub async fn list(State(state): State<AppState>, user: WebUser) -> Response {
    let Json(kinds) = match api_list(State(state), Auth(user.principal())).await {
        Ok(kinds) => kinds,
        Err(err) => return api_error_page(&err, Some(&user), Back::CONNECTIONS),
    };
    let mut body = String::from(
        "<p>The emails PartnerNet sends for your organization. Open one to change its subject \
         and text, with a preview; the default stays available.</p>\
         <p><a href=\"/settings/email\" id=\"sender-settings\">Sender settings</a> \
         (who your emails come from)</p>\
         <table id=\"email-templates\"><thead><tr><th scope=\"col\">Email</th>\
         <th scope=\"col\">What it is for</th><th scope=\"col\">Sent to</th>\
         <th scope=\"col\">Template</th></tr></thead><tbody>",
    );
    for kind in &kinds {
        let (title, purpose) = kind_words::of(&kind.kind);
        body.push_str(&format!(
            "<tr id=\"kind-{name}\"><td data-label=\"Email\"><a href=\"/email-templates/{name}\" \
             id=\"edit-{name}\">{title}</a></td><td data-label=\"What it is for\">{purpose}</td>\
             <td data-label=\"Sent to\">{audience}</td><td data-label=\"Template\">{state}</td></tr>",
            name = escape(&kind.kind),
            title = escape(title),
            purpose = escape(purpose),
            audience = escape(&kind.audience),
            state = if kind.customized {
                "<strong>Customised</strong>"
            } else {
                "Default"
            },
        ));
    }
    body.push_str("</tbody></table>");
    Page::new("Email templates")
        .push(&body)
        .render(StatusCode::OK, Some(&user))
}
