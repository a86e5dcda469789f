//! `/records/inbox`: the records partners forwarded and the org has not accepted yet, by
//! connection and object, with the fields each copy would be created with, paged. Ticking
//! records and pressing Accept (each assigned to a user, or related to an existing record by
//! its id) or Reject answers them through the API's own handlers, with a result per record.

use super::render::{date, error_page, fields_list, record_path};
use crate::connections::{self, Connection};
use crate::links::inbox::EntryView;
use crate::routes::AppState;
use crate::routes::inbox::{self, AcceptItem, AcceptRequest, InboxQuery, RejectRequest};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::Value;
use shared::http::{ApiError, Auth, ValidJson, ValidQuery};
use shared::identity::users;
use shared::roles;
use shared::web::csrf::hidden_field;
use shared::web::escape::escape;
use shared::web::notice::problem_text;
use shared::web::{CsrfForm, Page, WebUser, pagination};
use uuid::Uuid;

#[derive(Deserialize, Default)]
pub struct InboxParams {
    connection_id: Option<String>,
    object: Option<String>,
    page: Option<usize>,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Query(params): Query<InboxParams>,
) -> Response {
    match page(&state, &user, &params, "").await {
        Ok(page) => page.render(StatusCode::OK, Some(&user)),
        Err(err) => error_page(&err, &user),
    }
}

/// The partner's name on each of the org's connections.
pub fn partner_name(connection: &Connection, user: &WebUser) -> String {
    let other = match connection.side_of(user.org_id) {
        Some(connections::Side::Inviter) => connections::Side::Invitee,
        _ => connections::Side::Inviter,
    };
    connection.name_of(other)
}

async fn entries(
    state: &AppState,
    user: &WebUser,
    connection_id: Option<Uuid>,
    object: Option<String>,
) -> Result<Vec<EntryView>, ApiError> {
    let Json(found) = inbox::list(
        State(state.clone()),
        Auth(user.principal()),
        ValidQuery(InboxQuery {
            connection_id,
            object,
        }),
    )
    .await?;
    Ok(found.items)
}

/// A queue's option value in the assignee list: `queue:<id>` (a user's is its id).
const QUEUE_OPTION: &str = "queue:";

/// The `<option>`s (value, label) a copy can be assigned to: the org's people, then its queues.
async fn assignees(state: &AppState, user: &WebUser) -> Result<Vec<(String, String)>, ApiError> {
    let mut conn = state.pool.get().await?;
    let people: Vec<(Uuid, String)> = users::table
        .filter(users::org_id.eq(user.org_id.as_uuid()))
        .filter(users::active)
        .filter(users::is_connection_user.eq(false))
        .order(users::name)
        .select((users::id, users::name))
        .load(&mut conn)
        .await?;
    let queues: Vec<(Uuid, String)> = roles::queues::table
        .filter(roles::queues::org_id.eq(user.org_id.as_uuid()))
        .order(roles::queues::name)
        .select((roles::queues::id, roles::queues::name))
        .load(&mut conn)
        .await?;
    Ok(people
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .chain(
            queues
                .into_iter()
                .map(|(id, name)| (format!("{QUEUE_OPTION}{id}"), format!("Queue: {name}"))),
        )
        .collect())
}

/// The inbox page; `before` is trusted markup shown above the list (an answer's results).
async fn page(
    state: &AppState,
    user: &WebUser,
    params: &InboxParams,
    before: &str,
) -> Result<Page, ApiError> {
    let connection_id = match params.connection_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => Some(
            Uuid::parse_str(id)
                .map_err(|_| ApiError::invalid_field("connection_id", "is not a connection"))?,
        ),
        None => None,
    };
    let object = params
        .object
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let all = entries(state, user, connection_id, object.clone()).await?;
    let mut conn = state.pool.get().await?;
    let known = connections::of_org(&mut conn, user.org_id).await?;
    drop(conn);
    let people = assignees(state, user).await?;
    let page = params.page.unwrap_or(1).max(1);
    let (rows, has_next) = pagination::slice(all, page);

    let options: String = known
        .iter()
        .map(|c| {
            let selected = if Some(c.id) == connection_id {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                c.id,
                escape(&partner_name(c, user))
            )
        })
        .collect();
    let mut body = format!(
        "<form method=\"get\" action=\"/records/inbox\" id=\"inbox-filter\">\
         <label for=\"filter-connection\">Connection</label>\
         <select id=\"filter-connection\" name=\"connection_id\"><option value=\"\">Any connection</option>{options}</select>\
         <label for=\"filter-object\">Object</label>\
         <input type=\"text\" id=\"filter-object\" name=\"object\" value=\"{object}\">\
         <button type=\"submit\">Filter</button></form>",
        object = escape(object.as_deref().unwrap_or_default()),
    );
    if rows.is_empty() {
        body.push_str("<p id=\"inbox-empty\">No records wait in your inbox.</p>");
    } else {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/records/inbox\" id=\"inbox-form\">{csrf}\
             <table id=\"inbox\"><thead><tr><th scope=\"col\">Select</th><th scope=\"col\">From</th>\
             <th scope=\"col\">Record</th><th scope=\"col\">Would be created as</th>\
             <th scope=\"col\">Arrived</th><th scope=\"col\">Assign to</th>\
             <th scope=\"col\">Or relate to your record</th></tr></thead><tbody>",
            csrf = hidden_field(user),
        ));
        for entry in &rows {
            let from = known
                .iter()
                .find(|c| c.id == entry.connection_id)
                .map(|c| partner_name(c, user))
                .unwrap_or_default();
            body.push_str(&row(entry, &from, &people));
        }
        body.push_str(
            "</tbody></table>\
             <button type=\"submit\" name=\"action\" value=\"accept\" id=\"accept-selected\">Accept the selected</button> \
             <button type=\"submit\" name=\"action\" value=\"reject\" class=\"danger\" id=\"reject-selected\">Reject the selected</button>\
             </form>",
        );
    }
    let connection_filter = connection_id.map(|id| id.to_string()).unwrap_or_default();
    body.push_str(&pagination::links(
        "/records/inbox",
        &[
            ("connection_id", connection_filter.as_str()),
            ("object", object.as_deref().unwrap_or_default()),
        ],
        page,
        has_next,
    ));
    Ok(Page::new("Inbox").push(before).push(&body))
}

fn row(entry: &EntryView, from: &str, people: &[(String, String)]) -> String {
    let id = entry.id;
    let fields = match &entry.fields {
        Value::Object(map) => fields_list(map),
        _ => String::new(),
    };
    let state = match (&entry.error, entry.state.as_str()) {
        (Some(error), _) => format!(
            "<p class=\"notice error\">Not created: {}</p>",
            escape(error)
        ),
        (None, "accepting") => "<p>Being accepted: the copy is being made.</p>".to_string(),
        _ => String::new(),
    };
    let parent = match (&entry.parent_object, &entry.parent_record_id) {
        (Some(object), Some(record)) => format!(
            "<p>Comes with their {} {}: accept that first.</p>",
            escape(object),
            escape(record)
        ),
        _ => String::new(),
    };
    let options: String = people
        .iter()
        .map(|(value, name)| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape(value),
                escape(name)
            )
        })
        .collect();
    format!(
        "<tr id=\"entry-{id}\">\
         <td data-label=\"Select\"><input type=\"checkbox\" name=\"id\" value=\"{id}\" id=\"select-{id}\">\
         <label for=\"select-{id}\">Select {name}</label></td>\
         <td data-label=\"From\">{from}</td>\
         <td data-label=\"Record\">{name} <small>(their {partner_object} {partner_record})</small>{parent}{state}</td>\
         <td data-label=\"Would be created as\">{object}{fields}</td>\
         <td data-label=\"Arrived\">{arrived}</td>\
         <td data-label=\"Assign to\"><label for=\"assign-{id}\">Assign {name} to</label>\
         <select id=\"assign-{id}\" name=\"assign_to_{id}\"><option value=\"\">The default owner</option>{options}</select></td>\
         <td data-label=\"Or relate to your record\"><label for=\"relate-{id}\">Relate {name} to your record (its id)</label>\
         <input type=\"text\" id=\"relate-{id}\" name=\"relate_to_{id}\"></td></tr>",
        name = escape(&entry.name),
        from = escape(from),
        partner_object = escape(&entry.partner_object),
        partner_record = escape(&entry.partner_record_id),
        object = escape(&entry.object),
        arrived = date(&entry.arrived_at),
    )
}

/// The value of the form's field `name`, trimmed, if not blank.
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// An API error about `items[i]` / `ids[i]` names the record it is about.
fn about_record(err: &ApiError, ids: &[String], names: &[(Uuid, String)]) -> String {
    let text = problem_text(err);
    let field = err.problem().field.clone().unwrap_or_default();
    let index = field
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(i, _)| i.parse::<usize>().ok());
    let name = index
        .and_then(|i| ids.get(i))
        .and_then(|id| names.iter().find(|(n, _)| n.to_string() == *id))
        .map(|(_, name)| name.clone());
    match name {
        Some(name) => format!("{name}: {text}"),
        None => text,
    }
}

/// `POST /records/inbox`: accept or reject the ticked records.
pub async fn answer(
    State(state): State<AppState>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.trim().to_string())
        .collect();
    let again = |notice: Result<String, String>, status: StatusCode| {
        let state = state.clone();
        let user = user.clone();
        async move {
            let (results, error) = match notice {
                Ok(results) => (results, None),
                Err(error) => (String::new(), Some(error)),
            };
            match page(&state, &user, &InboxParams::default(), &results).await {
                Ok(page) => match error {
                    Some(error) => page.notice_error(&error),
                    None => page,
                }
                .render(status, Some(&user)),
                Err(err) => error_page(&err, &user),
            }
        }
    };
    if ids.is_empty() {
        return again(
            Err("Choose at least one record: tick its box.".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let names: Vec<(Uuid, String, String)> = match entries(&state, &user, None, None).await {
        Ok(all) => all.into_iter().map(|e| (e.id, e.name, e.object)).collect(),
        Err(err) => return error_page(&err, &user),
    };
    let name_of = |id: Uuid| {
        names
            .iter()
            .find(|(n, _, _)| *n == id)
            .map(|(_, name, _)| name.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let object_of = |id: Uuid| {
        names
            .iter()
            .find(|(n, _, _)| *n == id)
            .map(|(_, _, object)| object.clone())
    };
    let just_names: Vec<(Uuid, String)> = names.iter().map(|(i, n, _)| (*i, n.clone())).collect();
    let answered = match pairs
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_str())
    {
        Some("accept") => {
            let items = ids
                .iter()
                .map(|id| {
                    let chosen = field(&pairs, &format!("assign_to_{id}"));
                    let queue = chosen.and_then(|c| c.strip_prefix(QUEUE_OPTION));
                    AcceptItem {
                        id: id.clone(),
                        assign_to: chosen.filter(|_| queue.is_none()).map(str::to_string),
                        relate_to: field(&pairs, &format!("relate_to_{id}")).map(str::to_string),
                        assign_to_queue: queue.map(str::to_string),
                    }
                })
                .collect();
            inbox::accept(
                State(state.clone()),
                Auth(user.principal()),
                ValidJson(AcceptRequest { items }),
            )
            .await
            .map(|(_, Json(results))| results)
        }
        Some("reject") => inbox::reject(
            State(state.clone()),
            Auth(user.principal()),
            ValidJson(RejectRequest { ids: ids.clone() }),
        )
        .await
        .map(|Json(results)| results),
        _ => Err(ApiError::invalid_field(
            "action",
            "must be accept or reject",
        )),
    };
    let results = match answered {
        Ok(results) => results,
        Err(err) => {
            let status = err.status();
            return again(Err(about_record(&err, &ids, &just_names)), status).await;
        }
    };
    let mut list = String::from("<ul class=\"results\" id=\"inbox-results\">");
    for result in &results.results {
        let name = escape(&name_of(result.id));
        let words = match result.outcome {
            "accepting" => {
                let copy = object_of(result.id)
                    .map(|object| {
                        format!(
                            " (<a href=\"{}\">the copy's page</a>)",
                            escape(&record_path(&object, &result.id.to_string()))
                        )
                    })
                    .unwrap_or_default();
                format!("accepted: the copy is being made{copy}")
            }
            "already_accepting" => "already being accepted".to_string(),
            "rejected" => "rejected: the partner is told".to_string(),
            other => format!(
                "not accepted: {}",
                escape(result.detail.as_deref().unwrap_or(other))
            ),
        };
        let class = if matches!(result.outcome, "refused") {
            "rejected"
        } else {
            "done"
        };
        list.push_str(&format!(
            "<li class=\"{class}\" id=\"result-{}\">{name}: {words}</li>",
            result.id
        ));
    }
    list.push_str("</ul>");
    again(Ok(list), StatusCode::OK).await
}
