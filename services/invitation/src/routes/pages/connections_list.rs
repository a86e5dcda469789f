//! `GET /connections`: the org's connections (partner, status, owner, since), filtered by
//! status, paged. The list is the API's own (`GET /v1/connections`).

use super::super::AppState;
use super::super::read::{self, ListQuery};
use super::render::{date, error_page, org_names, user_names};
use crate::connection::{ConnectionView, Status};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidQuery};
use shared::web::escape::escape;
use shared::web::{Page, WebUser, pagination};
use std::collections::HashMap;
use uuid::Uuid;

/// Every status, in the order the filter lists them.
pub const STATUSES: [Status; 7] = [
    Status::Sent,
    Status::Received,
    Status::Pending,
    Status::Accepted,
    Status::Rejected,
    Status::Inactive,
    Status::Cancelled,
];

#[derive(Deserialize)]
pub struct ListParams {
    status: Option<String>,
    page: Option<usize>,
}

/// The partner's name as `org` sees it: the other org, or the contact until one claims it.
pub fn partner_name(view: &ConnectionView, org: Uuid, names: &HashMap<Uuid, String>) -> String {
    let other = if view.org_id == org {
        view.partner_org_id
    } else {
        Some(view.org_id)
    };
    match other.and_then(|id| names.get(&id)) {
        Some(name) => name.clone(),
        None => format!("{} ({})", view.contact.name, view.contact.email),
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(params): Query<ListParams>,
) -> Response {
    match render(state, &user, params).await {
        Ok(response) => response,
        Err(err) => error_page(&err, Some(&user)),
    }
}

async fn render(state: AppState, user: &WebUser, params: ListParams) -> Result<Response, ApiError> {
    let wanted = params.status.as_deref().filter(|s| !s.is_empty());
    let status = match wanted {
        Some(name) => Some(
            Status::parse(name)
                .ok_or_else(|| ApiError::invalid_field("status", "is not a status"))?,
        ),
        None => None,
    };
    let page = params.page.unwrap_or(1).max(1);
    let Json(all) = read::list_connections(
        State(state.clone()),
        Auth(user.principal()),
        ValidQuery(ListQuery { status }),
    )
    .await?;
    let (rows, has_next) = pagination::slice(all, page);
    let org = user.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    let org_ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|v| [Some(v.org_id), v.partner_org_id])
        .flatten()
        .collect();
    let orgs = org_names(&mut conn, &org_ids).await?;
    let owner_ids: Vec<Uuid> = rows.iter().filter_map(|v| v.owner_user_id).collect();
    let owners = user_names(&mut conn, org, &owner_ids).await?;

    let options: String = STATUSES
        .iter()
        .map(|s| {
            let selected = if Some(*s) == status { " selected" } else { "" };
            format!("<option value=\"{0}\"{selected}>{0}</option>", s.as_str())
        })
        .collect();
    let mut body = format!(
        "<p><a href=\"/connections/new\" id=\"invite-partners\">Invite partners</a></p>\
         <form method=\"get\" action=\"/connections\" id=\"status-filter\">\
         <label for=\"status\">Status</label>\
         <select id=\"status\" name=\"status\"><option value=\"\">Any status</option>{options}</select>\
         <button type=\"submit\">Filter</button></form>"
    );
    if rows.is_empty() {
        body.push_str("<p id=\"no-connections\">No connections to show.</p>");
    } else {
        body.push_str(
            "<table id=\"connections\"><thead><tr><th scope=\"col\">Partner</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Owner</th><th scope=\"col\">Since</th>\
             </tr></thead><tbody>",
        );
        for view in &rows {
            let owner = view
                .owner_user_id
                .and_then(|id| owners.get(&id))
                .map(String::as_str)
                .unwrap_or("—");
            body.push_str(&format!(
                "<tr id=\"connection-{id}\"><td data-label=\"Partner\"><a href=\"/connections/{id}\">{partner}</a></td>\
                 <td data-label=\"Status\">{status}</td><td data-label=\"Owner\">{owner}</td>\
                 <td data-label=\"Since\">{since}</td></tr>",
                id = view.id,
                partner = escape(&partner_name(view, org, &orgs)),
                status = escape(&view.status),
                owner = escape(owner),
                since = date(&view.response_date.unwrap_or(view.invited_at)),
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(&pagination::links(
        "/connections",
        &[("status", wanted.unwrap_or_default())],
        page,
        has_next,
    ));
    Ok(Page::new("Connections")
        .push(&body)
        .render(StatusCode::OK, Some(user)))
}
