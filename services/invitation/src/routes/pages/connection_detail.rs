//! `GET /connections/{id}`: a connection's details, the actions its status allows (each behind
//! a confirmation page), and its history, filtered by kind and paged, with the CSV download
//! (`/connections/{id}/history.csv`). Reads go through the API's own handlers.

use super::super::AppState;
use super::super::export;
use super::super::read::{self, HistoryQuery};
use super::connection_actions::{self, PageAction};
use super::connection_edit;
use super::connections_list::partner_name;
use super::render::{date, date_time, error_page, org_names, user_names};
use crate::connection::ConnectionView;
use crate::history::Kind;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidQuery};
use shared::web::escape::{escape, url_encode};
use shared::web::{Page, WebUser};

/// History entries per page.
const HISTORY_PAGE: i64 = 25;

#[derive(Deserialize)]
pub struct DetailParams {
    kind: Option<String>,
    after: Option<i64>,
    /// The action just done, for its confirmation notice.
    done: Option<String>,
}

fn history_query(kind: Option<&str>, after: Option<i64>, limit: Option<i64>) -> HistoryQuery {
    HistoryQuery {
        kind: kind.map(str::to_string),
        from: None,
        to: None,
        after,
        limit,
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(params): Query<DetailParams>,
) -> Response {
    match render(state, &user, id, params).await {
        Ok(response) => response,
        Err(err) => error_page(&err, Some(&user)),
    }
}

async fn details(
    state: &AppState,
    user: &WebUser,
    view: &ConnectionView,
) -> Result<String, ApiError> {
    let org = user.org_id.as_uuid();
    let mut conn = state.pool.get().await?;
    let orgs = org_names(
        &mut conn,
        &[Some(view.org_id), view.partner_org_id]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    )
    .await?;
    let owners = user_names(
        &mut conn,
        org,
        &view.owner_user_id.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    let side = if view.org_id == org {
        "You invited them"
    } else {
        "They invited you"
    };
    let owner = view
        .owner_user_id
        .and_then(|id| owners.get(&id))
        .map(String::as_str)
        .unwrap_or("—");
    Ok(format!(
        "<dl id=\"connection-details\"><dt>Partner</dt><dd id=\"partner\">{partner}</dd>\
         <dt>Status</dt><dd id=\"status\">{status}</dd>\
         <dt>Invitation</dt><dd>{side}</dd>\
         <dt>Contact</dt><dd>{contact} ({email})</dd>{account}\
         <dt>Owner</dt><dd id=\"owner\">{owner}</dd>\
         <dt>Invited</dt><dd>{invited}</dd>{answered}</dl>",
        partner = escape(&partner_name(view, org, &orgs)),
        status = escape(&view.status),
        contact = escape(&view.contact.name),
        email = escape(&view.contact.email),
        account = view
            .account
            .as_deref()
            .map(|a| format!("<dt>Account</dt><dd>{}</dd>", escape(a)))
            .unwrap_or_default(),
        owner = escape(owner),
        invited = date(&view.invited_at),
        answered = view
            .response_date
            .map(|d| format!("<dt>Answered</dt><dd>{}</dd>", date(&d)))
            .unwrap_or_default(),
    ))
}

async fn render(
    state: AppState,
    user: &WebUser,
    id: String,
    params: DetailParams,
) -> Result<Response, ApiError> {
    let Json(view) = read::get_connection(
        State(state.clone()),
        Auth(user.principal()),
        Path(id.clone()),
    )
    .await?;
    let kind = params.kind.as_deref().filter(|k| !k.is_empty());
    let mut page = Page::new("Connection");
    match params.done.as_deref() {
        Some("edit") => page = page.notice_ok("The connection was saved."),
        done => {
            if let Some(done) = done.and_then(PageAction::parse) {
                page = page.notice_ok(done.done_words());
            }
        }
    }
    let mut body = details(&state, user, &view).await?;
    let mut actions: String = connection_actions::available(&view, user)
        .iter()
        .map(|action| {
            format!(
                "<a class=\"action\" id=\"action-{slug}\" href=\"/connections/{id}/{slug}\">{label}</a> ",
                slug = action.slug(),
                id = view.id,
                label = action.label(),
            )
        })
        .collect();
    if connection_edit::editable(&view) {
        actions.push_str(&format!(
            "<a class=\"action\" id=\"action-edit\" href=\"/connections/{}/edit\">Edit the connection</a>",
            view.id
        ));
    }
    if !actions.is_empty() {
        body.push_str(&format!("<p id=\"actions\">{actions}</p>"));
    }
    body.push_str(&format!(
        "<p id=\"sharing-config\"><a href=\"/connections/{id}/publications\" id=\"publications\">Publications</a> · \
         <a href=\"/connections/{id}/subscriptions\" id=\"subscriptions\">Subscriptions</a></p>",
        id = view.id,
    ));
    if matches!(view.status.as_str(), "Accepted" | "Deactivated") {
        // Served by the sync service: the updates over the connection that failed to apply.
        body.push_str(&format!(
            "<p><a id=\"sync-failures\" href=\"/connections/{}/sync-failures\">Sync failures</a></p>",
            view.id
        ));
    }
    let history = read::history(
        State(state.clone()),
        Auth(user.principal()),
        Path(id),
        ValidQuery(history_query(kind, params.after, Some(HISTORY_PAGE))),
    )
    .await;
    body.push_str("<h2 id=\"history\">History</h2>");
    let options: String = Kind::ALL
        .iter()
        .map(|k| {
            let selected = if Some(k.as_str()) == kind {
                " selected"
            } else {
                ""
            };
            format!("<option value=\"{0}\"{selected}>{0}</option>", k.as_str())
        })
        .collect();
    let kind_query = kind
        .map(|k| format!("?kind={}", url_encode(k)))
        .unwrap_or_default();
    body.push_str(&format!(
        "<form method=\"get\" action=\"/connections/{id}\" id=\"history-filter\">\
         <label for=\"kind\">Kind of entry</label>\
         <select id=\"kind\" name=\"kind\"><option value=\"\">Every kind</option>{options}</select>\
         <button type=\"submit\">Filter</button></form>\
         <p><a id=\"history-csv\" href=\"/connections/{id}/history.csv{csv_query}\">Download the history as CSV</a></p>",
        id = view.id,
        csv_query = escape(&kind_query),
    ));
    match history {
        Err(err) => page = page.notice_error(&shared::web::notice::problem_text(&err)),
        Ok(Json(history)) => {
            if history.items.is_empty() {
                body.push_str("<p id=\"no-history\">No history entries to show.</p>");
            } else {
                body.push_str(
                    "<table id=\"history-entries\"><thead><tr><th scope=\"col\">When</th>\
                     <th scope=\"col\">Kind</th><th scope=\"col\">What happened</th></tr></thead><tbody>",
                );
                for entry in &history.items {
                    body.push_str(&format!(
                        "<tr><td data-label=\"When\">{}</td><td data-label=\"Kind\">{}</td>\
                         <td data-label=\"What happened\">{}</td></tr>",
                        date_time(&entry.occurred_at),
                        escape(&entry.kind),
                        escape(&entry.summary),
                    ));
                }
                body.push_str("</tbody></table>");
            }
            let base = format!("/connections/{}", view.id);
            let mut pager = String::from("<nav class=\"pager\" aria-label=\"History pages\">");
            if params.after.is_some() {
                pager.push_str(&format!(
                    "<a id=\"history-first\" href=\"{}\">First page</a>",
                    escape(&format!("{base}{kind_query}"))
                ));
            }
            if let Some(cursor) = history.next_cursor {
                let sep = if kind_query.is_empty() { '?' } else { '&' };
                pager.push_str(&format!(
                    "<a id=\"history-next\" rel=\"next\" href=\"{}\">Next page</a>",
                    escape(&format!("{base}{kind_query}{sep}after={cursor}"))
                ));
            }
            pager.push_str("</nav>");
            body.push_str(&pager);
        }
    }
    Ok(page.push(&body).render(StatusCode::OK, Some(user)))
}

#[derive(Deserialize)]
pub struct CsvParams {
    kind: Option<String>,
}

/// `GET /connections/{id}/history.csv`: the API's CSV export, to the session.
pub async fn history_csv(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(params): Query<CsvParams>,
) -> Response {
    let kind = params.kind.as_deref().filter(|k| !k.is_empty());
    let exported = export::history_csv(
        State(state),
        Auth(user.principal()),
        Path(id),
        ValidQuery(history_query(kind, None, None)),
    )
    .await;
    match exported {
        Ok(csv) => csv,
        Err(err) => error_page(&err, Some(&user)),
    }
}
