//! A connection's actions from its page: `GET /connections/{id}/{action}` asks to confirm,
//! `POST` (CSRF-checked) runs the API's own handler and returns to the connection's page.

use super::super::AppState;
use super::super::actions::{self, AcceptRequest};
use super::super::read;
use super::render::error_page;
use crate::connection::ConnectionView;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAction {
    Resend,
    Cancel,
    Deactivate,
    Accept,
    Decline,
    DecideLater,
}

impl PageAction {
    const ALL: [PageAction; 6] = [
        PageAction::Resend,
        PageAction::Cancel,
        PageAction::Deactivate,
        PageAction::Accept,
        PageAction::Decline,
        PageAction::DecideLater,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            PageAction::Resend => "resend",
            PageAction::Cancel => "cancel",
            PageAction::Deactivate => "deactivate",
            PageAction::Accept => "accept",
            PageAction::Decline => "decline",
            PageAction::DecideLater => "decide-later",
        }
    }

    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == slug)
    }

    pub fn label(self) -> &'static str {
        match self {
            PageAction::Resend => "Resend the invitation",
            PageAction::Cancel => "Cancel the invitation",
            PageAction::Deactivate => "Deactivate the connection",
            PageAction::Accept => "Accept the invitation",
            PageAction::Decline => "Decline the invitation",
            PageAction::DecideLater => "Decide later",
        }
    }

    fn question(self) -> &'static str {
        match self {
            PageAction::Resend => {
                "Send the invitation again with a new link? The old link stops working."
            }
            PageAction::Cancel => "Cancel the invitation? Its link stops working.",
            PageAction::Deactivate => {
                "Deactivate the connection? Updates stop crossing it, on both sides."
            }
            PageAction::Accept => {
                "Accept the invitation? You become the connection's owner on your side."
            }
            PageAction::Decline => "Decline the invitation? The inviting organization is told.",
            PageAction::DecideLater => "Keep the invitation to decide later?",
        }
    }

    pub fn done_words(self) -> &'static str {
        match self {
            PageAction::Resend => "The invitation was sent again.",
            PageAction::Cancel => "The invitation was cancelled.",
            PageAction::Deactivate => "The connection was deactivated.",
            PageAction::Accept => "You accepted the invitation.",
            PageAction::Decline => "You declined the invitation.",
            PageAction::DecideLater => "The invitation waits for your decision.",
        }
    }
}

/// The actions the connection's status allows the user's side.
pub fn available(view: &ConnectionView, user: &WebUser) -> Vec<PageAction> {
    let inviter = view.org_id == user.org_id.as_uuid();
    match (inviter, view.status.as_str()) {
        (true, "Sent") => vec![PageAction::Resend, PageAction::Cancel],
        (false, "Received") => vec![
            PageAction::Accept,
            PageAction::Decline,
            PageAction::DecideLater,
        ],
        (false, "Pending") => vec![PageAction::Accept, PageAction::Decline],
        (_, "Accepted") => vec![PageAction::Deactivate],
        _ => Vec::new(),
    }
}

fn unknown_action(user: &WebUser) -> Response {
    error_page(&ApiError::not_found("page"), Some(user))
}

/// `GET /connections/{id}/{action}`: the confirmation.
pub async fn confirm(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, slug)): Path<(String, String)>,
) -> Response {
    let Some(action) = PageAction::parse(&slug) else {
        return unknown_action(&user);
    };
    // The same read as the connection's page: another org's connection is "not found".
    let view = match read::get_connection(State(state), Auth(user.principal()), Path(id)).await {
        Ok(Json(view)) => view,
        Err(err) => return error_page(&err, Some(&user)),
    };
    Page::new(action.label())
        .push(&format!(
            "<p id=\"question\">{question}</p>\
             <form method=\"post\" action=\"/connections/{id}/{slug}\" id=\"confirm-form\">{csrf}\
             <button type=\"submit\" id=\"confirm\">{label}</button>\
             <a href=\"/connections/{id}\" id=\"back\">Go back</a></form>",
            question = action.question(),
            id = view.id,
            slug = action.slug(),
            csrf = hidden_field(&user),
            label = action.label(),
        ))
        .render(StatusCode::OK, Some(&user))
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /connections/{id}/{action}`.
pub async fn act(
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> Response {
    let Some(action) = PageAction::parse(&slug) else {
        return unknown_action(&user);
    };
    let (state, auth, path) = (State(state), Auth(user.principal()), Path(id.clone()));
    let done = match action {
        PageAction::Resend => actions::resend(state, auth, path).await,
        PageAction::Cancel => actions::cancel(state, auth, path).await,
        PageAction::Deactivate => actions::deactivate(state, auth, path).await,
        PageAction::Decline => actions::decline(state, auth, path).await,
        PageAction::DecideLater => actions::decide_later(state, auth, path).await,
        PageAction::Accept => {
            let owner = Some(user.user_id.as_uuid());
            actions::accept(
                state,
                auth,
                path,
                ValidJson(AcceptRequest {
                    owner_user_id: owner,
                }),
            )
            .await
        }
    };
    match done {
        Ok(Json(view)) => see_other(&format!("/connections/{}?done={}", view.id, action.slug())),
        Err(err) => error_page(&err, Some(&user)),
    }
}
