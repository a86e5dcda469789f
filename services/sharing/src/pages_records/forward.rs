//! Forwarding a record from its page: `POST /records/{object}/{record_id}/forward` with
//! `step=dry_run` answers the API's dry run (what would be sent to each connection, as what,
//! or what blocks it) with a confirm button; `step=confirm` forwards, with a result per
//! connection. Both are the API's own `POST /v1/sharing/forward`.

use super::record;
use super::render::{error_page, fields_list, record_path};
use crate::links::forward::{ForwardRequest, ForwardResult, Outcome, RecordRef};
use crate::routes::AppState;
use crate::routes::forward::{self as api, ForwardResponse};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shared::http::{Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::escape::escape;
use shared::web::notice::problem_text;
use shared::web::{CsrfForm, Page, WebUser};
use uuid::Uuid;

/// What the user chose in the forward form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    pub connection_ids: Vec<String>,
    /// Child objects' API names, comma-separated as typed.
    pub related_objects: String,
    pub send_open_tasks: bool,
    pub send_closed_tasks: bool,
    pub send_email: bool,
}

impl Choice {
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let has = |name: &str| pairs.iter().any(|(k, _)| k == name);
        Self {
            connection_ids: pairs
                .iter()
                .filter(|(k, _)| k == "connection_id")
                .map(|(_, v)| v.trim().to_string())
                .collect(),
            related_objects: pairs
                .iter()
                .find(|(k, _)| k == "related_objects")
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default(),
            send_open_tasks: has("send_open_tasks"),
            send_closed_tasks: has("send_closed_tasks"),
            send_email: has("send_email"),
        }
    }

    fn related(&self) -> Vec<String> {
        self.related_objects
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn request(&self, object: &str, record_id: &str, dry_run: bool) -> ForwardRequest {
        ForwardRequest {
            records: vec![RecordRef {
                object: object.to_string(),
                record_id: record_id.to_string(),
            }],
            connection_ids: self.connection_ids.clone(),
            dry_run,
            send_email: self.send_email,
            related_objects: self.related(),
            send_open_tasks: self.send_open_tasks,
            send_closed_tasks: self.send_closed_tasks,
        }
    }

    /// The choice again, as the hidden fields of the confirm form.
    fn hidden(&self) -> String {
        let mut out = String::new();
        for id in &self.connection_ids {
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"connection_id\" value=\"{}\">",
                escape(id)
            ));
        }
        out.push_str(&format!(
            "<input type=\"hidden\" name=\"related_objects\" value=\"{}\">",
            escape(&self.related_objects)
        ));
        for (on, name) in [
            (self.send_open_tasks, "send_open_tasks"),
            (self.send_closed_tasks, "send_closed_tasks"),
            (self.send_email, "send_email"),
        ] {
            if on {
                out.push_str(&format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"yes\">"
                ));
            }
        }
        out
    }
}

fn checkbox(name: &str, id: &str, label: &str, checked: bool) -> String {
    let checked = if checked { " checked" } else { "" };
    format!(
        "<p><input type=\"checkbox\" name=\"{name}\" value=\"yes\" id=\"{id}\"{checked}> \
         <label for=\"{id}\">{label}</label></p>"
    )
}

/// The forward form of a record: connections to choose, the children to send with it.
pub fn form_markup(
    user: &WebUser,
    object: &str,
    record_id: &str,
    targets: &[(Uuid, String)],
    choice: &Choice,
) -> String {
    if targets.is_empty() {
        return "<p id=\"no-targets\">You have no accepted connections to forward to.</p>"
            .to_string();
    }
    let connections: String = targets
        .iter()
        .map(|(id, name)| {
            let checked = if choice.connection_ids.contains(&id.to_string()) {
                " checked"
            } else {
                ""
            };
            format!(
                "<p><input type=\"checkbox\" name=\"connection_id\" value=\"{id}\" id=\"forward-to-{id}\"{checked}> \
                 <label for=\"forward-to-{id}\">{}</label></p>",
                escape(name)
            )
        })
        .collect();
    format!(
        "<form method=\"post\" action=\"{action}\" id=\"forward-form\">{csrf}\
         <input type=\"hidden\" name=\"step\" value=\"dry_run\">\
         <fieldset><legend>Forward to</legend>{connections}</fieldset>\
         <label for=\"related-objects\">Related objects sent with it (API names, comma-separated)</label>\
         <input type=\"text\" id=\"related-objects\" name=\"related_objects\" value=\"{related}\">\
         {open}{closed}{email}\
         <button type=\"submit\" id=\"check-forward\">Check what would be sent</button></form>",
        action = escape(&format!("{}/forward", record_path(object, record_id))),
        csrf = hidden_field(user),
        related = escape(&choice.related_objects),
        open = checkbox(
            "send_open_tasks",
            "send-open-tasks",
            "Send its open tasks",
            choice.send_open_tasks
        ),
        closed = checkbox(
            "send_closed_tasks",
            "send-closed-tasks",
            "Send its closed tasks",
            choice.send_closed_tasks
        ),
        email = checkbox(
            "send_email",
            "send-email",
            "Email the partner's contact",
            choice.send_email
        ),
    )
}

/// One result in words.
fn result_item(result: &ForwardResult, targets: &[(Uuid, String)]) -> String {
    let partner = targets
        .iter()
        .find(|(id, _)| *id == result.connection_id)
        .map(|(_, name)| name.clone())
        .unwrap_or_else(|| result.connection_id.to_string());
    let what = match &result.parent {
        Some(parent) => format!(
            "{} {} (with {} {})",
            result.object, result.record_id, parent.object, parent.record_id
        ),
        None => format!("{} {}", result.object, result.record_id),
    };
    let target = result.target_object.as_deref().unwrap_or("a record");
    let (class, words) = match result.outcome {
        Outcome::WouldForward => (
            "would",
            format!("would be sent, arriving as their {target}"),
        ),
        Outcome::Forwarded => (
            "forwarded",
            "sent: Pending (sent) until they answer".to_string(),
        ),
        Outcome::AlreadyShared => (
            "already",
            "already shared on this connection: nothing is sent again".to_string(),
        ),
        Outcome::Refused => (
            "rejected",
            format!(
                "blocked: {}",
                result
                    .refusal
                    .as_ref()
                    .map(|r| r.detail.as_str())
                    .unwrap_or("not sent")
            ),
        ),
    };
    let fields = match (&result.outcome, &result.mapped_fields) {
        (Outcome::WouldForward | Outcome::Forwarded, Some(mapped)) => {
            format!("<p>Their inbox shows:</p>{}", fields_list(mapped))
        }
        _ => String::new(),
    };
    format!(
        "<li class=\"{class}\">To {partner}: {what}: {words}{fields}</li>",
        partner = escape(&partner),
        what = escape(&what),
        words = escape(&words),
    )
}

fn results_list(response: &ForwardResponse, targets: &[(Uuid, String)]) -> String {
    let items: String = response
        .results
        .iter()
        .map(|r| result_item(r, targets))
        .collect();
    format!("<ul class=\"results\" id=\"forward-results\">{items}</ul>")
}

/// `POST /records/{object}/{record_id}/forward`.
pub async fn forward(
    State(state): State<AppState>,
    Path((object, record_id)): Path<(String, String)>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let choice = Choice::from_pairs(&pairs);
    let confirm = pairs.iter().any(|(k, v)| k == "step" && v == "confirm");
    let answered = api::forward(
        State(state.clone()),
        Auth(user.principal()),
        ValidJson(choice.request(&object, &record_id, !confirm)),
    )
    .await;
    let response = match answered {
        Ok(Json(response)) => response,
        // The record's page again, the choice kept, the API's problem in words.
        Err(err) => {
            return match record::page(&state, &user, &object, &record_id, &choice).await {
                Ok(page) => page
                    .notice_error(&problem_text(&err))
                    .render(err.status(), Some(&user)),
                Err(read) => error_page(&read, &user),
            };
        }
    };
    let targets = match record::accepted_connections(&state, &user).await {
        Ok(targets) => targets,
        Err(err) => return error_page(&err, &user),
    };
    let here = record_path(&object, &record_id);
    let results = results_list(&response, &targets);
    let title = format!("Forward {object} {record_id}");
    if confirm {
        let sent = response
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Forwarded)
            .count();
        let page = Page::new(&title);
        let page = if sent > 0 {
            page.notice_ok(&format!("Forwarded: {sent} record(s) sent."))
        } else {
            page.notice_error("Nothing was sent: see why below.")
        };
        return page
            .push(&results)
            .push(&format!(
                "<p><a href=\"{}\" id=\"back-to-record\">Back to the record</a></p>",
                escape(&here)
            ))
            .render(StatusCode::OK, Some(&user));
    }
    let would = response
        .results
        .iter()
        .any(|r| r.outcome == Outcome::WouldForward);
    let mut body = String::from("<p id=\"dry-run\">A dry run: nothing has been sent yet.</p>");
    body.push_str(&results);
    if would {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{action}\" id=\"confirm-form\">{csrf}{hidden}\
             <input type=\"hidden\" name=\"step\" value=\"confirm\">\
             <button type=\"submit\" id=\"confirm-forward\">Forward now</button> \
             <a href=\"{back}\" id=\"back\">Go back</a></form>",
            action = escape(&format!("{here}/forward")),
            csrf = hidden_field(&user),
            hidden = choice.hidden(),
            back = escape(&here),
        ));
    } else {
        body.push_str(&format!(
            "<p id=\"nothing-to-send\">Nothing would be sent. <a href=\"{}\">Back to the record</a></p>",
            escape(&here)
        ));
    }
    Page::new(&title)
        .push(&body)
        .render(StatusCode::OK, Some(&user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_choice_reads_from_the_form_and_asks_the_api_the_same() {
        let choice = Choice::from_pairs(&pairs(&[
            ("connection_id", "a"),
            ("connection_id", "b"),
            ("related_objects", " Contact, Case "),
            ("send_open_tasks", "yes"),
        ]));
        assert_eq!(choice.connection_ids, ["a", "b"]);
        let request = choice.request("Account", "acc-1", true);
        assert_eq!(request.related_objects, ["Contact", "Case"]);
        assert!(request.send_open_tasks && !request.send_closed_tasks && request.dry_run);
        // The confirm form carries the same choice.
        let hidden = choice.hidden();
        assert!(hidden.contains("value=\"a\"") && hidden.contains("send_open_tasks"));
        assert!(!hidden.contains("send_closed_tasks"));
    }
}
