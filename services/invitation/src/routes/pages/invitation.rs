//! The invitation link from the email: `GET /invitations/accept?token=…` shows who invites whom,
//! without claiming; a signed-in user of another org answers with `POST /invitations/answer`,
//! which claims the invitation and accepts, declines or keeps it for later through the API's
//! own handlers.

use super::super::AppState;
use super::super::actions::{self, AcceptRequest};
use super::super::claim::{self, ClaimRequest};
use super::render::error_page;
use crate::connection::ConnectionRow;
use crate::schema::{connections, tokens};
use crate::token;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::identity::users;
use shared::web::csrf::hidden_field;
use shared::web::escape::{escape, url_encode};
use shared::web::{CsrfForm, MaybeWebUser, Page, WebUser};

#[derive(Deserialize)]
pub struct AcceptQuery {
    token: Option<String>,
}

/// What a token's invitation shows.
struct Invitation {
    row: ConnectionRow,
    inviter_org: String,
    inviter_owner: Option<String>,
    expires_at: DateTime<Utc>,
    used: bool,
    revoked: bool,
}

async fn find(state: &AppState, token: &str) -> Result<Option<Invitation>, ApiError> {
    let mut conn = state.pool.get().await?;
    type Found = (
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        ConnectionRow,
    );
    let found: Option<Found> = tokens::table
        .inner_join(connections::table)
        .filter(tokens::token_hash.eq(token::hash(token)))
        .select((
            tokens::expires_at,
            tokens::used_at,
            tokens::revoked_at,
            ConnectionRow::as_select(),
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((expires_at, used_at, revoked_at, row)) = found else {
        return Ok(None);
    };
    let inviter_org = shared::identity::org_name(&mut conn, shared::ids::OrgId(row.org_id))
        .await?
        .unwrap_or_default();
    let inviter_owner = match row.owner_user_id {
        Some(owner) => users::table
            .find(owner)
            .select(users::name)
            .first(&mut conn)
            .await
            .optional()?,
        None => None,
    };
    Ok(Some(Invitation {
        row,
        inviter_org,
        inviter_owner,
        expires_at,
        used: used_at.is_some(),
        revoked: revoked_at.is_some(),
    }))
}

fn closed(title: &str, words: &str, user: Option<&WebUser>) -> Response {
    Page::new(title)
        .notice_error(words)
        .push(
            "<p>Ask the organization that invited you to send the invitation again if you \
             still want to connect.</p>",
        )
        .render(StatusCode::GONE, user)
}

/// `GET /invitations/accept?token=…`.
pub async fn show(
    State(state): State<AppState>,
    MaybeWebUser(user): MaybeWebUser,
    Query(query): Query<AcceptQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    if token.is_empty() || token.len() > 200 {
        return Page::new("This invitation link is incomplete")
            .notice_error(
                "The link has no invitation token. Open the link from the invitation email \
                 again, whole, or ask the inviting organization to resend the invitation.",
            )
            .render(StatusCode::BAD_REQUEST, user.as_ref());
    }
    let invitation = match find(&state, &token).await {
        Ok(Some(invitation)) => invitation,
        Ok(None) => {
            return Page::new("This invitation link is not valid")
                .notice_error(
                    "This link matches no invitation. Open it again from the email, whole.",
                )
                .render(StatusCode::NOT_FOUND, user.as_ref());
        }
        Err(err) => return error_page(&err, user.as_ref()),
    };
    let user = user.as_ref();
    if invitation.row.status == "Cancelled" {
        return closed(
            "This invitation was cancelled",
            "The inviting organization cancelled this invitation.",
            user,
        );
    }
    if invitation.used {
        return closed(
            "This invitation link was already used",
            "This invitation was already answered or claimed with this link. If your \
             organization claimed it, find it under Connections.",
            user,
        );
    }
    if invitation.revoked {
        return closed(
            "This invitation link no longer works",
            "The invitation was sent again with a new link, or cancelled: use the newest email.",
            user,
        );
    }
    if invitation.expires_at <= Utc::now() {
        return closed(
            "This invitation has expired",
            "This invitation link has expired.",
            user,
        );
    }
    let row = &invitation.row;
    let mut body = format!(
        "<p id=\"invitation-summary\"><strong>{org}</strong> invites <strong>{contact}</strong> \
         to connect on PartnerNet.</p>\
         <dl id=\"invitation-details\"><dt>Inviting organization</dt><dd>{org}</dd>\
         <dt>Invited by</dt><dd>{owner}</dd>\
         <dt>Invited contact</dt><dd>{contact} ({email})</dd>{account}\
         <dt>Link expires</dt><dd>{expires}</dd></dl>",
        org = escape(&invitation.inviter_org),
        owner = escape(invitation.inviter_owner.as_deref().unwrap_or("(no owner)")),
        contact = escape(&row.contact_name),
        email = escape(&row.contact_email),
        account = row
            .account_name
            .as_deref()
            .map(|a| format!("<dt>Account</dt><dd>{}</dd>", escape(a)))
            .unwrap_or_default(),
        expires = super::render::date_time(&invitation.expires_at),
    );
    match user {
        None => body.push_str(&format!(
            "<p><a id=\"sign-in-to-answer\" href=\"/sign-in?next={}\">Sign in to answer</a> \
             as a user of your organization.</p>",
            escape(&url_encode(&format!(
                "/invitations/accept?token={}",
                url_encode(&token)
            )))
        )),
        Some(user) if user.org_id.as_uuid() == row.org_id => body.push_str(
            "<p class=\"notice error\" role=\"alert\">This is an invitation your own organization \
             sent; the invited organization answers it.</p>",
        ),
        Some(user) => body.push_str(&format!(
            "<form method=\"post\" action=\"/invitations/answer\" id=\"answer-form\">{csrf}\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <p>Answer for <strong>{org}</strong>:</p>\
             <button type=\"submit\" name=\"answer\" value=\"accept\" id=\"accept\">Accept</button>\
             <button type=\"submit\" name=\"answer\" value=\"decline\" id=\"decline\" class=\"danger\">Decline</button>\
             <button type=\"submit\" name=\"answer\" value=\"later\" id=\"decide-later\" class=\"secondary\">Decide later</button>\
             </form>",
            csrf = hidden_field(user),
            token = escape(&token),
            org = escape(&user.org_name),
        )),
    }
    Page::new("Your PartnerNet invitation")
        .push(&body)
        .render(StatusCode::OK, user)
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    answer: String,
}

/// `POST /invitations/answer`: claim, then the chosen answer, each through the API's handler.
pub async fn answer(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<AnswerForm>,
) -> Response {
    if !matches!(form.answer.as_str(), "accept" | "decline" | "later") {
        return Page::new("Choose an answer")
            .notice_error("The answer must be accept, decline or decide later.")
            .render(StatusCode::UNPROCESSABLE_ENTITY, Some(&user));
    }
    let principal = user.principal();
    let claimed = claim::claim(
        State(state.clone()),
        Auth(principal.clone()),
        ValidJson(ClaimRequest {
            token: form.token.clone(),
        }),
    )
    .await;
    let Json(connection) = match claimed {
        Ok(view) => view,
        Err(err) => return error_page(&err, Some(&user)),
    };
    let id = Path(connection.id.to_string());
    let answered = match form.answer.as_str() {
        "accept" => {
            actions::accept(
                State(state),
                Auth(principal),
                id,
                ValidJson(AcceptRequest {
                    owner_user_id: Some(user.user_id.as_uuid()),
                }),
            )
            .await
        }
        "decline" => actions::decline(State(state), Auth(principal), id).await,
        _ => actions::decide_later(State(state), Auth(principal), id).await,
    };
    let link = format!(
        "<p><a id=\"connection-link\" href=\"/connections/{0}\">Open the connection</a></p>",
        connection.id
    );
    match answered {
        Ok(Json(view)) => {
            let words = match view.status.as_str() {
                "Accepted" => "You accepted the invitation. The connection is active.",
                "Rejected" => "You declined the invitation.",
                _ => "The invitation waits under Connections until you decide.",
            };
            Page::new("Invitation answered")
                .notice_ok(words)
                .push(&link)
                .render(StatusCode::OK, Some(&user))
        }
        Err(err) => Page::new("The invitation is claimed, not answered")
            .notice_error(&shared::web::notice::problem_text(&err))
            .push(&link)
            .render(err.status(), Some(&user)),
    }
}
