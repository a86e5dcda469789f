//! Claiming an invitation: the invited org redeems the token from the invitation email and
//! becomes the connection's other side. A token works once.

use super::AppState;
use super::access::org_name;
use super::actions::summary;
use crate::connection::{ConnectionRow, ConnectionView};
use crate::history;
use crate::lifecycle::{self, Action, Side};
use crate::schema::{connections, tokens};
use crate::token;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::validate;
use uuid::Uuid;

/// A token's connection, expiry, use and revocation.
type TokenRow = (
    Uuid,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// The token from the invitation link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub token: String,
}

/// Claim an invitation with its token: your org becomes the invited side (status Received).
#[utoipa::path(
    post,
    path = "/v1/invitations/claim",
    tag = "connections",
    request_body = ClaimRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Claimed; accept, decline or decide later next", body = ConnectionView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invitation is no longer open (`current_status`)", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The token was used, expired, or replaced or cancelled; `field` is `token`", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The token matches no invitation, or is your own org's", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn claim(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<ClaimRequest>,
) -> Result<Json<ConnectionView>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let presented = validate::text("token", &request.token, 200)?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let hash = token::hash(&presented);
            let found: Option<TokenRow> = tokens::table
                .find(&hash)
                .select((
                    tokens::connection_id,
                    tokens::expires_at,
                    tokens::used_at,
                    tokens::revoked_at,
                ))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some((connection_id, expires_at, used_at, revoked_at)) = found else {
                return Err(ApiError::invalid_field("token", "matches no invitation"));
            };
            let now = Utc::now();
            if used_at.is_some() {
                return Err(ApiError::gone("token", "was already used"));
            }
            if revoked_at.is_some() {
                return Err(ApiError::gone(
                    "token",
                    "no longer works: the invitation was cancelled or sent again",
                ));
            }
            if expires_at <= now {
                return Err(ApiError::gone("token", "has expired"));
            }
            let row: ConnectionRow = connections::table
                .find(connection_id)
                .select(ConnectionRow::as_select())
                .for_update()
                .first(conn)
                .await?;
            if row.org_id == org.as_uuid() {
                return Err(ApiError::invalid_field(
                    "token",
                    "is an invitation your own organization sent",
                ));
            }
            let current = row.stored_status()?;
            let next = lifecycle::transition(current, Action::Claim).map_err(|_| {
                let seen = lifecycle::seen_by(current, Side::Invitee);
                ApiError::conflict(
                    format!(
                        "the invitation is no longer open: its status is {}",
                        seen.as_str()
                    ),
                    seen.as_str(),
                )
            })?;
            let updated: ConnectionRow = diesel::update(connections::table.find(row.id))
                .set((
                    connections::partner_org_id.eq(org.as_uuid()),
                    connections::status.eq(next.as_str()),
                    connections::updated_at.eq(now),
                ))
                .returning(ConnectionRow::as_returning())
                .get_result(conn)
                .await?;
            diesel::update(tokens::table.find(&hash))
                .set(tokens::used_at.eq(now))
                .execute(conn)
                .await?;
            let actor = org_name(conn, org).await?;
            history::record_status_change(
                conn,
                row.id,
                current.as_str(),
                next.as_str(),
                org,
                summary(Action::Claim, &actor),
                now,
            )
            .await?;
            Ok(updated)
        })
        .await?;
    Ok(Json(row.view(Side::Invitee)))
}
