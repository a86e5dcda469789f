//! Stopping a record's sharing on one connection from its page: `GET
//! /records/{object}/{record_id}/stop?connection_id=…` asks to confirm, `POST` (CSRF-checked)
//! runs the API's own `POST /v1/sharing/records/{object}/{record_id}/stop` and returns to the
//! record's page.

use super::record::sharing;
use super::render::{error_page, record_path};
use crate::routes::AppState;
use crate::routes::stop::{self as api, StopRequest};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::escape::escape;
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser};

#[derive(Deserialize)]
pub struct StopParams {
    #[serde(default)]
    connection_id: String,
}

/// `GET …/stop?connection_id=…`: the confirmation.
pub async fn confirm(
    State(state): State<AppState>,
    user: WebUser,
    Path((object, record_id)): Path<(String, String)>,
    Query(params): Query<StopParams>,
) -> Response {
    // The same read as the record's page: another org's record is "not found".
    let list = match sharing(&state, &user, &object, &record_id).await {
        Ok(list) => list,
        Err(err) => return error_page(&err, &user),
    };
    let Some(link) = list
        .links
        .iter()
        .find(|l| l.connection_id.to_string() == params.connection_id && l.status.is_live())
    else {
        return error_page(
            &ApiError::not_found("record shared on that connection"),
            &user,
        );
    };
    let here = record_path(&object, &record_id);
    Page::new("Stop sharing")
        .push(&format!(
            "<p id=\"question\">Stop sharing {object} {record_id} with {partner}? Updates stop \
             crossing, on both sides; both records stay, each editable by its org.</p>\
             <form method=\"post\" action=\"{action}\" id=\"confirm-form\">{csrf}\
             <input type=\"hidden\" name=\"connection_id\" value=\"{id}\">\
             <button type=\"submit\" class=\"danger\" id=\"confirm-stop\">Stop sharing</button> \
             <a href=\"{back}\" id=\"back\">Go back</a></form>",
            object = escape(&object),
            record_id = escape(&record_id),
            partner = escape(&link.partner_org_name),
            action = escape(&format!("{here}/stop")),
            csrf = hidden_field(&user),
            id = link.connection_id,
            back = escape(&here),
        ))
        .render(StatusCode::OK, Some(&user))
}

#[derive(Deserialize)]
pub struct StopForm {
    #[serde(default)]
    connection_id: String,
}

/// `POST …/stop`.
pub async fn stop(
    State(state): State<AppState>,
    Path((object, record_id)): Path<(String, String)>,
    CsrfForm(user, form): CsrfForm<StopForm>,
) -> Response {
    let stopped = api::stop(
        State(state),
        Auth(user.principal()),
        Path((object.clone(), record_id.clone())),
        ValidJson(StopRequest {
            connection_id: form.connection_id,
        }),
    )
    .await;
    match stopped {
        Ok(_) => see_other(&format!(
            "{}?done=stopped",
            record_path(&object, &record_id)
        )),
        Err(err) => error_page(&err, &user),
    }
}
