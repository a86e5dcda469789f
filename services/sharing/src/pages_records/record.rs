//! `GET /records/{object}/{record_id}`: a record's External Sharing list (partner, direction,
//! since, status; stopping per connection) and the form to forward it, whose first answer is
//! the dry run. The list is the API's own (`GET /v1/sharing/records/{object}/{record_id}`):
//! another org's record is "not found".

use super::forward::{self, Choice};
use super::inbox::partner_name;
use super::render::{date, error_page, record_path};
use crate::connections;
use crate::links::status::Direction;
use crate::routes::AppState;
use crate::routes::links::{self, SharingList};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth};
use shared::web::escape::escape;
use shared::web::{Page, WebUser};

#[derive(Deserialize)]
pub struct RecordParams {
    /// The action just done, for its confirmation notice.
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path((object, record_id)): Path<(String, String)>,
    Query(params): Query<RecordParams>,
) -> Response {
    let page = match page(&state, &user, &object, &record_id, &Choice::default()).await {
        Ok(page) => page,
        Err(err) => return error_page(&err, &user),
    };
    let page = match params.done.as_deref() {
        Some("stopped") => page.notice_ok("Sharing stopped: both records stay, each with its org."),
        _ => page,
    };
    page.render(StatusCode::OK, Some(&user))
}

/// The record's External Sharing list, as the API answers it.
pub async fn sharing(
    state: &AppState,
    user: &WebUser,
    object: &str,
    record_id: &str,
) -> Result<SharingList, ApiError> {
    let Json(list) = links::sharing_list(
        State(state.clone()),
        Auth(user.principal()),
        Path((object.to_string(), record_id.to_string())),
    )
    .await?;
    Ok(list)
}

/// The org's accepted connections (id, partner's name): where a record can be forwarded.
pub async fn accepted_connections(
    state: &AppState,
    user: &WebUser,
) -> Result<Vec<(uuid::Uuid, String)>, ApiError> {
    let mut conn = state.pool.get().await?;
    let all = connections::of_org(&mut conn, user.org_id).await?;
    let mut open: Vec<(uuid::Uuid, String)> = all
        .iter()
        .filter(|c| c.status == "accepted")
        .map(|c| (c.id, partner_name(c, user)))
        .collect();
    open.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(open)
}

/// The record's page, with the forward form holding `choice`.
pub async fn page(
    state: &AppState,
    user: &WebUser,
    object: &str,
    record_id: &str,
    choice: &Choice,
) -> Result<Page, ApiError> {
    let list = sharing(state, user, object, record_id).await?;
    let targets = accepted_connections(state, user).await?;
    let here = record_path(object, record_id);
    let mut body = String::from("<h2>External Sharing</h2>");
    if list.links.is_empty() {
        body.push_str("<p id=\"not-shared\">Not shared with any connection.</p>");
    } else {
        body.push_str(
            "<table id=\"external-sharing\"><thead><tr><th scope=\"col\">Connection</th>\
             <th scope=\"col\">Direction</th><th scope=\"col\">Since</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Action</th></tr></thead><tbody>",
        );
        for link in &list.links {
            let stop = if link.status.is_live() {
                format!(
                    "<a href=\"{}\" id=\"stop-{id}\">Stop sharing with {partner}</a>",
                    escape(&format!("{here}/stop?connection_id={}", link.connection_id)),
                    id = link.connection_id,
                    partner = escape(&link.partner_org_name),
                )
            } else {
                "—".to_string()
            };
            let direction = match link.direction {
                Direction::Sent => "Sent",
                Direction::Received => "Received",
            };
            body.push_str(&format!(
                "<tr id=\"link-{id}-{dir}\"><td data-label=\"Connection\">{partner}</td>\
                 <td data-label=\"Direction\">{direction}</td><td data-label=\"Since\">{since}</td>\
                 <td data-label=\"Status\" class=\"status\">{status}</td><td data-label=\"Action\">{stop}</td></tr>",
                id = link.connection_id,
                dir = link.direction.as_str(),
                partner = escape(&link.partner_org_name),
                since = date(&link.since),
                status = match &link.receiver_error {
                    // The partner's reason for not creating its copy yet, in its words.
                    Some(error) => format!(
                        "{} <span class=\"receiver-error\">(the partner could not create its copy: {})</span>",
                        escape(link.status.as_str()),
                        escape(error)
                    ),
                    None => escape(link.status.as_str()),
                },
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("<h2>Forward</h2>");
    body.push_str(&forward::form_markup(
        user, object, record_id, &targets, choice,
    ));
    body.push_str("<p><a href=\"/records/inbox\">Your inbox</a></p>");
    Ok(Page::new(&format!("{object} {record_id}")).push(&body))
}
