//! Answering an invitation (accept, decline, decide later), resending or cancelling it, and
//! deactivating a connection. Each action locks the connection, asks [`lifecycle`] whether it
//! is allowed, and commits the new status, its history entry and its event together.

use super::AppState;
use super::access::{check_owner, locked_connection, org_name};
use super::effects::effects;
use crate::connection::{ConnectionRow, ConnectionView, Status};
use crate::history;
use crate::lifecycle::{self, Action, Side};
use crate::schema::connections;
use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::ids::OrgId;
use shared::validate;
use uuid::Uuid;

/// Accepting an invitation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The user of your org who manages the connection on your side.
    pub owner_user_id: Option<Uuid>,
}

macro_rules! action_route {
    ($name:ident, $path:literal, $action:expr, $summary:literal, $ok:literal) => {
        #[doc = $summary]
        #[utoipa::path(
            post,
            path = $path,
            tag = "connections",
            params(("id" = Uuid, Path, description = "The connection's id")),
            security(("api_key" = [])),
            responses(
                (status = 200, description = $ok, body = ConnectionView),
                (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
                (status = 403, description = "The key lacks manage_connections", body = shared::http::Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such connection, or not one of yours", body = shared::http::Problem, content_type = "application/problem+json"),
                (status = 409, description = "Not allowed in the current status (`current_status`), or not by your side", body = shared::http::Problem, content_type = "application/problem+json"),
            )
        )]
        pub async fn $name(
            State(state): State<AppState>,
            Auth(principal): Auth,
            Path(id): Path<String>,
        ) -> Result<Json<ConnectionView>, ApiError> {
            require_scope(&principal, Scope::ManageConnections)?;
            let id = validate::uuid("id", &id)?;
            act(&state, principal.org_id, id, $action, None).await
        }
    };
}

action_route!(
    decline,
    "/v1/connections/{id}/decline",
    Action::Decline,
    "Decline an invitation your org received (status Rejected; the inviter's owner is told).",
    "Declined"
);
action_route!(
    decide_later,
    "/v1/connections/{id}/decide-later",
    Action::DecideLater,
    "Keep a received invitation to accept or decline later (status Pending).",
    "Kept for later"
);
action_route!(
    resend,
    "/v1/connections/{id}/resend",
    Action::Resend,
    "Send an unclaimed invitation again, with a new link; the old link stops working.",
    "Sent again"
);
action_route!(
    cancel,
    "/v1/connections/{id}/cancel",
    Action::Cancel,
    "Cancel an unanswered invitation your org sent; its link stops working.",
    "Cancelled"
);
action_route!(
    deactivate,
    "/v1/connections/{id}/deactivate",
    Action::Deactivate,
    "End an accepted connection (either side); updates stop crossing it.",
    "Deactivated (status Inactive)"
);

/// Accept an invitation your org received (status Accepted; the inviter's owner is told).
#[utoipa::path(
    post,
    path = "/v1/connections/{id}/accept",
    tag = "connections",
    params(("id" = Uuid, Path, description = "The connection's id")),
    request_body = AcceptRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Accepted", body = ConnectionView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current status (`current_status`)", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`owner_user_id` is not an active user of your org", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<AcceptRequest>,
) -> Result<Json<ConnectionView>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    if let Some(owner) = request.owner_user_id {
        let mut conn = state.pool.get().await?;
        check_owner(&mut conn, principal.org_id, "owner_user_id", owner).await?;
    }
    act(
        &state,
        principal.org_id,
        id,
        Action::Accept,
        request.owner_user_id,
    )
    .await
}

/// Runs `action` for `org` on connection `id`, in one transaction.
async fn act(
    state: &AppState,
    org: OrgId,
    id: Uuid,
    action: Action,
    partner_owner: Option<Uuid>,
) -> Result<Json<ConnectionView>, ApiError> {
    let mut conn = state.pool.get().await?;
    let (row, side) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (row, side) = locked_connection(conn, org, id).await?;
            let current = row.stored_status()?;
            let next = allowed(current, side, action)?;
            let now = Utc::now();
            let answered = matches!(action, Action::Accept | Action::Decline);
            let updated: ConnectionRow = diesel::update(connections::table.find(row.id))
                .set((
                    connections::status.eq(next.as_str()),
                    connections::updated_at.eq(now),
                    connections::response_date.eq(if answered {
                        Some(now)
                    } else {
                        row.response_date
                    }),
                    connections::partner_owner_user_id
                        .eq(partner_owner.or(row.partner_owner_user_id)),
                ))
                .returning(ConnectionRow::as_returning())
                .get_result(conn)
                .await?;
            let actor = org_name(conn, org).await?;
            history::record_status_change(
                conn,
                row.id,
                current.as_str(),
                next.as_str(),
                org,
                summary(action, &actor),
                now,
            )
            .await?;
            effects(conn, state, &updated, org, side, action, &actor, now).await?;
            Ok((updated, side))
        })
        .await?;
    Ok(Json(row.view(side)))
}

/// The next stored status, or the 409 that says why not (with the status this side sees).
fn allowed(current: Status, side: Side, action: Action) -> Result<Status, ApiError> {
    let seen = lifecycle::seen_by(current, side).as_str();
    if !lifecycle::may_act(side, action) {
        let who = match side {
            Side::Inviter => "the invited organization",
            Side::Invitee => "the inviting organization",
        };
        return Err(ApiError::conflict(
            format!("only {who} can {} this connection", action.verb()),
            seen,
        ));
    }
    lifecycle::transition(current, action).map_err(|_| {
        let detail = if action == Action::Resend && side == Side::Inviter && seen == "Sent" {
            "the partner already claimed this invitation; it can no longer be resent".to_string()
        } else {
            format!(
                "cannot {} a connection whose status is {seen}",
                action.verb()
            )
        };
        ApiError::conflict(detail, seen)
    })
}

pub(crate) fn summary(action: Action, actor: &str) -> String {
    match action {
        Action::Claim => format!("Invitation claimed by {actor}"),
        Action::Accept => format!("Invitation accepted by {actor}"),
        Action::Decline => format!("Invitation declined by {actor}"),
        Action::DecideLater => format!("{actor} will decide later"),
        Action::Resend => format!("Invitation sent again by {actor}"),
        Action::Cancel => format!("Invitation cancelled by {actor}"),
        Action::Deactivate => format!("Connection deactivated by {actor}"),
    }
}
