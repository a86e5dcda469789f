//! `/settings/email`: the org's sender (From name and address) through the API's own
//! `/v1/email-settings` handlers, with what recipients see today. `POST` (CSRF) saves; a refused
//! value keeps what was typed and is shown at its field.

use super::TEMPLATES;
use crate::routes::AppState;
use crate::routes::settings::{SenderSettings, SenderView, get as api_get, put as api_put};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::api_error_page;
use shared::web::csrf::hidden_field;
use shared::web::notice::problem_text;
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser, escape};

#[derive(Deserialize)]
pub struct Shown {
    saved: Option<String>,
}

#[derive(Deserialize)]
pub struct SenderForm {
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    from_address: String,
}

fn back(err: &ApiError, user: &WebUser) -> Response {
    api_error_page(err, Some(user), TEMPLATES)
}

/// What recipients see now, and what changes once the domain is verified.
fn explained(view: &SenderView) -> String {
    let mut out = format!(
        "<dl id=\"sender-now\"><dt>Emails come from</dt><dd id=\"effective-from\">{}</dd>\
         <dt>Replies go to</dt><dd id=\"effective-reply-to\">{}</dd></dl>",
        escape(&view.effective_from),
        escape(
            view.effective_reply_to
                .as_deref()
                .unwrap_or("the sender above")
        ),
    );
    out.push_str(if view.domain_verified {
        "<p id=\"domain-status\">The domain of your address is verified for your organization: \
         your emails are sent from your own address.</p>"
    } else {
        "<p id=\"domain-status\">Until an operator verifies the domain of your address for your \
         organization, your emails are sent from PartnerNet's own address, named \
         “<em>your From name</em> via PartnerNet”, with Reply-To set to your address, so replies \
         still reach you. Once the domain is verified, they are sent from your address.</p>"
    });
    out
}

fn form(filled: &SenderForm, error: Option<&ApiError>, user: &WebUser) -> String {
    let at = |field: &str| match error {
        Some(err) if err.problem().field.as_deref() == Some(field) => (
            format!(
                "<p class=\"notice error field-error\" id=\"error-{field}\" role=\"alert\">{}</p>",
                escape(&problem_text(err))
            ),
            format!(" aria-invalid=\"true\" aria-describedby=\"error-{field}\""),
        ),
        _ => (String::new(), String::new()),
    };
    let (name_error, name_invalid) = at("from_name");
    let (address_error, address_invalid) = at("from_address");
    format!(
        "<form method=\"post\" action=\"/settings/email\" id=\"sender-form\">{csrf}\
         <label for=\"from_name\">From name</label>{name_error}\
         <input type=\"text\" id=\"from_name\" name=\"from_name\" value=\"{name}\" maxlength=\"100\" \
         required{name_invalid}>\
         <label for=\"from_address\">From address</label>{address_error}\
         <input type=\"email\" id=\"from_address\" name=\"from_address\" value=\"{address}\" \
         required{address_invalid}>\
         <button type=\"submit\" id=\"save-sender\">Save the sender</button></form>",
        csrf = hidden_field(user),
        name = escape(&filled.from_name),
        address = escape(&filled.from_address),
    )
}

async fn view(state: &AppState, user: &WebUser) -> Result<SenderView, ApiError> {
    let Json(view) = api_get(State(state.clone()), Auth(user.principal())).await?;
    Ok(view)
}

fn page(view: &SenderView, filled: &SenderForm, error: Option<&ApiError>, user: &WebUser) -> Page {
    let body = format!(
        "<p><a href=\"/email-templates\" id=\"back\">Back to the email templates</a></p>\
         {now}<h2>Your sender</h2>{form}",
        now = explained(view),
        form = form(filled, error, user),
    );
    Page::new("Sender settings").push(&body)
}

/// `GET /settings/email`.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Query(shown): Query<Shown>,
) -> Response {
    let view = match view(&state, &user).await {
        Ok(view) => view,
        Err(err) => return back(&err, &user),
    };
    let filled = SenderForm {
        from_name: view.from_name.clone().unwrap_or_default(),
        from_address: view.from_address.clone().unwrap_or_default(),
    };
    let mut page = page(&view, &filled, None, &user);
    if shown.saved.is_some() {
        page = page.notice_ok("The sender is saved.");
    }
    page.render(StatusCode::OK, Some(&user))
}

/// `POST /settings/email`.
pub async fn save(
    State(state): State<AppState>,
    CsrfForm(user, filled): CsrfForm<SenderForm>,
) -> Response {
    let settings = SenderSettings {
        from_name: filled.from_name.clone(),
        from_address: filled.from_address.clone(),
    };
    let err = match api_put(
        State(state.clone()),
        Auth(user.principal()),
        ValidJson(settings),
    )
    .await
    {
        Ok(_) => return see_other("/settings/email?saved=1"),
        Err(err) if err.status() != StatusCode::UNPROCESSABLE_ENTITY => return back(&err, &user),
        Err(err) => err,
    };
    match view(&state, &user).await {
        Ok(view) => page(&view, &filled, Some(&err), &user)
            .notice_error("The sender was not saved: see the error below.")
            .render(StatusCode::UNPROCESSABLE_ENTITY, Some(&user)),
        Err(other) => back(&other, &user),
    }
}
