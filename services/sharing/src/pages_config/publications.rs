//! `/connections/{id}/publications`: the objects this org publishes on a connection. Each of
//! the org's objects has a form: its publishable fields as checkboxes, publish (or save the
//! fields), and unpublish. Changes go through the API's own handlers.

use super::render::{error_page, field_checkboxes, id_part, value, values};
use crate::routes::publications::{self as api, PublishObject};
use crate::routes::{AppState, objects};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::escape::{escape, url_encode};
use shared::web::notice::problem_text;
use shared::web::pagination::{links, slice};
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser};

#[derive(Deserialize)]
pub struct Params {
    page: Option<usize>,
    /// The action just done (`published`, `unpublished`) and its object, for the notice.
    done: Option<String>,
    object: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let notice = match (params.done.as_deref(), params.object.as_deref()) {
        (Some("published"), Some(object)) => Some(format!("{object} is published.")),
        (Some("unpublished"), Some(object)) => Some(format!("{object} is no longer published.")),
        _ => None,
    };
    let page = params.page.unwrap_or(1).max(1);
    render(&state, &user, &id, page, notice, None).await
}

/// The page, with a confirmation or the error of an action on `object`.
async fn render(
    state: &AppState,
    user: &WebUser,
    id: &str,
    page_number: usize,
    notice: Option<String>,
    failed: Option<(&str, ApiError)>,
) -> Response {
    let back = format!("/connections/{}", escape(id));
    let publications = match api::list(
        State(state.clone()),
        Auth(user.principal()),
        Path(id.to_string()),
    )
    .await
    {
        Ok(Json(publications)) => publications.publications,
        Err(err) => return error_page(&err, user, &back),
    };
    let mine = match objects::list(State(state.clone()), Auth(user.principal())).await {
        Ok(Json(list)) => list.items,
        Err(err) => return error_page(&err, user, &back),
    };
    let id = publications.connection_id;
    let (page, status) = Page::new("Publications")
        .with_outcome(notice.as_deref(), failed.as_ref().map(|(_, err)| err));
    let mut body = format!(
        "<p><a href=\"/connections/{id}\" id=\"back\">Back to the connection</a> · \
         <a href=\"/connections/{id}/subscriptions\" id=\"to-subscriptions\">Subscriptions</a></p>\
         <p>Tick the fields of an object to publish to this partner, then publish. \
         With no field ticked, the object's default fields are published.</p>"
    );
    let (objects, has_next) = slice(mine, page_number);
    for object in &objects {
        let published = publications
            .published
            .iter()
            .find(|p| p.object == object.api_name);
        let ticked: Vec<String> = published
            .map(|p| p.fields.iter().map(|f| f.api_name.clone()).collect())
            .unwrap_or_default();
        let slug = id_part(&object.api_name);
        let error = failed
            .as_ref()
            .filter(|(name, _)| *name == object.api_name)
            .map(|(_, err)| err);
        let state_words = if published.is_some() {
            "Published"
        } else {
            "Not published"
        };
        body.push_str(&format!(
            "<section class=\"object\" id=\"object-{slug}\"><h2>{label} ({api})</h2>\
             <p id=\"state-{slug}\">{state_words}</p>{error}\
             <form method=\"post\" action=\"/connections/{id}/publications\" id=\"publish-{slug}\">{csrf}\
             <input type=\"hidden\" name=\"action\" value=\"publish\">\
             <input type=\"hidden\" name=\"object\" value=\"{api}\">{boxes}\
             <button type=\"submit\" id=\"publish-button-{slug}\">{publish} {label}</button></form>",
            label = escape(&object.label),
            api = escape(&object.api_name),
            error = error
                .map(|err| format!(
                    "<p class=\"notice error field-error\" id=\"error-{slug}\">{}</p>",
                    escape(&problem_text(err))
                ))
                .unwrap_or_default(),
            csrf = hidden_field(user),
            boxes = field_checkboxes(object, &ticked, &format!("field-{slug}"), false),
            publish = if published.is_some() {
                "Save the published fields of"
            } else {
                "Publish"
            },
        ));
        if published.is_some() {
            body.push_str(&format!(
                "<form method=\"post\" action=\"/connections/{id}/publications\" id=\"unpublish-{slug}\">{csrf}\
                 <input type=\"hidden\" name=\"action\" value=\"unpublish\">\
                 <input type=\"hidden\" name=\"object\" value=\"{api}\">\
                 <button type=\"submit\" class=\"danger\" id=\"unpublish-button-{slug}\">Unpublish {label}</button></form>",
                csrf = hidden_field(user),
                api = escape(&object.api_name),
                label = escape(&object.label),
            ));
        }
        body.push_str("</section>");
    }
    body.push_str(&links(
        &format!("/connections/{id}/publications"),
        &[],
        page_number,
        has_next,
    ));
    body.push_str("<h2 id=\"partner\">What the partner publishes to you</h2>");
    if publications.partner_published.is_empty() {
        body.push_str("<p id=\"partner-none\">Nothing yet.</p>");
    } else {
        body.push_str("<ul id=\"partner-objects\">");
        for object in &publications.partner_published {
            let fields: Vec<&str> = object.fields.iter().map(|f| f.label.as_str()).collect();
            body.push_str(&format!(
                "<li>{} ({}): {}</li>",
                escape(&object.label),
                escape(&object.object),
                escape(&fields.join(", "))
            ));
        }
        body.push_str("</ul>");
    }
    page.push(&body).render(status, Some(user))
}

/// `POST /connections/{id}/publications`: `action` `publish` (with the ticked `field`s) or
/// `unpublish`, of `object`.
pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let object = value(&form, "object").unwrap_or_default().to_string();
    let path = Path((id.clone(), object.clone()));
    let (done, result) = match value(&form, "action") {
        Some("publish") => {
            let fields: Vec<String> = values(&form, "field")
                .into_iter()
                .map(str::to_string)
                .collect();
            let request = PublishObject {
                fields: (!fields.is_empty()).then_some(fields),
            };
            let result = api::put_one(
                State(state.clone()),
                Auth(user.principal()),
                path,
                ValidJson(request),
            )
            .await;
            ("published", result.map(|_| ()))
        }
        Some("unpublish") => {
            let result = api::delete_one(State(state.clone()), Auth(user.principal()), path).await;
            ("unpublished", result.map(|_| ()))
        }
        _ => (
            "",
            Err(ApiError::invalid_field(
                "action",
                "must be publish or unpublish",
            )),
        ),
    };
    match result {
        Ok(()) => see_other(&format!(
            "/connections/{id}/publications?done={done}&object={}",
            url_encode(&object)
        )),
        Err(err) if err.status() == StatusCode::NOT_FOUND && object.is_empty() => {
            error_page(&err, &user, "/connections")
        }
        Err(err) => render(&state, &user, &id, 1, None, Some((&object, err))).await,
    }
}
