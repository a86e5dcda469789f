//! `GET/POST /connections/{id}/edit`: a connection's edit form, with what the API's edit
//! accepts: the inviting org edits the account, the contact, its owner and the template; the
//! invited org edits only its own owner. Saving calls the API's own handler; its error is shown
//! in words at the field it names, with the form as it was posted.

use super::super::AppState;
use super::super::edit::{self, EditRequest};
use super::super::read;
use super::connection_new::owner_options;
use super::render::error_page;
use crate::connection::{ConnectionView, Contact};
use crate::schema::connection_templates;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::escape::escape;
use shared::web::field_error::error_at;
use shared::web::notice::problem_text;
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser};
use uuid::Uuid;

/// The edit form's fields, as posted (the invited org's form has only the owner).
#[derive(Debug, Default, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    account: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    owner_user_id: String,
    /// Empty: keep the template (naming one applies it again).
    #[serde(default)]
    template_id: String,
}

impl EditForm {
    fn of(view: &ConnectionView) -> Self {
        Self {
            account: view.account.clone().unwrap_or_default(),
            contact_name: view.contact.name.clone(),
            contact_email: view.contact.email.clone(),
            owner_user_id: view
                .owner_user_id
                .map(|o| o.to_string())
                .unwrap_or_default(),
            template_id: String::new(),
        }
    }
}

fn is_inviter(view: &ConnectionView, user: &WebUser) -> bool {
    view.org_id == user.org_id.as_uuid()
}

/// Whether the connection's page offers the edit (the API refuses cancelled and rejected ones).
pub fn editable(view: &ConnectionView) -> bool {
    !matches!(view.status.as_str(), "Cancelled" | "Rejected")
}

/// The org's active templates as options, after "keep the current one".
async fn template_options(
    state: &AppState,
    user: &WebUser,
    chosen: &str,
) -> Result<String, ApiError> {
    let mut conn = state.pool.get().await?;
    let found: Vec<(Uuid, String)> = connection_templates::table
        .filter(connection_templates::org_id.eq(user.org_id.as_uuid()))
        .filter(connection_templates::active)
        .order(connection_templates::name)
        .select((connection_templates::id, connection_templates::name))
        .load(&mut conn)
        .await?;
    let mut out = String::from("<option value=\"\">Keep the current template</option>");
    for (id, name) in found {
        let selected = if id.to_string() == chosen {
            " selected"
        } else {
            ""
        };
        out.push_str(&format!(
            "<option value=\"{id}\"{selected}>Apply {}</option>",
            escape(&name)
        ));
    }
    Ok(out)
}

async fn form_page(
    state: &AppState,
    user: &WebUser,
    view: &ConnectionView,
    form: &EditForm,
    error: Option<&ApiError>,
) -> Result<Response, ApiError> {
    let owner = Uuid::parse_str(&form.owner_user_id).ok();
    let owners = owner_options(state, user, owner).await?;
    let mut body = format!(
        "<form method=\"post\" action=\"/connections/{id}/edit\" id=\"edit-form\">{csrf}",
        id = view.id,
        csrf = hidden_field(user),
    );
    if is_inviter(view, user) {
        body.push_str(&format!(
            "<label for=\"account\">Account</label>{account_error}\
             <input type=\"text\" id=\"account\" name=\"account\" value=\"{account}\" maxlength=\"200\">\
             <label for=\"contact-name\">Contact name</label>{name_error}\
             <input type=\"text\" id=\"contact-name\" name=\"contact_name\" value=\"{name}\" maxlength=\"200\" required>\
             <label for=\"contact-email\">Contact email address</label>{email_error}\
             <input type=\"email\" id=\"contact-email\" name=\"contact_email\" value=\"{email}\" required>",
            account_error = error_at(error, "account"),
            account = escape(&form.account),
            name_error = error_at(error, "contact.name"),
            name = escape(&form.contact_name),
            email_error = error_at(error, "contact.email"),
            email = escape(&form.contact_email),
        ));
    }
    body.push_str(&format!(
        "<label for=\"owner\">Connection owner on your side</label>{owner_error}\
         <select id=\"owner\" name=\"owner_user_id\">{owners}</select>",
        owner_error = error_at(error, "owner_user_id"),
    ));
    if is_inviter(view, user) {
        body.push_str(&format!(
            "<label for=\"template\">Connection template</label>{template_error}\
             <p id=\"template-hint\">Applying a template makes the published objects exactly the template's.</p>\
             <select id=\"template\" name=\"template_id\" aria-describedby=\"template-hint\">{options}</select>",
            template_error = error_at(error, "template_id"),
            options = template_options(state, user, &form.template_id).await?,
        ));
    }
    body.push_str(&format!(
        "<button type=\"submit\" id=\"save-connection\">Save the connection</button>\
         <a href=\"/connections/{}\" id=\"back\">Go back</a></form>",
        view.id
    ));
    let mut page = Page::new("Edit the connection");
    let status = match error {
        Some(err) => {
            // An error naming no field of the form is shown at the top.
            let at_a_field = err.problem().field.as_deref().is_some_and(|f| {
                [
                    "account",
                    "contact.name",
                    "contact.email",
                    "owner_user_id",
                    "template_id",
                ]
                .contains(&f)
            });
            if !at_a_field {
                page = page.notice_error(&problem_text(err));
            } else {
                page = page.notice_error("The connection was not saved: correct the field below.");
            }
            err.status()
        }
        None => StatusCode::OK,
    };
    Ok(page.push(&body).render(status, Some(user)))
}

async fn connection(
    state: &AppState,
    user: &WebUser,
    id: &str,
) -> Result<ConnectionView, ApiError> {
    let Json(view) = read::get_connection(
        State(state.clone()),
        Auth(user.principal()),
        Path(id.to_string()),
    )
    .await?;
    Ok(view)
}

/// `GET /connections/{id}/edit`.
pub async fn form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Response {
    let shown = match connection(&state, &user, &id).await {
        Ok(view) => form_page(&state, &user, &view, &EditForm::of(&view), None).await,
        Err(err) => Err(err),
    };
    shown.unwrap_or_else(|err| error_page(&err, Some(&user)))
}

/// The API's request for what the form changes; unchanged fields are left out.
fn request(
    view: &ConnectionView,
    user: &WebUser,
    form: &EditForm,
) -> Result<EditRequest, ApiError> {
    let owner = match form.owner_user_id.trim() {
        "" => None,
        given => Some(Uuid::parse_str(given).map_err(|_| {
            ApiError::invalid_field("owner_user_id", "is not a user of your organization")
        })?),
    };
    let mut request = EditRequest {
        account: None,
        contact: None,
        owner_user_id: owner.filter(|o| Some(*o) != view.owner_user_id),
        template_id: None,
    };
    if !is_inviter(view, user) {
        return Ok(request);
    }
    if view.account.as_deref().unwrap_or_default() != form.account {
        request.account = Some(form.account.clone());
    }
    if form.contact_name != view.contact.name || form.contact_email != view.contact.email {
        request.contact = Some(Contact {
            name: form.contact_name.clone(),
            email: form.contact_email.clone(),
        });
    }
    request.template_id = match form.template_id.trim() {
        "" => None,
        given => Some(Uuid::parse_str(given).map_err(|_| {
            ApiError::invalid_field(
                "template_id",
                "is not a connection template of your organization",
            )
        })?),
    };
    Ok(request)
}

/// `POST /connections/{id}/edit`.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<EditForm>,
) -> Response {
    let view = match connection(&state, &user, &id).await {
        Ok(view) => view,
        Err(err) => return error_page(&err, Some(&user)),
    };
    let saved = match request(&view, &user, &form) {
        Ok(request) => {
            edit::edit(
                State(state.clone()),
                Auth(user.principal()),
                Path(id),
                ValidJson(request),
            )
            .await
        }
        Err(err) => Err(err),
    };
    match saved {
        Ok(Json(view)) => see_other(&format!("/connections/{}?done=edit", view.id)),
        Err(err) => form_page(&state, &user, &view, &form, Some(&err))
            .await
            .unwrap_or_else(|err| error_page(&err, Some(&user))),
    }
}
