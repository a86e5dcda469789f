use super::AppState;
use crate::connection::{ConnectionRow, ConnectionView, Contact, Status};
use crate::history::{self, Kind, NewEntry};
use crate::schema::{connections, tokens};
use crate::{NAME, token};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::{self, Scope};
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::{outbox, validate};
use uuid::Uuid;

/// Invite a partner: one contact, one connection, one invitation email.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The person invited; the email must be valid, or the invitation reaches the wrong person.
    pub contact: Contact,
    /// The related account, if any (changeable later).
    pub account: Option<String>,
    /// The user of your org who manages the connection and receives its notifications.
    pub owner_user_id: Option<Uuid>,
}

/// Invite a partner organization.
#[utoipa::path(
    post,
    path = "/v1/connections",
    tag = "connections",
    request_body = InviteRequest,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Connection created (status Sent); the invitation email is on its way", body = ConnectionView),
        (status = 401, description = "No valid API key", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks manage_connections", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid; `field` names it", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<InviteRequest>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let contact = Contact {
        name: validate::text("contact.name", &request.contact.name, 200)?,
        email: validate::email("contact.email", &request.contact.email)?,
    };
    let account = request
        .account
        .as_deref()
        .map(|a| validate::text("account", a, 200))
        .transpose()?;
    let mut conn = state.pool.get().await?;
    if let Some(owner) = request.owner_user_id
        && !is_active_user(&mut conn, principal.org_id, owner).await?
    {
        return Err(ApiError::invalid_field(
            "owner_user_id",
            "is not an active user of your organization",
        ));
    }
    let inviter_org_name = identity::org_name(&mut conn, principal.org_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let invitation = Invitation {
        org_id: principal.org_id,
        inviter_org_name,
        contact,
        account,
        owner_user_id: request.owner_user_id,
    };
    let row = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            create(conn, &state, &invitation).await
        })
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

struct Invitation {
    org_id: OrgId,
    inviter_org_name: String,
    contact: Contact,
    account: Option<String>,
    owner_user_id: Option<Uuid>,
}

/// The connection, its token, its first history entry and the event, in one transaction.
async fn create(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    invitation: &Invitation,
) -> QueryResult<ConnectionRow> {
    let connection_id = ConnectionId::new();
    let token = token::generate();
    let expires_at = chrono::Utc::now() + state.config.token_ttl;
    let row: ConnectionRow = diesel::insert_into(connections::table)
        .values((
            connections::id.eq(connection_id.as_uuid()),
            connections::org_id.eq(invitation.org_id.as_uuid()),
            connections::status.eq(Status::Sent.as_str()),
            connections::contact_name.eq(&invitation.contact.name),
            connections::contact_email.eq(&invitation.contact.email),
            connections::account_name.eq(&invitation.account),
            connections::owner_user_id.eq(invitation.owner_user_id),
        ))
        .returning(ConnectionRow::as_returning())
        .get_result(conn)
        .await?;
    diesel::insert_into(tokens::table)
        .values((
            tokens::token_hash.eq(token::hash(&token)),
            tokens::connection_id.eq(row.id),
            tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    history::record(
        conn,
        NewEntry {
            connection_id: row.id,
            kind: Kind::StatusChanged,
            summary: format!("Invitation sent to {}", invitation.contact.name),
            detail: serde_json::json!({ "status": Status::Sent.as_str() }),
            occurred_at: row.invited_at,
            source_message_id: None,
        },
    )
    .await?;
    let event = Envelope::new(
        invitation.org_id,
        InvitationSentV1 {
            connection_id,
            inviter_org_name: invitation.inviter_org_name.clone(),
            contact_name: invitation.contact.name.clone(),
            contact_email: invitation.contact.email.clone(),
            accept_url: token::accept_url(&state.config.common.public_base_url, &token),
            expires_at,
        },
    );
    outbox::enqueue(conn, NAME, &event).await?;
    Ok(row)
}

async fn is_active_user(conn: &mut AsyncPgConnection, org: OrgId, user: Uuid) -> QueryResult<bool> {
    use shared::identity::users;
    let found: i64 = users::table
        .filter(users::id.eq(user))
        .filter(users::org_id.eq(org.as_uuid()))
        .filter(users::active)
        .count()
        .get_result(conn)
        .await?;
    Ok(found == 1)
}
