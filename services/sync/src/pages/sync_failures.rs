//! `GET /connections/{id}/sync-failures`: the connection's Failed updates (record, fields,
//! error, attempts, when), paged, each with a Replay button where the org received it (only the
//! receiving org can replay), and a button to replay all of them. After a replay, the outcome
//! of each replayed update; the page refreshes itself until every outcome is known.

use super::{error_page, known_connection, outcome};
use crate::ledger::{self, Entry, Filter};
use crate::routes::AppState;
use crate::routes::ledger::{LedgerQuery, list};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use shared::http::{ApiError, Auth, ValidQuery};
use shared::web::csrf::hidden_field;
use shared::web::{Page, WebUser, escape};
use std::collections::HashSet;
use uuid::Uuid;

/// Failures per page.
const PAGE: i64 = 25;

#[derive(Deserialize)]
pub struct Params {
    after: Option<i64>,
    /// The update ids just replayed, comma separated, whose outcomes the page shows.
    replayed: Option<String>,
    /// How many dead letters the replay put back.
    count: Option<usize>,
    /// When the replay was asked for (Unix milliseconds): an outcome finished before it is the
    /// one from before the replay, still to come.
    since: Option<i64>,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    match render(state, &user, &id, params).await {
        Ok(response) => response,
        Err(err) => error_page(&err, &user),
    }
}

/// `Field = value` of each field an update carried.
fn fields_text(fields: &Value) -> String {
    let Some(map) = fields.as_object() else {
        return String::new();
    };
    map.iter()
        .map(|(field, sent)| {
            let value = match &sent["value"] {
                Value::String(text) => text.clone(),
                Value::Null => "(empty)".to_string(),
                other => other.to_string(),
            };
            format!("{field} = {value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(entry: &Entry, user: &WebUser, connection: Uuid) -> String {
    let received = entry.receiver_org_id == user.org_id.as_uuid();
    let (object, record) = if received {
        (&entry.receiver_object, &entry.receiver_record_id)
    } else {
        (&entry.sender_object, &entry.sender_record_id)
    };
    let action = if received {
        format!(
            "<form method=\"post\" action=\"/connections/{connection}/sync-failures\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"update_id\" value=\"{update}\">\
             <button type=\"submit\" id=\"replay-{update}\" aria-label=\"Replay the update of {label}\">Replay</button></form>",
            csrf = hidden_field(user),
            update = entry.update_id,
            label = escape(&format!("{object} {record}")),
        )
    } else {
        "Your partner can replay it".to_string()
    };
    format!(
        "<tr><td data-label=\"Record\">{object} {record}</td>\
         <td data-label=\"Fields\">{fields}</td>\
         <td data-label=\"Error\" class=\"error\">{error}</td>\
         <td data-label=\"Attempts\">{attempts}</td>\
         <td data-label=\"When\">{when}</td><td data-label=\"Replay\">{action}</td></tr>",
        object = escape(object),
        record = escape(record),
        fields = escape(&fields_text(&entry.fields)),
        error = escape(entry.error.as_deref().unwrap_or("")),
        attempts = entry.attempts,
        when = entry
            .finished_at
            .unwrap_or(entry.queued_at)
            .format("%-d %b %Y %H:%M UTC"),
    )
}

/// The org's ledger entries of the replayed `ids` over the connection.
async fn replayed_entries(
    state: &AppState,
    user: &WebUser,
    connection: Uuid,
    ids: &str,
) -> Result<Vec<Entry>, ApiError> {
    let wanted: HashSet<Uuid> = ids
        .split(',')
        .filter_map(|id| Uuid::parse_str(id.trim()).ok())
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = state.pool.get().await?;
    let all = ledger::list(
        &mut conn,
        &Filter {
            org: user.org_id,
            connection_id: Some(connection),
            record_id: None,
            failed_only: false,
            after: None,
            limit: 10_000,
        },
    )
    .await?;
    Ok(all
        .into_iter()
        .filter(|e| wanted.contains(&e.update_id))
        .collect())
}

async fn render(
    state: AppState,
    user: &WebUser,
    id: &str,
    params: Params,
) -> Result<Response, ApiError> {
    let connection = {
        let mut conn = state.pool.get().await?;
        known_connection::of_org(&mut conn, user.org_id, id).await?
    };
    let mut page = Page::new("Sync failures");
    let mut body = format!(
        "<p><a href=\"/connections/{connection}\" id=\"back\">Back to the connection</a></p>"
    );
    let mut pending = false;
    if let Some(count) = params.count {
        page = page.notice_ok(&match count {
            1 => "1 update was replayed.".to_string(),
            n => format!("{n} updates were replayed."),
        });
    }
    if let Some(ids) = params.replayed.as_deref() {
        let entries = replayed_entries(&state, user, connection, ids).await?;
        if !entries.is_empty() {
            let (section, waiting) = outcome::section(&entries, params.since);
            pending = waiting;
            body.push_str(&section);
        }
    }
    // Read after the outcomes: an update applied in between is then not listed as failed.
    let Json(failed) = list(
        State(state.clone()),
        Auth(user.principal()),
        ValidQuery(LedgerQuery {
            connection_id: Some(connection.to_string()),
            record_id: None,
            failed_only: Some(true),
            after: params.after,
            limit: Some(PAGE),
        }),
    )
    .await?;
    body.push_str("<h2 id=\"failures\">Failed updates</h2>");
    if failed.entries.is_empty() {
        body.push_str("<p id=\"no-failures\">No failed updates over this connection.</p>");
    } else {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/connections/{connection}/sync-failures\" id=\"replay-all-form\">{csrf}\
             <button type=\"submit\" id=\"replay-all\">Replay all failures of this connection</button></form>\
             <table id=\"failure-entries\"><thead><tr><th scope=\"col\">Record</th>\
             <th scope=\"col\">Fields</th><th scope=\"col\">Error</th><th scope=\"col\">Attempts</th>\
             <th scope=\"col\">When</th><th scope=\"col\">Replay</th></tr></thead><tbody>",
            csrf = hidden_field(user),
        ));
        for entry in &failed.entries {
            body.push_str(&row(entry, user, connection));
        }
        body.push_str("</tbody></table>");
    }
    let base = format!("/connections/{connection}/sync-failures");
    let mut pager = String::from("<nav class=\"pager\" aria-label=\"Failure pages\">");
    if params.after.is_some() {
        pager.push_str(&format!(
            "<a id=\"page-first\" href=\"{base}\">First page</a>"
        ));
    }
    if let Some(cursor) = failed.next_after {
        pager.push_str(&format!(
            "<a id=\"page-next\" rel=\"next\" href=\"{base}?after={cursor}\">Next page</a>"
        ));
    }
    pager.push_str("</nav>");
    body.push_str(&pager);
    let mut response = page.push(&body).render(StatusCode::OK, Some(user));
    if pending {
        // The outcome arrives through the apply queue: look again shortly (no script needed).
        response
            .headers_mut()
            .insert("refresh", HeaderValue::from_static("2"));
    }
    Ok(response)
}
