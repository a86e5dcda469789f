//! `/connection-templates`: the org's connection templates: the list, a new one
//! (`/connection-templates/new`), one to edit (`/connection-templates/{id}`), and applying one
//! to many connections at once, with each connection's result. Changes go through the API's
//! own handlers; their errors are shown in words at the field they name.

use super::render::{error_page, id_part, values};
use super::template_form::{blank, filled, form, request};
use crate::connections::{self, Side};
use crate::routes::templates::{self as api, ApplyRequest, ApplyResponse};
use crate::routes::{AppState, objects};
use crate::templates::store::TemplateRequest;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::escape::escape;
use shared::web::pagination::{links, slice};
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser};
use uuid::Uuid;

const LIST: &str = "/connection-templates";

#[derive(Deserialize)]
pub struct Params {
    page: Option<usize>,
    done: Option<String>,
}

fn done_words(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("The template is created."),
        "saved" => Some("The template is saved."),
        _ => None,
    }
}

/// `GET /connection-templates`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(params): Query<Params>,
) -> Response {
    let items = match api::list(State(state), Auth(user.principal())).await {
        Ok(Json(list)) => list.items,
        Err(err) => return error_page(&err, &user, "/connections"),
    };
    let page_number = params.page.unwrap_or(1).max(1);
    let mut body = String::from(
        "<p><a href=\"/connection-templates/new\" id=\"new-template\">New template</a></p>",
    );
    if items.is_empty() {
        body.push_str("<p id=\"no-templates\">Your organization has no templates yet.</p>");
    } else {
        body.push_str(
            "<table id=\"templates\"><thead><tr><th scope=\"col\">Name</th>\
             <th scope=\"col\">Description</th><th scope=\"col\">Active</th>\
             <th scope=\"col\">Objects</th></tr></thead><tbody>",
        );
        let (rows, has_next) = slice(items, page_number);
        for template in &rows {
            let objects: Vec<&str> = template.objects.iter().map(|o| o.object.as_str()).collect();
            body.push_str(&format!(
                "<tr><td data-label=\"Name\"><a href=\"/connection-templates/{id}\">{name}</a></td>\
                 <td data-label=\"Description\">{description}</td>\
                 <td data-label=\"Active\">{active}</td><td data-label=\"Objects\">{objects}</td></tr>",
                id = template.id,
                name = escape(&template.name),
                description = escape(&template.description),
                active = if template.active { "Yes" } else { "No" },
                objects = escape(&objects.join(", ")),
            ));
        }
        body.push_str("</tbody></table>");
        body.push_str(&links(LIST, &[], page_number, has_next));
    }
    let mut page = Page::new("Connection templates");
    if let Some(words) = done_words(params.done.as_deref()) {
        page = page.notice_ok(words);
    }
    page.push(&body).render(StatusCode::OK, Some(&user))
}

/// The form page of a new template (`id` `None`) or of template `id`, showing `shown`, with
/// the error of the last try; a stored template also has its apply form and `results`.
async fn form_page(
    state: &AppState,
    user: &WebUser,
    id: Option<Uuid>,
    shown: &TemplateRequest,
    error: Option<&ApiError>,
    results: Option<&ApplyResponse>,
    notice: Option<&str>,
) -> Response {
    let mine = match objects::list(State(state.clone()), Auth(user.principal())).await {
        Ok(Json(list)) => list.items,
        Err(err) => return error_page(&err, user, LIST),
    };
    let csrf = hidden_field(user);
    let (title, action) = match id {
        Some(id) => ("Connection template", format!("{LIST}/{id}")),
        None => ("New connection template", LIST.to_string()),
    };
    let (page, status) = Page::new(title).with_outcome(notice, error);
    let mut body = format!("<p><a href=\"{LIST}\" id=\"back\">Back to the templates</a></p>");
    if let Some(results) = results {
        body.push_str(&results_list(results));
    }
    body.push_str(&form(&action, shown, &mine, error, &csrf));
    if let Some(id) = id {
        match apply_form(state, user, id, &csrf).await {
            Ok(markup) => body.push_str(&markup),
            Err(err) => return error_page(&err, user, LIST),
        }
    }
    page.push(&body).render(status, Some(user))
}

/// The connections the template can be applied to (open for publishing), as checkboxes.
async fn apply_form(
    state: &AppState,
    user: &WebUser,
    id: Uuid,
    csrf: &str,
) -> Result<String, ApiError> {
    let mut conn = state.pool.get().await?;
    let mut open: Vec<_> = connections::of_org(&mut conn, user.org_id)
        .await?
        .into_iter()
        .filter(|c| c.open_for_publishing())
        .collect();
    open.sort_by_key(|c| c.id);
    let mut out = format!(
        "<h2 id=\"apply\">Apply to connections</h2>\
         <form method=\"post\" action=\"{LIST}/{id}/apply\" id=\"apply-form\">{csrf}\
         <fieldset><legend>Connections to publish this template's objects on</legend>"
    );
    if open.is_empty() {
        out.push_str("<p id=\"no-connections\">No invited or accepted connection yet.</p>");
    }
    for connection in &open {
        let partner = match connection.side_of(user.org_id) {
            Some(Side::Inviter) => connection
                .invitee_org_name
                .clone()
                .or_else(|| connection.invitee_recipient_name.clone())
                .unwrap_or_default(),
            _ => connection.inviter_org_name.clone(),
        };
        let cid = format!("connection-{}", id_part(&connection.id.to_string()));
        out.push_str(&format!(
            "<label for=\"{cid}\" class=\"check\"><input type=\"checkbox\" id=\"{cid}\" \
             name=\"connection\" value=\"{value}\"> {partner} ({status})</label>",
            value = connection.id,
            partner = escape(&partner),
            status = escape(&connection.status),
        ));
    }
    out.push_str(
        "</fieldset><button type=\"submit\" id=\"apply-button\">Apply to the ticked connections</button></form>",
    );
    Ok(out)
}

/// Each connection's result of applying.
fn results_list(results: &ApplyResponse) -> String {
    let mut out =
        String::from("<h2 id=\"results\">Results</h2><ul class=\"results\" id=\"apply-results\">");
    for result in &results.results {
        let words = match &result.error {
            Some(problem) => format!(
                "{}: not applied: {}",
                result.connection_id,
                problem.detail.trim_end_matches('.')
            ),
            None => format!("{}: applied", result.connection_id),
        };
        let class = if result.error.is_some() {
            "rejected"
        } else {
            "applied"
        };
        out.push_str(&format!("<li class=\"{class}\">{}</li>", escape(&words)));
    }
    out.push_str("</ul>");
    out
}

/// `GET /connection-templates/{id}` (and `/connection-templates/new`).
pub async fn edit(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    if id == "new" {
        return form_page(&state, &user, None, &blank(), None, None, None).await;
    }
    match api::get(State(state.clone()), Auth(user.principal()), Path(id)).await {
        Ok(Json(template)) => {
            let notice = done_words(params.done.as_deref());
            form_page(
                &state,
                &user,
                Some(template.id),
                &filled(&template),
                None,
                None,
                notice,
            )
            .await
        }
        Err(err) => error_page(&err, &user, LIST),
    }
}

/// `POST /connection-templates`: a new template.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm(user, posted): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let wanted = request(&posted);
    match api::create(
        State(state.clone()),
        Auth(user.principal()),
        ValidJson(wanted.clone()),
    )
    .await
    {
        Ok((_, Json(template))) => see_other(&format!("{LIST}/{}?done=created", template.id)),
        Err(err) => form_page(&state, &user, None, &wanted, Some(&err), None, None).await,
    }
}

/// `POST /connection-templates/{id}`: the template changed as posted.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, posted): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let wanted = request(&posted);
    let result = api::replace(
        State(state.clone()),
        Auth(user.principal()),
        Path(id.clone()),
        ValidJson(wanted.clone()),
    )
    .await;
    match result {
        Ok(Json(template)) => see_other(&format!("{LIST}/{}?done=saved", template.id)),
        Err(err) if err.status() == StatusCode::NOT_FOUND => error_page(&err, &user, LIST),
        Err(err) => {
            // Refused as posted: the form again, as posted.
            let id = Uuid::parse_str(&id).ok();
            form_page(&state, &user, id, &wanted, Some(&err), None, None).await
        }
    }
}

/// `POST /connection-templates/{id}/apply`: the ticked connections; each one's result shown.
pub async fn apply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, posted): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let template = match api::get(
        State(state.clone()),
        Auth(user.principal()),
        Path(id.clone()),
    )
    .await
    {
        Ok(Json(template)) => template,
        Err(err) => return error_page(&err, &user, LIST),
    };
    let shown = filled(&template);
    let ids: Result<Vec<Uuid>, ApiError> = values(&posted, "connection")
        .into_iter()
        .map(|v| {
            Uuid::parse_str(v).map_err(|_| {
                ApiError::invalid_field(
                    "connection_ids",
                    "holds a value that is not a connection id",
                )
            })
        })
        .collect();
    let ids = match ids {
        Ok(ids) if ids.is_empty() => Err(ApiError::invalid_field(
            "connection_ids",
            "tick at least one connection",
        )),
        other => other,
    };
    let outcome = match ids {
        Ok(connection_ids) => {
            api::apply(
                State(state.clone()),
                Auth(user.principal()),
                Path(id),
                ValidJson(ApplyRequest { connection_ids }),
            )
            .await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok(Json(results)) => {
            form_page(
                &state,
                &user,
                Some(template.id),
                &shown,
                None,
                Some(&results),
                None,
            )
            .await
        }
        Err(err) => {
            form_page(
                &state,
                &user,
                Some(template.id),
                &shown,
                Some(&err),
                None,
                None,
            )
            .await
        }
    }
}
