//! `GET/POST /connections/new`: invite one or many partners, one contact a line
//! (`Name <email>`, `Name, email` or just `email`), with a result line per contact: invited,
//! or the API's error in words. The invitations are the API's bulk invitation.

use super::super::AppState;
use super::super::invite::{self, BulkInviteRequest};
use super::render::error_page;
use crate::connection::Contact;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::identity::users;
use shared::web::csrf::hidden_field;
use shared::web::escape::escape;
use shared::web::notice::problem_text;
use shared::web::{CsrfForm, Page, WebUser};
use uuid::Uuid;

/// The most contacts one form sends (the API's bulk limit).
const MAX_CONTACTS: usize = 100;

/// One line of the textarea as a contact.
fn parse_line(line: &str) -> Contact {
    let line = line.trim();
    let (name, email) = if let (Some(open), true) = (line.rfind('<'), line.ends_with('>')) {
        (line[..open].trim(), &line[open + 1..line.len() - 1])
    } else if let Some((name, email)) = line.rsplit_once(',') {
        (name.trim(), email)
    } else {
        ("", line)
    };
    let email = email.trim();
    let name = if name.is_empty() {
        email.split('@').next().unwrap_or(email)
    } else {
        name
    };
    Contact {
        name: name.to_string(),
        email: email.to_string(),
    }
}

/// The org's active users as the owner's options, `chosen` (or the user) selected.
pub(super) async fn owner_options(
    state: &AppState,
    user: &WebUser,
    chosen: Option<Uuid>,
) -> Result<String, ApiError> {
    let mut conn = state.pool.get().await?;
    let found: Vec<(Uuid, String, String)> = users::table
        .filter(users::org_id.eq(user.org_id.as_uuid()))
        .filter(users::active)
        .filter(users::is_connection_user.eq(false))
        .order(users::name)
        .select((users::id, users::name, users::email))
        .load(&mut conn)
        .await?;
    let chosen = chosen.unwrap_or(user.user_id.as_uuid());
    Ok(found
        .iter()
        .map(|(id, name, email)| {
            let selected = if *id == chosen { " selected" } else { "" };
            format!(
                "<option value=\"{id}\"{selected}>{} ({})</option>",
                escape(name),
                escape(email)
            )
        })
        .collect())
}

fn form_markup(user: &WebUser, owners: &str, contacts: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/connections/new\" id=\"invite-form\">{csrf}\
         <label for=\"contacts\">Contacts to invite, one a line</label>\
         <p id=\"contacts-hint\">As <code>Ann Smith &lt;ann@initech.example&gt;</code>, \
         <code>Ann Smith, ann@initech.example</code> or just the address; up to {MAX_CONTACTS}.</p>\
         <textarea id=\"contacts\" name=\"contacts\" aria-describedby=\"contacts-hint\" required>{contacts}</textarea>\
         <label for=\"owner\">Connection owner</label>\
         <select id=\"owner\" name=\"owner_user_id\">{owners}</select>\
         <button type=\"submit\" id=\"send-invitations\">Send the invitations</button></form>",
        csrf = hidden_field(user),
        contacts = escape(contacts),
    )
}

/// `GET /connections/new`.
pub async fn form(State(state): State<AppState>, user: WebUser) -> Response {
    match owner_options(&state, &user, None).await {
        Ok(owners) => Page::new("Invite partners")
            .push(&form_markup(&user, &owners, ""))
            .render(StatusCode::OK, Some(&user)),
        Err(err) => error_page(&err, Some(&user)),
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    contacts: String,
    #[serde(default)]
    owner_user_id: String,
}

/// `POST /connections/new`.
pub async fn invite(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<InviteForm>,
) -> Response {
    let lines: Vec<&str> = form
        .contacts
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let owner = Uuid::parse_str(form.owner_user_id.trim()).ok();
    let owners = match owner_options(&state, &user, owner).await {
        Ok(owners) => owners,
        Err(err) => return error_page(&err, Some(&user)),
    };
    let again = |notice: &str, status: StatusCode| {
        Page::new("Invite partners")
            .notice_error(notice)
            .push(&form_markup(&user, &owners, &form.contacts))
            .render(status, Some(&user))
    };
    if lines.is_empty() || lines.len() > MAX_CONTACTS {
        return again(
            &format!("Enter 1 to {MAX_CONTACTS} contacts, one a line."),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let Some(owner) = owner else {
        return again(
            "Choose the connection owner.",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let invited = invite::bulk_invite(
        State(state.clone()),
        Auth(user.principal()),
        ValidJson(BulkInviteRequest {
            contacts: lines.iter().map(|l| parse_line(l)).collect(),
            owner_user_id: owner,
            template_id: None,
        }),
    )
    .await;
    let Json(response) = match invited {
        Ok(response) => response,
        Err(err) => return again(&problem_text(&err), err.status()),
    };
    let mut results = String::from("<ul class=\"results\" id=\"invite-results\">");
    let mut rejected = Vec::new();
    for outcome in &response.results {
        let line = lines.get(outcome.index).copied().unwrap_or_default();
        match (&outcome.connection_id, &outcome.error) {
            (Some(id), _) => results.push_str(&format!(
                "<li class=\"invited\">{}: invited (<a href=\"/connections/{id}\">open</a>)</li>",
                escape(line.trim())
            )),
            (None, error) => {
                rejected.push(line);
                let why = error
                    .as_ref()
                    .map(|p| p.detail.clone())
                    .unwrap_or_else(|| "not invited".to_string());
                results.push_str(&format!(
                    "<li class=\"rejected\">{}: not invited: {}</li>",
                    escape(line.trim()),
                    escape(&why)
                ));
            }
        }
    }
    results.push_str("</ul>");
    let invited = response.results.len() - rejected.len();
    let mut page = Page::new("Invite partners");
    page = if rejected.is_empty() {
        page.notice_ok(&format!("{invited} invitation(s) sent."))
    } else {
        page.notice_error(&format!(
            "{invited} invitation(s) sent, {} contact(s) not invited: correct them below and send again.",
            rejected.len()
        ))
    };
    page.push(&results)
        .push(&form_markup(&user, &owners, &rejected.join("\n")))
        .render(StatusCode::OK, Some(&user))
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    #[test]
    fn lines_read_as_contacts() {
        let c = parse_line(" Ann Smith <ann@initech.example> ");
        assert_eq!(
            (c.name.as_str(), c.email.as_str()),
            ("Ann Smith", "ann@initech.example")
        );
        let c = parse_line("Bob, bob@initech.example");
        assert_eq!(
            (c.name.as_str(), c.email.as_str()),
            ("Bob", "bob@initech.example")
        );
        let c = parse_line("cara@initech.example");
        assert_eq!(
            (c.name.as_str(), c.email.as_str()),
            ("cara", "cara@initech.example")
        );
    }
}
